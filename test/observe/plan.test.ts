import { describe, expect, it } from 'vitest';
import { fingerprint, renderPlan } from '../../src/observe/index.js';

describe('fingerprints and plans (pure)', () => {
  it('fingerprints replace every literal and collapse lists', () => {
    expect(fingerprint("SELECT *  FROM t WHERE a = 42 AND b = 'x''y' AND c IN (1, 2, 3) AND d = $4 -- note")).toBe(
      'select * from t where a = ? and b = ? and c in (?) and d = ?',
    );
    expect(fingerprint('SELECT 1.5e3')).toBe('select ?');
  });

  it('renders a plan tree and marks the costly node', () => {
    const text = renderPlan(
      {
        'Node Type': 'Hash Join',
        'Total Cost': 100,
        'Plan Rows': 10,
        'Hash Cond': '(a.id = b.id)',
        Plans: [
          { 'Node Type': 'Seq Scan', 'Relation Name': 'a', 'Total Cost': 70, 'Plan Rows': 1000 },
          { 'Node Type': 'Index Scan', 'Relation Name': 'b', 'Index Name': 'b_pkey', 'Total Cost': 5, 'Plan Rows': 1 },
        ],
      },
      false,
    );
    expect(text.split('\n')).toEqual([
      '!! Hash Join (cost=100.00 rows=10, 25% of total)',
      '     Hash Cond: (a.id = b.id)',
      '!!   Seq Scan on a (cost=70.00 rows=1000, 70% of total)',
      '     Index Scan on b using b_pkey (cost=5.00 rows=1)',
    ]);
  });
});
