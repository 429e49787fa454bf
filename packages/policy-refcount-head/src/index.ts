/**
 * head-refcount [B/C]: THP refcounting after Kirill Shutemov's redesign
 * (Linux 4.5+, T49; folio era T612). One reference count on the head for
 * the whole folio; tails carry no references and no pin tracking. A THP may
 * be mapped by PMDs and PTEs at once; split_huge_pmd always succeeds and
 * only splits the mapping; split_huge_page refuses (-EBUSY / -EAGAIN) while
 * any reference is not a mapping, the page cache's or the caller's; a
 * partially unmapped THP waits on the deferred split queue.
 *
 * Every mechanism is kernel-core's (gup.ts try_grab_folio / gup_put_folio,
 * split.ts __split_huge_pmd_locked / split_huge_page_to_list_to_order); this
 * policy only chooses them, as the 4.5+ kernel does.
 */
import * as t from 'io-ts';
import {
  type PolicyDescriptor,
  type RefcountPolicy,
  type SplitResult,
  grabFolioRefs,
  putFolioRef,
  site,
  splitFolioFrozen,
  splitHugePmdLocked,
} from '@pagelab/kernel-core';

const GET_PAGE = site('get_page');
const PUT_PAGE = site('put_page');

/** No parameters: the era differences (FOLL_PIN, THP CoW, ...) are kernel-core ModelParams. */
export const HeadRefcountParams = t.type({});
export type HeadRefcountParams = t.TypeOf<typeof HeadRefcountParams>;

export function createHeadRefcount(_params: HeadRefcountParams = {}): RefcountPolicy {
  return {
    id: 'head-refcount',
    pteMappedThp: true,
    /** get_page / folio_get: one atomic on compound_head(page)->_refcount, whatever the subpage. */
    getPage(k, pfn) {
      k.ledger.atomicInc(k.frames.refcount, k.frames.head(pfn), GET_PAGE);
    },
    /** put_page / folio_put: put_page_testzero(head), freeing the folio on the last reference. */
    putPage(k, pfn) {
      k.folioPutRefs(k.frames.head(pfn), 1, PUT_PAGE);
    },
    gupGrab(k, pfn, nr, kind, fast, pmdLeaf) {
      grabFolioRefs(k, pfn, nr, kind, fast, pmdLeaf);
    },
    gupRelease(k, pfn, kind) {
      putFolioRef(k, pfn, kind);
    },
    /** split_huge_pmd: only the mapping is split; never fails, never looks at references. */
    splitHugePmd(k, mm, addr) {
      splitHugePmdLocked(k, mm, addr);
    },
    /**
     * split_huge_page: can_split_folio's early check, then unmap, freeze, split,
     * remap. Any reference no mapping explains (a GUP reference or pin on any
     * subpage) fails it with 'pinned' before anything is unmapped.
     */
    splitHugePage(k, head): SplitResult {
      return splitFolioFrozen(k, head);
    },
  };
}

export const descriptor: PolicyDescriptor<'refcount', HeadRefcountParams> = {
  id: 'head-refcount',
  axis: 'refcount',
  title: 'Head-only THP refcount: PTE-mappable THPs, split_huge_page fails on any extra reference, deferred split',
  models: 'Linux 4.5+ (T49, T612); seed 000',
  params: HeadRefcountParams,
  defaults: {},
  paramDocs: {},
  create: (params) => createHeadRefcount(params),
};

export default descriptor;
