/**
 * The report's balloon section, for comparisons of a log that gives memory
 * back (fallocate punches, MADV_DONTNEED; the engine's balloon.ts): per
 * design, what was asked for, what reached the buddy allocator, what came
 * back (khugepaged re-collapsing the freed ranges, the guest re-touching
 * them), split failures, and the guest's huge-page coverage; then the same
 * per round, freed against requested and refilled. Absent when no design's
 * summary has a balloon block.
 */
import { fmtBytes, fmtInt, fmtPercent } from '../charts/format.js';
import type { BalloonCounts } from '@pagelab/events';
import type { DesignRun } from './load.js';
import type { Section, Table } from './sections.js';

const have = (designs: ReadonlyArray<DesignRun>) => designs.filter((d) => d.summary.balloon !== undefined);

/** "freed / requested (share)": the share of the request that reached the allocator. */
const freedOf = (c: BalloonCounts) =>
  `${fmtBytes(c.freedBytes)} / ${fmtBytes(c.requestedBytes)}${c.requestedBytes > 0 ? ` (${fmtPercent(c.freedBytes / c.requestedBytes)})` : ''}`;

export function balloonTotalsTable(designs: ReadonlyArray<DesignRun>): Table | undefined {
  if (have(designs).length === 0) return undefined;
  return {
    id: 'balloon',
    headTitle: 'design',
    title: 'Memory the balloon asked for, got and lost again',
    intro:
      'Freed: frames returned to the buddy allocator while each hole punch or MADV_DONTNEED ran. Refilled: pages those requests left empty that were populated again afterwards ' +
      '(a khugepaged collapse zero-filling them, a fault, the guest writing them when the balloon deflates). Re-collapses: 2 MiB ranges holding such pages that a collapse made huge again.',
    columns: ['freed / requested', 'refilled in rounds', 'refilled after', 're-collapses', 'split failures', 'huge coverage (end)'],
    rows: designs.map((d) => {
      const b = d.summary.balloon;
      if (!b) return { design: d.name, index: d.index, head: d.name, cells: ['–', '–', '–', '–', '–', '–'] };
      return {
        design: d.name,
        index: d.index,
        head: d.name,
        cells: [
          freedOf(b),
          fmtBytes(b.refilledBytes - b.afterRounds.refilledBytes),
          fmtBytes(b.afterRounds.refilledBytes),
          fmtInt(b.recollapses),
          fmtInt(b.splitFailures),
          fmtPercent(b.guestHugeCoverage),
        ],
        ...(b.splitFailures > 0 ? { warn: [4] } : {}),
      };
    }),
    note: 'Measured from the frames of one replay per design: exact for this log, not estimates.',
  };
}

/** One row per design and round: freed against requested, refilled, and coverage when the round closed. */
export function balloonRoundsTable(designs: ReadonlyArray<DesignRun>): Table | undefined {
  const runs = have(designs);
  if (runs.length === 0) return undefined;
  const rows = runs.flatMap((d) =>
    d.summary.balloon!.rounds.map((r) => ({
      design: d.name,
      index: d.index,
      head: `${d.name} · round ${r.round}`,
      cells: [freedOf(r), fmtBytes(r.refilledBytes), fmtInt(r.recollapses), fmtInt(r.splitFailures), fmtPercent(r.guestHugeCoverage)],
    })),
  );
  return {
    id: 'balloon-rounds',
    headTitle: 'design · round',
    title: 'Per round: freed against requested, and refilled',
    intro:
      'A round runs from its first request through the khugepaged passes after it; coverage is read when it closes. Under a design whose khugepaged collapses freed ranges back, refilled follows freed round after round.',
    columns: ['freed / requested', 'refilled', 're-collapses', 'split failures', 'huge coverage'],
    rows,
  };
}

/** The section, or nothing when no design's summary has a balloon block. */
export function balloonSection(designs: ReadonlyArray<DesignRun>): Section[] {
  const totals = balloonTotalsTable(designs);
  const rounds = balloonRoundsTable(designs);
  if (!totals) return [];
  return [
    {
      id: 'balloon',
      title: 'Balloon: freed, refilled, re-collapsed',
      blocks: [{ kind: 'table', table: totals }, ...(rounds ? [{ kind: 'table' as const, table: rounds }] : [])],
    },
  ];
}
