import type { LogHeader, WorkloadEvent } from '@pagelab/events';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Registry } from './registry.js';
import { MAX_BALLOON_ROUNDS } from './balloon.js';
import { balloonBothWays } from './testing/balloon.js';
import { installedRegistry, replayChecked } from './testing/checked.js';

let registry: Registry;
beforeAll(async () => {
  registry = await installedRegistry();
});

const MB = 1 << 20;
const A = 1 << 30;
const PAGE = 4096;
const header: LogHeader = {
  pagelab: 1,
  machine: { memory: 64 * MB, nodes: 1, cma: 0, swap: 0 },
  settings: { 'thp.shmem_enabled': 'always' },
  workload: { name: 'balloon-rounds', seed: 0, params: {} },
} as LogHeader;
const punch = (page: number, pages = 1): WorkloadEvent => ({ type: 'fallocate', file: 'ram', offset: page * PAGE, len: pages * PAGE, mode: 'punch_hole' });
const start: WorkloadEvent[] = [
  { type: 'spawn', pid: 1 },
  { type: 'mmap', pid: 1, addr: A, len: 4 * MB, kind: 'shmem', file: 'ram' },
  { type: 'touch', pid: 1, addr: A, len: 4 * MB, write: true },
];
const run = (design: string, events: WorkloadEvent[]) => replayChecked({ header, events: [...start, ...events] }, design, registry).balloon!;

describe('the balloon meter', () => {
  it('opens a round at each run of requests, closes it before the first event after its khugepaged passes, and keeps the rest for afterRounds', () => {
    const b = run('linux-6.10', [
      punch(10),
      punch(20),
      { type: 'khugepaged', passes: 2 },
      punch(600),
      { type: 'expect', wasteBytes: 0 },
      punch(601),
      { type: 'khugepaged', passes: 2 },
      { type: 'touch', pid: 1, addr: A + 700 * PAGE, len: PAGE, write: true },
    ]);
    expect(b.rounds.map((r) => [r.round, r.firstSeq, r.requestedBytes / PAGE, r.freedBytes / PAGE, r.refilledBytes / PAGE, r.recollapses])).toEqual([
      [1, 4, 2, 2, 2, 1],
      [2, 7, 2, 2, 2, 1],
    ]);
    expect(b.afterRounds).toEqual({ requestedBytes: 0, freedBytes: 0, refilledBytes: 0, recollapses: 0, splitFailures: 0 });
    expect(b.guestHugeCoverage).toBe(1);
  });

  it('counts a page the guest refaults once, in the round it belongs to, and again after a later punch empties it again', () => {
    // split-guard keeps khugepaged away, so only the guest refills.
    const b = run('split-guard', [
      punch(10),
      { type: 'khugepaged', passes: 2 },
      { type: 'touch', pid: 1, addr: A + 10 * PAGE, len: PAGE, write: true },
      punch(10),
      { type: 'touch', pid: 1, addr: A + 10 * PAGE, len: PAGE, write: false },
    ]);
    // The write came after round 1 closed but before round 2 opened: it is round 1's. Round 2 has no khugepaged, so the read is its own.
    expect(b.rounds.map((r) => [r.freedBytes / PAGE, r.refilledBytes / PAGE, r.recollapses])).toEqual([
      [1, 1, 0],
      [1, 1, 0],
    ]);
    expect(b.afterRounds.refilledBytes).toBe(0);
    expect(b.refilledBytes / PAGE).toBe(2);
    // The first 2 MiB stays small (split), the second is still huge: half of the populated pages.
    expect(b.guestHugeCoverage).toBe(0.5);
  });

  it('lists the first MAX_BALLOON_ROUNDS rounds and sums the later ones, so a long log keeps a summary of bounded size', () => {
    // One page punched and touched again per round: a round each, its page refilled by the guest.
    const extra = 40;
    const events: WorkloadEvent[] = [];
    for (let i = 0; i < MAX_BALLOON_ROUNDS + extra; i++) {
      const page = i % 1024;
      events.push(punch(page), { type: 'touch', pid: 1, addr: A + page * PAGE, len: PAGE, write: true });
    }
    const b = replayChecked({ header, events: [...start, ...events] }, 'linux-4.5', registry, { invariants: false }).balloon!;
    expect(b.rounds.length).toBe(MAX_BALLOON_ROUNDS);
    expect(b.rounds[MAX_BALLOON_ROUNDS - 1]!.round).toBe(MAX_BALLOON_ROUNDS);
    expect(b.laterRounds).toMatchObject({ rounds: extra, firstSeq: start.length + 2 * MAX_BALLOON_ROUNDS + 1, requestedBytes: extra * PAGE });
    // Totals still count every round: what is listed, what is summed, and what followed the last round.
    const sum = (key: 'requestedBytes' | 'refilledBytes') => b.rounds.reduce((n, r) => n + r[key], 0) + b.laterRounds![key] + b.afterRounds[key];
    expect([sum('requestedBytes'), sum('refilledBytes')]).toEqual([b.requestedBytes, b.refilledBytes]);
    expect(b.requestedBytes).toBe((MAX_BALLOON_ROUNDS + extra) * PAGE);
  });

  it('counts an anonymous page the process touches again after MADV_DONTNEED, but not a page of a new process given the pid of one that exited', () => {
    const B = 2 * A;
    const dontneed = (pid: number, page: number, pages = 1): WorkloadEvent => ({
      type: 'madvise',
      pid,
      addr: B + page * PAGE,
      len: pages * PAGE,
      advice: 'dontneed',
    });
    const anonStart = (pid: number): WorkloadEvent[] => [
      { type: 'spawn', pid },
      { type: 'mmap', pid, addr: B, len: 2 * MB, kind: 'anon' },
      { type: 'touch', pid, addr: B, len: 64 * PAGE, write: true },
    ];
    const b = replayChecked(
      {
        header,
        events: [
          ...anonStart(2),
          dontneed(2, 0, 8),
          { type: 'touch', pid: 2, addr: B, len: 2 * PAGE, write: true },
          dontneed(2, 16, 8),
          { type: 'exit', pid: 2 },
          ...anonStart(2),
          dontneed(2, 40),
        ],
      },
      'linux-6.10',
      registry,
    ).balloon!;
    // Pages 0-1 come back in round 1. Pages 16-23 belonged to the process that exited: the new pid 2 touching them refills nothing.
    expect(b.rounds.map((r) => r.refilledBytes / PAGE)).toEqual([2, 0, 0]);
    expect(b.refilledBytes / PAGE).toBe(2);
  });

  it('finds a page refilled by the only write to its page table since the last settle', () => {
    // The settle skips what nothing wrote since it last looked (PageTable.gen, groupGen): one PTE write must be enough to be seen.
    const C = 3 * A;
    const dontneed = (addr: number, pages: number): WorkloadEvent => ({ type: 'madvise', pid: 3, addr, len: pages * PAGE, advice: 'dontneed' });
    const touch = (addr: number, pages = 1): WorkloadEvent => ({ type: 'touch', pid: 3, addr, len: pages * PAGE, write: true });
    const b = replayChecked(
      {
        header,
        events: [
          { type: 'spawn', pid: 3 },
          { type: 'mmap', pid: 3, addr: C, len: 4 * MB, kind: 'anon' },
          touch(C, 64),
          touch(C + 2 * MB, 64),
          dontneed(C + 8 * PAGE, 8),
          touch(C + 40 * PAGE),
          dontneed(C + 2 * MB, 4), // closes round 1 (a settle), in the other table
          touch(C + 9 * PAGE), // the one write to the first table since
          dontneed(C + 2 * MB + 10 * PAGE, 2), // closes round 2
        ],
      },
      'linux-6.10',
      registry,
    ).balloon!;
    expect(b.rounds.map((r) => r.refilledBytes / PAGE)).toEqual([0, 1, 0]);
  });

  it('measures freed from the frames: a zeroed-and-kept subpage frees nothing', () => {
    const b = run('linux-4.5', [punch(10), punch(0, 512)]);
    expect([b.requestedBytes, b.freedBytes]).toEqual([513 * PAGE, 512 * PAGE]);
  });
});

/**
 * Ways an emptied page comes back without a fault naming it: a one-page
 * THP fault maps its whole range, and mremap moves mapped pages onto
 * emptied addresses. A meter that settles only what recent events named
 * would miss them. Each stream is watched by the meter and by an exhaustive
 * one (every table re-read at every settle) on the same kernel; both must
 * count the refill.
 */
describe('the balloon meter finds pages populated by what no fault named', () => {
  const D = 4 * A;
  const both = (design: string, events: WorkloadEvent[]) => {
    const { skipping, exhaustive } = balloonBothWays(registry, design, header.machine, { 'thp.enabled': 'always' }, events);
    return { meter: skipping!, exhaustive: exhaustive! };
  };
  /** pid 4 maps `len` bytes of anonymous memory at D and writes all of it. */
  const mapped = (len: number): WorkloadEvent[] => [
    { type: 'spawn', pid: 4 },
    { type: 'mmap', pid: 4, addr: D, len, kind: 'anon' },
    { type: 'touch', pid: 4, addr: D, len, write: true },
  ];
  const dontneed = (addr: number, len: number): WorkloadEvent => ({ type: 'madvise', pid: 4, addr, len, advice: 'dontneed' });

  // A settle between the emptying and the refill, so that the refill is found by a settle that follows only the events after it.
  const E = D + 8 * MB;
  const settleHere: WorkloadEvent[] = [{ type: 'mmap', pid: 4, addr: E, len: PAGE, kind: 'anon' }, dontneed(E, PAGE)];

  it('counts every page of a range a one-page fault made huge, even after mprotect split the PMD before the settle', () => {
    // 6.15 frees a table a MADV_DONTNEED empties whole (ptReclaim), so the next fault there is a THP fault.
    const { meter, exhaustive } = both('linux-6.15', [
      ...mapped(2 * MB),
      dontneed(D, 2 * MB), // round 1: 512 pages emptied
      ...settleHere, // round 2
      { type: 'touch', pid: 4, addr: D + 5 * PAGE, len: PAGE, write: true }, // a THP fault: all 512 back
      { type: 'mprotect', pid: 4, addr: D + MB, len: MB, write: false }, // splits the PMD: PTEs map them now
      dontneed(E, PAGE), // closes round 2
    ]);
    expect(exhaustive.rounds.map((r) => r.refilledBytes / PAGE)).toEqual([0, 512, 0]);
    expect(meter).toEqual(exhaustive);
  });

  it('counts the pages faulted into a new page table after munmap freed the emptied one the last settle read', () => {
    // A settle skips a table nothing wrote since it last read it (PageTable.gen). munmap frees this one without a write (nothing
    // is left to zap), so only dropPt's own generation bump tells the settle that the table it read is gone.
    const { meter, exhaustive } = both('linux-6.10', [
      ...mapped(64 * PAGE),
      dontneed(D, 64 * PAGE), // round 1: all 64 emptied; 6.10 keeps the empty table
      ...settleHere, // round 2: the settle reads the table
      { type: 'munmap', pid: 4, addr: D, len: 64 * PAGE }, // frees it (free_pgtables), writing no entry
      { type: 'mmap', pid: 4, addr: D, len: 64 * PAGE, kind: 'anon' },
      { type: 'touch', pid: 4, addr: D, len: 4 * PAGE, write: true }, // a new table: 4 pages back
      dontneed(E, PAGE), // closes round 2
    ]);
    expect(exhaustive.rounds.map((r) => r.refilledBytes / PAGE)).toEqual([0, 4, 0]);
    expect(meter).toEqual(exhaustive);
  });

  it('counts the pages MADV_COLLAPSE refills by a huge PMD in a table the last settle read, and the re-collapse', () => {
    const { meter, exhaustive } = both('linux-6.10', [
      ...mapped(2 * MB), // a THP
      dontneed(D, 16 * PAGE), // round 1: splits it, 16 pages emptied
      ...settleHere, // round 2: the settle reads the table
      { type: 'madvise', pid: 4, addr: D, len: 2 * MB, advice: 'collapse' },
      dontneed(E, PAGE), // closes round 2
    ]);
    expect(exhaustive.rounds.map((r) => [r.refilledBytes / PAGE, r.recollapses])).toEqual([
      [0, 0],
      [16, 1],
      [0, 0],
    ]);
    expect(meter).toEqual(exhaustive);
  });

  it('counts the pages mremap moved onto emptied addresses', () => {
    const { meter, exhaustive } = both('linux-6.10', [
      ...mapped(64 * PAGE),
      dontneed(D, 16 * PAGE), // round 1: 16 pages emptied
      { type: 'munmap', pid: 4, addr: D, len: 64 * PAGE },
      { type: 'mmap', pid: 4, addr: D + 4 * MB, len: 16 * PAGE, kind: 'anon' },
      { type: 'touch', pid: 4, addr: D + 4 * MB, len: 16 * PAGE, write: true },
      ...settleHere, // round 2
      { type: 'mremap', pid: 4, addr: D + 4 * MB, len: 16 * PAGE, newAddr: D },
      dontneed(E, PAGE), // closes round 2
    ]);
    expect(exhaustive.rounds.map((r) => r.refilledBytes / PAGE)).toEqual([0, 16, 0]);
    expect(meter).toEqual(exhaustive);
  });
});
