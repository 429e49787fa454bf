import { describe, expect, it } from 'vitest';
import { hash64, hashStructPage } from './hash.js';

const M = { 'v3.13': 0x9e37fffffffc0001n, 'v4.7': 0x61c8864680b583ebn } as const;
const big = (hi: number, lo: number, bits: number, mult: keyof typeof M) =>
  Number(((((BigInt(hi) << 32n) | BigInt(lo)) * M[mult]) & 0xffffffffffffffffn) >> BigInt(64 - bits));

describe('hash_64 / hash_ptr (include/linux/hash.h)', () => {
  it('is the top `bits` bits of the 64-bit product with the era multiplier, for any key and 1..32 bits', () => {
    let s = 12345;
    const next = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0), s);
    for (const mult of ['v3.13', 'v4.7'] as const)
      for (let i = 0; i < 3000; i++) {
        const hi = next(),
          lo = next(),
          bits = 1 + (i % 32);
        expect(hash64(hi, lo, bits, mult)).toBe(big(hi, lo, bits, mult));
      }
  });

  it('hashes a struct page at VMEMMAP_START + pfn * 64', () => {
    for (const pfn of [0, 1, 511, 4096, 1 << 20, (1 << 26) + 3])
      expect(hashStructPage(pfn, 10, 'v3.13')).toBe(Number((((0xffffea0000000000n + BigInt(pfn) * 64n) * M['v3.13']) & 0xffffffffffffffffn) >> 54n));
  });

  it("the 2013 bit-sparse multiplier spreads consecutive struct pages over 128 of 1024 buckets, v4.7's over all", () => {
    const used = (mult: 'v3.13' | 'v4.7') => new Set(Array.from({ length: 4096 }, (_, p) => hashStructPage(p, 10, mult))).size;
    expect(used('v3.13')).toBe(128);
    expect(used('v4.7')).toBe(1024);
  });

  it('refuses a bucket width outside 1..32', () => {
    expect(() => hash64(0, 1, 0)).toThrow(/bits 0/);
    expect(() => hash64(0, 1, 33)).toThrow(/bits 33/);
  });
});
