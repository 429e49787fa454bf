/**
 * Compiles a scenario's paths into flat per-CPU programs: words and registers
 * become indexes, labels become step indexes, helper groups are flattened.
 * Rejects what the explorer cannot run (unknown word or label, a backward
 * branch, too many CPUs or words) with a message naming the path and step.
 */
import type { Check, FinalCheck, RaceScenario, Regs, Step, Steps, WordDecl } from './steps.js';

export interface Op {
  readonly step: Step;
  /** Word index for load/store/rmw, -1 otherwise. */
  readonly word: number;
  /** Register index for load `into` / rmw `into`, -1 if none. */
  readonly into: number;
  /** Branch target (step index), -1 otherwise. */
  readonly target: number;
  /** Assertion bit of an attached check or an assert step, -1 if none. */
  readonly assertBit: number;
  /** Word indexes a check reads (ghost reads, part of the footprint). */
  readonly checkReads: readonly number[];
  /** Slot of this load among the path's loads (for loads satisfied early), -1 otherwise. */
  readonly loadSlot: number;
}

export interface CpuProgram {
  readonly name: string;
  readonly ops: readonly Op[];
  readonly regNames: readonly string[];
  /** A reusable registers object the expressions read (filled from the state before each call). */
  readonly regs: Record<string, number>;
  readonly loads: number;
}

export interface Program {
  readonly scenario: RaceScenario;
  readonly words: readonly WordDecl[];
  readonly wordIndex: ReadonlyMap<string, number>;
  readonly cpus: readonly CpuProgram[];
  /** Assertion names by bit; the last one is the built-in deadlock check. */
  readonly assertions: readonly string[];
  readonly finals: readonly { readonly check: FinalCheck; readonly bit: number; readonly reads: readonly number[] }[];
  readonly deadlockBit: number;
}

export const DEADLOCK = 'no CPU waits forever (a lock or count it awaits never comes)';
export const MAX_CPUS = 4;
export const MAX_WORDS = 64;
/** Transition ids keep a step index in 11 bits. */
const MAX_STEPS = 2047;
const KINDS = ['load', 'store', 'rmw', 'barrier', 'branch', 'label', 'assert'];
const MAX_ASSERTIONS = 30;

export class ScenarioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioError';
  }
}

function flatten(steps: Steps, out: Step[] = []): Step[] {
  for (const s of steps) {
    if (Array.isArray(s)) flatten(s as Steps, out);
    else out.push(s as Step);
  }
  return out;
}

/**
 * Calls a step's expressions once with registers that refuse unknown names,
 * so a typo (`r.falgs`) is an error naming the step rather than a NaN that
 * silently takes every branch the same way.
 */
function checkRegisters(op: Op, names: readonly string[], ctx: string): void {
  const regs = new Proxy({} as Record<string, number>, {
    get: (_t, k) => {
      if (typeof k !== 'string') return undefined;
      if (!names.includes(k))
        throw new ScenarioError(`${ctx}: reads register 'r.${k}', which no load or rmw of this path writes (registers: ${names.join(', ') || 'none'})`);
      return 0;
    },
  });
  const st = op.step;
  const calls: (() => unknown)[] = [];
  if (st.kind === 'store' && typeof st.value === 'function') calls.push(() => (st.value as (r: Regs) => number)(regs));
  if (st.kind === 'rmw')
    calls.push(
      () => st.update(0, regs),
      () => st.await?.(0, regs),
    );
  if (st.kind === 'branch') calls.push(() => st.when(regs));
  if (st.kind === 'assert') calls.push(() => st.holds(regs));
  if ('check' in st && st.check) calls.push(() => st.check!.holds(regs, () => 0));
  for (const call of calls) {
    try {
      call();
    } catch (e) {
      if (e instanceof ScenarioError) throw e;
      // Any other error is the expression's own business with these dummy values.
    }
  }
}

export function compile(scenario: RaceScenario): Program {
  const where = `scenario '${scenario.name}'`;
  if (scenario.cpus.length < 1 || scenario.cpus.length > MAX_CPUS)
    throw new ScenarioError(`${where}: expected 1 to ${MAX_CPUS} CPUs, got ${scenario.cpus.length}`);
  if (scenario.words.length > MAX_WORDS) throw new ScenarioError(`${where}: at most ${MAX_WORDS} words, got ${scenario.words.length}`);
  const wordIndex = new Map<string, number>();
  scenario.words.forEach((w, i) => {
    if (wordIndex.has(w.name)) throw new ScenarioError(`${where}: word '${w.name}' declared twice`);
    if (!Number.isInteger(w.init)) throw new ScenarioError(`${where}: word '${w.name}': expected an integer initial value, got ${String(w.init)}`);
    wordIndex.set(w.name, i);
  });
  const assertions: string[] = [];
  const bitOf = (name: string) => {
    let b = assertions.indexOf(name);
    if (b < 0) {
      if (assertions.length >= MAX_ASSERTIONS) throw new ScenarioError(`${where}: at most ${MAX_ASSERTIONS} distinct assertions`);
      b = assertions.push(name) - 1;
    }
    return b;
  };
  const wordAt = (name: string, ctx: string) => {
    const i = wordIndex.get(name);
    if (i === undefined) throw new ScenarioError(`${ctx}: unknown word '${name}' (declared: ${[...wordIndex.keys()].join(', ')})`);
    return i;
  };

  const cpus: CpuProgram[] = scenario.cpus.map((p, cpu) => {
    const steps = flatten(p.steps);
    if (steps.length > MAX_STEPS) throw new ScenarioError(`${where}, CPU${cpu} ${p.name}: at most ${MAX_STEPS} steps, got ${steps.length}`);
    for (const [i, s] of steps.entries()) {
      if (!s || !KINDS.includes((s as { kind?: string }).kind ?? ''))
        throw new ScenarioError(
          `${where}, CPU${cpu} ${p.name} step ${i + 1}: expected a step with kind ${KINDS.join(' | ')}, got ${JSON.stringify(s)?.slice(0, 80)}`,
        );
    }
    const labels = new Map<string, number>();
    steps.forEach((s, i) => {
      if (s.kind === 'label') {
        if (labels.has(s.name)) throw new ScenarioError(`${where}, CPU${cpu} ${p.name}: label '${s.name}' defined twice`);
        labels.set(s.name, i);
      }
    });
    const regNames: string[] = [];
    const reg = (n: string) => {
      let i = regNames.indexOf(n);
      if (i < 0) i = regNames.push(n) - 1;
      return i;
    };
    let loads = 0;
    const ops: Op[] = steps.map((s, i) => {
      const ctx = `${where}, CPU${cpu} ${p.name} step ${i + 1}${'fn' in s ? ` (${s.fn})` : ''}`;
      let word = -1;
      let into = -1;
      let target = -1;
      let assertBit = -1;
      let checkReads: number[] = [];
      let loadSlot = -1;
      if (s.kind === 'load' || s.kind === 'store' || s.kind === 'rmw') word = wordAt(s.word, ctx);
      if (s.kind === 'load') {
        into = reg(s.into);
        loadSlot = loads++;
      }
      if (s.kind === 'rmw' && s.into !== undefined) into = reg(s.into);
      if (s.kind === 'branch') {
        const t = labels.get(s.to);
        if (t === undefined) throw new ScenarioError(`${ctx}: branch to unknown label '${s.to}'`);
        if (t <= i) throw new ScenarioError(`${ctx}: branch to '${s.to}' goes backwards; paths have no loops (wait with an rmw's 'await')`);
        target = t;
      }
      if (s.kind === 'assert') assertBit = bitOf(s.assertion);
      const check: Check | undefined = 'check' in s ? s.check : undefined;
      if (check) {
        assertBit = bitOf(check.assertion);
        checkReads = (check.reads ?? []).map((w) => wordAt(w, ctx));
      }
      return { step: s, word, into, target, assertBit, checkReads, loadSlot };
    });
    const regs: Record<string, number> = {};
    for (const n of regNames) regs[n] = 0;
    ops.forEach((op, i) => checkRegisters(op, regNames, `${where}, CPU${cpu} ${p.name} step ${i + 1}${'fn' in op.step ? ` (${op.step.fn})` : ''}`));
    return { name: p.name, ops, regNames, regs, loads };
  });
  const finals = (scenario.finally ?? []).map((check) => ({
    check,
    bit: bitOf(check.assertion),
    reads: check.reads.map((w) => wordAt(w, `${where}, final check '${check.assertion}'`)),
  }));
  const deadlockBit = bitOf(DEADLOCK);
  return { scenario, words: scenario.words, wordIndex, cpus, assertions, finals, deadlockBit };
}

export type { Regs };
