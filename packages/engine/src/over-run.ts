/**
 * Metrics over the whole run, not just at its end: the time-weighted mean of
 * waste and of huge-page coverage, and the peak coverage. "Time" is the event
 * index: each metric sample is a point (seq, value) and the mean is the
 * trapezoid area under those points divided by the events replayed. A run
 * whose THPs are all split by its last event reads 0 % coverage at the end;
 * what it delivered while it ran is this mean.
 */
import type { Metrics } from '@pagelab/events';

export interface OverRun {
  /** metric samples the means are taken over */
  readonly samples: number;
  /** bytes: trapezoid mean over the samples, x = event index */
  readonly meanWasteBytes: number;
  /** fraction 0..1, same method */
  readonly meanHugeCoverage: number;
  /** the highest sampled coverage (fraction 0..1) */
  readonly peakHugeCoverage: number;
}

export class OverRunMeter {
  private n = 0;
  private lastSeq = 0;
  private lastWaste = 0;
  private lastCoverage = 0;
  private wasteArea = 0;
  private coverageArea = 0;
  private peakCoverage = 0;

  /** One sample, in seq order. */
  sample(seq: number, m: Metrics): void {
    if (this.n > 0) {
      const dx = seq - this.lastSeq;
      this.wasteArea += ((this.lastWaste + m.wasteBytes) / 2) * dx;
      this.coverageArea += ((this.lastCoverage + m.hugeCoverage) / 2) * dx;
    }
    this.n++;
    this.lastSeq = seq;
    this.lastWaste = m.wasteBytes;
    this.lastCoverage = m.hugeCoverage;
    if (m.hugeCoverage > this.peakCoverage) this.peakCoverage = m.hugeCoverage;
  }

  /** `firstSeq` is the seq of the first sample (0 for a replay). A single sample is its own mean. */
  result(firstSeq = 0): OverRun {
    const span = this.lastSeq - firstSeq;
    return {
      samples: this.n,
      meanWasteBytes: span > 0 ? this.wasteArea / span : this.lastWaste,
      meanHugeCoverage: span > 0 ? this.coverageArea / span : this.lastCoverage,
      peakHugeCoverage: this.peakCoverage,
    };
  }
}
