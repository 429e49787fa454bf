import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isLeft } from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { PathReporter } from 'io-ts/lib/PathReporter.js';
import { Summary, formatIssue, issuesOf } from '@pagelab/events';

/** runDir/compare.json, as `pagelab compare` writes it. */
export const CompareManifestC = t.type({
  pagelab: t.string,
  workload: t.type({ name: t.string, seed: t.number, params: t.UnknownRecord }),
  logSha256: t.string,
  command: t.string,
  designs: t.array(t.type({ name: t.string, dir: t.string })),
});
export type CompareManifest = t.TypeOf<typeof CompareManifestC>;

/** `<design dir>/provenance.json` as `pagelab run` / `compare` write it; every field optional to the reader. */
export interface DesignProvenance {
  pagelab?: string;
  gitCommit?: string;
  node?: string;
  command?: string;
  createdAt?: string;
  elapsedMs?: number;
  design?: { name?: string; preset?: string; policies?: Record<string, { id?: string; params?: Record<string, unknown> }>; params?: Record<string, unknown> };
  log?: {
    events?: number;
    sha256?: string;
    kind?: string;
    source?: string;
    params?: Record<string, unknown>;
    header?: {
      pagelab?: number;
      machine?: Record<string, unknown>;
      settings?: Record<string, unknown>;
      workload?: { name?: string; seed?: number; params?: Record<string, unknown> };
    };
  };
  replay?: { sampleEvery?: number; checkInvariants?: boolean };
  [field: string]: unknown;
}

function decode<A>(codec: t.Decoder<unknown, A>, value: unknown, what: string): A {
  const r = codec.decode(value);
  if (isLeft(r)) throw new Error(`${what}: not the expected shape:\n  ${PathReporter.report(r).join('\n  ')}`);
  return r.right;
}

export async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new Error(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new Error(`${path}: not JSON (${(e as Error).message})`);
  }
}

/**
 * A summary.json value decoded with the events package's Summary codec (the
 * contract of docs/contracts.md §3: blocks added later are optional, so an
 * older summary.json still reads); `what` names it in errors, one line per
 * field that is not as the contract says.
 */
export function summaryFrom(raw: unknown, what: string): Summary {
  const r = Summary.decode(raw);
  if (isLeft(r)) {
    const lines = issuesOf(r.left).map((i) => formatIssue(what, 1, i).replace(`${what}:1: `, ''));
    throw new Error(`${what}: not a summary.json as pagelab writes it:\n  ${lines.join('\n  ')}`);
  }
  return r.right;
}

export interface DesignRun {
  name: string;
  /** the design's colour slot: its index in compare.json, the baseline is 0 */
  index: number;
  dir: string;
  summary: Summary;
  observationsPath: string;
  /** `<dir>/provenance.json`; undefined when the file is missing (the report says so) */
  provenance: DesignProvenance | undefined;
}

export interface LoadedRun {
  runDir: string;
  manifest: CompareManifest;
  designs: DesignRun[];
}

/** Reads compare.json and every design's summary.json; observation logs are only located, not read. */
export async function loadRun(runDir: string): Promise<LoadedRun> {
  const manifestPath = join(runDir, 'compare.json');
  const manifest = decode(CompareManifestC, await readJson(manifestPath), manifestPath);
  if (manifest.designs.length === 0) throw new Error(`${manifestPath}: "designs" is empty`);
  const designs = await Promise.all(
    manifest.designs.map(async (d, index): Promise<DesignRun> => {
      const dir = join(runDir, d.dir);
      const summaryPath = join(dir, 'summary.json');
      const summary = summaryFrom(await readJson(summaryPath), summaryPath);
      const provPath = join(dir, 'provenance.json');
      const provenance = existsSync(provPath) ? (decode(t.UnknownRecord, await readJson(provPath), provPath) as DesignProvenance) : undefined;
      return { name: d.name, index, dir, summary, observationsPath: join(dir, 'observations.jsonl'), provenance };
    }),
  );
  return { runDir, manifest, designs };
}
