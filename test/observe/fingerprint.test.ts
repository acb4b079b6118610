import { describe, expect, it } from 'vitest';
import { fingerprint, OperationLabels } from '../../src/observe/index.js';

describe('fingerprint (pure)', () => {
  it('drops comments of both kinds, even across lines, and keeps the text around them', () => {
    expect(fingerprint('SELECT a -- one\nFROM t /* two\nlines */ WHERE b')).toBe('select a from t where b');
    expect(fingerprint('SELECT /* a */ x /* b */ FROM t')).toBe('select x from t');
    // A comment separates like a space (PostgreSQL reads it as one): the words either side stay apart.
    expect(fingerprint('SELECT a/* b */FROM t')).toBe('select a from t');
  });

  it('replaces strings (doubled quotes inside), parameters and numbers, but not digits inside names', () => {
    expect(fingerprint("SELECT 'it''s' , 'b' FROM t2 WHERE c3 = $12 AND d = -7.25 AND e = 1E-3")).toBe(
      'select ? , ? from t2 where c3 = ? and d = -? and e = ?',
    );
    expect(fingerprint("WHERE a = '' AND b = 'x'")).toBe('where a = ? and b = ?');
    expect(fingerprint('SELECT 1e10, 2.5E+12, 3e-45 FROM t')).toBe('select ?, ?, ? from t');
  });

  it('collapses lists of values however spaced, not lists of names', () => {
    expect(fingerprint('IN ( 1 ,2 , 3 )')).toBe('in (?)');
    expect(fingerprint('IN ($1)')).toBe('in (?)');
    expect(fingerprint('VALUES (1, a)')).toBe('values (?, a)');
    expect(fingerprint('f(a, b)')).toBe('f(a, b)');
  });

  it('collapses whitespace of every kind, trims, and folds case', () => {
    expect(fingerprint('  SELECT\t\tA\n\n FROM  T  ')).toBe('select a from t');
  });
});

describe('OperationLabels', () => {
  it("uses the caller's operation name when the statement starts with one, else the fingerprint", () => {
    const labels = new OperationLabels();
    expect(labels.label('/* strata:op=products.list */ SELECT 1')).toBe('products.list');
    expect(labels.label('  /*strata:op=a:b-c_1*/ SELECT 2')).toBe('a:b-c_1');
    expect(labels.label("SELECT * FROM t WHERE id = 5 AND s = 'x'")).toBe('select * from t where id = ? and s = ?');
    // Not at the start, or with characters outside the name's alphabet: a fingerprint.
    expect(labels.label('SELECT 1 /* strata:op=late */')).toBe('select ?');
    expect(labels.label('/* strata:op=bad name */ SELECT 3')).toBe('select ?');
    expect(labels.label(`/* strata:op=${'n'.repeat(65)} */ SELECT 4`)).toBe('select ?');
    expect(labels.label(`/* strata:op=${'n'.repeat(64)} */ SELECT 4`)).toBe('n'.repeat(64));
  });

  it('cuts a fingerprint to 120 characters', () => {
    const long = `SELECT ${Array.from({ length: 60 }, (_, i) => `col_${i}`).join(', ')} FROM t`;
    const label = new OperationLabels().label(long);
    expect(label).toBe(fingerprint(long).slice(0, 120));
    expect(label).toHaveLength(120);
  });

  it('hands out at most `cap` distinct values, then `other` for new ones; known ones stay', () => {
    const labels = new OperationLabels(2);
    expect(labels.cap).toBe(2);
    expect(labels.label('SELECT a FROM t')).toBe('select a from t');
    expect(labels.label('SELECT b FROM t')).toBe('select b from t');
    expect(labels.size).toBe(2);
    expect(labels.label('SELECT c FROM t')).toBe('other');
    expect(labels.label('select  A from T')).toBe('select a from t');
    expect(labels.label('SELECT b FROM t')).toBe('select b from t');
    expect(labels.size).toBe(2);
    expect(new OperationLabels().cap).toBe(100);
  });
});
