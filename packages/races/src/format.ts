/**
 * How explorations are shown: values by their word's shape (flag names,
 * page and file names, counts), counterexamples as numbered steps, and the
 * JSON shape scripts read.
 */
import type { Exploration, TraceStep } from './explore.js';
import type { RaceScenario, WordDecl } from './steps.js';

export function formatValue(scenario: RaceScenario, word: string | null, value: number | null): string {
  if (word === null || value === null) return '';
  const decl: WordDecl | undefined = scenario.words.find((w) => w.name === word);
  if (!decl) return String(value);
  const shape = decl.shape;
  if (shape.kind === 'flags') {
    const names = Object.entries(shape.bits)
      .filter(([, b]) => (value & b) !== 0)
      .map(([n]) => n);
    const known = Object.values(shape.bits).reduce((a, b) => a | b, 0);
    if (value & ~known) names.push(`0x${(value & ~known).toString(16)}`);
    return names.length ? names.join('|') : '0';
  }
  if (shape.kind === 'pointer') {
    const name = Object.entries(shape.names).find(([, v]) => v === value)?.[0];
    return name ?? String(value);
  }
  return String(value);
}

/** One counterexample line: "3. CPU1 prep_compound_page  load H.flags = 0   (__SetPageHead: read flags)". */
export function stepLine(scenario: RaceScenario, s: TraceStep, i: number): string {
  const target = s.word === null ? '' : ` ${s.word} = ${formatValue(scenario, s.word, s.value)}`;
  return `${String(i + 1).padStart(3)}. CPU${s.cpu} ${s.function.padEnd(28)} ${s.op}${target}   (${s.what})`;
}

/**
 * The step that made the assertion fail, when another CPU's write did: the
 * last write to the failing step's word before it, by another CPU. -1 when
 * the failing step's own value is the cause (e.g. a load of a stale word).
 */
export function culpritOf(steps: readonly TraceStep[]): number {
  const last = steps.at(-1);
  if (!last || last.word === null) return -1;
  for (let i = steps.length - 2; i >= 0; i--) {
    const s = steps[i]!;
    if (s.word === last.word && s.cpu !== last.cpu && (s.op === 'store' || s.op === 'commit' || s.op === 'rmw')) return i;
  }
  return -1;
}

export function explorationText(scenario: RaceScenario, r: Exploration): string {
  const out: string[] = [];
  out.push(`${scenario.name} — ${scenario.title}`);
  out.push(`  memory model: ${r.memoryModel}    reduction: ${r.reduction}`);
  out.push(
    `  explored: ${r.interleavings.toLocaleString('en-US')} interleavings, ${r.states.toLocaleString('en-US')} states, ${r.transitions.toLocaleString('en-US')} transitions in ${formatMs(r.elapsedMs)}`,
  );
  out.push(`  source: ${scenario.source}`);
  if (r.violations.length === 0) out.push('  verdict: no assertion can fail (every interleaving explored)');
  else out.push(`  verdict: ${r.violations.length} assertion${r.violations.length > 1 ? 's' : ''} can fail`);
  for (const v of r.violations) {
    out.push('');
    out.push(`  VIOLATION: ${v.assertion}`);
    out.push(`  shortest counterexample (${v.steps.length} steps; it fails at the last):`);
    const culprit = culpritOf(v.steps);
    v.steps.forEach((s, i) =>
      out.push(`  ${stepLine(scenario, s, i)}${i === v.steps.length - 1 ? '   <-- fails here' : i === culprit ? '   <-- overwrites' : ''}`),
    );
  }
  if (scenario.notes) out.push('', `  ${scenario.notes}`);
  return `${out.join('\n')}\n`;
}

const formatMs = (ms: number) => (ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(2)} s`);

/** The JSON shape scripts read: exactly these keys, deterministic (no time). */
export function explorationJson(r: Exploration) {
  return {
    name: r.name,
    memoryModel: r.memoryModel,
    interleavings: r.interleavings,
    states: r.states,
    violations: r.violations.map((v) => ({
      assertion: v.assertion,
      steps: v.steps.map((s) => ({ cpu: s.cpu, function: s.function, op: s.op, word: s.word, value: s.value })),
    })),
  };
}
