/**
 * Writes a comparison run directory in the format `pagelab compare` writes
 * (checked against real runs of seed002-dio-thp-tail, s1-false-negative,
 * fork-heavy-random and mixed): compare.json, and per design summary.json,
 * observations.jsonl and provenance.json. The observation types and fields are
 * the model's (khugepaged_scan with caller, thp_split_page{caller},
 * thp_split_page_failed{reason,caller}, migrate{reason,result,cause},
 * sharedness.divergence, ...); like the model, a successful THP fault, a CoW
 * reuse and a dio have an outcome but no observation. The numbers are
 * synthetic but internally consistent: each summary equals the last sample of
 * its log, and the outcome counts that have one observation each match the log.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLeft } from 'fp-ts/lib/Either.js';
import { OUTCOME_NAMES, Summary, WASTE_CAUSES, formatIssue, issuesOf, type SharednessSummary } from '@pagelab/events';
import type { OutcomeTally } from '../pipelines/outcomeCounts.js';
import type { CompareManifest, DesignProvenance } from '../report/load.js';

/** How a fixture design behaves, loosely after the refcount eras of docs/kernel/mm-facts.md. */
export type Profile = 'tail-refcount' | 'head-refcount' | 'folio';

function overRunOf(points: ReadonlyArray<{ seq: number; waste: number; coverage: number }>): NonNullable<Summary['overRun']> {
  let w = 0,
    c = 0;
  for (let i = 1; i < points.length; i++) {
    const dx = points[i]!.seq - points[i - 1]!.seq;
    w += ((points[i]!.waste + points[i - 1]!.waste) / 2) * dx;
    c += ((points[i]!.coverage + points[i - 1]!.coverage) / 2) * dx;
  }
  const last = points[points.length - 1];
  const span = last === undefined ? 0 : last.seq - points[0]!.seq;
  return {
    samples: points.length,
    meanWasteBytes: span > 0 ? w / span : (last?.waste ?? 0),
    meanHugeCoverage: span > 0 ? c / span : (last?.coverage ?? 0),
    peakHugeCoverage: Math.max(0, ...points.map((p) => p.coverage)),
  };
}

/** The design block (summary.json, provenance.json) of each profile, after the presets of the same era. */
const DESIGN_OF: Record<
  Profile,
  { preset: string; policies: Record<string, { id: string; params: Record<string, unknown> }>; params: Record<string, unknown> }
> = {
  'tail-refcount': {
    preset: 'linux-3.13',
    policies: {
      'pinned-migration': { id: 'pins-block', params: {} },
      refcount: { id: 'tail-refcount', params: { perTailLockInSplit: false } },
      sharedness: { id: 'precise-mapcount', params: {} },
      'shmem-truncate': { id: 'zero-keep', params: {} },
    },
    params: {
      anonExclusive: false,
      follPin: false,
      forkCopiesPinned: false,
      khugepagedAccepts: 'exclusive',
      khugepagedSwapIn: false,
      longtermMigratesCma: false,
      thpCow: 'huge',
      thpMigration: false,
    },
  },
  'head-refcount': {
    preset: 'linux-4.5',
    policies: {
      'pinned-migration': { id: 'pins-block', params: {} },
      refcount: { id: 'head-refcount', params: {} },
      sharedness: { id: 'precise-mapcount', params: {} },
      'shmem-truncate': { id: 'zero-keep', params: {} },
    },
    params: {
      anonExclusive: false,
      follPin: false,
      forkCopiesPinned: false,
      khugepagedAccepts: 'exclusive',
      khugepagedSwapIn: true,
      longtermMigratesCma: false,
      thpCow: 'huge',
      thpMigration: false,
    },
  },
  folio: {
    preset: 'linux-6.10',
    policies: {
      'pinned-migration': { id: 'movable-ops', params: {} },
      refcount: { id: 'head-refcount', params: {} },
      sharedness: { id: 'likely-mapped-shared', params: {} },
      'shmem-truncate': { id: 'split-on-punch', params: {} },
    },
    params: {
      anonExclusive: true,
      follPin: true,
      forkCopiesPinned: true,
      khugepagedAccepts: 'shared',
      khugepagedSwapIn: true,
      longtermMigratesCma: true,
      thpCow: 'pte',
      thpMigration: true,
    },
  },
};

export interface FixtureDesign {
  name: string;
  dir?: string;
  profile: Profile;
  /** write only one sample (after the last event) */
  singleSample?: boolean;
  /** this design never wastes memory (every waste series all zeros) */
  zeroWaste?: boolean;
  /** leave provenance.json out (as an older producer did) */
  noProvenance?: boolean;
  /**
   * At the last event: faults that found no memory (an `oom` observation
   * each) and device writes through a pin, coherent or missed by the pinning
   * process (a `gup_incoherent` observation each missed one), as the model
   * reports them.
   */
  troubles?: { oomFaults?: number; oomExpected?: boolean; coherentWrites?: number; missedWrites?: number };
}

export interface FixtureOptions {
  /** run directory to create; a fresh temp directory by default */
  dir?: string;
  designs?: ReadonlyArray<FixtureDesign>;
  events?: number;
  sampleEvery?: number;
  seed?: number;
  workloadName?: string;
}

export const DEFAULT_DESIGNS: ReadonlyArray<FixtureDesign> = [
  { name: 'linux-3.13', profile: 'tail-refcount' },
  { name: 'linux-4.5', profile: 'head-refcount' },
  { name: 'linux-6.10', profile: 'folio' },
];

const PAGE = 4096;
const HPAGE = 2 * 1024 * 1024;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface SiteCost {
  site: string;
  kind: string;
  n: number;
}

/** Locked operations one event of each class costs under each profile. */
const COSTS: Record<Profile, Record<'dio' | 'fault' | 'split' | 'collapse' | 'migrate' | 'munmap', SiteCost[]>> = {
  'tail-refcount': {
    dio: [
      { site: 'gup_huge_pmd', kind: 'atomic', n: 3 },
      { site: 'get_page.tail', kind: 'atomic', n: 8 },
      { site: 'put_page.tail', kind: 'atomic', n: 18 },
      { site: 'compound_lock', kind: 'bit_spinlock', n: 2 },
    ],
    fault: [
      { site: 'pmd_lock', kind: 'spinlock', n: 1 },
      { site: 'page_add_new_anon_rmap', kind: 'atomic', n: 1 },
      { site: 'lru_lock', kind: 'spinlock', n: 1 },
    ],
    split: [
      { site: 'split.refcount', kind: 'atomic', n: 1022 },
      { site: 'split.anon_vma_lock', kind: 'spinlock', n: 2 },
      { site: 'compound_lock', kind: 'bit_spinlock', n: 1 },
      { site: 'lru_lock', kind: 'spinlock', n: 1 },
    ],
    collapse: [
      { site: 'khugepaged.mmap_sem', kind: 'spinlock', n: 2 },
      { site: 'collapse.isolate', kind: 'atomic', n: 512 },
      { site: 'pte_lock', kind: 'spinlock', n: 1 },
    ],
    migrate: [
      { site: 'isolate_migratepages', kind: 'atomic', n: 2 },
      { site: 'lru_lock', kind: 'spinlock', n: 1 },
    ],
    munmap: [{ site: 'pte_lock', kind: 'spinlock', n: 1 }],
  },
  'head-refcount': {
    dio: [
      { site: 'gup_fast.try_grab_folio', kind: 'atomic', n: 1 },
      { site: 'get_page', kind: 'atomic', n: 2 },
      { site: 'put_page', kind: 'atomic', n: 2 },
      { site: 'folio_set_referenced', kind: 'atomic', n: 1 },
    ],
    fault: [
      { site: 'pmd_lock', kind: 'spinlock', n: 1 },
      { site: 'page_add_new_anon_rmap', kind: 'atomic', n: 2 },
      { site: 'lru_lock', kind: 'spinlock', n: 1 },
    ],
    split: [
      { site: 'split.freeze_refcount', kind: 'atomic', n: 1 },
      { site: 'split.mapcount', kind: 'atomic', n: 512 },
      { site: 'split.anon_vma_lock', kind: 'spinlock', n: 2 },
      { site: 'deferred_split.lock', kind: 'irq_save', n: 1 },
      { site: 'lru_lock', kind: 'spinlock', n: 1 },
    ],
    collapse: [
      { site: 'khugepaged.mmap_sem', kind: 'spinlock', n: 2 },
      { site: 'collapse.isolate', kind: 'atomic', n: 512 },
      { site: 'pte_lock', kind: 'spinlock', n: 1 },
    ],
    migrate: [
      { site: 'isolate_migratepages', kind: 'atomic', n: 2 },
      { site: 'lru_lock', kind: 'spinlock', n: 1 },
    ],
    munmap: [
      { site: 'pte_lock', kind: 'spinlock', n: 1 },
      { site: 'deferred_split.lock', kind: 'irq_save', n: 1 },
    ],
  },
  folio: {
    dio: [
      { site: 'gup_fast.try_grab_folio', kind: 'atomic', n: 2 },
      { site: 'unpin_user_page', kind: 'atomic', n: 2 },
      { site: 'folio_set_referenced', kind: 'atomic', n: 1 },
    ],
    fault: [
      { site: 'pmd_lock', kind: 'spinlock', n: 1 },
      { site: 'folio_add_new_anon_rmap', kind: 'atomic', n: 2 },
      { site: 'lru_lock', kind: 'spinlock', n: 1 },
    ],
    split: [
      { site: 'split.freeze_refcount', kind: 'atomic', n: 1 },
      { site: 'split.mapcount', kind: 'atomic', n: 512 },
      { site: 'split.anon_vma_lock', kind: 'spinlock', n: 2 },
      { site: 'deferred_split.lock', kind: 'irq_save', n: 1 },
    ],
    collapse: [
      { site: 'khugepaged.mmap_lock', kind: 'spinlock', n: 2 },
      { site: 'collapse.isolate', kind: 'atomic', n: 512 },
      { site: 'pte_lock', kind: 'spinlock', n: 1 },
    ],
    migrate: [
      { site: 'isolate_migratepages', kind: 'atomic', n: 2 },
      { site: 'lru_lock', kind: 'spinlock', n: 1 },
    ],
    munmap: [
      { site: 'pte_lock', kind: 'spinlock', n: 1 },
      { site: 'deferred_split.lock', kind: 'irq_save', n: 1 },
    ],
  },
};

/** summary.json's metrics block while the fixture builds it (mutable; checked against the Summary codec when written). */
interface FixtureMetrics {
  allocatedBytes: number;
  idealBytes: number;
  wasteBytes: number;
  peakWasteBytes: number;
  wasteByCause: Record<string, number>;
  lockedOps: number;
  lockedOpsByKind: Record<string, number>;
  lockedOpsBySite: Record<string, number>;
  lockAcquisitions: number;
  maxLockDepth: number;
  hugeCoverage: number;
  tlbShootdowns: number;
  pageCopies: number;
  nestingViolations: string[];
}

class DesignState {
  metrics: FixtureMetrics = {
    allocatedBytes: 0,
    idealBytes: 0,
    wasteBytes: 0,
    peakWasteBytes: 0,
    wasteByCause: Object.fromEntries(WASTE_CAUSES.map((c) => [c, 0])),
    lockedOps: 0,
    lockedOpsByKind: { atomic: 0, bit_spinlock: 0, irq_save: 0, page_lock: 0, rwsem: 0, spinlock: 0 },
    lockedOpsBySite: {},
    lockAcquisitions: 0,
    maxLockDepth: 0,
    hugeCoverage: 0,
    tlbShootdowns: 0,
    pageCopies: 0,
    nestingViolations: [],
  };
  outcomes: Record<string, OutcomeTally> = Object.fromEntries(OUTCOME_NAMES.map((n) => [n, { ok: 0, failed: 0, reasons: {} }]));
  sharedness: { -readonly [K in keyof SharednessSummary]: number } = {
    questions: 0,
    falseNegatives: 0,
    falsePositives: 0,
    collapsesOnlyByPolicy: 0,
    duplicatedBytes: 0,
    zeroFilledBytes: 0,
  };
  hugeMapped = 0;
  smallMapped = 0;

  charge(costs: SiteCost[], times = 1): void {
    const m = this.metrics;
    for (const c of costs) {
      const n = c.n * times;
      m.lockedOps += n;
      m.lockedOpsByKind[c.kind] = (m.lockedOpsByKind[c.kind] ?? 0) + n;
      m.lockedOpsBySite[c.site] = (m.lockedOpsBySite[c.site] ?? 0) + n;
      if (c.kind !== 'atomic') {
        m.lockAcquisitions += times;
        m.maxLockDepth = Math.max(m.maxLockDepth, c.site.includes('anon_vma') ? 2 : 1);
      }
    }
  }

  outcome(name: string, ok: boolean, reason?: string): void {
    const o = (this.outcomes[name] ??= { ok: 0, failed: 0, reasons: {} });
    if (ok) o.ok++;
    else {
      o.failed++;
      const r = reason ?? 'unknown';
      o.reasons[r] = (o.reasons[r] ?? 0) + 1;
    }
  }

  addWaste(cause: string, bytes: number): void {
    const w = this.metrics.wasteByCause;
    const next = Math.max(0, (w[cause] ?? 0) + bytes);
    w[cause] = next;
    this.refreshWaste();
  }

  refreshWaste(): void {
    const m = this.metrics;
    m.wasteBytes = Object.values(m.wasteByCause).reduce((a, b) => a + b, 0);
    m.peakWasteBytes = Math.max(m.peakWasteBytes, m.wasteBytes);
    m.allocatedBytes = m.idealBytes + m.wasteBytes;
    const mapped = this.hugeMapped + this.smallMapped;
    m.hugeCoverage = mapped === 0 ? 0 : Math.round((this.hugeMapped / mapped) * 1e4) / 1e4;
  }

  snapshot(): FixtureMetrics {
    return structuredClone(this.metrics);
  }
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** Writes the run directory and returns its path. */
export function writeFixtureRun(opts: FixtureOptions = {}): string {
  const runDir = opts.dir ?? mkdtempSync(join(tmpdir(), 'pagelab-run-'));
  mkdirSync(runDir, { recursive: true });
  const designs = opts.designs ?? DEFAULT_DESIGNS;
  const events = opts.events ?? 20_000;
  const sampleEvery = opts.sampleEvery ?? 250;
  const seed = opts.seed ?? 7;
  const workload = { name: opts.workloadName ?? 'dio-thp-churn', params: { dioPerFault: 3, processes: 4 }, seed };
  const logSha256 = sha256(JSON.stringify({ workload, events }));

  const manifest: CompareManifest = {
    pagelab: '0.1.0',
    workload,
    logSha256,
    command: `pagelab compare ${workload.name} --designs ${designs.map((d) => d.name).join(',')} --sample-every ${sampleEvery} --out ${runDir} --force`,
    designs: designs.map((d) => ({ dir: d.dir ?? d.name, name: d.name })),
  };
  writeFileSync(join(runDir, 'compare.json'), JSON.stringify(manifest, null, 2) + '\n');

  designs.forEach((d, i) => {
    const dir = join(runDir, manifest.designs[i]!.dir);
    mkdirSync(dir, { recursive: true });
    // every design sees the same workload event stream: one rng for the workload, one for the design's own choices
    const workloadRng = mulberry32(seed);
    const designRng = mulberry32(seed * 7919 + i + 1);
    const st = new DesignState();
    const lines: string[] = [];
    const design = { name: d.name, ...DESIGN_OF[d.profile], preset: d.name };
    lines.push(JSON.stringify({ pagelab_observations: 1, pagelab: '0.1.0', design, workload, logSha256 }));
    const emit = (o: Record<string, unknown>): void => void lines.push(JSON.stringify(o));
    // summary.json's overRun, as the engine computes it: the trapezoid under the samples, x = event index
    const points: Array<{ seq: number; waste: number; coverage: number }> = [];
    const sample = (seq: number): void => {
      const metrics = st.snapshot();
      points.push({ seq, waste: metrics.wasteBytes, coverage: metrics.hugeCoverage });
      emit({ seq, type: 'sample', metrics });
    };
    if (!d.singleSample) sample(0);
    const costs = COSTS[d.profile];
    const waste = (cause: string, bytes: number): void => {
      if (!d.zeroWaste) st.addWaste(cause, bytes);
    };

    for (let seq = 1; seq <= events; seq++) {
      const r = workloadRng();
      const phase = seq / events; // workload phases: fault-in, dio churn + munmap, khugepaged, compaction + CMA
      const pid = 1 + (seq % 4);
      const addr = 0x40000000 + (seq % 512) * HPAGE;
      const pfn = 512 * (1 + (seq % 200));
      if (r < 0.18) {
        // touch of a fresh 2 MiB range: a THP fault (no observation when it succeeds, as in the model)
        st.charge(costs.fault);
        st.metrics.idealBytes += HPAGE;
        if (designRng() < (d.profile === 'tail-refcount' ? 0.92 : 0.88)) {
          st.hugeMapped += HPAGE;
          st.outcome('thp_fault', true);
          if (designRng() < 0.3) waste('collapse-bloat', 64 * PAGE);
        } else {
          st.smallMapped += HPAGE;
          emit({ seq, type: 'thp_fault_fallback', pid, addr });
          st.outcome('thp_fault', false, 'no_order9_block');
        }
      } else if (r < 0.6) {
        // O_DIRECT through a THP tail: an outcome, no observation
        st.charge(costs.dio, 1 + Math.floor(workloadRng() * 3));
        st.outcome('dio', true);
      } else if (r < 0.72 && phase > 0.15) {
        // partial munmap inside a THP
        st.charge(costs.munmap);
        st.metrics.idealBytes = Math.max(0, st.metrics.idealBytes - 64 * PAGE);
        if (d.profile === 'tail-refcount') {
          // 3.13 splits the page with the PMD at once: never fails
          st.charge(costs.split);
          emit({ seq, type: 'thp_split_page', caller: 'split_huge_page_pmd', pfn });
          st.outcome('split_page', true);
          st.hugeMapped = Math.max(0, st.hugeMapped - HPAGE);
          st.smallMapped += HPAGE - 64 * PAGE;
        } else {
          emit({ seq, type: 'thp_split_pmd', addr, pfn, pid });
          st.outcome('split_pmd', true);
          emit({ seq, type: 'thp_deferred_split_page', pfn });
          st.hugeMapped = Math.max(0, st.hugeMapped - HPAGE);
          st.smallMapped += HPAGE - 64 * PAGE;
          waste('unmapped-in-thp', 64 * PAGE);
        }
      } else if (r < 0.76 && phase > 0.3 && d.profile !== 'tail-refcount') {
        // deferred split shrinker or reclaim under memory pressure
        const caller = designRng() < 0.6 ? 'deferred_split' : 'reclaim';
        if (designRng() < (d.profile === 'folio' ? 0.25 : 0.4)) {
          const reason = designRng() < 0.8 ? 'extra_ref' : 'pinned';
          emit({ seq, type: 'thp_split_page_failed', caller, pfn, reason });
          st.outcome('split_page', false, reason);
          waste('split-blocked', 32 * PAGE);
        } else {
          st.charge(costs.split);
          emit({ seq, type: 'thp_split_page', caller, pfn });
          st.outcome('split_page', true);
          const freed = Math.min(st.metrics.wasteByCause['unmapped-in-thp'] ?? 0, 128 * PAGE);
          waste('unmapped-in-thp', -freed);
        }
      } else if (r < 0.82 && phase > 0.45) {
        // khugepaged scans one PMD range, asking the sharedness policy about its pages
        const u = designRng();
        const none = Math.floor(designRng() * 64);
        const preciseShared = u >= 0.45 && u < 0.65 ? 32 + Math.floor(designRng() * 200) : 0;
        // likely-mapped-shared (folio profile) misses sharedness of a PTE-mapped THP now and then
        const missed = d.profile === 'folio' && preciseShared > 0 && designRng() < 0.5;
        let result: string;
        if (u < 0.04) result = 'SCAN_PMD_MAPPED';
        else if (u < 0.45 || missed) result = 'SCAN_SUCCEED';
        else if (u < 0.65) result = 'SCAN_EXCEED_SHARED_PTE';
        else if (u < 0.85) result = 'SCAN_PAGE_COUNT';
        else result = d.profile === 'tail-refcount' ? 'SCAN_EXCEED_NONE_PTE' : 'SCAN_PAGE_COMPOUND';
        if (result !== 'SCAN_PMD_MAPPED') {
          st.sharedness.questions += 512 - none;
          if (missed) {
            st.sharedness.falseNegatives += preciseShared;
            emit({
              seq,
              type: 'sharedness.divergence',
              addr,
              falseNegatives: preciseShared,
              falsePositives: 0,
              pid,
              policy: 'likely-mapped-shared',
              policyShared: 0,
              preciseShared,
            });
          }
        }
        if (result === 'SCAN_SUCCEED') {
          st.charge(costs.collapse);
          emit({ seq, type: 'thp_collapse_alloc', addr, pfn: pfn + 65536, pid });
          st.hugeMapped += HPAGE;
          st.smallMapped = Math.max(0, st.smallMapped - HPAGE);
          waste('collapse-bloat', none * PAGE);
          if (missed) {
            st.sharedness.collapsesOnlyByPolicy++;
            st.sharedness.duplicatedBytes += preciseShared * PAGE;
            st.sharedness.zeroFilledBytes += none * PAGE;
            waste('duplicated-shared', preciseShared * PAGE);
          }
        }
        emit({
          seq,
          type: 'khugepaged_scan',
          addr,
          caller: 'khugepaged',
          none,
          pid,
          referenced: 512 - none,
          result,
          shared: missed ? 0 : preciseShared,
          swap: 0,
          writable: true,
        });
        if (result !== 'SCAN_PMD_MAPPED') st.outcome('collapse', result === 'SCAN_SUCCEED', result);
      } else if (r < 0.86 && phase > 0.7) {
        // a CMA allocation migrating what sits in its range, meeting pinned pages
        const pinnedBlocks = d.profile === 'tail-refcount' ? 0.5 : d.profile === 'head-refcount' ? 0.35 : 0.1;
        const ok = designRng() >= pinnedBlocks;
        st.charge(costs.migrate, 8);
        if (ok) {
          emit({ seq, type: 'migrate', newPfn: pfn + 1024, order: 0, pfn, reason: 'contig_range', result: 'success' });
          emit({ seq, type: 'cma_alloc_success', cma: true, handle: `contig@${pfn}`, pages: 512, pfn, tried: 1 });
          st.outcome('migrate', true);
          st.outcome('cma_alloc', true);
        } else {
          const cause = designRng() < 0.6 ? 'longterm_pin' : 'refcount';
          emit({ seq, type: 'migrate', cause, order: 0, pfn, reason: 'contig_range', result: 'fail' });
          emit({ seq, type: 'cma_alloc_fail', cause, cma: true, pages: 512, tried: 1 });
          st.outcome('migrate', false, cause);
          st.outcome('cma_alloc', false, cause);
        }
      } else if (r < 0.88 && phase > 0.2) {
        // fork + CoW write: only a THP copy is observed (cow_copy); a reuse is an outcome alone
        const copy = d.profile !== 'folio' && designRng() < 0.4;
        st.outcome('cow', true);
        if (copy) {
          emit({ seq, type: 'cow_copy', addr, pages: 512, pid });
          st.metrics.pageCopies += 512;
          waste('duplicated-shared', 16 * PAGE);
        }
      } else if (r < 0.95 && phase > 0.8) {
        // memory pressure: reclaim and the deferred-split shrinker give back some of the waste
        const w = st.metrics.wasteByCause;
        waste('collapse-bloat', -Math.min(w['collapse-bloat'] ?? 0, (d.profile === 'tail-refcount' ? 48 : 96) * PAGE));
        if (d.profile !== 'tail-refcount') waste('unmapped-in-thp', -Math.min(w['unmapped-in-thp'] ?? 0, 64 * PAGE));
        st.outcome('reclaim', true);
      } else if (r < 0.9 && phase > 0.5) {
        // shmem hole punch
        waste('truncated-retained', d.profile === 'tail-refcount' ? 8 * PAGE : 24 * PAGE);
      }
      if (r < 0.05) st.metrics.tlbShootdowns++;
      st.refreshWaste();
      if (!d.singleSample && seq % sampleEvery === 0 && seq !== events) sample(seq);
    }
    const oomFaults = d.troubles?.oomFaults ?? 0;
    for (let n = 0; n < oomFaults; n++) {
      emit({ seq: events, type: 'oom', pid: 1, addr: 0x7f0000000000 + n * 4096 });
      st.outcome('fault', false, 'oom');
    }
    for (let n = 0; n < (d.troubles?.coherentWrites ?? 0); n++) st.outcome('dma_write', true);
    for (let n = 0; n < (d.troubles?.missedWrites ?? 0); n++) {
      emit({ seq: events, type: 'gup_incoherent', pid: 1, addr: 0x7f0000200000, via: 'unpin', missed: 1, leaked: 0 });
      st.outcome('dma_write', false, 'missed');
    }
    sample(events);

    const outcomes: Record<string, OutcomeTally> = {};
    for (const n of Object.keys(st.outcomes).sort()) outcomes[n] = st.outcomes[n]!;
    const summary = {
      pagelab: '0.1.0',
      design,
      workload,
      logSha256,
      events,
      metrics: st.snapshot(),
      expectations: { passed: 3, failed: 0, failures: [] },
      invariantViolations: 0,
      outcomes,
      sharedness: st.sharedness,
      oom: { faults: oomFaults, expected: d.troubles?.oomExpected ?? false },
      settings: { 'thp.enabled': 'always' },
      overRun: overRunOf(points),
      lockedOpsByEvent: { touch: { events, lockedOps: st.metrics.lockedOps } },
      vmstat: {
        thp_fault_alloc: outcomes['thp_fault']?.ok ?? 0,
        thp_fault_fallback: outcomes['thp_fault']?.failed ?? 0,
        thp_split_page: outcomes['split_page']?.ok ?? 0,
        thp_split_page_failed: outcomes['split_page']?.failed ?? 0,
        thp_collapse_alloc: outcomes['collapse']?.ok ?? 0,
      },
    };
    const prov: DesignProvenance = {
      pagelab: '0.1.0',
      gitCommit: '32848ae807f2c61f5d376814b6393fe120bffb6d',
      node: 'v20.20.2',
      command: manifest.command,
      createdAt: '2026-01-01T00:00:00.000Z',
      design,
      elapsedMs: 10 + i,
      log: {
        events,
        header: { pagelab: 1, machine: { cma: 268435456, memory: 4294967296, nodes: 1, swap: 1073741824 }, settings: { 'thp.enabled': 'always' }, workload },
        kind: 'generated',
        params: workload.params,
        sha256: logSha256,
        source: `generated:${workload.name}`,
      },
      replay: { checkInvariants: false, sampleEvery },
    };
    writeFileSync(join(dir, 'observations.jsonl'), lines.join('\n') + '\n');
    // The fixture keeps to the summary.json contract: it must decode as the report will decode it.
    const checked = Summary.decode(summary);
    if (isLeft(checked))
      throw new Error(
        issuesOf(checked.left)
          .map((x) => formatIssue(`${dir}/summary.json`, 1, x))
          .join('\n'),
      );
    writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
    if (!d.noProvenance) writeFileSync(join(dir, 'provenance.json'), JSON.stringify(prov, null, 2) + '\n');
  });
  return runDir;
}
