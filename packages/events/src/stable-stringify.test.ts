import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { stableStringify } from './stable-stringify.js';

function shuffleKeys(v: unknown, rnd: () => number): unknown {
  if (Array.isArray(v)) return v.map((x) => shuffleKeys(x, rnd));
  if (typeof v !== 'object' || v === null) return v;
  const entries = Object.entries(v);
  for (let i = entries.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [entries[i], entries[j]] = [entries[j] as [string, unknown], entries[i] as [string, unknown]];
  }
  return Object.fromEntries(entries.map(([k, x]) => [k, shuffleKeys(x, rnd)]));
}

describe('stableStringify', () => {
  test('keys are sorted at every depth and arrays keep their order', () => {
    expect(stableStringify({ b: 1, a: [3, { z: 1, y: 2 }, 1], c: { e: null, d: 'x' } })).toBe('{"a":[3,{"y":2,"z":1},1],"b":1,"c":{"d":"x","e":null}}');
  });

  test('the same value with keys inserted in any order gives the same bytes', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer(), (v, seed) => {
        let s = seed;
        const rnd = () => (s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
        expect(stableStringify(shuffleKeys(v, rnd))).toBe(stableStringify(v));
      }),
    );
  });

  test('the output parses back to an equal value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(JSON.parse(stableStringify(v))).toEqual(JSON.parse(JSON.stringify(v)));
      }),
    );
  });

  test('leading keys come first in the order given', () => {
    expect(stableStringify({ type: 'sample', metrics: { b: 1, a: 2 }, seq: 3 }, { leadingKeys: ['seq', 'type'] })).toBe(
      '{"seq":3,"type":"sample","metrics":{"a":2,"b":1}}',
    );
  });

  test('undefined, functions and non-finite numbers follow JSON.stringify', () => {
    expect(stableStringify({ a: undefined, b: [undefined, NaN, Infinity], c: () => 1 })).toBe('{"b":[null,null,null]}');
    expect(stableStringify({ d: new Date(0) })).toBe('{"d":"1970-01-01T00:00:00.000Z"}');
  });

  test('cycles and BigInt are errors', () => {
    const a: Record<string, unknown> = {};
    a['self'] = a;
    expect(() => stableStringify(a)).toThrow(/cyclic/);
    expect(() => stableStringify({ n: 1n })).toThrow(/BigInt/);
  });

  test('a shared, non-cyclic object is written twice', () => {
    const shared = { x: 1 };
    expect(stableStringify([shared, shared])).toBe('[{"x":1},{"x":1}]');
  });
});
