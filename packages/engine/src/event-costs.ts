/**
 * Locked operations per workload event type, from the ledger calls made
 * while that event was applied: a dio's cost is what the dio's own GUP,
 * pin and unpin call sites counted, never the whole run's locked ops divided
 * by the number of dio events.
 */

export interface EventCost {
  /** events of this type in the log */
  readonly events: number;
  /** locked ops counted while applying them */
  readonly lockedOps: number;
}

export class EventCostMeter {
  private readonly byType = new Map<string, { events: number; lockedOps: number }>();

  /** One applied event and the locked ops it took. */
  add(type: string, lockedOps: number): void {
    let c = this.byType.get(type);
    if (c === undefined) this.byType.set(type, (c = { events: 0, lockedOps: 0 }));
    c.events++;
    c.lockedOps += lockedOps;
  }

  /** Sorted by type: deterministic JSON. */
  result(): Record<string, EventCost> {
    const out: Record<string, EventCost> = {};
    for (const t of [...this.byType.keys()].sort()) out[t] = { ...this.byType.get(t)! };
    return out;
  }
}
