/**
 * What a finished run says at the terminal, and what `--check` holds it
 * to: the headline numbers, whether (and how often) the invariants were
 * walked, faults that ran out of memory, and the reasons a check fails.
 */
import type { RunSummary } from '@pagelab/engine';
import { formatBytes, formatCount, formatPercent } from './format.js';

/**
 * Full invariant walks a plain run makes (spread evenly, plus one after the
 * last event): bounded, so the cost does not grow with the log (each walk
 * visits every frame and page table once), yet a model error is seen by
 * every run, not only by `--check`.
 */
export const DEFAULT_INVARIANT_WALKS = 16;

/** Events between the invariant walks of a plain run of `events` events. */
export function defaultInvariantEvery(events: number): number {
  return Math.max(1, Math.ceil(events / DEFAULT_INVARIANT_WALKS));
}

const plural = (n: number, one: string, many = `${one}s`) => `${formatCount(n)} ${n === 1 ? one : many}`;

/** Faults that found no memory, unless none did. */
function oomNote(s: RunSummary): string {
  const n = s.oom?.faults ?? 0;
  if (n === 0) return '';
  const gup = (s.outcomes['gup']?.reasons['ENOMEM'] ?? 0) + (s.outcomes['dio']?.reasons['ENOMEM'] ?? 0);
  return `, ${plural(n, 'fault')} out of memory (OOM${gup > 0 ? `; ${plural(gup, 'GUP/dio')} failed with ENOMEM` : ''})`;
}

/** A device write through a pin the design let go astray (GUP vs. CoW), unless none did. */
function dmaNote(s: RunSummary): string {
  const n = s.outcomes['dma_write']?.failed ?? 0;
  return n === 0 ? '' : `, ${plural(n, 'device write')} through a pin not coherent (GUP vs. CoW)`;
}

/** What a comparison prints under its table for one design: faults out of memory and incoherent device writes, or ''. */
export function outcomeNotes(name: string, s: RunSummary): string {
  const notes = `${oomNote(s)}${dmaNote(s)}`.replace(/^, /, '');
  return notes === '' ? '' : `${name}: ${notes}`;
}

/** A comparison's line about the invariants: how often each design's replay walked them and which broke any. */
export function compareInvariantNote(rows: readonly { name: string; summary: RunSummary }[], how: string): string {
  const walks = Math.min(...rows.map((r) => r.summary.invariantWalks ?? 0));
  if (walks === 0) return 'invariants not checked';
  const broken = rows.filter((r) => r.summary.invariantViolations > 0).map((r) => `${r.name} (${plural(r.summary.invariantViolations, 'violation')})`);
  return `invariants checked ${plural(walks, 'time')} per design (${how}): ${broken.length === 0 ? 'all held' : `broken under ${broken.join(', ')}`}`;
}

/** Whether the invariants were checked, and how often. */
export function invariantNote(s: RunSummary, how: string): string {
  const walks = s.invariantWalks ?? 0;
  if (walks === 0) return 'invariants not checked';
  const v = s.invariantViolations;
  return `invariants checked ${plural(walks, 'time')} (${how}): ${v === 0 ? 'all held' : `${plural(v, 'violation')}`}`;
}

/** One line of headline numbers for a finished run. */
export function headline(s: RunSummary): string {
  const m = s.metrics;
  return (
    `waste ${formatBytes(m.wasteBytes)} (peak ${formatBytes(m.peakWasteBytes)}), locked ops ${formatCount(m.lockedOps)}, ` +
    `huge coverage ${formatPercent(m.hugeCoverage)}, expectations ${s.expectations.passed} passed / ${s.expectations.failed} failed` +
    oomNote(s) +
    dmaNote(s) +
    (s.invariantViolations ? `, ${plural(s.invariantViolations, 'invariant violation')}` : '')
  );
}

/** Why `--check` fails, or null. */
export function checkFailures(s: RunSummary): string | null {
  const why: string[] = [];
  if (s.expectations.failed > 0) {
    const f = s.expectations.failures
      .slice(0, 5)
      .map((x) => `line ${x.line}${x.label ? ` (${x.label})` : ''}: ${x.check} expected ${JSON.stringify(x.expected)}, got ${JSON.stringify(x.actual)}`);
    why.push(`${plural(s.expectations.failed, 'expectation')} failed: ${f.join('; ')}${s.expectations.failed > 5 ? '; ...' : ''}`);
  }
  if (s.invariantViolations > 0) why.push(`${plural(s.invariantViolations, 'invariant violation')} (see the invariant.violated lines of observations.jsonl)`);
  const oom = s.oom?.faults ?? 0;
  if (oom > 0 && !s.oom.expected) {
    why.push(
      `${plural(oom, 'fault')} ran out of memory (the oom lines of observations.jsonl); if the log means to run out, ` +
        `say so with an expect event such as {"type":"expect","oomFaults":${oom}}`,
    );
  }
  return why.length ? why.join('; ') : null;
}
