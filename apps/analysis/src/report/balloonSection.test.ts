import { Summary } from '@pagelab/events';
import { describe, expect, it } from 'vitest';
import { balloonRoundsTable, balloonSection, balloonTotalsTable } from './balloonSection.js';
import { designRun } from '../testing/summary.js';
import { METRIC_COLUMNS } from './summaryColumns.js';

const run = designRun;
const MiB = 1 << 20;
const counts = (requested: number, freed: number, refilled: number, recollapses = 0, splitFailures = 0) => ({
  requestedBytes: requested,
  freedBytes: freed,
  refilledBytes: refilled,
  recollapses,
  splitFailures,
});
const balloon = (rounds: ReturnType<typeof counts>[], after = counts(0, 0, 0)) => ({
  ...rounds.reduce(
    (a, r) =>
      counts(
        a.requestedBytes + r.requestedBytes,
        a.freedBytes + r.freedBytes,
        a.refilledBytes + r.refilledBytes + 0,
        a.recollapses + r.recollapses,
        a.splitFailures + r.splitFailures,
      ),
    counts(0, 0, after.refilledBytes),
  ),
  guestHugeCoverage: 0.5,
  rounds: rounds.map((r, i) => ({ ...r, round: i + 1, firstSeq: 10 * (i + 1), guestHugeCoverage: 1 })),
  afterRounds: after,
});

describe('the balloon report section', () => {
  it('shows freed against requested with its share, refills in and after the rounds, and flags split failures', () => {
    const t = balloonTotalsTable([
      run('linux-6.10', 0, { balloon: balloon([counts(4 * MiB, 4 * MiB, 4 * MiB, 2), counts(4 * MiB, 2 * MiB, 2 * MiB, 1, 3)]) }),
      run('split-guard', 1, { balloon: balloon([counts(4 * MiB, 4 * MiB, 0)], counts(0, 0, 4 * MiB)) }),
    ])!;
    const col = (name: string) => t.columns.indexOf(name);
    expect(t.rows[0]!.cells[col('freed / requested')]).toBe('6.00 MiB / 8.00 MiB (75.0%)');
    expect(t.rows[0]!.cells[col('refilled in rounds')]).toBe('6.00 MiB');
    expect(t.rows[0]!.warn).toEqual([4]);
    expect(t.rows[1]!.cells[col('refilled in rounds')]).toBe('0 B');
    expect(t.rows[1]!.cells[col('refilled after')]).toBe('4.00 MiB');
    expect(t.rows[1]!.warn).toBeUndefined();
  });

  it('has one row per design and round', () => {
    const t = balloonRoundsTable([run('a', 0, { balloon: balloon([counts(MiB, 0, 0), counts(MiB, MiB, 0)]) }), run('b', 1, {})])!;
    expect(t.rows.map((r) => r.head)).toEqual(['a · round 1', 'a · round 2']);
  });

  it('is left out when no summary has a balloon block', () => {
    expect(balloonSection([run('linux-3.13', 0, {})])).toEqual([]);
  });
});

describe('summary.csv balloon_rounds', () => {
  it('counts the rounds summed past the listed 512 too, and the codec accepts that block', () => {
    const b = { ...balloon([counts(4096, 4096, 0), counts(4096, 0, 0)]), laterRounds: { rounds: 7, firstSeq: 900, ...counts(7 * 4096, 4096, 0) } };
    const s = run('linux-6.10', 0, { balloon: b }).summary;
    expect(METRIC_COLUMNS.find((c) => c.name === 'balloon_rounds')!.get(s)).toBe(9);
    expect(Summary.decode(s)._tag).toBe('Right');
    expect(Summary.decode({ ...s, balloon: { ...b, laterRounds: { ...b.laterRounds, rounds: 0 } } })._tag).toBe('Left');
  });
});
