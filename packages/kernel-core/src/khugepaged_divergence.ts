/**
 * The sharedness divergence observer: khugepaged asks the design's
 * sharedness policy, per PTE, whether the page is mapped shared
 * (folio_maybe_mapped_shared in 6.18, folio_likely_mapped_shared in 6.10,
 * page_mapcount(page) > 1 in 5.8–6.9). Next to every such question the model
 * also asks the precise one, page_mapcount(page) > 1, and counts where the
 * two answers differ (k.sharednessDivergence, the `sharedness.divergence`
 * observation). Only the policy's answer steers the scan; the precise one is
 * bookkeeping and changes nothing the kernel would do.
 *
 * A collapse the precise rule would have refused (more PTEs precisely shared
 * than max_ptes_shared) is counted with the waste it made: the copies of
 * shared data and the zero fill of the holes.
 */
import type { Kernel } from './kernel.js';
import type { CollapseControl, ScanReport } from './khugepaged_control.js';
import { pageMapcount } from './folio.js';
import { PAGE_SIZE } from './frames.js';
import type { MM } from './mm.js';

/** The sharedness questions of one PMD scan: the policy's answers and the precise ones. */
export class ScanSharedness {
  asked = 0;
  policyShared = 0;
  preciseShared = 0;
  falseNegatives = 0;
  falsePositives = 0;

  /**
   * One PTE's question: the policy's answer (which the scan obeys) and the
   * precise one, tallied. Called under the scan's PTE lock, once per present
   * anon PTE the scan reaches, so a scan that stops early asks no more.
   */
  ask(k: Kernel, pfn: number): boolean {
    const mine = k.policies.sharedness.mappedShared(k, pfn);
    const precise = pageMapcount(k.frames, pfn) > 1;
    this.asked++;
    if (mine) this.policyShared++;
    if (precise) this.preciseShared++;
    if (precise && !mine) this.falseNegatives++;
    if (mine && !precise) this.falsePositives++;
    return mine;
  }
}

/**
 * After the scan dropped the PTE lock: add its tally to the kernel's totals
 * and emit `sharedness.divergence` when any answer differed.
 */
export function observeScanSharedness(k: Kernel, mm: MM, base: number, t: ScanSharedness): void {
  if (t.asked === 0) return;
  const d = k.sharednessDivergence;
  d.questions += t.asked;
  d.falseNegatives += t.falseNegatives;
  d.falsePositives += t.falsePositives;
  if (t.falseNegatives > 0 || t.falsePositives > 0) {
    k.emit({
      type: 'sharedness.divergence',
      pid: mm.pid,
      addr: base,
      policy: k.policies.sharedness.id,
      policyShared: t.policyShared,
      preciseShared: t.preciseShared,
      falseNegatives: t.falseNegatives,
      falsePositives: t.falsePositives,
    });
  }
}

/**
 * After a successful khugepaged collapse (>= 5.8, where sharing is asked):
 * one the precise rule would have refused is a collapse only the policy
 * allowed; its copies of shared data and its zero fill are the divergence's waste.
 */
export function observeCollapseSharedness(k: Kernel, cc: CollapseControl, scan: ScanReport): void {
  if (!cc.isKhugepaged || k.params.khugepagedAccepts !== 'shared') return;
  if (scan.preciseShared <= k.settings['khugepaged.max_ptes_shared']) return;
  const d = k.sharednessDivergence;
  d.collapsesOnlyByPolicy++;
  d.duplicatedBytes += scan.preciseShared * PAGE_SIZE;
  d.zeroFilledBytes += scan.none * PAGE_SIZE;
}
