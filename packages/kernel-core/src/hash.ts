/**
 * hash_64 / hash_ptr (include/linux/hash.h) over the address of a frame's
 * struct page, for hash tables keyed by page (Minchan's 2013 pin-page
 * table).
 *
 * Two multipliers, because the kernel changed it:
 *   - 'v3.13': GOLDEN_RATIO_PRIME_64 = 0x9e37fffffffc0001, the bit-sparse
 *     prime 2^63 + 2^61 - 2^57 + 2^54 - 2^51 - 2^18 + 1 that hash_64 applied
 *     as six shifts and adds (v2.6.x to v4.6, so in every tree a 2013 RFC
 *     was written against). Its low 50 bits are almost empty, so for keys
 *     that differ in low bits only the top bits move little: struct pages
 *     64 bytes apart collide.
 *   - 'v4.7': GOLDEN_RATIO_64 = 0x61c8864680b583eb, a dense multiplier
 *     (commit ef703f49a6c5, "Eliminate bad hash multipliers from hash_32()
 *     and hash_64()", v4.7), hash_64_generic = val * GOLDEN_RATIO_64 >> (64 - bits).
 * Both are a 64-bit multiply modulo 2^64 whose top `bits` bits are the bucket.
 *
 * The address: x86-64's vmemmap (VMEMMAP_START 0xffffea0000000000 with
 * 4-level paging, arch/x86/include/asm/pgtable_64_types.h) holds one 64-byte
 * struct page per pfn, so page = VMEMMAP_START + pfn * 64 (pfn_to_page under
 * CONFIG_SPARSEMEM_VMEMMAP).
 *
 * Computed in 16-bit limbs so no BigInt (and no allocation) is needed per call.
 */

export type HashMultiplier = 'v3.13' | 'v4.7';

/** The 64-bit multipliers as four 16-bit limbs, least significant first. */
const LIMBS: Readonly<Record<HashMultiplier, readonly [number, number, number, number]>> = {
  // 0x9e37_ffff_fffc_0001
  'v3.13': [0x0001, 0xfffc, 0xffff, 0x9e37],
  // 0x61c8_8646_80b5_83eb
  'v4.7': [0x83eb, 0x80b5, 0x8646, 0x61c8],
};

/** VMEMMAP_START (x86-64, 4-level paging) as its high and low 32-bit halves. */
export const VMEMMAP_START_HI = 0xffffea00;
export const VMEMMAP_START_LO = 0x00000000;
/** sizeof(struct page) on x86-64. */
export const STRUCT_PAGE_SIZE = 64;

/**
 * hash_64(val, bits) for val = hi * 2^32 + lo (both unsigned 32-bit), 1 <= bits <= 32.
 */
export function hash64(hi: number, lo: number, bits: number, mult: HashMultiplier = 'v3.13'): number {
  if (!Number.isInteger(bits) || bits < 1 || bits > 32) throw new RangeError(`hash64: bits ${bits} is not in 1..32`);
  const m = LIMBS[mult];
  const a0 = lo & 0xffff,
    a1 = lo >>> 16,
    a2 = hi & 0xffff,
    a3 = hi >>> 16;
  const m0 = m[0],
    m1 = m[1],
    m2 = m[2],
    m3 = m[3];
  // Schoolbook product modulo 2^64: each column below 2^35, exact in a double.
  let c = a0 * m0;
  c = Math.floor(c / 65536) + a0 * m1 + a1 * m0;
  c = Math.floor(c / 65536) + a0 * m2 + a1 * m1 + a2 * m0;
  const r2 = c % 65536;
  c = Math.floor(c / 65536) + a0 * m3 + a1 * m2 + a2 * m1 + a3 * m0;
  const r3 = c % 65536;
  const top = r3 * 65536 + r2; // bits 32..63 of the product
  return Math.floor(top / 2 ** (32 - bits));
}

/** hash_ptr(page, bits) for the struct page of `pfn` (page = VMEMMAP_START + pfn * 64). */
export function hashStructPage(pfn: number, bits: number, mult: HashMultiplier = 'v3.13'): number {
  const off = pfn * STRUCT_PAGE_SIZE; // below 2^53 for any pfn the model has
  const lo = off % 4294967296;
  const hi = (VMEMMAP_START_HI + Math.floor(off / 4294967296)) % 4294967296;
  return hash64(hi, (lo + VMEMMAP_START_LO) >>> 0, bits, mult);
}
