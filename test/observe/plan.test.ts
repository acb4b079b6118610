import { describe, expect, it } from 'vitest';
import { fingerprint, renderPlan, scrubPlan } from '../../src/observe/index.js';

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

describe('renderPlan with ANALYZE and scrubPlan (pure)', () => {
  it('analyzed: time x loops is what a node costs, children subtracted; details (lists joined) under their node; the threshold is inclusive', () => {
    const root = {
      'Node Type': 'Nested Loop',
      'Actual Total Time': 10,
      'Actual Loops': 1,
      'Actual Rows': 5,
      Plans: [
        { 'Node Type': 'Index Scan', 'Relation Name': 'b', 'Actual Total Time': 0.5, 'Actual Loops': 10, 'Actual Rows': 1, 'Index Cond': '(id = a.id)' },
        { 'Node Type': 'Seq Scan', 'Relation Name': 'a', 'Actual Total Time': 4, 'Actual Rows': 5, 'Sort Key': ['a', 'b'], Filter: '(x > 1)' },
      ],
    };
    expect(renderPlan(root, true).split('\n')).toEqual([
      '   Nested Loop (time=10.000 ms rows=5 loops=1)',
      '!!   Index Scan on b (time=0.500 ms rows=1 loops=10, 50% of total)',
      '       Index Cond: (id = a.id)',
      '!!   Seq Scan on a (time=4.000 ms rows=5 loops=1, 40% of total)',
      '       Filter: (x > 1)',
      '       Sort Key: a, b',
    ]);
    expect(
      renderPlan(root, true, 0.5)
        .split('\n')
        .filter((l) => l.startsWith('!!')),
    ).toEqual(['!!   Index Scan on b (time=0.500 ms rows=1 loops=10, 50% of total)']);
    expect(renderPlan({ 'Node Type': 'Result' }, true)).toBe('   Result (time=0.000 ms rows=0 loops=1)');
    expect(renderPlan({ 'Node Type': 'Result' }, false)).toBe('   Result (cost=0.00 rows=0)');
    expect(renderPlan({ 'Node Type': 'Result', 'Total Cost': 4, Plans: [{ 'Node Type': 'Append' }] }, false)).toBe(
      '!! Result (cost=4.00 rows=0, 100% of total)\n     Append (cost=0.00 rows=0)',
    );
  });

  it('scrubPlan puts placeholders where a plan spells out a parameter, longest first, numbers only as whole tokens', () => {
    const parameters = ['secret', 42, 3.5, new Date('2026-01-02T03:04:05.000Z'), { a: 1 }, '', "o'brien", null, 'brien'];
    const plan = {
      'Node Type': 'Seq Scan',
      Filter:
        "((name = 'secret'::text) AND (n = 42) AND (x = 3.5) AND (t = '2026-01-02T03:04:05.000Z'::timestamptz) AND (j = '{\"a\":1}'::jsonb) AND (q = 'o''brien'::text) AND (z = 'null'::text) AND (e = ''))",
      'Total Cost': '42',
      'Actual Total Time': '3.5',
      'Plan Rows': '42',
      Plans: [{ 'Node Type': 'Index Scan', 'Index Cond': '(id = 420)', Output: ['42', 'x42', '4.2', '42.5', '-42', '$42', '3x5'] }],
    };
    expect(scrubPlan(plan, parameters)).toEqual({
      'Node Type': 'Seq Scan',
      Filter: "((name = $1::text) AND (n = $2) AND (x = $3) AND (t = $4::timestamptz) AND (j = $5::jsonb) AND (q = $7::text) AND (z = $8::text) AND (e = ''))",
      'Total Cost': '42',
      'Actual Total Time': '3.5',
      'Plan Rows': '42',
      Plans: [{ 'Node Type': 'Index Scan', 'Index Cond': '(id = 420)', Output: ['$2', 'x42', '4.2', '42.5', '-$2', '$42', '3x5'] }],
    });
    expect(scrubPlan('plain', [])).toBe('plain');
    expect(scrubPlan(7, [7])).toBe(7);
  });

  it("analyzed: a child's time counts once per loop against its parent; the root's own loops too (none given: one)", () => {
    const looped = (rootLoops?: number) =>
      renderPlan(
        {
          'Node Type': 'Nested Loop',
          'Actual Total Time': 10,
          ...(rootLoops === undefined ? {} : { 'Actual Loops': rootLoops }),
          Plans: [{ 'Node Type': 'Index Scan', 'Actual Total Time': 1, 'Actual Loops': 5 }],
        },
        true,
      ).split('\n');
    expect(looped()).toEqual(['!! Nested Loop (time=10.000 ms rows=0 loops=1, 50% of total)', '!!   Index Scan (time=1.000 ms rows=0 loops=5, 50% of total)']);
    expect(looped(2)).toEqual(['!! Nested Loop (time=10.000 ms rows=0 loops=2, 75% of total)', '!!   Index Scan (time=1.000 ms rows=0 loops=5, 25% of total)']);
  });

  it('a total of zero marks no node, even one whose own figure is above it', () => {
    expect(renderPlan({ 'Node Type': 'Result', 'Total Cost': 0, Plans: [{ 'Node Type': 'Seq Scan', 'Total Cost': 5 }] }, false)).toBe(
      '   Result (cost=0.00 rows=0)\n     Seq Scan (cost=5.00 rows=0)',
    );
  });

  it('scrubPlan: a longer parameter containing a shorter one is replaced first whatever their order; only numbers are replaced unquoted, every time', () => {
    const plan = {
      Filter: "((a = 'brien'::text) AND (b = 'o''brien'::text))",
      Output: ['v2', '12 monkeys', '3.25', '3.2', '42 + 42'],
    };
    expect(scrubPlan(plan, ['brien', "o'brien", 'v2', '12 monkeys', 3.25, 42])).toEqual({
      Filter: '((a = $1::text) AND (b = $2::text))',
      Output: ['v2', '12 monkeys', '$5', '3.2', '$6 + $6'],
    });
  });

  it('every detail a plan node may carry is shown under it, in a fixed order', () => {
    expect(
      renderPlan(
        {
          'Node Type': 'Nested Loop',
          'Join Filter': '(a.x < b.y)',
          Plans: [{ 'Node Type': 'Bitmap Heap Scan', 'Recheck Cond': '(x = 1)', 'Hash Cond': '(h)', 'Index Cond': '(i)', Filter: '(f)', 'Sort Key': 's' }],
        },
        false,
      ).split('\n'),
    ).toEqual([
      '   Nested Loop (cost=0.00 rows=0)',
      '     Join Filter: (a.x < b.y)',
      '     Bitmap Heap Scan (cost=0.00 rows=0)',
      '       Index Cond: (i)',
      '       Filter: (f)',
      '       Hash Cond: (h)',
      '       Recheck Cond: (x = 1)',
      '       Sort Key: s',
    ]);
  });
});
