/**
 * Test drivers shared by kernel-core's tests and the policy testkit: apply
 * events with the full invariant walk after each, and read what a process maps.
 */
import type { WorkloadEvent } from '@pagelab/events';
import { checkInvariants, describeViolation } from '../invariants.js';
import type { Kernel } from '../kernel.js';
import { pteIndex } from '../mm.js';
import { ptePfn } from '../pte.js';
import { applyEvent } from '../syscalls.js';

/** Applies events in order; throws at the first event after which an invariant no longer holds, naming it and them. */
export function applyChecked(k: Kernel, events: readonly WorkloadEvent[]): Kernel {
  events.forEach((e, i) => {
    applyEvent(k, e, i + 1);
    const bad = checkInvariants(k);
    if (bad.length > 0) throw new Error(`after event ${i + 1} ${JSON.stringify(e)}:\n  ${bad.map(describeViolation).join('\n  ')}`);
  });
  return k;
}

/** The pfn `pid` maps at `addr` (a PTE, or inside a huge PMD). */
export function pfnAt(k: Kernel, pid: number, addr: number): number {
  const pt = k.mm(pid).pt(addr)!;
  return pt.pmd > 0 ? ptePfn(pt.pmd) + pteIndex(addr) : ptePfn(pt.ptes[pteIndex(addr)]!);
}
