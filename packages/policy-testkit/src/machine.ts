/**
 * Machines for policy tests: a Kernel with the policy under test on its axis
 * and kernel-core's reference policies on the others, era parameters named
 * after the kernels they model, and cost deltas read from the ledger.
 */
import {
  DEFAULT_PARAMS,
  type DesignPolicies,
  Kernel,
  type MachineConfig,
  type ModelParams,
  type PolicyCtx,
  type PolicyDescriptor,
  type RefcountPolicy,
  type Settings,
  referencePolicies,
  type AxisName,
  type AxisPolicy,
} from '@pagelab/kernel-core';
import { STREAM_MACHINE, STREAM_SETTINGS } from './streams.js';

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

/** A Kernel on the random streams' machine (STREAM_MACHINE, STREAM_SETTINGS) with `policies` over kernel-core's reference ones. */
export function streamKernel(policies: Partial<DesignPolicies>, opts: Omit<MachineOptions, 'policies'> = {}): Kernel {
  return new Kernel(
    { ...STREAM_MACHINE, ...opts.config },
    { ...referencePolicies, ...policies },
    { ...DEFAULT_PARAMS, ...opts.params },
    { ...STREAM_SETTINGS, ...opts.settings },
  );
}

/**
 * The Kernel behind a PolicyCtx, for the conformance watchers: they wrap a
 * policy to check it, so they read what the policy cannot (lock depth, GUP
 * handles, files). Every PolicyCtx the model hands out is its Kernel.
 */
export function watchedKernel(k: PolicyCtx): Kernel {
  return k as Kernel;
}

/**
 * A policy descriptor of any axis: kernel-core's PolicyDescriptor<A, P> is
 * one, and so is the descriptor of an axis a test defines for itself.
 */
export interface AxisDescriptor<A extends string, Pol, P> {
  readonly id: string;
  readonly axis: A;
  readonly title: string;
  readonly models: string;
  readonly params: { is(u: unknown): u is P; decode(u: unknown): { readonly _tag: string }; readonly name: string };
  readonly defaults: P;
  create(params: P): Pol;
}

/** Instantiates a descriptor's policy (any axis) from its defaults plus overrides, through its own codec. */
export function policyFrom<A extends AxisName, P>(d: PolicyDescriptor<A, P>, overrides?: Partial<P>): AxisPolicy[A];
export function policyFrom<A extends string, Pol, P>(d: AxisDescriptor<A, Pol, P>, overrides?: Partial<P>): Pol;
export function policyFrom<A extends string, Pol, P>(d: AxisDescriptor<A, Pol, P>, overrides: Partial<P> = {}): Pol {
  const raw: unknown = { ...d.defaults, ...overrides };
  if (!d.params.is(raw)) throw new Error(`${d.id}: parameters ${JSON.stringify(raw)} do not decode with ${d.params.name}`);
  return d.create(raw);
}

/**
 * What is wrong with a descriptor of `axis` (empty: nothing): its axis, that
 * its defaults decode with its own codec, a title and what it models, and
 * that the policy it creates carries its id and the axis's `methods`.
 */
export function descriptorProblems<A extends string, Pol, P>(d: AxisDescriptor<A, Pol, P>, axis: A, methods: readonly string[]): string[] {
  const out: string[] = [];
  if (d.axis !== axis) out.push(`axis is ${JSON.stringify(d.axis)}, not "${axis}"`);
  if (!d.params.is(d.defaults)) out.push(`defaults ${JSON.stringify(d.defaults)} are not a ${d.params.name}`);
  else if (d.params.decode(d.defaults)._tag !== 'Right') out.push(`defaults ${JSON.stringify(d.defaults)} do not decode with ${d.params.name}`);
  if (!d.title) out.push('no title');
  if (!d.models) out.push('no "models" (seed thread or kernel version)');
  if (out.length === 0) {
    const p = d.create(d.defaults) as unknown as Record<string, unknown>;
    if (p['id'] !== d.id) out.push(`the policy's id is ${JSON.stringify(p['id'])}, the descriptor's ${JSON.stringify(d.id)}`);
    const missing = methods.filter((m) => typeof p[m] !== 'function');
    if (missing.length > 0) out.push(`the policy lacks ${missing.join(' or ')}`);
  }
  return out;
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
