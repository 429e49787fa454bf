import { describe, expect, it } from 'vitest';
import type { ObservationOf, WorkloadEvent } from '@pagelab/events';
import { applyEvent } from './syscalls.js';
import { checkInvariants } from './invariants.js';
import { ERA_PARAMS } from './params.js';
import { ptePfn, pteWrite } from './pte.js';
import { anonHugeBytes, contentMismatch } from './queries.js';
import { testKernel } from './testing/reference.js';

const KB4 = 4096;
const PMD = 2 << 20;
const A = 64 << 20;

function lab(era: 'linux-6.15' | 'linux-6.18') {
  const k = testKernel({ params: ERA_PARAMS[era] });
  const scans: ObservationOf<'khugepaged_scan'>[] = [];
  const run = (...events: WorkloadEvent[]) => {
    for (const e of events) {
      applyEvent(k, e);
      for (const o of k.drain()) if (o.type === 'khugepaged_scan') scans.push(o as ObservationOf<'khugepaged_scan'>);
      expect(checkInvariants(k)).toEqual([]);
    }
  };
  return { k, run, scans };
}

/** 512 small pages written with THP off, then a fork: every PTE of both processes is write-protected. */
const forkedSmallPages: WorkloadEvent[] = [
  { type: 'sysctl', key: 'thp.enabled', value: 'never' },
  { type: 'spawn', pid: 1 },
  { type: 'mmap', pid: 1, addr: A, len: PMD, kind: 'anon' },
  { type: 'touch', pid: 1, addr: A, len: PMD, write: true },
  { type: 'fork', parent: 1, child: 2 },
  { type: 'sysctl', key: 'thp.enabled', value: 'always' },
  { type: 'sysctl', key: 'khugepaged.max_ptes_shared', value: 511 },
];

describe('collapse of a range fork write-protected (b9f85966d1be, 6.18)', () => {
  it('6.15 refuses it with SCAN_PAGE_RO; 6.18 collapses it, each process into its own writable THP, and both keep their data', () => {
    const old = lab('linux-6.15');
    old.run(...forkedSmallPages, { type: 'madvise', pid: 1, addr: A, len: PMD, advice: 'collapse' });
    expect(old.scans.at(-1)).toMatchObject({ result: 'SCAN_PAGE_RO' });
    expect(anonHugeBytes(old.k, old.k.mm(1))).toBe(0);

    const now = lab('linux-6.18');
    now.run(
      ...forkedSmallPages,
      { type: 'madvise', pid: 1, addr: A, len: PMD, advice: 'collapse' },
      // The child's PTEs are old since the fork (pte_mkold): it reads its range so khugepaged finds them referenced.
      { type: 'touch', pid: 2, addr: A, len: PMD, write: false },
      { type: 'khugepaged' },
    );
    expect(anonHugeBytes(now.k, now.k.mm(1))).toBe(PMD);
    expect(anonHugeBytes(now.k, now.k.mm(2))).toBe(PMD);
    const pmd1 = now.k.mm(1).pt(A)!.pmd;
    const pmd2 = now.k.mm(2).pt(A)!.pmd;
    // A collapse copies into a new folio: the PMD follows the VMA (writable), and the two processes no longer share pages.
    expect(pteWrite(pmd1)).toBe(true);
    expect(ptePfn(pmd1)).not.toBe(ptePfn(pmd2));
    expect(contentMismatch(now.k, now.k.mm(1))).toBeNull();
    expect(contentMismatch(now.k, now.k.mm(2))).toBeNull();
    now.run({ type: 'touch', pid: 2, addr: A, len: KB4, write: true, value: 99 });
    expect(contentMismatch(now.k, now.k.mm(1))).toBeNull();
  });
});
