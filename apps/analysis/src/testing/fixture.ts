/**
 * Writes a realistic comparison run directory, as `pagelab compare` will:
 * compare.json, and per design summary.json + observations.jsonl. Used by the
 * tests until the real producer exists. The designs' numbers are synthetic but
 * internally consistent: each summary equals the last sample of its log and the
 * outcome counts of its domain events.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CompareManifest, Metrics, OutcomeCount, Summary } from '../types.js';
import { WASTE_CAUSES } from '../types.js';

/** How a fixture design behaves, loosely after the refcount eras of semantics.md. */
export type Profile = 'tail-refcount' | 'head-refcount' | 'folio';

export interface FixtureDesign {
  name: string;
  dir?: string;
  profile: Profile;
  /** write only one sample (after the last event) */
  singleSample?: boolean;
  /** this design never wastes memory (every waste series all zeros) */
  zeroWaste?: boolean;
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
      { site: 'gup_fast.tail', kind: 'atomic', n: 3 },
      { site: 'get_page.tail', kind: 'atomic', n: 4 },
      { site: 'compound_lock', kind: 'bit_spinlock', n: 5 },
      { site: 'put_page.tail', kind: 'atomic', n: 12 },
      { site: 'compound_lock.irqsave', kind: 'irq_save', n: 5 },
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
      { site: 'gup_fast.head', kind: 'atomic', n: 2 },
      { site: 'get_page.head', kind: 'atomic', n: 2 },
      { site: 'put_page.head', kind: 'atomic', n: 3 },
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
      { site: 'gup_fast.folio', kind: 'atomic', n: 1 },
      { site: 'folio_put', kind: 'atomic', n: 1 },
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

class DesignState {
  metrics: Metrics = {
    allocatedBytes: 0,
    idealBytes: 0,
    wasteBytes: 0,
    peakWasteBytes: 0,
    wasteByCause: Object.fromEntries(WASTE_CAUSES.map((c) => [c, 0])),
    lockedOps: 0,
    lockedOpsByKind: { atomic: 0, spinlock: 0, bit_spinlock: 0, irq_save: 0 },
    lockedOpsBySite: {},
    lockAcquisitions: 0,
    maxLockDepth: 1,
    hugeCoverage: 0,
    tlbShootdowns: 0,
    pageCopies: 0,
  };
  outcomes: Record<string, OutcomeCount> = {};
  hugeMapped = 0;
  smallMapped = 0;

  charge(costs: SiteCost[], times = 1): void {
    const m = this.metrics;
    for (const c of costs) {
      const n = c.n * times;
      m.lockedOps += n;
      m.lockedOpsByKind[c.kind] = (m.lockedOpsByKind[c.kind] ?? 0) + n;
      m.lockedOpsBySite[c.site] = (m.lockedOpsBySite[c.site] ?? 0) + n;
      if (c.kind !== 'atomic') m.lockAcquisitions += times;
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

  snapshot(): Metrics {
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
  const workload = { name: opts.workloadName ?? 'dio-thp-churn', seed, params: { processes: 4, dioPerFault: 3, sampleEvery } };
  const logSha256 = sha256(JSON.stringify({ workload, events }));

  const manifest: CompareManifest = {
    pagelab: '0.1.0',
    workload,
    logSha256,
    command: `pagelab compare ${workload.name} --designs ${designs.map((d) => d.name).join(',')} --sample-every ${sampleEvery} --out ${runDir}`,
    designs: designs.map((d) => ({ name: d.name, dir: d.dir ?? d.name })),
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
    const design = { name: d.name, preset: d.name, profile: d.profile };
    lines.push(JSON.stringify({ pagelab_observations: 1, pagelab: '0.1.0', design, workload, logSha256 }));
    const emit = (o: Record<string, unknown>): void => void lines.push(JSON.stringify(o));
    const sample = (seq: number): void => emit({ seq, type: 'sample', metrics: st.snapshot() });
    if (!d.singleSample) sample(0);
    const costs = COSTS[d.profile];
    const waste = (cause: string, bytes: number): void => {
      if (!d.zeroWaste) st.addWaste(cause, bytes);
    };

    for (let seq = 1; seq <= events; seq++) {
      const r = workloadRng();
      const phase = seq / events; // workload phases: fault-in, dio churn + munmap, khugepaged, compaction + CMA
      if (r < 0.18) {
        // touch of a fresh 2 MiB range
        st.charge(costs.fault);
        st.metrics.idealBytes += HPAGE;
        if (designRng() < (d.profile === 'tail-refcount' ? 0.92 : 0.88)) {
          st.hugeMapped += HPAGE;
          emit({ seq, type: 'thp_fault_alloc' });
          st.outcome('thp_fault', true);
          if (designRng() < 0.3) waste('collapse-bloat', 64 * PAGE);
        } else {
          st.smallMapped += HPAGE;
          emit({ seq, type: 'thp_fault_fallback' });
          st.outcome('thp_fault', false, 'fallback');
        }
      } else if (r < 0.6) {
        // O_DIRECT write through a THP tail
        st.charge(costs.dio, 1 + Math.floor(workloadRng() * 3));
      } else if (r < 0.72 && phase > 0.15) {
        // partial munmap inside a THP
        st.charge(costs.munmap);
        st.metrics.idealBytes = Math.max(0, st.metrics.idealBytes - 64 * PAGE);
        if (d.profile === 'tail-refcount') {
          // 3.13 splits at once: split never fails, PMD and page split together
          st.charge(costs.split);
          emit({ seq, type: 'thp_split_pmd' });
          emit({ seq, type: 'thp_split_page' });
          st.outcome('split_pmd', true);
          st.outcome('split_page', true);
          st.hugeMapped = Math.max(0, st.hugeMapped - HPAGE);
          st.smallMapped += HPAGE - 64 * PAGE;
        } else {
          emit({ seq, type: 'thp_split_pmd' });
          st.outcome('split_pmd', true);
          emit({ seq, type: 'thp_deferred_split_page' });
          st.hugeMapped = Math.max(0, st.hugeMapped - HPAGE);
          st.smallMapped += HPAGE - 64 * PAGE;
          waste('unmapped-in-thp', 64 * PAGE);
        }
      } else if (r < 0.76 && phase > 0.3 && d.profile !== 'tail-refcount') {
        // deferred split shrinker under memory pressure
        if (designRng() < (d.profile === 'folio' ? 0.25 : 0.4)) {
          const reason = designRng() < 0.7 ? 'extra_pin' : 'anon_vma_lock';
          emit({ seq, type: 'thp_split_page_failed', reason });
          st.outcome('split_page', false, reason);
          waste('split-blocked', 32 * PAGE);
        } else {
          st.charge(costs.split);
          emit({ seq, type: 'thp_split_page' });
          st.outcome('split_page', true);
          const freed = Math.min(st.metrics.wasteByCause['unmapped-in-thp'] ?? 0, 128 * PAGE);
          waste('unmapped-in-thp', -freed);
        }
      } else if (r < 0.82 && phase > 0.45) {
        // khugepaged pass
        const u = designRng();
        const shared = d.profile === 'folio' ? 0.35 : d.profile === 'head-refcount' ? 0.2 : 0.1;
        let result: string;
        if (u < 0.45) result = 'SCAN_SUCCEED';
        else if (u < 0.45 + shared) result = 'SCAN_EXCEED_SHARED_PTE';
        else if (u < 0.85) result = 'SCAN_PAGE_COUNT';
        else result = d.profile === 'tail-refcount' ? 'SCAN_EXCEED_NONE_PTE' : 'SCAN_PAGE_COMPOUND';
        emit({ seq, type: 'khugepaged_scan', result, none: Math.floor(designRng() * 64), swap: 0, shared: 0, referenced: 512, writable: 1, pid: 1 + (seq % 4), addr: (seq % 512) * HPAGE });
        st.outcome('collapse', result === 'SCAN_SUCCEED', result);
        if (result === 'SCAN_SUCCEED') {
          st.charge(costs.collapse);
          emit({ seq, type: 'thp_collapse_alloc' });
          st.hugeMapped += HPAGE;
          st.smallMapped = Math.max(0, st.smallMapped - HPAGE);
          waste('collapse-bloat', 96 * PAGE);
        }
      } else if (r < 0.86 && phase > 0.7) {
        // compaction / CMA allocation meeting pinned pages
        const pinnedBlocks = d.profile === 'tail-refcount' ? 0.5 : d.profile === 'head-refcount' ? 0.35 : 0.1;
        const ok = designRng() >= pinnedBlocks;
        st.charge(costs.migrate, 8);
        if (ok) {
          emit({ seq, type: 'migrate', reason: 'contig_range', result: 'success', cause: 'none' });
          emit({ seq, type: 'cma_alloc_success', pages: 512 });
          st.outcome('migrate', true);
          st.outcome('cma_alloc', true);
        } else {
          const cause = designRng() < 0.6 ? 'longterm_pin' : 'page_count';
          emit({ seq, type: 'migrate', reason: 'contig_range', result: 'fail', cause });
          emit({ seq, type: 'cma_alloc_fail', cause });
          st.outcome('migrate', false, cause);
          st.outcome('cma_alloc', false, cause);
        }
      } else if (r < 0.88 && phase > 0.2) {
        // fork + CoW write
        const copy = designRng() < 0.4;
        emit({ seq, type: copy ? 'cow_copy' : 'cow_reuse' });
        st.outcome('cow', true);
        if (copy) {
          st.metrics.pageCopies += 512;
          waste('duplicated-shared', 16 * PAGE);
        }
      } else if (r < 0.95 && phase > 0.8) {
        // memory pressure: reclaim and the deferred-split shrinker give back some of the waste
        const w = st.metrics.wasteByCause;
        waste('collapse-bloat', -Math.min(w['collapse-bloat'] ?? 0, (d.profile === 'tail-refcount' ? 48 : 96) * PAGE));
        if (d.profile !== 'tail-refcount') waste('unmapped-in-thp', -Math.min(w['unmapped-in-thp'] ?? 0, 64 * PAGE));
      } else if (r < 0.9 && phase > 0.5) {
        // shmem hole punch
        waste('truncated-retained', d.profile === 'tail-refcount' ? 8 * PAGE : 24 * PAGE);
      }
      if (r < 0.05) st.metrics.tlbShootdowns++;
      st.refreshWaste();
      if (!d.singleSample && seq % sampleEvery === 0 && seq !== events) sample(seq);
    }
    sample(events);

    const summary: Summary = {
      pagelab: '0.1.0',
      design,
      workload,
      logSha256,
      events,
      metrics: st.snapshot(),
      outcomes: st.outcomes,
      expectations: { passed: 3, failed: 0, failures: [] },
      invariantViolations: 0,
    };
    writeFileSync(join(dir, 'observations.jsonl'), lines.join('\n') + '\n');
    writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  });
  return runDir;
}
