import type { WorkloadEvent } from '@pagelab/events';
import { type Kernel, applyEvent, checkInvariants, testKernel } from '@pagelab/kernel-core';
import { describe, expect, it } from 'vitest';
import { descriptor } from './index.js';

const MB = 1 << 20;
const A = 64 * MB;
const PAGE = 4096;

function guestRam(): Kernel {
  const k = testKernel({ settings: { 'thp.shmem_enabled': 'always' }, policies: { shmemTruncate: descriptor.create({}) } });
  const events: WorkloadEvent[] = [
    { type: 'spawn', pid: 1 },
    { type: 'mmap', pid: 1, addr: A, len: 2 * MB, kind: 'shmem', file: 'guest-ram' },
    { type: 'touch', pid: 1, addr: A, len: 2 * MB, write: true },
  ];
  for (const e of events) applyEvent(k, e);
  return k;
}

const punch = (k: Kernel, page: number, pages: number, mode: 'punch_hole' | 'punch_hole_split') =>
  applyEvent(k, { type: 'fallocate', file: 'guest-ram', offset: page * PAGE, len: pages * PAGE, mode });

describe('split-on-request (E2, FALLOC_FL_SPLIT_HPAGE)', () => {
  it('decodes its default parameters and creates a policy with its own id', () => {
    expect(descriptor.params.is(descriptor.defaults)).toBe(true);
    expect(descriptor.create(descriptor.defaults).id).toBe('split-on-request');
  });

  it('a 4 KiB punch without the flag zeroes the subpage and keeps the THP: nothing freed, as in 4.8-5.6', () => {
    const k = guestRam();
    const free0 = k.buddy.freeFrames();
    punch(k, 256, 1, 'punch_hole');
    expect(checkInvariants(k)).toEqual([]);
    expect(k.buddy.freeFrames()).toBe(free0);
    expect(k.outcomes.get('split_page').ok + k.outcomes.get('split_page').failed).toBe(0);
    expect(k.waste.measure(k).wasteByCause['truncated-retained']).toBe(PAGE);
    expect(k.files.get('guest-ram')!.cache.size).toBe(1);
  });

  it('the same punch with FALLOC_FL_SPLIT_HPAGE splits the THP and frees exactly the punched page', () => {
    const k = guestRam();
    const free0 = k.buddy.freeFrames();
    punch(k, 256, 1, 'punch_hole_split');
    expect(checkInvariants(k)).toEqual([]);
    expect(k.buddy.freeFrames() - free0).toBe(1);
    expect(k.outcomes.get('split_page').ok).toBe(1);
    expect(k.waste.measure(k).wasteBytes).toBe(0);
  });

  it('every subpage punched one by one without the flag frees nothing: the zeroed THP stays whole in the page cache', () => {
    const k = guestRam();
    const free0 = k.buddy.freeFrames();
    for (let i = 0; i < 512; i++) punch(k, i, 1, 'punch_hole');
    expect(k.buddy.freeFrames()).toBe(free0);
    expect(k.waste.measure(k).wasteByCause['truncated-retained']).toBe(2 * MB);
  });

  it('a GUP pin (vfio) makes the requested split fail: the page is zeroed and kept, and the failure is counted', () => {
    const k = guestRam();
    applyEvent(k, { type: 'pin', pid: 1, addr: A + 7 * PAGE, len: PAGE, handle: 'vfio' });
    const free0 = k.buddy.freeFrames();
    punch(k, 256, 1, 'punch_hole_split');
    expect(checkInvariants(k)).toEqual([]);
    expect(k.buddy.freeFrames()).toBe(free0);
    expect(k.outcomes.get('split_page').reasons).toEqual({ pinned: 1 });
    expect(k.outcomes.get('shmem_punch').reasons).toEqual({ split_failed: 1 });
    expect(k.waste.measure(k).wasteByCause['truncated-retained']).toBe(PAGE);
  });

  it('an extra page reference (an in-flight direct I/O get) fails the split as a pin does', () => {
    const k = guestRam();
    applyEvent(k, { type: 'get', pid: 1, addr: A + 9 * PAGE, len: PAGE, handle: 'odirect' });
    punch(k, 256, 1, 'punch_hole_split');
    expect(checkInvariants(k)).toEqual([]);
    expect(k.outcomes.get('split_page').failed).toBe(1);
    expect(k.outcomes.get('shmem_punch').reasons).toEqual({ split_failed: 1 });
  });

  it('nothing keeps khugepaged away after a requested split: the hole is refilled by a collapse', () => {
    const k = guestRam();
    punch(k, 256, 1, 'punch_hole_split');
    applyEvent(k, { type: 'khugepaged', passes: 2 });
    expect(checkInvariants(k)).toEqual([]);
    expect(k.outcomes.get('collapse').ok).toBe(1);
    expect(k.waste.measure(k).wasteByCause['collapse-bloat']).toBe(PAGE);
  });
});
