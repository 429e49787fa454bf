/** Small workload logs for tests: the header, events with line numbers, and the JSONL text. */
import type { LogHeader, WorkloadEvent } from '@pagelab/events';
import type { LogEvent, LogInput } from '../replay.js';

const MiB = 1 << 20;

export const smallHeader: LogHeader = {
  pagelab: 1,
  machine: { memory: 64 * MiB, nodes: 1, cma: 0, swap: 16 * MiB },
  settings: { 'thp.enabled': 'always' },
  workload: { name: 'engine-small', seed: 1, params: {} },
};

/** A THP life: fault in 4 MiB, partial munmap (split PMD), fork and CoW, a pin, checks. */
export const smallEvents: readonly WorkloadEvent[] = [
  { type: 'spawn', pid: 1 },
  { type: 'mmap', pid: 1, addr: 2 * MiB, len: 4 * MiB, kind: 'anon' },
  { type: 'touch', pid: 1, addr: 2 * MiB, len: 4 * MiB, write: true },
  { type: 'expect', pid: 1, addr: 2 * MiB, len: 4 * MiB, anonHugeBytes: 4 * MiB, label: 'both THPs PMD-mapped' },
  { type: 'munmap', pid: 1, addr: 2 * MiB, len: 4096 },
  { type: 'fork', parent: 1, child: 2 },
  { type: 'touch', pid: 2, addr: 4 * MiB, len: 4096, write: true },
  { type: 'pin', pid: 1, addr: 4 * MiB + 8192, len: 4096, handle: 'h1' },
  { type: 'unpin', handle: 'h1' },
  { type: 'expect', pid: 1, contentIntact: true },
  { type: 'exit', pid: 2 },
  { type: 'touch', pid: 1, addr: 3 * MiB, len: 8192, write: true },
];

/** Events with their line numbers (the header is line 1). */
export function withLines(events: readonly WorkloadEvent[]): LogEvent[] {
  return events.map((event, i) => ({ line: i + 2, event }));
}

export function smallLog(events: readonly WorkloadEvent[] = smallEvents, header: LogHeader = smallHeader): LogInput {
  return { header, events: withLines(events) };
}

/** The log as JSONL lines (header first). */
export function logLines(events: readonly WorkloadEvent[] = smallEvents, header: LogHeader = smallHeader): string[] {
  return [JSON.stringify(header), ...events.map((e) => JSON.stringify(e))];
}
