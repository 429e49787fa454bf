/**
 * The explorer: runs every interleaving of a scenario's CPUs under a memory
 * model and reports each reachable assertion violation with its shortest
 * counterexample.
 *
 * A state is one Int32Array: the shared words, then per CPU its program
 * counter and registers and, under the weak model, its store buffer and the
 * loads it has satisfied early, then a bit mask of the assertions broken so
 * far. States are hashed (visited set), so two interleavings that reach the
 * same state are continued once.
 *
 * Two searches share the transition function:
 * - `sleep-sets`: depth-first with sleep sets (Godefroid): after exploring
 *   transition a from a state, a sibling b's subtree need not try a again
 *   while a stays independent of what ran since (independent = different
 *   CPUs, and no word one of them writes that the other reads or writes).
 *   With the visited set, a state reached again with a sleep set that is not
 *   a superset of the one it was explored with is explored again with the
 *   intersection, which keeps the combination sound.
 * - `none`: breadth-first over every transition, no reduction. Its first
 *   visit of a state is by a shortest path, which gives each violation's
 *   shortest counterexample, and counting paths over the (acyclic) state
 *   graph gives the exact number of interleavings.
 *
 * The weak model (see docs/races.md for the precise rules):
 * - each CPU has a FIFO store buffer; a store enters it, and a later
 *   `commit` step makes it visible. Any buffered store may commit before
 *   older ones, except past an older store to the same word (coherence) or
 *   across an smp_wmb/smp_mb between them;
 * - a CPU reads its own newest buffered store to a word (forwarding);
 * - a load may be satisfied early, before older loads, stores to other
 *   words, branches and smp_wmb, but not before an smp_rmb, smp_mb or atomic
 *   RMW, an older store to the same word, or an older unsatisfied load of the
 *   same word (coherence). A branch that jumps drops the early loads;
 * - atomic RMWs and smp_mb wait for the CPU's store buffer to drain, and
 *   act on memory at once (they are fully ordered, as value-returning
 *   atomics are in the LKMM and every locked instruction is on x86); an
 *   RMW marked `relaxed` waits only for older stores to its own word, and
 *   later loads may pass it;
 * - smp_store_release starts a new epoch (as smp_wmb does) before it
 *   enters the buffer; no later load is satisfied before an
 *   smp_load_acquire.
 */
import { compile, type CpuProgram, type Op, type Program } from './program.js';
import { StateTable } from './state-table.js';
import type { MemoryModel, RaceScenario, Regs } from './steps.js';

export type Reduction = 'sleep-sets' | 'none';

/** One step of a counterexample, as printed: CPU, kernel function, operation, word, value. */
export interface TraceStep {
  readonly cpu: number;
  readonly function: string;
  readonly op: string;
  readonly word: string | null;
  readonly value: number | null;
  /** The step's own words ("read flags"), for reports. */
  readonly what: string;
}

export interface Violation {
  readonly assertion: string;
  /** Shortest interleaving reaching it; the assertion fails at the last step. */
  readonly steps: readonly TraceStep[];
}

export interface Exploration {
  readonly name: string;
  readonly memoryModel: MemoryModel;
  readonly reduction: Reduction;
  /** Complete interleavings run to the end (with `none`: all of them, counted exactly). */
  readonly interleavings: number;
  /** Distinct states visited. */
  readonly states: number;
  /** Transitions executed. */
  readonly transitions: number;
  readonly elapsedMs: number;
  readonly violations: readonly Violation[];
}

export interface ExploreOptions {
  readonly memoryModel?: MemoryModel;
  readonly reduction?: Reduction;
  /** Refuse to go on past this many states (a scenario too big for an exhaustive search). */
  readonly maxStates?: number;
}

const MAX_BUF = 8;
const ENTRY = 4; // word, value, epoch, step index of the store
const KIND_STEP = 0;
const KIND_COMMIT = 1;
const KIND_EARLY = 2;
const tid = (cpu: number, kind: number, idx: number) => cpu * 8192 + kind * 2048 + idx;
const tCpu = (t: number) => Math.floor(t / 8192);
const tKind = (t: number) => Math.floor((t % 8192) / 2048);
const tIdx = (t: number) => t % 2048;

interface Layout {
  readonly size: number;
  readonly words: number;
  /** Per CPU: offset of pc; registers follow. */
  readonly base: readonly number[];
  /** Per CPU (weak): offset of epoch, buffer length, entries, early mask, early values. */
  readonly epoch: readonly number[];
  readonly bufLen: readonly number[];
  readonly buf: readonly number[];
  readonly earlyMask: readonly number[];
  readonly early: readonly number[];
  /** Per CPU (weak): store buffer entries (its number of store steps, at most MAX_BUF). */
  readonly cap: readonly number[];
  readonly mask: number;
}

function layoutOf(p: Program, weak: boolean): Layout {
  let o = p.words.length;
  const base: number[] = [],
    epoch: number[] = [],
    bufLen: number[] = [],
    buf: number[] = [],
    earlyMask: number[] = [],
    early: number[] = [],
    cap: number[] = [];
  for (const c of p.cpus) {
    base.push(o);
    o += 1 + c.regNames.length;
    if (weak) {
      epoch.push(o++);
      bufLen.push(o++);
      buf.push(o);
      // A path without loops can buffer no more stores than it has store steps.
      cap.push(Math.min(MAX_BUF, Math.max(1, c.ops.filter((op) => op.step.kind === 'store').length)));
      o += cap.at(-1)! * ENTRY;
      earlyMask.push(o++);
      early.push(o);
      o += Math.min(c.loads, 31);
    }
  }
  return { size: o + 1, words: p.words.length, base, epoch, bufLen, buf, earlyMask, early, cap, mask: o };
}

/** A transition's footprint on shared words, for the independence relation. */
interface Footprint {
  readonly id: number;
  readonly reads: readonly number[];
  readonly writes: readonly number[];
}

function dependent(a: Footprint, b: Footprint): boolean {
  if (tCpu(a.id) === tCpu(b.id)) return true;
  for (const w of a.writes) if (b.reads.includes(w) || b.writes.includes(w)) return true;
  for (const w of b.writes) if (a.reads.includes(w)) return true;
  return false;
}

const NONE: readonly number[] = [];

class Machine {
  readonly layout: Layout;
  readonly weak: boolean;
  /** Per word: the only CPU whose steps touch it, or -1 when it is shared. */
  readonly owner: Int8Array;
  /** Filled by apply() when asked: the step just taken. */
  last: TraceStep | null = null;

  constructor(
    readonly p: Program,
    model: MemoryModel,
  ) {
    this.weak = model === 'weak';
    this.layout = layoutOf(p, this.weak);
    this.owner = new Int8Array(p.words.length).fill(-2);
    p.cpus.forEach((cpu, c) => {
      for (const op of cpu.ops) {
        for (const w of op.word >= 0 ? [op.word, ...op.checkReads] : op.checkReads) this.owner[w] = this.owner[w] === -2 || this.owner[w] === c ? c : -1;
      }
    });
  }

  /**
   * A transition no other CPU can observe or affect (it touches only its
   * own CPU's words, or none: a barrier, a store into the buffer). Exploring
   * it alone is enough: every other order reaches the same states.
   */
  invisible(f: Footprint): boolean {
    const c = tCpu(f.id);
    for (const w of f.reads) if (this.owner[w] !== c) return false;
    for (const w of f.writes) if (this.owner[w] !== c) return false;
    return true;
  }

  initial(): Int32Array {
    const s = new Int32Array(this.layout.size);
    this.p.words.forEach((w, i) => (s[i] = w.init));
    for (let c = 0; c < this.p.cpus.length; c++) this.runLocal(s, c);
    return s;
  }

  private regsOf(s: Int32Array, c: number): Regs {
    const cpu = this.p.cpus[c]!;
    const b = this.layout.base[c]! + 1;
    for (let i = 0; i < cpu.regNames.length; i++) cpu.regs[cpu.regNames[i]!] = s[b + i]!;
    return cpu.regs;
  }

  /** What CPU c sees of word w: its newest buffered store to it, else memory. */
  private view(s: Int32Array, c: number, w: number): number {
    if (this.weak) {
      const n = s[this.layout.bufLen[c]!]!;
      const b = this.layout.buf[c]!;
      for (let k = n - 1; k >= 0; k--) if (s[b + k * ENTRY] === w) return s[b + k * ENTRY + 1]!;
    }
    return s[w]!;
  }

  private buffered(s: Int32Array, c: number, w: number): boolean {
    if (!this.weak) return false;
    const n = s[this.layout.bufLen[c]!]!;
    const b = this.layout.buf[c]!;
    for (let k = 0; k < n; k++) if (s[b + k * ENTRY] === w) return true;
    return false;
  }

  private check(s: Int32Array, c: number, op: Op): void {
    if (op.assertBit < 0) return;
    const st = op.step;
    const chk = 'check' in st ? st.check : undefined;
    if (!chk) return;
    const r = this.regsOf(s, c);
    const m = (name: string) => {
      const w = this.p.wordIndex.get(name);
      if (w === undefined) throw new Error(`check '${chk.assertion}' reads undeclared word '${name}'`);
      return this.view(s, c, w);
    };
    if (!chk.holds(r, m)) s[this.layout.mask]! |= 1 << op.assertBit;
  }

  /** Runs CPU c's local steps (labels, branches, register asserts, loads already satisfied early). */
  runLocal(s: Int32Array, c: number): void {
    const L = this.layout;
    const cpu = this.p.cpus[c]!;
    const pcAt = L.base[c]!;
    for (;;) {
      const pc = s[pcAt]!;
      if (pc >= cpu.ops.length) {
        if (this.weak) this.dropEarly(s, c);
        return;
      }
      const op = cpu.ops[pc]!;
      const st = op.step;
      if (st.kind === 'label') s[pcAt] = pc + 1;
      else if (st.kind === 'branch') {
        if (st.when(this.regsOf(s, c))) {
          s[pcAt] = op.target;
          if (this.weak) this.dropEarly(s, c);
        } else s[pcAt] = pc + 1;
      } else if (st.kind === 'assert') {
        if (!st.holds(this.regsOf(s, c))) s[L.mask]! |= 1 << op.assertBit;
        s[pcAt] = pc + 1;
      } else if (st.kind === 'load' && this.weak && op.loadSlot < 31 && (s[L.earlyMask[c]!]! & (1 << op.loadSlot)) !== 0) {
        s[pcAt + 1 + op.into] = s[L.early[c]! + op.loadSlot]!;
        s[L.earlyMask[c]!]! &= ~(1 << op.loadSlot);
        s[L.early[c]! + op.loadSlot] = 0;
        s[pcAt] = pc + 1;
      } else return;
    }
  }

  private dropEarly(s: Int32Array, c: number): void {
    const L = this.layout;
    s[L.earlyMask[c]!] = 0;
    const n = Math.min(this.p.cpus[c]!.loads, 31);
    for (let i = 0; i < n; i++) s[L.early[c]! + i] = 0;
  }

  /** Keeps equal states equal: epochs relative to the oldest buffered store, unused entries zero. */
  private normalise(s: Int32Array, c: number): void {
    const L = this.layout;
    const n = s[L.bufLen[c]!]!;
    const b = L.buf[c]!;
    if (n === 0) s[L.epoch[c]!] = 0;
    else {
      const e0 = s[b + 2]!;
      if (e0 !== 0) {
        for (let k = 0; k < n; k++) s[b + k * ENTRY + 2]! -= e0;
        s[L.epoch[c]!]! -= e0;
      }
    }
    for (let k = n * ENTRY; k < L.cap[c]! * ENTRY; k++) s[b + k] = 0;
  }

  /** Every transition enabled in s, with its footprint. */
  enabled(s: Int32Array, out: Footprint[]): void {
    out.length = 0;
    const L = this.layout;
    for (let c = 0; c < this.p.cpus.length; c++) {
      const cpu = this.p.cpus[c]!;
      const pc = s[L.base[c]!]!;
      const bufEmpty = !this.weak || s[L.bufLen[c]!] === 0;
      if (pc < cpu.ops.length) {
        const op = cpu.ops[pc]!;
        const st = op.step;
        let ok = true;
        let reads: readonly number[] = op.checkReads;
        let writes: readonly number[] = NONE;
        if (st.kind === 'load') {
          if (!this.buffered(s, c, op.word)) reads = [...op.checkReads, op.word];
        } else if (st.kind === 'store') {
          if (this.weak) {
            if (s[L.bufLen[c]!]! >= L.cap[c]!) throw new Error(`CPU${c} ${cpu.name}: more than ${MAX_BUF} stores in its store buffer`);
          } else writes = [op.word];
        } else if (st.kind === 'rmw') {
          const ordered = st.relaxed ? !this.buffered(s, c, op.word) : bufEmpty;
          ok = ordered && (st.await === undefined || st.await(s[op.word]!, this.regsOf(s, c)));
          writes = [op.word];
        } else if (st.kind === 'barrier') {
          ok = st.barrier !== 'smp_mb' || bufEmpty;
        }
        if (ok) out.push({ id: tid(c, KIND_STEP, pc), reads, writes });
        if (this.weak) this.earlyCandidates(s, c, pc, out);
      }
      if (this.weak) {
        const n = s[L.bufLen[c]!]!;
        const b = L.buf[c]!;
        const e0 = s[b + 2];
        for (let k = 0; k < n; k++) {
          if (s[b + k * ENTRY + 2] !== e0) break; // an smp_wmb separates it from an older store
          const w = s[b + k * ENTRY]!;
          let older = false;
          for (let j = 0; j < k; j++) if (s[b + j * ENTRY] === w) older = true;
          if (!older) out.push({ id: tid(c, KIND_COMMIT, s[b + k * ENTRY + 3]!), reads: NONE, writes: [w] });
        }
      }
    }
  }

  /** Loads after pc that CPU c may satisfy now, ahead of program order (weak model). */
  private earlyCandidates(s: Int32Array, c: number, pc: number, out: Footprint[]): void {
    const cpu = this.p.cpus[c]!;
    const L = this.layout;
    const mask = s[L.earlyMask[c]!]!;
    // Word sets as two 32-bit masks (at most 64 words).
    let loadedLo = 0,
      loadedHi = 0,
      storedLo = 0,
      storedHi = 0;
    for (let k = pc; k < cpu.ops.length && k < pc + 24; k++) {
      const op = cpu.ops[k]!;
      const st = op.step;
      if (st.kind === 'label' || st.kind === 'branch' || st.kind === 'assert') continue;
      if (st.kind === 'rmw' && !st.relaxed) return;
      if (st.kind === 'barrier') {
        if (st.barrier !== 'smp_wmb') return;
        continue;
      }
      const hi = op.word >= 32;
      const bit = 1 << (op.word & 31);
      if (st.kind === 'store' || st.kind === 'rmw') {
        // A relaxed RMW reads and writes its word: later loads of it wait for it.
        if (hi) storedHi |= bit;
        else storedLo |= bit;
        continue;
      }
      // a load
      const done = op.loadSlot < 31 && (mask & (1 << op.loadSlot)) !== 0;
      const seen = ((hi ? loadedHi : loadedLo) | (hi ? storedHi : storedLo)) & bit;
      if (k > pc && !done && op.loadSlot < 31 && op.assertBit < 0 && seen === 0) {
        out.push({ id: tid(c, KIND_EARLY, k), reads: this.buffered(s, c, op.word) ? NONE : [op.word], writes: NONE });
      }
      if (!done) {
        if (hi) loadedHi |= bit;
        else loadedLo |= bit;
      }
      if (st.acquire && !done) return; // no later load passes an acquire not yet satisfied
    }
  }

  private readonly wordName = (w: number): string => this.p.words[w]!.name;

  /** Applies transition t to s in place; with `trace`, records the step in `last`. */
  apply(s: Int32Array, t: number, trace: boolean): void {
    const c = tCpu(t);
    const kind = tKind(t);
    const idx = tIdx(t);
    const L = this.layout;
    const cpu = this.p.cpus[c]!;
    const pcAt = L.base[c]!;
    const word = this.wordName;
    if (kind === KIND_COMMIT) {
      const n = s[L.bufLen[c]!]!;
      const b = L.buf[c]!;
      let k = 0;
      while (k < n && s[b + k * ENTRY + 3] !== idx) k++;
      const w = s[b + k * ENTRY]!;
      const v = s[b + k * ENTRY + 1]!;
      s[w] = v;
      s.copyWithin(b + k * ENTRY, b + (k + 1) * ENTRY, b + n * ENTRY);
      s[L.bufLen[c]!] = n - 1;
      this.normalise(s, c);
      if (trace) {
        const st = cpu.ops[idx]!.step as { fn: string; what?: string };
        this.last = { cpu: c, function: st.fn, op: 'commit', word: word(w), value: v, what: `${st.what ?? 'store'} becomes visible` };
      }
      return;
    }
    if (kind === KIND_EARLY) {
      const op = cpu.ops[idx]!;
      const v = this.view(s, c, op.word);
      s[L.early[c]! + op.loadSlot] = v;
      s[L.earlyMask[c]!]! |= 1 << op.loadSlot;
      if (trace) {
        const st = op.step as { fn: string; what?: string };
        this.last = {
          cpu: c,
          function: st.fn,
          op: 'load-early',
          word: word(op.word),
          value: v,
          what: `${st.what ?? 'load'} (satisfied ahead of program order)`,
        };
      }
      return;
    }
    const op = cpu.ops[idx]!;
    const st = op.step;
    let value: number | null = null;
    if (st.kind === 'load') {
      value = this.view(s, c, op.word);
      s[pcAt + 1 + op.into] = value;
    } else if (st.kind === 'store') {
      value = typeof st.value === 'number' ? st.value : st.value(this.regsOf(s, c));
      if (this.weak) {
        const n = s[L.bufLen[c]!]!;
        if (st.release && n > 0) s[L.epoch[c]!]! += 1; // as if smp_wmb came first
        const e = L.buf[c]! + n * ENTRY;
        s[e] = op.word;
        s[e + 1] = value;
        s[e + 2] = s[L.epoch[c]!]!;
        s[e + 3] = idx;
        s[L.bufLen[c]!] = n + 1;
      } else s[op.word] = value;
    } else if (st.kind === 'rmw') {
      const old = s[op.word]!;
      value = st.update(old, this.regsOf(s, c));
      s[op.word] = value;
      if (op.into >= 0) s[pcAt + 1 + op.into] = old;
    } else if (st.kind === 'barrier') {
      if (this.weak && st.barrier !== 'smp_rmb' && s[L.bufLen[c]!]! > 0) s[L.epoch[c]!]! += 1;
    }
    s[pcAt] = idx + 1;
    this.check(s, c, op);
    if (trace) {
      const fn = 'fn' in st ? st.fn : '';
      const what = 'what' in st && st.what ? st.what : st.kind;
      const opName = st.kind === 'barrier' ? st.barrier : st.kind === 'store' && this.weak ? 'store-buffered' : st.kind;
      this.last = { cpu: c, function: fn, op: opName, word: op.word >= 0 ? word(op.word) : null, value, what };
    }
    this.runLocal(s, c);
    if (this.weak) this.normalise(s, c);
  }

  done(s: Int32Array): boolean {
    const L = this.layout;
    for (let c = 0; c < this.p.cpus.length; c++) {
      if (s[L.base[c]!]! < this.p.cpus[c]!.ops.length) return false;
      if (this.weak && s[L.bufLen[c]!] !== 0) return false;
    }
    return true;
  }

  /** At a state with no enabled transition: the final checks, or the deadlock bit. */
  terminalMask(s: Int32Array): number {
    if (!this.done(s)) {
      // Stuck: a violation unless every unfinished CPU waits at an await that may wait for ever.
      const L = this.layout;
      for (let c = 0; c < this.p.cpus.length; c++) {
        const cpu = this.p.cpus[c]!;
        const pc = s[L.base[c]!]!;
        if (pc >= cpu.ops.length) continue;
        const st = cpu.ops[pc]!.step;
        if (!(st.kind === 'rmw' && st.mayWaitForever)) return 1 << this.p.deadlockBit;
      }
      return this.finalMask(s);
    }
    return this.finalMask(s);
  }

  /** The final checks; at a stuck state, only over what the finished CPUs left. */
  private finalMask(s: Int32Array): number {
    let m = 0;
    const regs = (c: number) => ({ ...this.regsOf(s, c) });
    for (const f of this.p.finals) {
      const read = (name: string) => {
        const w = this.p.wordIndex.get(name);
        if (w === undefined) throw new Error(`final check '${f.check.assertion}' reads undeclared word '${name}'`);
        return s[w]!;
      };
      if (!f.check.holds(read, regs)) m |= 1 << f.bit;
    }
    return m;
  }
}

function bitsOf(mask: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < 31; b++) if (mask & (1 << b)) out.push(b);
  return out;
}

/** Depth-first search with sleep sets; returns the broken assertions' mask and the counts. */
function sleepSetSearch(m: Machine, maxStates: number) {
  const visited = new StateTable(m.layout.size);
  const sleeps: number[][] = [];
  let interleavings = 0;
  let transitions = 0;
  let broken = 0;
  const maskAt = m.layout.mask;
  // One state buffer per depth: a path has no loops, so depth is bounded by the steps.
  const buffers: Int32Array[] = [];
  const bufferAt = (d: number) => (buffers[d] ??= new Int32Array(m.layout.size));
  const dfs = (s: Int32Array, sleep: Footprint[], depth: number): void => {
    const at = visited.find(s);
    if (at >= 0) {
      const seen = sleeps[at]!;
      if (seen.every((id) => sleep.some((f) => f.id === id))) return;
      sleep = sleep.filter((f) => seen.includes(f.id));
      sleeps[at] = sleep.map((f) => f.id);
    } else {
      if (visited.size >= maxStates) throw new Error(`more than ${maxStates} states: the scenario is too big to explore exhaustively`);
      sleeps[visited.add(s)] = sleep.map((f) => f.id);
    }
    broken |= s[maskAt]!;
    const en: Footprint[] = [];
    m.enabled(s, en);
    if (en.length === 0) {
      broken |= m.terminalMask(s);
      interleavings++; // a maximal execution (finished, or stuck)
      return;
    }
    const explored: Footprint[] = [];
    const alone = en.find((t) => m.invisible(t));
    const next = bufferAt(depth + 1);
    for (const t of alone ? [alone] : en) {
      if (sleep.some((z) => z.id === t.id)) continue;
      next.set(s);
      m.apply(next, t.id, false);
      transitions++;
      const childSleep = [...sleep, ...explored].filter((z) => !dependent(z, t));
      dfs(next, childSleep, depth + 1);
      explored.push(t);
    }
  };
  dfs(m.initial(), [], 0);
  return { interleavings, states: visited.size, transitions, broken };
}

/**
 * Breadth-first search over every transition: shortest witnesses and the
 * exact interleaving count. With `want` (the assertions the reduced search
 * found broken) it only looks for their witnesses: it keeps no edges and
 * stops once each has one.
 */
function fullSearch(m: Machine, maxStates: number, want?: number) {
  const width = m.layout.size;
  const table = new StateTable(width);
  table.add(m.initial());
  const parent: number[] = [-1];
  const via: number[] = [-1];
  const edgesFrom: number[] = [];
  const edgesTo: number[] = [];
  const terminal: number[] = [];
  const witness = new Map<number, number>(); // assertion bit -> state index
  let transitions = 0;
  const maskAt = m.layout.mask;
  const en: Footprint[] = [];
  const cur = new Int32Array(width);
  const next = new Int32Array(width);
  let found = 0;
  for (let i = 0; i < table.size; i++) {
    if (want !== undefined && (found & want) === want) break;
    table.copy(i, cur);
    if (cur[maskAt] !== 0) for (const b of bitsOf(cur[maskAt]!)) if (!witness.has(b)) witness.set(b, i);
    found |= cur[maskAt]!;
    m.enabled(cur, en);
    if (en.length === 0) {
      const tm = m.terminalMask(cur);
      if (tm !== 0) for (const b of bitsOf(tm)) if (!witness.has(b)) witness.set(b, i);
      found |= tm;
      terminal.push(i);
      continue;
    }
    for (const t of en) {
      next.set(cur);
      m.apply(next, t.id, false);
      transitions++;
      let j = table.find(next);
      if (j < 0) {
        if (table.size >= maxStates) throw new Error(`more than ${maxStates} states: the scenario is too big to explore exhaustively`);
        j = table.add(next);
        parent.push(i);
        via.push(t.id);
      }
      if (want === undefined) {
        edgesFrom.push(i);
        edgesTo.push(j);
      }
    }
  }
  // Paths from the initial state to each state, in topological order (the graph is acyclic).
  const n = table.size;
  const indeg = new Int32Array(n);
  const outStart = new Int32Array(n + 1);
  for (let e = 0; e < edgesTo.length; e++) {
    indeg[edgesTo[e]!]!++;
    outStart[edgesFrom[e]! + 1]!++;
  }
  for (let i = 0; i < n; i++) outStart[i + 1]! += outStart[i]!;
  const fill = outStart.slice(0, n);
  const out = new Int32Array(edgesTo.length);
  for (let e = 0; e < edgesTo.length; e++) out[fill[edgesFrom[e]!]!++] = edgesTo[e]!;
  const paths = new Float64Array(n);
  paths[0] = 1;
  const queue: number[] = [0];
  for (let q = 0; q < queue.length; q++) {
    const i = queue[q]!;
    for (let e = outStart[i]!; e < outStart[i + 1]!; e++) {
      const j = out[e]!;
      paths[j]! += paths[i]!;
      if (--indeg[j]! === 0) queue.push(j);
    }
  }
  let interleavings = 0;
  for (const i of terminal) interleavings += paths[i]!;
  const pathTo = (i: number): number[] => {
    const ids: number[] = [];
    for (let k = i; k > 0; k = parent[k]!) ids.push(via[k]!);
    return ids.reverse();
  };
  return { interleavings, states: n, transitions, witness, pathTo };
}

function replay(m: Machine, ids: readonly number[]): TraceStep[] {
  const s = m.initial();
  const steps: TraceStep[] = [];
  for (const id of ids) {
    m.apply(s, id, true);
    steps.push(m.last!);
  }
  return steps;
}

/** Explores a scenario under one memory model. */
export function explore(scenario: RaceScenario, opts: ExploreOptions = {}): Exploration {
  const memoryModel = opts.memoryModel ?? 'sc';
  const reduction = opts.reduction ?? 'sleep-sets';
  const maxStates = opts.maxStates ?? 2_000_000;
  const t0 = performance.now();
  const p = compile(scenario);
  const m = new Machine(p, memoryModel);
  let interleavings: number, states: number, transitions: number, brokenBits: number[];
  let full: ReturnType<typeof fullSearch> | undefined;
  if (reduction === 'none') {
    full = fullSearch(m, maxStates);
    ({ interleavings, states, transitions } = full);
    brokenBits = [...full.witness.keys()];
  } else {
    const r = sleepSetSearch(m, maxStates);
    ({ interleavings, states, transitions } = r);
    brokenBits = bitsOf(r.broken);
    // The reduced search answers which assertions break; the shortest
    // counterexample needs the unreduced breadth-first order.
    if (brokenBits.length > 0) full = fullSearch(m, maxStates, r.broken);
  }
  const violations: Violation[] = brokenBits
    .sort((a, b) => a - b)
    .map((bit) => {
      const at = full!.witness.get(bit);
      if (at === undefined) throw new Error(`internal: '${p.assertions[bit]}' broken in the reduced search but not found by the full one`);
      return { assertion: p.assertions[bit]!, steps: replay(m, full!.pathTo(at)) };
    });
  const elapsedMs = performance.now() - t0;
  return { name: scenario.name, memoryModel, reduction, interleavings, states, transitions, elapsedMs, violations };
}

export type { CpuProgram };
