/**
 * Where a program's addresses go in the model. A process scatters its
 * mappings over a 47-bit space (libraries near 0x7f.., the heap after the
 * binary, the stack at the top); the model only needs their sizes, their
 * order and their offset within a 2 MiB PMD range (which decides whether a
 * THP can map there). So every range the trace ever maps is widened to PMD
 * boundaries, overlapping or touching ranges are merged, and the merged
 * ranges are laid out in address order from BASE with a PMD-sized gap
 * between them. The same trace always gives the same layout, every process
 * uses the same map (a fork child's addresses stay its parent's), and
 * 2 MiB alignment is kept.
 */
const PMD = 2 * 1024 * 1024;
/** Where the first range goes: above the zero page and the low 1 GiB, like a typical mmap_base-less layout. */
export const BASE = 1 << 30;

export class AddressMap {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly targets: number[] = [];

  /** `ranges` are [start, end) byte ranges in the program's address space. */
  constructor(ranges: Iterable<readonly [number, number]>) {
    const widened: [number, number][] = [];
    for (const [s, e] of ranges) if (e > s) widened.push([Math.floor(s / PMD) * PMD, Math.ceil(e / PMD) * PMD]);
    widened.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let next = BASE;
    for (const [s, e] of widened) {
      const last = this.ends.length - 1;
      if (last >= 0 && s <= this.ends[last]!) {
        if (e > this.ends[last]!) {
          next += e - this.ends[last]!;
          this.ends[last] = e;
        }
        continue;
      }
      if (last >= 0) next += PMD; // a gap, so ranges the program kept apart are not merged by the model
      this.starts.push(s);
      this.ends.push(e);
      this.targets.push(next);
      next += e - s;
    }
  }

  /** The highest model address used, exclusive. */
  get top(): number {
    const i = this.ends.length - 1;
    return i < 0 ? BASE : this.targets[i]! + this.ends[i]! - this.starts[i]!;
  }

  /** The model address of a program address; throws if the address was never in a recorded range. */
  map(addr: number): number {
    let lo = 0,
      hi = this.starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (addr < this.starts[mid]!) hi = mid - 1;
      else if (addr >= this.ends[mid]!) lo = mid + 1;
      else return this.targets[mid]! + (addr - this.starts[mid]!);
    }
    throw new Error(`address 0x${addr.toString(16)} is outside every recorded range`);
  }
}
