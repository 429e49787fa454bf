/**
 * The outcomes of a run that its waste and lock metrics hide, said in the
 * headline: faults that found no memory (OOM: the touch, pin or direct I/O
 * stopped there, so the run measured less than its log asked for), and
 * device writes through a pin that the pinning process does not see or that
 * another process sees (GUP after fork before linux-5.9: data lost). The
 * outcomes table has the counts; these sentences make sure nobody reads the
 * headline's numbers as a clean run's.
 */
import type { Summary } from '@pagelab/events';
import { fmtInt } from '../charts/format.js';

/** What one replay says: the faults that found no memory and the incoherent device writes. */
export interface RunTroubles {
  oomFaults: number;
  /** an `expect` with `oomFaults` said the log means to run out of memory */
  oomExpected: boolean;
  incoherentWrites: number;
  /** writes the pinning process missed / writes another process saw */
  missed: number;
  leaked: number;
  /** all device writes through a pin, coherent or not */
  dmaWrites: number;
}

export function runTroubles(s: Summary): RunTroubles {
  const dma = s.outcomes['dma_write'];
  return {
    // summaries from before the `oom` block count OOM faults as fault failures
    oomFaults: s.oom?.faults ?? s.outcomes['fault']?.reasons['oom'] ?? 0,
    oomExpected: s.oom?.expected ?? false,
    incoherentWrites: dma?.failed ?? 0,
    missed: dma?.reasons['missed'] ?? 0,
    leaked: dma?.reasons['leaked'] ?? 0,
    dmaWrites: (dma?.ok ?? 0) + (dma?.failed ?? 0),
  };
}

const plural = (n: number, one: string, many = `${one}s`): string => `${fmtInt(n)} ${n === 1 ? one : many}`;

/**
 * One sentence per design and trouble, over one or several replays of that
 * design (`replays` names them: "seeds", "cells"); none for a clean design.
 */
export function troubleAlerts(design: string, runs: ReadonlyArray<RunTroubles>, replays = 'seeds'): string[] {
  const out: string[] = [];
  const several = runs.length > 1;
  const within = (pick: (r: RunTroubles) => number): string => {
    const hit = runs.filter((r) => pick(r) > 0).length;
    return several ? ` in ${hit} of ${runs.length} ${replays}` : '';
  };
  const oom = runs.reduce((a, r) => a + r.oomFaults, 0);
  if (oom > 0) {
    const meant = runs.every((r) => r.oomFaults === 0 || r.oomExpected);
    out.push(
      `${design}: ${plural(oom, 'fault')} found no memory (OOM)${within((r) => r.oomFaults)}; each touch, pin or direct I/O stopped there, so the run did less than its log asks` +
        (meant ? ' (the log\u2019s expect says it means to run out of memory).' : ' and its waste and coverage are not a full run\u2019s.'),
    );
  }
  const bad = runs.reduce((a, r) => a + r.incoherentWrites, 0);
  if (bad > 0) {
    const all = runs.reduce((a, r) => a + r.dmaWrites, 0);
    const missed = runs.reduce((a, r) => a + r.missed, 0);
    const leaked = runs.reduce((a, r) => a + r.leaked, 0);
    const how = [missed > 0 ? `${fmtInt(missed)} missed by the pinning process` : '', leaked > 0 ? `${fmtInt(leaked)} seen by another process` : '']
      .filter(Boolean)
      .join(', ');
    out.push(
      `${design}: ${fmtInt(bad)} of ${plural(all, 'device write')} through a pin ${bad === 1 ? 'was' : 'were'} incoherent${how ? ` (${how})` : ''}${within((r) => r.incoherentWrites)}: data written by DMA is lost, the GUP-after-fork outcome of this design.`,
    );
  }
  return out;
}
