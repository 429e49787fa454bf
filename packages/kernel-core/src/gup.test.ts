import { describe, expect, it } from 'vitest';
import type { WorkloadEvent } from '@pagelab/events';
import { checkInvariants } from './invariants.js';
import { pteIndex } from './mm.js';
import { ptePfn } from './pte.js';
import { applyEvent } from './syscalls.js';
import { testKernel } from './testing/reference.js';

const MB = 1 << 20;
const S = 68 * MB;
const PAGE = 4096;

describe('unpin with dirty (a device write through the pin)', () => {
  it('a device write through a pin of a shmem page lands in the file: every process mapping it reads the new data', () => {
    const k = testKernel({ settings: { 'thp.shmem_enabled': 'always' } });
    const events: WorkloadEvent[] = [
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: S, len: 2 * MB, kind: 'shmem', file: 'f', offset: 0 },
      { type: 'fork', parent: 1, child: 2 },
      { type: 'pin', pid: 1, addr: S + PAGE, len: 2 * PAGE, handle: 'h', fast: false, write: true },
      { type: 'touch', pid: 2, addr: S + PAGE, len: PAGE, write: false },
      { type: 'unpin', handle: 'h', dirty: true },
    ];
    for (const e of events) {
      applyEvent(k, e);
      expect(checkInvariants(k)).toEqual([]);
    }
    const file = k.files.get('f')!;
    const pt = k.mm(2).pt(S + PAGE)!;
    const pfn = pt.pmd > 0 ? ptePfn(pt.pmd) + 1 : ptePfn(pt.ptes[pteIndex(S + PAGE)]!);
    expect(file.shadow.get(1)).toBe(k.frames.content[pfn]);
  });
});
