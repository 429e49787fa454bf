import { describe, expect, it } from 'vitest';
import { explore } from './explore.js';
import { ScenarioError, compile } from './program.js';
import { PG_locked, lock_page, unlock_page } from './kernel/page.js';
import {
  branchIf,
  countWord,
  flagsWord,
  label,
  load,
  load_acquire,
  path,
  rmw,
  smp_mb,
  smp_rmb,
  smp_wmb,
  store,
  store_release,
  type MemoryModel,
  type RaceScenario,
  type Steps,
} from './steps.js';

/** Two CPUs on words x and y, with a final check on CPU1's registers. */
function litmus(name: string, p0: Steps, p1: Steps, forbidden: (r0: Record<string, number>, r1: Record<string, number>) => boolean): RaceScenario {
  return {
    name,
    title: name,
    source: 'test',
    words: [countWord('x', 0), countWord('y', 0)],
    cpus: [path('P0', p0), path('P1', p1)],
    finally: [{ assertion: 'outcome', reads: [], holds: (_m, regs) => !forbidden(regs(0), regs(1)) }],
    expect: { sc: 'unreachable', weak: 'unreachable' },
  };
}
const reachable = (s: RaceScenario, memoryModel: MemoryModel) => explore(s, { memoryModel }).violations.length > 0;

// Message passing: P0 writes x then y; P1 reads y then x. Is "y seen, x not" possible?
const mp = (wmb: boolean, rmb: boolean) =>
  litmus(
    `MP${wmb ? '+wmb' : ''}${rmb ? '+rmb' : ''}`,
    [store('P0', 'x', 1), ...(wmb ? [smp_wmb('P0')] : []), store('P0', 'y', 1)],
    [load('P1', 'y', 'r0'), ...(rmb ? [smp_rmb('P1')] : []), load('P1', 'x', 'r1')],
    (_r0, r1) => r1.r0 === 1 && r1.r1 === 0,
  );
// Store buffering: each CPU writes its word and reads the other's. Can both read 0?
const sb = (mb: boolean) =>
  litmus(
    `SB${mb ? '+mb' : ''}`,
    [store('P0', 'x', 1), ...(mb ? [smp_mb('P0')] : []), load('P0', 'y', 'r0')],
    [store('P1', 'y', 1), ...(mb ? [smp_mb('P1')] : []), load('P1', 'x', 'r1')],
    (r0, r1) => r0.r0 === 0 && r1.r1 === 0,
  );

describe('the weak memory model agrees with the LKMM on the classic litmus shapes', () => {
  it('message passing without barriers is allowed under weak and forbidden under sc', () => {
    expect(reachable(mp(false, false), 'sc')).toBe(false);
    expect(reachable(mp(false, false), 'weak')).toBe(true);
  });
  it('smp_wmb alone does not forbid message passing: the reader may satisfy its loads out of order', () => {
    expect(reachable(mp(true, false), 'weak')).toBe(true);
  });
  it('smp_rmb alone does not forbid message passing: the writer may make its stores visible out of order', () => {
    expect(reachable(mp(false, true), 'weak')).toBe(true);
  });
  it('smp_wmb paired with smp_rmb forbids message passing (MP+fencewmbonceonce+fencermbonceonce: Never)', () => {
    expect(reachable(mp(true, true), 'weak')).toBe(false);
  });
  it('store buffering is allowed under weak, and forbidden with smp_mb on both sides', () => {
    expect(reachable(sb(false), 'sc')).toBe(false);
    expect(reachable(sb(false), 'weak')).toBe(true);
    expect(reachable(sb(true), 'weak')).toBe(false);
  });
  it('2+2W: stores to two words may become visible in opposite orders under weak (LKMM: allowed)', () => {
    // P0: x=1; y=2.  P1: y=1; x=2.  Final x=1, y=1 needs each CPU's second store to land first.
    const s: RaceScenario = {
      ...litmus('2+2W', [store('P0', 'x', 1), store('P0', 'y', 2)], [store('P1', 'y', 1), store('P1', 'x', 2)], () => false),
      finally: [{ assertion: 'outcome', reads: ['x', 'y'], holds: (m) => !(m('x') === 1 && m('y') === 1) }],
    };
    expect(reachable(s, 'sc')).toBe(false);
    expect(reachable(s, 'weak')).toBe(true);
  });
  it('load buffering is forbidden under weak, a documented gap to the LKMM (which allows LB+poonceonces)', () => {
    const lb = litmus('LB', [load('P0', 'x', 'r0'), store('P0', 'y', 1)], [load('P1', 'y', 'r1'), store('P1', 'x', 1)], (r0, r1) => r0.r0 === 1 && r1.r1 === 1);
    expect(reachable(lb, 'weak')).toBe(false);
  });
  it('smp_store_release paired with smp_load_acquire forbids message passing (MP+pooncerelease+poacquireonce: Never)', () => {
    const mpra = litmus(
      'MP+rel+acq',
      [store('P0', 'x', 1), store_release('P0', 'y', 1)],
      [load_acquire('P1', 'y', 'r0'), load('P1', 'x', 'r1')],
      (_r0, r1) => r1.r0 === 1 && r1.r1 === 0,
    );
    expect(reachable(mpra, 'weak')).toBe(false);
    const relOnly = litmus(
      'MP+rel',
      [store('P0', 'x', 1), store_release('P0', 'y', 1)],
      [load('P1', 'y', 'r0'), load('P1', 'x', 'r1')],
      (_r0, r1) => r1.r0 === 1 && r1.r1 === 0,
    );
    expect(reachable(relOnly, 'weak')).toBe(true);
  });
  it('a relaxed RMW (atomic_inc) orders nothing, a value-returning one (atomic_inc_return) is a full barrier', () => {
    const sbRmw = (relaxed: boolean) =>
      litmus(
        'SB+rmw',
        [rmw('P0', 'x', (v) => v + 1, { relaxed }), load('P0', 'y', 'r0')],
        [rmw('P1', 'y', (v) => v + 1, { relaxed }), load('P1', 'x', 'r1')],
        (r0, r1) => r0.r0 === 0 && r1.r1 === 0,
      );
    expect(reachable(sbRmw(true), 'weak')).toBe(true);
    expect(reachable(sbRmw(false), 'weak')).toBe(false);
  });
  it('IRIW with smp_rmb is forbidden under weak (stores are multi-copy atomic), a documented gap to the LKMM', () => {
    const iriw: RaceScenario = {
      name: 'IRIW+rmbs',
      title: 'IRIW',
      source: 'test',
      words: [countWord('x', 0), countWord('y', 0)],
      cpus: [
        path('P0', [store('P0', 'x', 1)]),
        path('P1', [store('P1', 'y', 1)]),
        path('P2', [load('P2', 'x', 'a'), smp_rmb('P2'), load('P2', 'y', 'b')]),
        path('P3', [load('P3', 'y', 'a'), smp_rmb('P3'), load('P3', 'x', 'b')]),
      ],
      finally: [{ assertion: 'readers disagree', reads: [], holds: (_m, r) => !(r(2).a === 1 && r(2).b === 0 && r(3).a === 1 && r(3).b === 0) }],
      expect: { sc: 'unreachable', weak: 'unreachable' },
    };
    expect(reachable(iriw, 'weak')).toBe(false);
  });
  it('a CPU reads its own buffered store, and two loads of one word never go backwards (coherence)', () => {
    const own = litmus('own', [store('P0', 'x', 1), load('P0', 'x', 'r0')], [load('P1', 'y', 'r0')], (r0) => r0.r0 !== 1);
    expect(reachable(own, 'weak')).toBe(false);
    const corr = litmus('CoRR', [store('P0', 'x', 1)], [load('P1', 'x', 'r0'), load('P1', 'x', 'r1')], (_r0, r1) => r1.r0 === 1 && r1.r1 === 0);
    expect(reachable(corr, 'weak')).toBe(false);
  });
});

describe('exploration counts', () => {
  // P0: x=1; y=1.  P1: r0=y; r1=x.  Four steps, two per CPU: C(4,2) = 6 interleavings.
  // Mazurkiewicz traces: the order of (x=1, r1=x) and of (y=1, r0=y), where y=1 before
  // r0=y forces x=1 before r1=x: (y first), (r0 first, x first), (both reads first) = 3.
  const tiny = mp(false, false);
  it('the unreduced search counts all six interleavings of two CPUs with two steps each', () => {
    const r = explore(tiny, { memoryModel: 'sc', reduction: 'none' });
    expect(r.interleavings).toBe(6);
    // States by steps done (i of P0, j of P1) and P1's registers: j=0: i=0..2 (3);
    // j=1: r0=0 with i=0..2, r0=1 with i=2 (4); j=2: r0=1,r1=1,i=2 (1), r0=0,r1=0
    // with i=0..2 (3), r0=0,r1=1 with i=1..2 (2). 3 + 4 + 6 = 13.
    expect(r.states).toBe(13);
  });
  it('sleep sets run one interleaving per Mazurkiewicz trace of the tiny scenario', () => {
    expect(explore(tiny, { memoryModel: 'sc', reduction: 'sleep-sets' }).interleavings).toBe(3);
  });
  it('steps on words only one CPU touches are not interleaved', () => {
    const priv = litmus('private', [store('P0', 'x', 1), store('P0', 'x', 2)], [store('P1', 'y', 1), store('P1', 'y', 2)], () => false);
    expect(explore(priv, { reduction: 'none' }).interleavings).toBe(6);
    expect(explore(priv, { reduction: 'sleep-sets' }).interleavings).toBe(1);
  });
});

describe('counterexamples', () => {
  it('an ABBA lock order is reported as a CPU waiting forever, with the shortest interleaving', () => {
    const abba: RaceScenario = {
      name: 'abba',
      title: 'abba',
      source: 'test',
      words: [flagsWord('A.flags', 0, { PG_locked }), flagsWord('B.flags', 0, { PG_locked })],
      cpus: [
        path('P0', [lock_page('P0', 'A.flags'), lock_page('P0', 'B.flags'), unlock_page('P0', 'B.flags'), unlock_page('P0', 'A.flags')]),
        path('P1', [lock_page('P1', 'B.flags'), lock_page('P1', 'A.flags'), unlock_page('P1', 'A.flags'), unlock_page('P1', 'B.flags')]),
      ],
      expect: { sc: 'reachable', weak: 'reachable' },
    };
    const r = explore(abba);
    expect(r.violations.map((v) => v.assertion)).toEqual([expect.stringContaining('waits forever')]);
    expect(r.violations[0]!.steps.map((s) => `${s.cpu} ${s.word}`)).toEqual(['0 A.flags', '1 B.flags']);
  });
  it('an await marked mayWaitForever is not a bug when the event never comes; unmarked, it is', () => {
    const alloc = (mayWaitForever: boolean): RaceScenario => ({
      name: 'alloc',
      title: 'alloc',
      source: 'test',
      words: [countWord('refs', 1), countWord('free', 0)],
      cpus: [
        path('holder', [load('holder', 'refs', 'r')]), // keeps its reference: the page is never freed
        path('alloc', [rmw('rmqueue', 'free', () => 0, { await: (v) => v === 1, mayWaitForever })]),
      ],
    });
    expect(explore(alloc(true)).violations).toEqual([]);
    expect(explore(alloc(false)).violations.map((v) => v.assertion)).toEqual([expect.stringContaining('waits forever')]);
  });
  it('a branch skips the steps after it, so an assertion behind a failed get is never reached', () => {
    const s = litmus(
      'branch',
      [load('P0', 'x', 'v'), branchIf((r) => r.v === 0, 'out'), store('P0', 'y', 1), label('out')],
      [load('P1', 'y', 'r0')],
      (_r0, r1) => r1.r0 === 1,
    );
    expect(reachable(s, 'sc')).toBe(false);
  });
});

describe('the step language refuses what it cannot explore', () => {
  const base = (steps: Steps): RaceScenario => ({
    name: 'bad',
    title: 'bad',
    source: 'test',
    words: [countWord('x', 0)],
    cpus: [path('P0', steps)],
    expect: { sc: 'unreachable', weak: 'unreachable' },
  });
  it('names the unknown word and the step', () => {
    expect(() => compile(base([load('f', 'nope', 'r')]))).toThrow(ScenarioError);
    expect(() => compile(base([load('f', 'nope', 'r')]))).toThrow(/CPU0 P0 step 1 \(f\): unknown word 'nope'/);
  });
  it('names a register no step writes (a typo would otherwise read as NaN)', () => {
    expect(() => compile(base([load('f', 'x', 'flags'), branchIf((r) => r.falgs === 0, 'out'), label('out')]))).toThrow(
      /step 2: reads register 'r.falgs', which no load or rmw of this path writes \(registers: flags\)/,
    );
  });
  it('refuses a backward branch (paths have no loops)', () => {
    expect(() => compile(base([label('top'), load('f', 'x', 'r'), branchIf(() => true, 'top')]))).toThrow(/goes backwards/);
  });
});
