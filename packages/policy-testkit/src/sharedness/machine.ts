/** The sharedness suite's machine: a small kernel with the policy under test, and what a process maps where. */
import type { WorkloadEvent } from '@pagelab/events';
import { type Kernel, type SharednessPolicy, HPAGE_PMD_NR, PAGE_SIZE, applyChecked, ptePfn, ptePresent, testKernel } from '@pagelab/kernel-core';
/** `_nr_pages_mapped`'s "PMD-mapped" bit (mm/internal.h ENTIRELY_MAPPED). */
export const ENTIRELY_MAPPED = 0x800000;

// ------------------------------------------------------------- the machine

/** A small test machine (kernel-core's testKernel: 64 MiB, one node) with `policy` on the sharedness axis. */
export function sharednessKernel(policy: SharednessPolicy): Kernel {
  return testKernel({ policies: { sharedness: policy } });
}

/** Applies events in order, failing on the first invariant violation. */
export function applySharednessEvents(k: Kernel, events: readonly WorkloadEvent[]): Kernel {
  return applyChecked(k, events);
}

/** The pfn a process's address maps (PTE or PMD), or -1 when nothing present is there. */
export function mappedPfn(k: Kernel, pid: number, addr: number): number {
  const pt = k.mm(pid).pt(addr);
  if (!pt) return -1;
  const i = Math.floor(addr / PAGE_SIZE) % HPAGE_PMD_NR;
  if (pt.pmd > 0) return ptePfn(pt.pmd) + i;
  const v = pt.ptes[i]!;
  return ptePresent(v) ? ptePfn(v) : -1;
}
