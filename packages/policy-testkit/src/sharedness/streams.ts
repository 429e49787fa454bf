/** Random fork / touch / munmap / madvise / mmap / exit / reclaim streams for the sharedness suite, made concrete against the live state. */
import fc from 'fast-check';
import type { WorkloadEvent } from '@pagelab/events';
import { type Kernel, type SharednessPolicy, HPAGE_PMD_NR, PAGE_SIZE, applyEvent, checkInvariants, describeViolation } from '@pagelab/kernel-core';
import { sharednessKernel } from './machine.js';
import { type MmHistory, type SharednessConformanceOptions, checkSharedness, recountFolios } from './oracle.js';
import { MB } from './scenarios.js';

// ----------------------------------------------------- random streams

/** The region every random stream works in: two THPs' worth at a 2 MiB boundary. */
const REGION = 128 * MB;
const REGION_PAGES = 2 * HPAGE_PMD_NR;
const MAX_PROCS = 5;

/** One abstract step of a random stream, made concrete against the live state when it is applied. */
export type SharednessOp =
  | { op: 'fork'; who: number }
  | { op: 'exit'; who: number }
  | { op: 'touch' | 'dontneed' | 'munmap' | 'mmap'; who: number; page: number; pages: number; write: boolean }
  | { op: 'reclaim'; pages: number };

const who = fc.nat(64);
const span = fc.oneof(fc.integer({ min: 1, max: 8 }), fc.constantFrom(1, 2, 255, 256, 257, 300, 511, 512, 1024));
const ranged = (op: 'touch' | 'dontneed' | 'munmap' | 'mmap') =>
  fc.record({ op: fc.constant(op), who, page: fc.integer({ min: 0, max: REGION_PAGES - 1 }), pages: span, write: fc.boolean() });
const opArb: fc.Arbitrary<SharednessOp> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('fork' as const), who }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('exit' as const), who }) },
  { weight: 5, arbitrary: ranged('touch') },
  { weight: 4, arbitrary: ranged('dontneed') },
  { weight: 2, arbitrary: ranged('munmap') },
  { weight: 1, arbitrary: ranged('mmap') },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('reclaim' as const), pages: fc.constantFrom(1, 64, 512) }) },
);
/** Streams start with one process that has write-faulted two THPs, then go random. */
export const sharednessStreams: fc.Arbitrary<SharednessOp[]> = fc.array(opArb, { minLength: 8, maxLength: 60, size: 'max' });

/**
 * Turns an abstract op into a valid event for the current state (or null
 * when it does not apply): picks a live pid, clamps ranges to one VMA,
 * keeps one process alive and at most MAX_PROCS.
 */
function concretize(k: Kernel, op: SharednessOp, nextPid: () => number): WorkloadEvent | null {
  const live = [...k.mms.keys()].sort((a, b) => a - b);
  if (op.op === 'reclaim') return { type: 'reclaim', pages: op.pages };
  const pid = live[op.who % live.length]!;
  switch (op.op) {
    case 'fork':
      return live.length < MAX_PROCS ? { type: 'fork', parent: pid, child: nextPid() } : null;
    case 'exit':
      return live.length > 1 ? { type: 'exit', pid } : null;
    default: {
      const start = REGION + op.page * PAGE_SIZE;
      let end = REGION + Math.min(REGION_PAGES, op.page + op.pages) * PAGE_SIZE;
      const mm = k.mm(pid);
      if (op.op === 'munmap') return { type: 'munmap', pid, addr: start, len: end - start };
      if (op.op === 'mmap') {
        if (mm.vmas.some((v) => v.start < end && start < v.end)) return null;
        return { type: 'mmap', pid, addr: start, len: end - start, kind: 'anon' };
      }
      const v = mm.findVma(start);
      if (!v) return null;
      end = Math.min(end, v.end);
      if (op.op === 'touch') return { type: 'touch', pid, addr: start, len: end - start, write: op.write };
      return { type: 'madvise', pid, addr: start, len: end - start, advice: 'dontneed' };
    }
  }
}

/** One replay: the events actually applied, one answer digest per event, and the final ledger. */
export interface SharednessReplay {
  events: WorkloadEvent[];
  answers: string[];
  ledger: ReturnType<Kernel['ledger']['totals']>;
}

/**
 * Replays one stream under `policy`, checking after every event; throws
 * with the event and the violations on the first failure.
 */
export function replaySharednessStream(policy: SharednessPolicy, ops: readonly SharednessOp[], opts: SharednessConformanceOptions = {}): SharednessReplay {
  const k = sharednessKernel(policy);
  const history: MmHistory = new Map();
  let pid = 1;
  const events: WorkloadEvent[] = [];
  const answers: string[] = [];
  const step = (e: WorkloadEvent) => {
    applyEvent(k, e, events.length + 1);
    events.push(e);
    const bad = [...checkInvariants(k).map(describeViolation), ...checkSharedness(k, policy, opts, history)];
    if (bad.length > 0)
      throw new Error(`after event ${events.length} ${JSON.stringify(e)} of\n${events.map((x) => JSON.stringify(x)).join('\n')}\n  ${bad.join('\n  ')}`);
    let digest = '';
    for (const r of recountFolios(k).values()) {
      for (let i = 0; i < r.pteMaps.length; i++) if (r.pteMaps[i]! > 0) digest += policy.mappedShared(k, r.head + i) ? '1' : '0';
    }
    answers.push(digest);
  };
  step({ type: 'spawn', pid: 1 });
  step({ type: 'mmap', pid: 1, addr: REGION, len: REGION_PAGES * PAGE_SIZE, kind: 'anon' });
  step({ type: 'touch', pid: 1, addr: REGION, len: REGION_PAGES * PAGE_SIZE, write: true });
  for (const op of ops) {
    const e = concretize(k, op, () => ++pid);
    if (e) step(e);
  }
  return { events, answers, ledger: k.ledger.totals() };
}
