/**
 * Observations the model emits (contracts.md §2) and the outcome tallies the
 * summary reports. Emission is per domain event, never per page operation.
 */
import type { Observation as EmittedObservation, ObservationInput } from '@pagelab/events';

/** What a model path hands to `Kernel.emit`: typed by the events package's observation map. */
export type { ObservationInput };
/** An emitted observation (with its `seq`). */
export type Observation = EmittedObservation;

export interface OutcomeTally {
  ok: number;
  failed: number;
  reasons: Record<string, number>;
}

export class Outcomes {
  private readonly m = new Map<string, OutcomeTally>();
  /** Counts `n` attempts with one result (n > 1: a repeated event such as dio with a count). */
  record(name: string, ok: boolean, reason?: string, n = 1): void {
    let t = this.m.get(name);
    if (!t) {
      t = { ok: 0, failed: 0, reasons: {} };
      this.m.set(name, t);
    }
    if (ok) t.ok += n;
    else {
      t.failed += n;
      const r = reason ?? 'unknown';
      t.reasons[r] = (t.reasons[r] ?? 0) + n;
    }
  }
  get(name: string): OutcomeTally {
    return this.m.get(name) ?? { ok: 0, failed: 0, reasons: {} };
  }
  /** Sorted by name, reasons sorted too: deterministic JSON. */
  toJSON(): Record<string, OutcomeTally> {
    const out: Record<string, OutcomeTally> = {};
    for (const name of [...this.m.keys()].sort()) {
      const t = this.m.get(name)!;
      const reasons: Record<string, number> = {};
      for (const r of Object.keys(t.reasons).sort()) reasons[r] = t.reasons[r]!;
      out[name] = { ok: t.ok, failed: t.failed, reasons };
    }
    return out;
  }
}
