/**
 * Machines for policy tests: a Kernel with the policy under test on its axis
 * and kernel-core's reference policies on the others, era parameters named
 * after the kernels they model, and cost deltas read from the ledger.
 */
import {
  DEFAULT_PARAMS, type DesignPolicies, Kernel, type MachineConfig, type ModelParams, type PolicyDescriptor,
  type RefcountPolicy, type Settings, referencePolicies,
} from '@pagelab/kernel-core';

/** Era parameters live in kernel-core (the engine's presets use the same table). */
export { ERA_PARAMS, type Era } from '@pagelab/kernel-core';

export interface MachineOptions {
  params?: Partial<ModelParams>;
  config?: Partial<MachineConfig>;
  settings?: Partial<Settings>;
  /** Other axes (default: kernel-core's reference policies). */
  policies?: Partial<Omit<DesignPolicies, 'refcount'>>;
}

/** The small test machine: 64 MiB, one node, no CMA, 16 MiB swap. */
export const TEST_MACHINE: MachineConfig = { memory: 64 << 20, nodes: 1, cma: 0, swap: 16 << 20 };

/** A Kernel running `refcount` with the reference policies on every other axis. */
export function machine(refcount: RefcountPolicy, opts: MachineOptions = {}): Kernel {
  return new Kernel(
    { ...TEST_MACHINE, ...opts.config },
    { ...referencePolicies, ...opts.policies, refcount },
    { ...DEFAULT_PARAMS, ...opts.params },
    opts.settings,
  );
}

/** Instantiates a descriptor's policy from its defaults plus overrides, through its own codec. */
export function policyFrom<P>(d: PolicyDescriptor<'refcount', P>, overrides: Partial<P> = {}): RefcountPolicy {
  const raw: unknown = { ...d.defaults, ...overrides };
  if (!d.params.is(raw)) throw new Error(`${d.id}: parameters ${JSON.stringify(raw)} do not decode with ${d.params.name}`);
  return d.create(raw);
}

export interface CostDelta {
  lockedOps: number;
  lockAcquisitions: number;
  tlbShootdowns: number;
  pageCopies: number;
  /** sites whose count changed, sorted by name */
  bySite: Record<string, number>;
  byKind: Record<string, number>;
}

/** What `fn` cost, from ledger totals before and after. */
export function costOf(k: Kernel, fn: () => void): CostDelta {
  const a = k.ledger.totals();
  fn();
  const b = k.ledger.totals();
  const diff = (x: Record<string, number>, y: Record<string, number>) => {
    const out: Record<string, number> = {};
    for (const key of Object.keys(y).sort()) {
      const d = y[key]! - (x[key] ?? 0);
      if (d !== 0) out[key] = d;
    }
    return out;
  };
  return {
    lockedOps: b.lockedOps - a.lockedOps,
    lockAcquisitions: b.lockAcquisitions - a.lockAcquisitions,
    tlbShootdowns: b.tlbShootdowns - a.tlbShootdowns,
    pageCopies: b.pageCopies - a.pageCopies,
    bySite: diff(a.lockedOpsBySite, b.lockedOpsBySite),
    byKind: diff(a.lockedOpsByKind, b.lockedOpsByKind),
  };
}
