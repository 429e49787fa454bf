/**
 * Where in the run the events that reshape memory happened: khugepaged
 * passes, reclaim, fork and compaction. A time chart marks them so a jump
 * in waste or coverage can be read against its cause.
 */

export const MARKED_EVENTS = ['khugepaged', 'reclaim', 'fork', 'compact'] as const;
export type MarkedEvent = (typeof MARKED_EVENTS)[number];

/** Seqs kept per event type; past it every other kept seq is dropped (still spread over the run). */
export const MAX_MARKS = 512;

export interface EventMarks {
  /** event type -> seqs (ascending) of events of that type, thinned evenly past MAX_MARKS */
  readonly seqs: Record<string, number[]>;
  /** event type -> how many such events the log had */
  readonly counts: Record<string, number>;
}

export class EventMarkMeter {
  private readonly seqs = new Map<string, number[]>();
  private readonly counts = new Map<string, number>();
  private readonly stride = new Map<string, number>();

  add(type: string, seq: number): void {
    if (!(MARKED_EVENTS as readonly string[]).includes(type)) return;
    const n = (this.counts.get(type) ?? 0) + 1;
    this.counts.set(type, n);
    let s = this.seqs.get(type);
    if (s === undefined) this.seqs.set(type, (s = []));
    const stride = this.stride.get(type) ?? 1;
    if ((n - 1) % stride !== 0) return;
    s.push(seq);
    if (s.length >= MAX_MARKS) {
      // keep every other mark and double the stride: an even spread at any length
      this.seqs.set(
        type,
        s.filter((_, i) => i % 2 === 0),
      );
      this.stride.set(type, stride * 2);
    }
  }

  result(): EventMarks {
    const seqs: Record<string, number[]> = {};
    const counts: Record<string, number> = {};
    for (const t of [...this.counts.keys()].sort()) {
      seqs[t] = [...this.seqs.get(t)!];
      counts[t] = this.counts.get(t)!;
    }
    return { seqs, counts };
  }
}
