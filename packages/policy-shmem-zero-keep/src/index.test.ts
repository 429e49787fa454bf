import type { WorkloadEvent } from '@pagelab/events';
import { type Kernel, applyEvent, checkInvariants, testKernel } from '@pagelab/kernel-core';
import { describe, expect, it } from 'vitest';
import { descriptor } from './index.js';

const MB = 1 << 20;
const A = 64 * MB;

export function shmemThpThenPunch(k: Kernel, punchPages: number[]): Kernel {
  const events: WorkloadEvent[] = [
    { type: 'spawn', pid: 1 },
    { type: 'mmap', pid: 1, addr: A, len: 2 * MB, kind: 'shmem', file: 'guest-ram' },
    { type: 'touch', pid: 1, addr: A, len: 2 * MB, write: true },
    ...punchPages.map((p): WorkloadEvent => ({ type: 'fallocate', file: 'guest-ram', offset: p * 4096, len: 4096, mode: 'punch_hole' })),
  ];
  for (const e of events) {
    applyEvent(k, e);
    expect(checkInvariants(k)).toEqual([]);
  }
  return k;
}

describe('zero-keep (E1)', () => {
  const machine = () => testKernel({ settings: { 'thp.shmem_enabled': 'always' }, policies: { shmemTruncate: descriptor.create({}) } });

  it('a balloon punching 4 KiB holes into a shmem THP frees nothing: the holes stay resident as zeroes', () => {
    const k = machine();
    shmemThpThenPunch(k, []);
    const free0 = k.buddy.freeFrames();
    shmemThpThenPunch(machine(), []);
    applyEvent(k, { type: 'fallocate', file: 'guest-ram', offset: 0, len: 4096, mode: 'punch_hole' });
    applyEvent(k, { type: 'fallocate', file: 'guest-ram', offset: 40960, len: 8192, mode: 'punch_hole' });
    expect(checkInvariants(k)).toEqual([]);
    expect(k.buddy.freeFrames()).toBe(free0);
    expect(k.waste.measure(k).wasteByCause['truncated-retained']).toBe(3 * 4096);
    expect(k.outcomes.get('split_page').ok + k.outcomes.get('split_page').failed).toBe(0);
  });

  it('even punch_hole_split keeps the THP: E1 has no way to ask for a split', () => {
    const k = shmemThpThenPunch(machine(), []);
    applyEvent(k, { type: 'fallocate', file: 'guest-ram', offset: 4096, len: 4096, mode: 'punch_hole_split' });
    expect(k.waste.measure(k).wasteByCause['truncated-retained']).toBe(4096);
  });

  it('a whole 2 MiB punch still frees the THP', () => {
    const k = shmemThpThenPunch(machine(), []);
    const free0 = k.buddy.freeFrames();
    applyEvent(k, { type: 'fallocate', file: 'guest-ram', offset: 0, len: 2 * MB, mode: 'punch_hole' });
    expect(k.buddy.freeFrames() - free0).toBe(512);
  });
});
