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

/** The marked types, for a membership test in one lookup (add runs at every event). */
const MARKED: ReadonlySet<string> = new Set(MARKED_EVENTS);

interface TypeMarks {
  count: number;
  /** every stride-th event of the type is kept */
  stride: number;
  seqs: number[];
}

export class EventMarkMeter {
  private readonly byType = new Map<string, TypeMarks>();

  add(type: string, seq: number): void {
    if (!MARKED.has(type)) return;
    let m = this.byType.get(type);
    if (m === undefined) this.byType.set(type, (m = { count: 0, stride: 1, seqs: [] }));
    const n = ++m.count;
    if ((n - 1) % m.stride !== 0) return;
    m.seqs.push(seq);
    if (m.seqs.length >= MAX_MARKS) {
      // keep every other mark and double the stride: an even spread at any length
      m.seqs = m.seqs.filter((_, i) => i % 2 === 0);
      m.stride *= 2;
    }
  }

  result(): EventMarks {
    const seqs: Record<string, number[]> = {};
    const counts: Record<string, number> = {};
    for (const t of [...this.byType.keys()].sort()) {
      const m = this.byType.get(t)!;
      seqs[t] = [...m.seqs];
      counts[t] = m.count;
    }
    return { seqs, counts };
  }
}
