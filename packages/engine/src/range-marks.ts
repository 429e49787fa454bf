import { HPAGE_PMD_NR, type PageTable } from '@pagelab/kernel-core';

/**
 * The marked pages of one 2 MiB range (512 slots from `base`), as a bitmap.
 * The balloon meter re-reads every mark at each khugepaged event and round
 * close; walking 16 words and their set bits costs a few nanoseconds a mark,
 * where a Set<number> costs several times that and allocates as it grows.
 */
export class RangeMarks {
  readonly words = new Uint32Array(HPAGE_PMD_NR / 32);
  size = 0;
  /**
   * The page table an anonymous range's marks were last settled against,
   * and its generation then: while both are unchanged no entry was written,
   * so every mark is still unpopulated and a settle may skip the range.
   */
  settledPt: PageTable | null = null;
  settledGen = 0;
  /** Where it sits in its RangeSet's list. */
  index = -1;

  /** `base`: the range's first slot (range number × 512). */
  constructor(readonly base: number) {}

  has(slot: number): boolean {
    const i = slot - this.base;
    return ((this.words[i >>> 5]! >>> (i & 31)) & 1) === 1;
  }

  /** Marks `slot`; false when it already was. */
  add(slot: number): boolean {
    const i = slot - this.base;
    const w = i >>> 5,
      bit = 1 << (i & 31);
    if ((this.words[w]! & bit) !== 0) return false;
    this.words[w] = this.words[w]! | bit;
    this.size++;
    return true;
  }

  /** Unmarks `slot`; false when it was not marked. */
  delete(slot: number): boolean {
    const i = slot - this.base;
    const w = i >>> 5,
      bit = 1 << (i & 31);
    if ((this.words[w]! & bit) === 0) return false;
    this.words[w] = this.words[w]! & ~bit;
    this.size--;
    return true;
  }

  clear(): void {
    this.words.fill(0);
    this.size = 0;
  }

  /** The marked slots, ascending (a copy: the caller may unmark while it walks). */
  slots(): number[] {
    const out: number[] = [];
    for (let w = 0; w < this.words.length; w++) {
      let word = this.words[w]!;
      while (word !== 0) {
        const low = word & -word;
        out.push(this.base + (w << 5) + 31 - Math.clz32(low));
        word ^= low;
      }
    }
    return out;
  }
}

/**
 * The marked ranges of one file or address space: found by range number,
 * walked as a dense array (a settle visits every range; walking a Map's
 * entries cost several times more per range).
 */
export class RangeSet<K = unknown> {
  /** `key`: the file name or pid whose ranges these are (walking a Map's values allocates nothing per entry; its entries do). */
  constructor(readonly key: K) {}
  private readonly byRange = new Map<number, RangeMarks>();
  /** Every range, in no particular order; walk it from the end to delete as you go. */
  readonly list: RangeMarks[] = [];

  get(range: number): RangeMarks | undefined {
    return this.byRange.get(range);
  }

  /** The range's marks, empty ones added when it has none. */
  getOrAdd(range: number): RangeMarks {
    let s = this.byRange.get(range);
    if (!s) {
      s = new RangeMarks(range * HPAGE_PMD_NR);
      s.index = this.list.length;
      this.list.push(s);
      this.byRange.set(range, s);
    }
    return s;
  }

  /** Forgets the range (the last of the list takes its place). */
  delete(range: number): void {
    const s = this.byRange.get(range);
    if (!s) return;
    this.byRange.delete(range);
    const last = this.list.pop()!;
    if (last !== s) {
      this.list[s.index] = last;
      last.index = s.index;
    }
  }
}

/** Set bits of a bitmap (bit i = word i >>> 5, bit i & 31) in [lo, hi). */
export function bitsIn(map: Uint32Array, lo: number, hi: number): number {
  let n = 0;
  for (let w = lo >>> 5; w < map.length && w << 5 < hi; w++) {
    let word = map[w]!;
    if (word === 0) continue;
    const first = w << 5;
    if (lo > first) word &= ~0 << (lo - first);
    if (hi < first + 32) word &= (1 << (hi - first)) - 1;
    word -= (word >>> 1) & 0x55555555;
    word = (word & 0x33333333) + ((word >>> 2) & 0x33333333);
    n += (((word + (word >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
  }
  return n;
}
