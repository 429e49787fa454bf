import { describe, expect, it } from 'vitest';
import type { WorkloadEvent } from '@pagelab/events';
import { applyEvent } from './syscalls.js';
import { checkInvariants } from './invariants.js';
import { pageMapcount, totalMapcount } from './folio.js';
import { PG } from './frames.js';
import { site } from './ledger.js';
import { ERA_PARAMS, type ModelParams } from './params.js';
import { ptePfn, pteWrite } from './pte.js';
import { anonHugeBytes, contentMismatch, folioOrder } from './queries.js';
import { S1_DEFAULTS, s1Events, s1Folio, s21Events } from './testing/scenarios.js';
import { refPreciseSharedness, testKernel } from './testing/reference.js';
import type { Observation } from './observe.js';
import type { ObservationOf } from '@pagelab/events';
import type { SharednessPolicy } from './axes.js';

const KB4 = 4096;
const MB = 1 << 20;
const PMD = 2 * MB;
const A = 64 * MB; // 2 MiB aligned

/** <= 5.7 (T49, design B45): only small exclusive pages collapse; 2 MiB CoW. */
const ERA_45: Partial<ModelParams> = {
  thpCow: 'huge',
  khugepagedAccepts: 'exclusive',
  khugepagedSwapIn: true,
  follPin: false,
  thpMigration: false,
  forkCopiesPinned: false,
  longtermMigratesCma: false,
  anonExclusive: false,
};
/** 5.8 (T61, design B58): shared and PTE-mapped pages collapse up to max_ptes_shared. */
const ERA_58: Partial<ModelParams> = {
  thpCow: 'pte',
  khugepagedAccepts: 'shared',
  khugepagedSwapIn: true,
  follPin: true,
  thpMigration: true,
  forkCopiesPinned: false,
  longtermMigratesCma: true,
  anonExclusive: false,
};

/** A test kernel that checks invariants after every event and keeps every observation. */
function lab(opts: Parameters<typeof testKernel>[0] = {}) {
  const k = testKernel(opts);
  const obs: Observation[] = [];
  const run = (...events: WorkloadEvent[]) => {
    for (const e of events) {
      applyEvent(k, e);
      obs.push(...k.drain());
      expect(checkInvariants(k), `after ${JSON.stringify(e)}`).toEqual([]);
    }
  };
  const scans = (pid?: number) =>
    obs.filter((o): o is ObservationOf<'khugepaged_scan'> => o.type === 'khugepaged_scan' && (pid === undefined || o.pid === pid));
  const lastScan = (pid?: number) => scans(pid).at(-1);
  return { k, run, obs, scans, lastScan };
}

/** 512 small exclusive pages written in a 2 MiB range (THP off while faulting), then THP on. */
const smallPages = (pid = 1, pages = 512): WorkloadEvent[] => [
  { type: 'sysctl', key: 'thp.enabled', value: 'never' },
  { type: 'spawn', pid },
  { type: 'mmap', pid, addr: A, len: PMD, kind: 'anon' },
  { type: 'touch', pid, addr: A, len: pages * KB4, write: true },
  { type: 'sysctl', key: 'thp.enabled', value: 'always' },
];

describe('khugepaged collapse of small pages', () => {
  it('a range of 512 small exclusive writable young pages collapses into one PMD-mapped THP and content stays intact', () => {
    const { k, run, lastScan, obs } = lab();
    run(...smallPages());
    const mm = k.mm(1);
    const before = Array.from({ length: 512 }, (_, i) => k.frames.content[ptePfn(mm.pt(A)!.ptes[i]!)]);
    const lru0 = k.lru.size;
    run({ type: 'khugepaged' });
    expect(lastScan(1)).toMatchObject({ result: 'SCAN_SUCCEED', none: 0, swap: 0, shared: 0, referenced: 512, writable: true });
    expect(anonHugeBytes(k, mm)).toBe(PMD);
    expect(folioOrder(k, mm, A)).toBe(9);
    const pt = mm.pt(A)!;
    expect(pt.used).toBe(0);
    const head = ptePfn(pt.pmd);
    expect(Array.from({ length: 512 }, (_, i) => k.frames.content[head + i])).toEqual(before);
    expect(Array.from(pt.shadow)).toEqual(before);
    expect(contentMismatch(k, mm)).toBeNull();
    expect(k.lru.size).toBe(lru0 - 512 + 1); // the old pages are freed
    expect(k.frames.test(head, PG.anon_exclusive)).toBe(true);
    expect(k.outcomes.get('collapse')).toEqual({ ok: 1, failed: 0, reasons: {} });
    expect(obs.filter((o) => o.type === 'thp_collapse_alloc')).toHaveLength(1);
    // The new THP is writable in place: a write does not fault a copy.
    const copies = k.ledger.totals().pageCopies;
    run({ type: 'touch', pid: 1, addr: A + 5 * KB4, len: KB4, write: true });
    expect(k.ledger.totals().pageCopies).toBe(copies);
  });

  it('MADV_COLLAPSE counts no young PTEs: its scan reports referenced 0, as mm_khugepaged_scan_pmd does, and collapses all the same', () => {
    const { k, run, lastScan } = lab();
    run(...smallPages(), { type: 'madvise', pid: 1, addr: A, len: PMD, advice: 'collapse' });
    expect(lastScan(1)).toMatchObject({ caller: 'madvise_collapse', result: 'SCAN_SUCCEED', none: 0, referenced: 0 });
    expect(anonHugeBytes(k, k.mm(1))).toBe(PMD);
  });

  it('the collapse takes its locks at the named sites, and copies exactly the present non-zero pages', () => {
    const { k, run, lastScan } = lab();
    run(
      ...smallPages(1, 300),
      { type: 'touch', pid: 1, addr: A + 300 * KB4, len: 100 * KB4, write: false }, // 100 zero-page PTEs, 112 none
    );
    const copies = k.ledger.totals().pageCopies;
    const sites = [
      'collapse_huge_page.mmap_lock',
      'collapse_huge_page.anon_vma_lock',
      'collapse_huge_page.pmd_lock',
      'collapse_huge_page.ptl',
      '__collapse_huge_page_isolate.folio_trylock',
      '__collapse_huge_page_isolate.folio_isolate_lru',
      '__collapse_huge_page_copy_succeeded.ptl',
      '__collapse_huge_page_copy_succeeded.free_page',
      'hpage_collapse_scan_pmd.ptl',
    ];
    for (const s of sites) expect(k.ledger.atSite(site(s)), s).toBe(0);
    run({ type: 'khugepaged' });
    expect(lastScan(1)).toMatchObject({ result: 'SCAN_SUCCEED', none: 212 });
    for (const s of sites) expect(k.ledger.atSite(site(s)), s).toBeGreaterThan(0);
    expect(k.ledger.atSite(site('__collapse_huge_page_isolate.folio_trylock'))).toBe(2 * 300); // lock + unlock per page
    expect(k.ledger.totals().pageCopies - copies).toBe(300);
    expect(k.ledger.currentDepth).toBe(0);
    expect(contentMismatch(k, k.mm(1))).toBeNull();
    expect(k.mm(1).rssAnon).toBe(512);
  });

  it('a scan pass resumes where the previous one stopped', () => {
    const { run, scans } = lab();
    run(
      { type: 'sysctl', key: 'thp.enabled', value: 'never' },
      { type: 'sysctl', key: 'khugepaged.pages_to_scan', value: 1024 },
      { type: 'spawn', pid: 1 },
      { type: 'spawn', pid: 2 },
      { type: 'mmap', pid: 2, addr: A, len: 3 * PMD, kind: 'anon' },
      { type: 'mmap', pid: 1, addr: A, len: 2 * PMD, kind: 'anon' },
      { type: 'sysctl', key: 'thp.enabled', value: 'always' },
      { type: 'khugepaged', passes: 2 },
    );
    expect(scans().map((o) => [o.pid, (o.addr as number) - A])).toEqual([
      [1, 0],
      [1, PMD],
      [2, 0],
      [2, PMD],
    ]);
    run({ type: 'khugepaged', passes: 2 });
    // The third range of pid 2, then the end of the list, from the head again.
    expect(
      scans()
        .slice(4)
        .map((o) => [o.pid, (o.addr as number) - A]),
    ).toEqual([
      [2, 2 * PMD],
      [1, 0],
      [1, PMD],
      [2, 0],
    ]);
  });
});

describe('khugepaged refusals', () => {
  it('a PTE table emptied by MADV_DONTNEED stays and is walked (512 none PTEs, SCAN_EXCEED_NONE_PTE); a zapped THP leaves the PMD pmd_none (SCAN_PMD_NULL)', () => {
    const { run, scans } = lab();
    run(
      { type: 'sysctl', key: 'thp.enabled', value: 'never' },
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: A, len: 3 * PMD, kind: 'anon' },
      { type: 'touch', pid: 1, addr: A, len: KB4, write: true },
      { type: 'madvise', pid: 1, addr: A, len: KB4, advice: 'dontneed' },
      { type: 'sysctl', key: 'thp.enabled', value: 'always' },
      { type: 'touch', pid: 1, addr: A + PMD, len: KB4, write: true },
      { type: 'madvise', pid: 1, addr: A + PMD, len: PMD, advice: 'dontneed' },
      { type: 'khugepaged' },
    );
    expect(scans(1).map((o) => [o.addr, o.result, o.none])).toEqual([
      [A, 'SCAN_EXCEED_NONE_PTE', 512],
      [A + PMD, 'SCAN_PMD_NULL', 0],
      [A + 2 * PMD, 'SCAN_PMD_NULL', 0],
    ]);
  });

  for (const [era, params] of [
    ['4.5', ERA_45],
    ['5.8', ERA_58],
  ] as const) {
    it(`S19: one page with an extra GUP reference refuses the range with SCAN_PAGE_COUNT (${era} era, and MADV_COLLAPSE)`, () => {
      const { k, run, lastScan, obs } = lab({ params });
      run(...smallPages(), { type: 'get', pid: 1, addr: A + 100 * KB4, len: KB4, handle: 'dio' });
      run({ type: 'khugepaged' });
      expect(lastScan(1)).toMatchObject({ result: 'SCAN_PAGE_COUNT' });
      run({ type: 'madvise', pid: 1, addr: A, len: PMD, advice: 'collapse' });
      expect(lastScan(1)).toMatchObject({ result: 'SCAN_PAGE_COUNT', caller: 'madvise_collapse' });
      expect(anonHugeBytes(k, k.mm(1))).toBe(0);
      expect(k.outcomes.get('collapse')).toEqual({ ok: 0, failed: 2, reasons: { SCAN_PAGE_COUNT: 2 } });
      expect(obs.filter((o) => o.type === 'thp_collapse_alloc')).toHaveLength(0); // refused by the scan, before allocating
      run({ type: 'put', handle: 'dio' }, { type: 'madvise', pid: 1, addr: A, len: PMD, advice: 'collapse' });
      expect(lastScan(1)).toMatchObject({ result: 'SCAN_SUCCEED' });
    });
  }

  it('too many none PTEs with max_ptes_none lowered refuse the range with SCAN_EXCEED_NONE_PTE', () => {
    const { k, run, lastScan } = lab();
    run(...smallPages(1, 100), { type: 'sysctl', key: 'khugepaged.max_ptes_none', value: 400 }, { type: 'khugepaged' });
    expect(lastScan(1)).toMatchObject({ result: 'SCAN_EXCEED_NONE_PTE', none: 401 });
    expect(anonHugeBytes(k, k.mm(1))).toBe(0);
    run({ type: 'sysctl', key: 'khugepaged.max_ptes_none', value: 412 }, { type: 'khugepaged' });
    expect(lastScan(1)).toMatchObject({ result: 'SCAN_SUCCEED', none: 412 });
  });

  it('swap PTEs beyond max_ptes_swap refuse the range with SCAN_EXCEED_SWAP_PTE', () => {
    const { k, run, lastScan } = lab();
    run(...smallPages(), { type: 'madvise', pid: 1, addr: A, len: 65 * KB4, advice: 'pageout' });
    expect(k.mm(1).swapEnts).toBe(65);
    run({ type: 'khugepaged' });
    expect(lastScan(1)).toMatchObject({ result: 'SCAN_EXCEED_SWAP_PTE', swap: 65 });
  });

  it('swap PTEs within max_ptes_swap are swapped in and collapsed with their content', () => {
    const { k, run, lastScan } = lab();
    run(...smallPages(), { type: 'madvise', pid: 1, addr: A + 10 * KB4, len: 64 * KB4, advice: 'pageout' }, { type: 'khugepaged' });
    expect(lastScan(1)).toMatchObject({ result: 'SCAN_SUCCEED', swap: 64 });
    expect(k.mm(1).swapEnts).toBe(0);
    expect(k.swap.used).toBe(0);
    expect(anonHugeBytes(k, k.mm(1))).toBe(PMD);
  });

  it('before swap-in existed (3.13/4.4), a single swap PTE ends the scan with SCAN_PTE_NON_PRESENT', () => {
    const { run, lastScan } = lab({ params: { ...ERA_45, khugepagedSwapIn: false } });
    run(...smallPages(), { type: 'madvise', pid: 1, addr: A + 7 * KB4, len: KB4, advice: 'pageout' }, { type: 'khugepaged' });
    expect(lastScan(1)).toMatchObject({ result: 'SCAN_PTE_NON_PRESENT', swap: 1 });
  });

  it('a read-only range is refused with SCAN_PAGE_RO, also by MADV_COLLAPSE', () => {
    const { k, run, lastScan } = lab();
    run(...smallPages(), { type: 'mprotect', pid: 1, addr: A, len: PMD, write: false }, { type: 'khugepaged' });
    expect(lastScan(1)).toMatchObject({ result: 'SCAN_PAGE_RO', writable: false, none: 0 });
    run({ type: 'madvise', pid: 1, addr: A, len: PMD, advice: 'collapse' });
    expect(lastScan(1)).toMatchObject({ result: 'SCAN_PAGE_RO' });
    expect(anonHugeBytes(k, k.mm(1))).toBe(0);
  });

  it('khugepaged skips VMAs where THP is not allowed, MADV_COLLAPSE ignores thp.enabled but not MADV_NOHUGEPAGE', () => {
    const { k, run, scans, lastScan } = lab();
    run(...smallPages(), { type: 'sysctl', key: 'thp.enabled', value: 'madvise' }, { type: 'khugepaged' });
    expect(scans()).toHaveLength(0);
    run({ type: 'madvise', pid: 1, addr: A, len: PMD, advice: 'nohugepage' }, { type: 'madvise', pid: 1, addr: A, len: PMD, advice: 'collapse' });
    expect(lastScan(1)).toMatchObject({ result: 'SCAN_VMA_CHECK' });
    run({ type: 'sysctl', key: 'thp.enabled', value: 'never' }, { type: 'madvise', pid: 1, addr: A, len: PMD, advice: 'hugepage' });
    run({ type: 'madvise', pid: 1, addr: A, len: PMD, advice: 'collapse' });
    expect(lastScan(1)).toMatchObject({ result: 'SCAN_SUCCEED', caller: 'madvise_collapse' });
    expect(anonHugeBytes(k, k.mm(1))).toBe(PMD);
    run({ type: 'madvise', pid: 1, addr: A, len: PMD, advice: 'collapse' });
    expect(lastScan(1)).toMatchObject({ result: 'SCAN_PMD_MAPPED' });
  });

  it('a range lacking any young PTE is left alone by khugepaged (SCAN_LACK_REFERENCED_PAGE) but not by MADV_COLLAPSE', () => {
    const { k, run, lastScan } = lab();
    run(...smallPages());
    const pt = k.mm(1).pt(A)!;
    for (let i = 0; i < 512; i++) pt.ptes[i] = pt.ptes[i]! & ~2; // age every PTE (the model has no aging pass yet)
    run({ type: 'khugepaged' });
    expect(lastScan(1)).toMatchObject({ result: 'SCAN_LACK_REFERENCED_PAGE', referenced: 0 });
    run({ type: 'madvise', pid: 1, addr: A, len: PMD, advice: 'collapse' });
    expect(lastScan(1)).toMatchObject({ result: 'SCAN_SUCCEED' });
  });
});

describe('which pages each era accepts', () => {
  /** P faults a THP, then drops page 0 (MADV_DONTNEED): its PMD is split and the THP stays PTE-mapped. */
  const pteMappedThp: WorkloadEvent[] = [
    { type: 'spawn', pid: 1 },
    { type: 'mmap', pid: 1, addr: A, len: PMD, kind: 'anon' },
    { type: 'touch', pid: 1, addr: A, len: PMD, write: true },
    { type: 'madvise', pid: 1, addr: A, len: KB4, advice: 'dontneed' },
  ];

  it('the 4.5 era refuses a range holding a PTE-mapped THP with SCAN_PAGE_COMPOUND; 5.8 collapses it into a new THP', () => {
    const old = lab({ params: ERA_45 });
    old.run(...pteMappedThp, { type: 'khugepaged' });
    expect(old.lastScan(1)).toMatchObject({ result: 'SCAN_PAGE_COMPOUND', none: 1 });
    expect(anonHugeBytes(old.k, old.k.mm(1))).toBe(0);

    const now = lab({ params: ERA_58 });
    now.run(...pteMappedThp);
    const f = now.k.frames;
    const oldHead = f.head(ptePfn(now.k.mm(1).pt(A)!.ptes[1]!));
    const free0 = now.k.buddy.freeFrames();
    now.run({ type: 'khugepaged' });
    expect(now.lastScan(1)).toMatchObject({ result: 'SCAN_SUCCEED', none: 1, shared: 0 });
    expect(anonHugeBytes(now.k, now.k.mm(1))).toBe(PMD);
    expect(ptePfn(now.k.mm(1).pt(A)!.pmd)).not.toBe(oldHead);
    expect(now.k.buddy.freeFrames()).toBe(free0); // one THP allocated, the old one freed whole
    expect(now.k.deferredLen).toBe(0);
  });

  /** 512 small pages, fork, P writes 300 of them again: 300 exclusive copies, 212 shared with the child. */
  const sharedWithChild: WorkloadEvent[] = [
    ...smallPages(1),
    { type: 'sysctl', key: 'thp.enabled', value: 'never' },
    { type: 'fork', parent: 1, child: 2 },
    { type: 'touch', pid: 1, addr: A, len: 300 * KB4, write: true },
    { type: 'sysctl', key: 'thp.enabled', value: 'always' },
  ];

  it('the 4.5 era refuses a range shared with a child (SCAN_PAGE_COUNT); 5.8 collapses it while shared <= max_ptes_shared', () => {
    const old = lab({ params: ERA_45 });
    old.run(...sharedWithChild, { type: 'khugepaged', pid: 1 });
    expect(old.lastScan(1)).toMatchObject({ result: 'SCAN_PAGE_COUNT' });

    const now = lab({ params: ERA_58 });
    now.run(...sharedWithChild);
    const child = now.k.mm(2);
    const shared = ptePfn(child.pt(A)!.ptes[400]!);
    now.run({ type: 'khugepaged', pid: 1 });
    expect(now.lastScan(1)).toMatchObject({ result: 'SCAN_SUCCEED', shared: 212 });
    expect(anonHugeBytes(now.k, now.k.mm(1))).toBe(PMD);
    // The child keeps its pages, now mapped by it alone, and back on the LRU.
    expect(pageMapcount(now.k.frames, shared)).toBe(1);
    expect(now.k.frames.refcount[shared]).toBe(1);
    expect(now.k.frames.test(shared, PG.lru)).toBe(true);
    expect(contentMismatch(now.k, child)).toBeNull();

    const capped = lab({ params: ERA_58, settings: { 'khugepaged.max_ptes_shared': 211 } });
    capped.run(...sharedWithChild, { type: 'khugepaged', pid: 1 });
    expect(capped.lastScan(1)).toMatchObject({ result: 'SCAN_EXCEED_SHARED_PTE', shared: 212 });
  });
});

describe('S21: the collapse_max_ptes_shared selftest', () => {
  it('fork leaves the child\u2019s PTEs old: a child that touched nothing since the fork is refused for lack of referenced pages', () => {
    // 6.18: read-only PTEs collapse, so the young bits decide.
    const { run, lastScan } = lab({ params: ERA_PARAMS['linux-6.18'] });
    run(...smallPages(), { type: 'fork', parent: 1, child: 2 }, { type: 'khugepaged', pid: 1 });
    // The parent's PTEs keep their young bits: 256 counted before the 257th shared PTE refuses the range.
    expect(lastScan(1)).toMatchObject({ result: 'SCAN_EXCEED_SHARED_PTE', shared: 257, referenced: 256 });
    // With the parent gone the child's pages are exclusive, but none was touched since the fork.
    run({ type: 'exit', pid: 1 }, { type: 'khugepaged', pid: 2 });
    expect(lastScan(2)).toMatchObject({ result: 'SCAN_LACK_REFERENCED_PAGE', shared: 0, referenced: 0 });
  });

  it('the child is refused with 257 shared PTEs, collapses with 256, and the parent keeps its PMD', () => {
    const { k, run, lastScan } = lab({ params: ERA_58 });
    run(...s21Events());
    expect(anonHugeBytes(k, k.mm(1))).toBe(PMD);
    expect(anonHugeBytes(k, k.mm(2))).toBe(0);
    run({ type: 'khugepaged', pid: 2 });
    // Only the 255 pages the child wrote since the fork are young: fork makes the child's PMD old (copy_huge_pmd's
    // pmd_mkold), its split PTEs inherit that, as on the 6.18 kernel (mm_khugepaged_scan_pmd referenced=255, then 256).
    expect(lastScan(2)).toMatchObject({ result: 'SCAN_EXCEED_SHARED_PTE', shared: 257, referenced: 255 });
    expect(anonHugeBytes(k, k.mm(2))).toBe(0);

    run({ type: 'touch', pid: 2, addr: A + 255 * KB4, len: KB4, write: true }, { type: 'khugepaged', pid: 2 });
    expect(lastScan(2)).toMatchObject({ result: 'SCAN_SUCCEED', shared: 256, referenced: 256 });
    expect(anonHugeBytes(k, k.mm(2))).toBe(PMD);
    expect(anonHugeBytes(k, k.mm(1))).toBe(PMD); // "Check if parent still has huge page"
    const parentThp = ptePfn(k.mm(1).pt(A)!.pmd);
    expect(totalMapcount(k.frames, parentThp)).toBe(1);
    expect(k.deferredLen).toBe(0);
  });

  it('MADV_COLLAPSE ignores max_ptes_shared', () => {
    const { k, run, lastScan } = lab({ params: ERA_58 });
    run(...s21Events(), { type: 'madvise', pid: 2, addr: A, len: PMD, advice: 'collapse' });
    expect(lastScan(2)).toMatchObject({ result: 'SCAN_SUCCEED', shared: 257 });
    expect(anonHugeBytes(k, k.mm(2))).toBe(PMD);
    expect(anonHugeBytes(k, k.mm(1))).toBe(PMD);
  });
});

describe('S1: a half-shared PTE-mapped THP', () => {
  function s1(opts: Parameters<typeof testKernel>[0] = {}) {
    const l = lab({ params: ERA_58, ...opts, policies: { sharedness: refPreciseSharedness, ...opts.policies } });
    l.run(...s1Events());
    const k = l.k;
    const f = k.frames;
    const F = s1Folio(k);
    const P = k.mm(S1_DEFAULTS.parent);
    const pt = P.pt(A)!;
    // The state docs/kernel/mm-facts.md §8 S1 describes, before khugepaged runs.
    expect(f.order(F)).toBe(9);
    expect(totalMapcount(f, F)).toBe(512);
    expect(f.refcount[F]).toBe(512);
    expect(f.mapcount[F]).toBe(0);
    for (const i of [1, 128, 256]) expect(f.mapcount[F + i]).toBe(2);
    expect(f.mapcount[F + 257]).toBe(0);
    expect(f.test(F, PG.deferred)).toBe(true);
    expect(pt.used).toBe(257);
    const x = ptePfn(pt.ptes[0]!);
    expect(f.order(x)).toBe(0);
    expect(pteWrite(pt.ptes[0]!)).toBe(true);
    expect(f.refcount[x]).toBe(1);
    for (let i = 1; i <= 256; i++) expect(ptePfn(pt.ptes[i]!)).toBe(F + i);
    for (let i = 1; i <= 256; i++) expect(pteWrite(pt.ptes[i]!)).toBe(false);
    for (let i = 257; i < 512; i++) expect(pt.ptes[i]).toBe(0);
    return { ...l, F, x };
  }

  it('with the precise policy and max_ptes_shared=255 it is refused with SCAN_EXCEED_SHARED_PTE and shared=256', () => {
    const { k, run, lastScan, obs } = s1({ settings: { 'khugepaged.max_ptes_shared': 255 } });
    run({ type: 'khugepaged', pid: 1 });
    expect(lastScan(1)).toMatchObject({ result: 'SCAN_EXCEED_SHARED_PTE', shared: 256, none: 0 });
    expect(obs.filter((o) => o.type === 'sharedness.divergence')).toHaveLength(0);
    expect(k.sharednessDivergence).toMatchObject({ questions: 257, falseNegatives: 0, falsePositives: 0, collapsesOnlyByPolicy: 0 });
  });

  it('with the default max_ptes_shared it collapses: X is freed and F stays, partially mapped by the child', () => {
    const { k, run, lastScan, F, x } = s1();
    run({ type: 'khugepaged', pid: 1 });
    expect(lastScan(1)).toMatchObject({ result: 'SCAN_SUCCEED', shared: 256, none: 255 });
    const f = k.frames;
    expect(f.refcount[x]).toBe(0);
    expect(totalMapcount(f, F)).toBe(256);
    expect(f.refcount[F]).toBe(256);
    expect(f.test(F, PG.lru)).toBe(true);
    expect(f.test(F, PG.deferred)).toBe(true);
    expect(contentMismatch(k, k.mm(2))).toBeNull();
  });

  it('a policy with false negatives collapses it anyway, and the divergence from the precise answer is counted', () => {
    // The C610 answer for S1's F (folio_likely_mapped_shared): page 0 is unmapped, so "not shared".
    const blind: SharednessPolicy = {
      ...refPreciseSharedness,
      id: 'test-blind',
      mappedShared: (k, pfn) => k.frames.order(k.frames.head(pfn)) === 0 && pageMapcount(k.frames, pfn) > 1,
    };
    const { k, run, lastScan, obs } = s1({ policies: { sharedness: blind }, settings: { 'khugepaged.max_ptes_shared': 255 } });
    run({ type: 'khugepaged', pid: 1 });
    expect(lastScan(1)).toMatchObject({ result: 'SCAN_SUCCEED', shared: 0 });
    expect(obs.filter((o) => o.type === 'sharedness.divergence')).toEqual([
      expect.objectContaining({ pid: 1, addr: A, policyShared: 0, preciseShared: 256, falseNegatives: 256, falsePositives: 0 }),
    ]);
    expect(k.sharednessDivergence).toEqual({
      questions: 257,
      falseNegatives: 256,
      falsePositives: 0,
      // The precise rule would have refused (256 > 255): the collapse copied 256 shared pages and zero-filled 255.
      collapsesOnlyByPolicy: 1,
      duplicatedBytes: 256 * 4096,
      zeroFilledBytes: 255 * 4096,
    });
  });
});

describe('shmem ranges', () => {
  it('khugepaged hands a shmem range to the file collapse and reports it as one scan', () => {
    const { k, run, scans } = lab();
    run(
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: A, len: PMD, kind: 'shmem', file: 'f' },
      { type: 'touch', pid: 1, addr: A, len: PMD, write: true },
      { type: 'sysctl', key: 'thp.enabled', value: 'never' },
      { type: 'sysctl', key: 'thp.shmem_enabled', value: 'always' },
      { type: 'khugepaged' },
    );
    expect(scans(1)).toEqual([expect.objectContaining({ addr: A, file: true, present: 512, caller: 'khugepaged' })]);
    expect(scans(1)[0]!.result).toBe('SCAN_SUCCEED');
    expect(k.outcomes.get('collapse').ok).toBe(1);
  });
});
