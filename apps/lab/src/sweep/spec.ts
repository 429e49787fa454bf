/**
 * A sweep spec (YAML or JSON): workloads (named scenarios with parameter
 * grids, or log files), designs, tunable grids and seeds. Its cells are the
 * cartesian product: every workload instance (scenario × parameter values ×
 * seed, or one log) × every combination of settings × every design.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CliError } from '../context.js';
import { parseSeeds } from '../seeds.js';
import { parseSets } from '../settings-override.js';

type Scalar = string | number | boolean;

export interface SweepWorkload {
  /** `scenario:NAME` or the log's path as written in the spec */
  readonly id: string;
  readonly kind: 'scenario' | 'log';
  /** scenario name, or the log's absolute path */
  readonly arg: string;
  /** parameter name -> the values to sweep (scenarios only; a scalar is one value) */
  readonly params: Readonly<Record<string, readonly Scalar[]>>;
}

export interface SweepSpec {
  readonly file: string;
  readonly workloads: readonly SweepWorkload[];
  readonly designs: readonly string[];
  /** tunable -> values (the `sysctl` event's keys) */
  readonly settings: Readonly<Record<string, readonly Scalar[]>>;
  /** for scenarios; a log's seed is its own */
  readonly seeds: readonly number[];
  readonly sampleEvery?: number;
}

const isScalar = (v: unknown): v is Scalar => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function grid(file: string, path: string, v: unknown): Record<string, Scalar[]> {
  if (v === undefined) return {};
  if (!isRecord(v)) throw new CliError(`${file}: ${path}: expected an object of NAME: value or NAME: [values]`);
  const out: Record<string, Scalar[]> = {};
  for (const [k, x] of Object.entries(v)) {
    const values = Array.isArray(x) ? x : [x];
    if (values.length === 0 || !values.every(isScalar))
      throw new CliError(`${file}: ${path}.${k}: expected a value or a non-empty list of strings, numbers or booleans`);
    out[k] = values;
  }
  return out;
}

/** Reads and checks a spec; every problem names the file and the field. */
export async function readSpec(path: string): Promise<SweepSpec> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new CliError(`${path}: cannot read the sweep spec (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let raw: unknown;
  try {
    raw = /^\s*[{[]/.test(text) ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new CliError(`${path}: not valid YAML or JSON (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
  }
  if (!isRecord(raw)) throw new CliError(`${path}: expected an object with workloads, designs and optionally settings, seeds`);
  const known = ['name', 'workloads', 'designs', 'settings', 'seeds', 'sampleEvery'];
  for (const k of Object.keys(raw)) if (!known.includes(k)) throw new CliError(`${path}: unknown field "${k}"; expected ${known.join(', ')}`);

  const ws = raw['workloads'];
  if (!Array.isArray(ws) || ws.length === 0)
    throw new CliError(`${path}: workloads: expected a non-empty list of {scenario: NAME, params: {...}} or {log: PATH}`);
  const workloads: SweepWorkload[] = ws.map((w, i) => {
    const at = `workloads[${i}]`;
    if (typeof w === 'string') return { id: `scenario:${w}`, kind: 'scenario', arg: w, params: {} };
    if (!isRecord(w)) throw new CliError(`${path}: ${at}: expected {scenario: NAME, params: {...}} or {log: PATH}`);
    for (const k of Object.keys(w))
      if (!['scenario', 'log', 'params'].includes(k)) throw new CliError(`${path}: ${at}: unknown field "${k}"; expected scenario, log, params`);
    if (typeof w['scenario'] === 'string' && w['log'] === undefined) {
      const params = grid(path, `${at}.params`, w['params']);
      if ('seed' in params) throw new CliError(`${path}: ${at}.params.seed: give the seeds in the spec's "seeds" field`);
      return { id: `scenario:${w['scenario']}`, kind: 'scenario', arg: w['scenario'], params };
    }
    if (typeof w['log'] === 'string' && w['scenario'] === undefined) {
      if (w['params'] !== undefined) throw new CliError(`${path}: ${at}.params: a log file has no parameters (its events are fixed)`);
      return { id: w['log'], kind: 'log', arg: resolve(dirname(path), w['log']), params: {} };
    }
    throw new CliError(`${path}: ${at}: expected exactly one of scenario (a name) or log (a path)`);
  });

  const ds = raw['designs'];
  if (!Array.isArray(ds) || ds.length === 0 || !ds.every((d) => typeof d === 'string' && d !== ''))
    throw new CliError(`${path}: designs: expected a non-empty list of DESIGN strings, e.g. [linux-6.10, linux-6.15]`);
  if (new Set(ds).size !== ds.length) throw new CliError(`${path}: designs: a design is listed twice`);

  const settings = grid(path, 'settings', raw['settings']);
  // every value checked as --set would check it
  for (const [k, vs] of Object.entries(settings))
    for (const v of vs) {
      try {
        parseSets([`${k}=${String(v)}`]);
      } catch (e) {
        throw new CliError(`${path}: settings.${k}: ${(e as Error).message.replace(/^--set /, '')}`);
      }
    }

  const s = raw['seeds'];
  let seeds: number[] = [];
  if (typeof s === 'string' || typeof s === 'number') seeds = parseSeeds(String(s));
  else if (Array.isArray(s)) seeds = parseSeeds(s.map(String).join(','));
  else if (s !== undefined) throw new CliError(`${path}: seeds: expected 1..10, "1,4,9" or a list of integers`);
  if (seeds.length === 0 && workloads.some((w) => w.kind === 'scenario')) seeds = [1];

  const se = raw['sampleEvery'];
  if (se !== undefined && !(typeof se === 'number' && Number.isInteger(se) && se >= 1)) throw new CliError(`${path}: sampleEvery: expected a positive integer`);
  return { file: path, workloads, designs: ds as string[], settings, seeds, ...(se !== undefined ? { sampleEvery: se as number } : {}) };
}

/** Every combination of a grid's values, keys in sorted order; one empty combination for an empty grid. */
export function combinations(g: Readonly<Record<string, readonly Scalar[]>>): Array<Record<string, Scalar>> {
  let out: Array<Record<string, Scalar>> = [{}];
  for (const k of Object.keys(g).sort()) out = out.flatMap((c) => g[k]!.map((v) => ({ ...c, [k]: v })));
  return out;
}
