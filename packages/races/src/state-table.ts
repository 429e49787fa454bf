/**
 * The visited set: states stored back to back in one growing Int32Array and
 * found again through an open-addressing hash table of their indexes, so a
 * lookup allocates nothing (no string keys, no per-state arrays).
 */
const CHUNK_BITS = 12;
const CHUNK = 1 << CHUNK_BITS;

export class StateTable {
  /** States in chunks of CHUNK, so growing never copies what is stored. */
  private chunks: Int32Array[] = [];
  private slots: Int32Array; // state index + 1, 0 = empty
  private hashes: Int32Array; // per state, so growing the table rehashes nothing
  private mask: number;
  size = 0;

  constructor(readonly width: number) {
    this.hashes = new Int32Array(1024);
    this.slots = new Int32Array(4096);
    this.mask = 4095;
  }

  private hash(s: Int32Array): number {
    // Multiply-rotate per word (so high bits reach the low bits the table
    // indexes by), then murmur3's finaliser.
    let h = 0x811c9dc5 | 0;
    for (let i = 0; i < s.length; i++) {
      h = Math.imul(h ^ s[i]!, 0x9e3779b1);
      h = (h << 15) | (h >>> 17);
    }
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
  }

  private equalAt(s: Int32Array, idx: number): boolean {
    const chunk = this.chunks[idx >>> CHUNK_BITS]!;
    const base = (idx & (CHUNK - 1)) * this.width;
    for (let i = 0; i < this.width; i++) if (chunk[base + i] !== s[i]) return false;
    return true;
  }

  /** The index of state s, or -1. */
  find(s: Int32Array): number {
    const h = this.hash(s);
    for (let p = h & this.mask; ; p = (p + 1) & this.mask) {
      const v = this.slots[p]!;
      if (v === 0) return -1;
      if (this.hashes[v - 1] === (h | 0) && this.equalAt(s, v - 1)) return v - 1;
    }
  }

  /** Adds s (not yet present) and returns its index. */
  add(s: Int32Array): number {
    const idx = this.size++;
    if ((idx & (CHUNK - 1)) === 0) this.chunks.push(new Int32Array(CHUNK * this.width));
    if (idx >= this.hashes.length) {
      const h = new Int32Array(this.hashes.length * 2);
      h.set(this.hashes);
      this.hashes = h;
    }
    this.chunks[idx >>> CHUNK_BITS]!.set(s, (idx & (CHUNK - 1)) * this.width);
    this.hashes[idx] = this.hash(s) | 0;
    if (this.size * 2 > this.slots.length) this.rehash();
    else this.place(idx);
    return idx;
  }

  private place(idx: number): void {
    let p = (this.hashes[idx]! >>> 0) & this.mask;
    while (this.slots[p] !== 0) p = (p + 1) & this.mask;
    this.slots[p] = idx + 1;
  }

  private rehash(): void {
    this.slots = new Int32Array(this.slots.length * 2);
    this.mask = this.slots.length - 1;
    for (let i = 0; i < this.size; i++) this.place(i);
  }

  /** Copies state idx into out. */
  copy(idx: number, out: Int32Array): void {
    const chunk = this.chunks[idx >>> CHUNK_BITS]!;
    const base = (idx & (CHUNK - 1)) * this.width;
    for (let i = 0; i < this.width; i++) out[i] = chunk[base + i]!;
  }
}
