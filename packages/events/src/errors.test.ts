import { describe, expect, test } from 'vitest';
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { describeValue, formatIssue, issuesOf, pathOf } from './errors.js';

describe('error messages', () => {
  test('a message reads file:line: at path: expected words, got JSON', () => {
    expect(formatIssue('w.jsonl', 7, { path: '$.len', expected: 'a multiple of 4096', got: 4097 })).toBe(
      'w.jsonl:7: at $.len: expected a multiple of 4096, got 4097',
    );
  });

  test('a missing field says so instead of printing undefined', () => {
    expect(describeValue(undefined)).toBe('nothing (the field is missing)');
  });

  test('long values are shortened to one line', () => {
    const s = describeValue({ big: 'x'.repeat(500) });
    expect(s.length).toBe(120);
    expect(s.endsWith('…')).toBe(true);
  });

  test('paths index arrays, quote odd keys and skip union branches', () => {
    const codec = t.type({ a: t.array(t.union([t.type({ 'b.c': t.number }), t.string])) });
    const r = codec.decode({ a: [1] });
    if (!isLeft(r)) throw new Error('should fail');
    expect(r.left.map((e) => pathOf(e.context))).toContain('$.a[0]');
    const r2 = codec.decode({ a: [{ 'b.c': 'x' }] });
    if (!isLeft(r2)) throw new Error('should fail');
    expect(issuesOf(r2.left).map((i) => `${i.path}: ${i.expected}`)).toContain('$.a[0]["b.c"]: a number');
  });
});
