import { describe, expect, it } from 'vitest';
import { anonHugeBytes, contentMismatch, folioOrder, rssAnonBytes } from './queries.js';
import { testKernel } from './testing/reference.js';
import type { WorkloadEvent } from '@pagelab/events';
import { applyChecked } from './testing/replay.js';
import type { Kernel } from './kernel.js';

const MB = 1 << 20;
const A = 64 * MB; // a 2 MiB aligned address

const run = (events: WorkloadEvent[], k: Kernel = testKernel()): Kernel => applyChecked(k, events);

describe('anonymous faults', () => {
  it('a write fault on an empty aligned 2 MiB range of a THP-enabled VMA maps one PMD', () => {
    const k = run([
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: A, len: 2 * MB, kind: 'anon' },
      { type: 'touch', pid: 1, addr: A, len: 4096, write: true },
    ]);
    const mm = k.mm(1);
    expect(anonHugeBytes(k, mm)).toBe(2 * MB);
    expect(folioOrder(k, mm, A)).toBe(9);
    expect(k.outcomes.get('thp_fault').ok).toBe(1);
  });

  it('a read fault maps the shared zero page and allocates nothing', () => {
    const k = run([
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: A, len: 2 * MB, kind: 'anon' },
      { type: 'touch', pid: 1, addr: A, len: 8192, write: false },
    ]);
    expect(rssAnonBytes(k, k.mm(1))).toBe(0);
    expect(k.lru.size).toBe(0);
  });

  it('with thp.enabled=never a write fault allocates one 4 KiB page', () => {
    const k = run([
      { type: 'sysctl', key: 'thp.enabled', value: 'never' },
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: A, len: 2 * MB, kind: 'anon' },
      { type: 'touch', pid: 1, addr: A, len: 4096, write: true },
    ]);
    expect(rssAnonBytes(k, k.mm(1))).toBe(4096);
    expect(folioOrder(k, k.mm(1), A)).toBe(0);
  });
});

describe('fork and copy-on-write (5.8+ semantics)', () => {
  it('fork then a child write copies only the written 4 KiB of a PMD-mapped THP', () => {
    const k = run([
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: A, len: 2 * MB, kind: 'anon' },
      { type: 'touch', pid: 1, addr: A, len: 2 * MB, write: true },
      { type: 'fork', parent: 1, child: 2 },
      { type: 'touch', pid: 2, addr: A + 4096, len: 4096, write: true },
    ]);
    expect(anonHugeBytes(k, k.mm(1))).toBe(2 * MB);
    expect(anonHugeBytes(k, k.mm(2))).toBe(0);
    expect(k.lru.size).toBe(2); // the THP and one 4 KiB copy
    expect(contentMismatch(k, k.mm(1))).toBeNull();
    expect(contentMismatch(k, k.mm(2))).toBeNull();
  });

  it('fork then a child write copies the whole 2 MiB under 4.5-era THP CoW', () => {
    const k = run(
      [
        { type: 'spawn', pid: 1 },
        { type: 'mmap', pid: 1, addr: A, len: 2 * MB, kind: 'anon' },
        { type: 'touch', pid: 1, addr: A, len: 2 * MB, write: true },
        { type: 'fork', parent: 1, child: 2 },
        { type: 'touch', pid: 2, addr: A + 4096, len: 4096, write: true },
      ],
      testKernel({ params: { thpCow: 'huge', anonExclusive: false } }),
    );
    expect(anonHugeBytes(k, k.mm(2))).toBe(2 * MB);
    expect(k.ledger.totals().pageCopies).toBe(512);
  });
});

describe('partial munmap and the deferred split queue', () => {
  it('munmap of half a THP queues it, and reclaim splits it and frees the unmapped half', () => {
    const k = run([
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: A, len: 2 * MB, kind: 'anon' },
      { type: 'touch', pid: 1, addr: A, len: 2 * MB, write: true },
      { type: 'munmap', pid: 1, addr: A + MB, len: MB },
    ]);
    expect(k.deferredLen).toBe(1);
    expect(k.waste.measure(k).wasteByCause['unmapped-in-thp']).toBe(MB);
    const free0 = k.buddy.freeFrames();
    run([{ type: 'reclaim', pages: 1 }], k);
    expect(k.buddy.freeFrames() - free0).toBe(256);
    expect(k.deferredLen).toBe(0);
    expect(k.waste.measure(k).wasteBytes).toBe(0);
  });

  it('a pinned tail keeps the split failing and the waste held until unpin', () => {
    const k = run([
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: A, len: 2 * MB, kind: 'anon' },
      { type: 'touch', pid: 1, addr: A, len: 2 * MB, write: true },
      { type: 'pin', pid: 1, addr: A + 7 * 4096, len: 4096, handle: 'h' },
      { type: 'munmap', pid: 1, addr: A + MB, len: MB },
      { type: 'reclaim', pages: 1 },
    ]);
    expect(k.outcomes.get('split_page').reasons).toEqual({ pinned: 1 });
    expect(k.waste.measure(k).wasteByCause['split-blocked']).toBe(MB);
    run(
      [
        { type: 'unpin', handle: 'h' },
        { type: 'reclaim', pages: 1 },
      ],
      k,
    );
    expect(k.waste.measure(k).wasteBytes).toBe(0);
  });
});
