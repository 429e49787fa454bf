/**
 * The report's pinned-migration section: per design, what its contiguous
 * allocations got (CMA and alloc_contig: successes, failures and their
 * causes, retries), what the global pin-page lock cost per pin, how long
 * the hash chains grew against the pages registered, where migrations
 * crossed nodes, and what driver-page reclaim allocated. Read from
 * summary.json's pinnedMigration and contiguity blocks; absent when no
 * design has them (older summaries).
 */
import type { PinnedMigrationSummary } from '@pagelab/events';
import { fmtInt } from '../charts/format.js';
import type { DesignRun } from './load.js';
import type { Section, Table } from './sections.js';

const COLUMNS = [
  'CMA ok',
  'CMA failed (causes)',
  'retries',
  'global-lock acq.',
  'acq. per pin',
  'pinned pages (peak)',
  'buckets',
  'max chain',
  'mean chain',
  'cross-node migr.',
  'owner migr.',
  'reclaimed',
  'reclaim allocs',
  'extfrag severe/moderate',
  'unmovable in Movable/CMA',
];

const fixed = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '–');

export function pinnedMigrationTable(designs: ReadonlyArray<DesignRun>): Table | undefined {
  const have = designs.filter((d) => d.summary.pinnedMigration !== undefined && d.summary.contiguity !== undefined);
  if (have.length === 0) return undefined;
  return {
    id: 'pinned-migration',
    headTitle: 'design',
    title: 'Pinned and driver pages against compaction and CMA',
    intro:
      'Contiguous allocations per design, and what the design paid for them: acquisitions of the global pin-page lock (owner-handlers only) per page registered, ' +
      'the hash chains those pages made (hash_ptr of their struct pages), migrations whose destination was on another node, and driver pages reclaimed instead of migrated with the pages their data then took.',
    columns: COLUMNS,
    rows: designs.map((d) => {
      const p = d.summary.pinnedMigration;
      const c = d.summary.contiguity;
      const n = (k: keyof PinnedMigrationSummary): number => p?.[k] ?? 0;
      const causes = c
        ? Object.entries(c.cma.causes)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')
        : '';
      const inserts = n('hashInserts');
      return {
        design: d.name,
        index: d.index,
        head: d.name,
        cells: [
          c ? fmtInt(c.cma.success) : '–',
          c ? `${fmtInt(c.cma.failure)}${causes ? ` (${causes})` : ''}` : '–',
          c ? fmtInt(c.cma.retries) : '–',
          fmtInt(n('globalLockAcquisitions')),
          inserts > 0 ? fixed(n('globalLockAcquisitions') / inserts) : '–',
          fmtInt(n('hashPeakEntries')),
          fmtInt(n('hashBuckets')),
          fmtInt(n('hashMaxChain')),
          fixed(n('hashMeanChain')),
          fmtInt(n('crossNodeMigrations')),
          fmtInt(n('ownerMigrations')),
          fmtInt(n('reclaimedDriverPages')),
          fmtInt(n('reclaimAllocatedPages')),
          c ? `${fmtInt(c.extfrag.severe)} / ${fmtInt(c.extfrag.moderate)}` : '–',
          c ? `${fmtInt(c.pageblocks.unmovableInMovable)} / ${fmtInt(c.pageblocks.unmovableInCma)}` : '–',
        ],
        ...(c && c.cma.failure > 0 ? { warn: [1] } : {}),
      };
    }),
    note: 'A single replay per design: differences are exact for this log, not estimates; run a sweep over seeds for their spread.',
  };
}

/** The section, or nothing when no design has the blocks. */
export function pinnedMigrationSection(designs: ReadonlyArray<DesignRun>): Section[] {
  const t = pinnedMigrationTable(designs);
  return t ? [{ id: 'pinned-migration', title: 'Pinned-page migration', blocks: [{ kind: 'table', table: t }] }] : [];
}
