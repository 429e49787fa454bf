/**
 * `expect` events: assertions on observable state, read the way the
 * kernel's selftests read smaps / pagemap / kpageflags, plus checks against
 * the running metrics. A failed check is an `expect.failed` observation.
 */
import type { EventOf } from '@pagelab/events';
import type { Kernel } from './kernel.js';
import { anonHugeBytes, contentMismatch, folioOrder, mapped, rssAnonBytes, shmemPmdMappedBytes, swapBytes } from './queries.js';
import type { MM } from './mm.js';
import { ModelInputError } from './errors.js';

type Expect = EventOf<'expect'>;

/** Faults that found no memory so far (every GUP or dio -ENOMEM is one of them). */
export function oomFaults(k: Kernel): number {
  return k.outcomes.get('fault').reasons['oom'] ?? 0;
}

export function evaluateExpect(k: Kernel, ev: Expect, line: number): void {
  const mm: MM | undefined = ev.pid !== undefined ? k.mm(ev.pid) : undefined;
  const range = ev.addr !== undefined ? { addr: ev.addr, len: ev.len ?? 4096 } : undefined;
  const needMm = (check: string): MM => {
    if (!mm) throw new ModelInputError('pid', `a pid for the ${check} check`, ev.pid);
    return mm;
  };
  const check = (name: string, expected: unknown, actual: unknown, ok = expected === actual) => {
    k.expectations.checks.push({ line, check: name, expected, actual, passed: ok });
    if (ok) {
      k.expectations.passed++;
      return;
    }
    k.expectations.failed++;
    const failure = { line, ...(ev.label !== undefined ? { label: ev.label } : {}), check: name, expected, actual };
    k.expectations.failures.push(failure);
    k.emit({ type: 'expect.failed', ...failure });
  };
  if (ev.anonHugeBytes !== undefined) check('anonHugeBytes', ev.anonHugeBytes, anonHugeBytes(k, needMm('anonHugeBytes'), range));
  if (ev.shmemPmdMappedBytes !== undefined) check('shmemPmdMappedBytes', ev.shmemPmdMappedBytes, shmemPmdMappedBytes(k, needMm('shmemPmdMappedBytes'), range));
  if (ev.rssAnonBytes !== undefined) check('rssAnonBytes', ev.rssAnonBytes, rssAnonBytes(k, needMm('rssAnonBytes'), range));
  if (ev.swapBytes !== undefined) check('swapBytes', ev.swapBytes, swapBytes(k, needMm('swapBytes'), range));
  if (ev.mapped !== undefined) check('mapped', ev.mapped, mapped(k, needMm('mapped'), range!));
  if (ev.folioOrder !== undefined) check('folioOrder', ev.folioOrder, folioOrder(k, needMm('folioOrder'), ev.addr!));
  if (ev.contentIntact !== undefined) {
    const mms = mm ? [mm] : [...k.mms.values()];
    let bad: string | null = null;
    for (const m of mms) bad ??= contentMismatch(k, m, mm ? range : undefined);
    check('contentIntact', ev.contentIntact, bad === null, ev.contentIntact === (bad === null));
    if (bad && ev.contentIntact) k.expectations.failures[k.expectations.failures.length - 1]!.actual = bad;
  }
  if (ev.wasteBytes !== undefined) check('wasteBytes', ev.wasteBytes, k.waste.measure(k).wasteBytes);
  if (ev.splitFailed !== undefined) check('splitFailed', ev.splitFailed, k.outcomes.get('split_page').failed);
  if (ev.collapsed !== undefined) check('collapsed', ev.collapsed, k.outcomes.get('collapse').ok);
  if (ev.lockedOpsMax !== undefined) check('lockedOpsMax', `<= ${ev.lockedOpsMax}`, k.ledger.lockedOps, k.ledger.lockedOps <= ev.lockedOpsMax);
  if (ev.oomFaults !== undefined) {
    // The log says how many faults it means to run out of memory: `--check` no longer calls the OOMs a failure.
    k.expectations.oomChecked = true;
    check('oomFaults', ev.oomFaults, oomFaults(k));
  }
  if (ev.lockedOpsMin !== undefined) check('lockedOpsMin', `>= ${ev.lockedOpsMin}`, k.ledger.lockedOps, k.ledger.lockedOps >= ev.lockedOpsMin);
}
