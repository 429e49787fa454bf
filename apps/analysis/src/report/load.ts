import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isLeft } from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { PathReporter } from 'io-ts/lib/PathReporter.js';
import { normalizeMetrics } from '../metrics.js';
import type { CompareManifest, DesignProvenance, OutcomeCount, Summary } from '../types.js';

const numRecord = t.record(t.string, t.number);

/** runDir/compare.json, as `pagelab compare` writes it. */
export const CompareManifestC = t.type({
  pagelab: t.string,
  workload: t.type({ name: t.string, seed: t.number, params: t.UnknownRecord }),
  logSha256: t.string,
  command: t.string,
  designs: t.array(t.type({ name: t.string, dir: t.string })),
});

const OutcomeC = t.type({ ok: t.number, failed: t.number, reasons: numRecord });

/** The parts of summary.json (contracts.md §3) the report reads; other fields pass through. */
export const SummaryC = t.type({
  pagelab: t.string,
  design: t.unknown,
  workload: t.unknown,
  logSha256: t.string,
  events: t.number,
  metrics: t.type({
    wasteBytes: t.number,
    peakWasteBytes: t.number,
    wasteByCause: numRecord,
    lockedOps: t.number,
    lockedOpsByKind: numRecord,
    lockedOpsBySite: numRecord,
    hugeCoverage: t.number,
  }),
  outcomes: t.record(t.string, OutcomeC),
  expectations: t.type({ passed: t.number, failed: t.number, failures: t.array(t.unknown) }),
  invariantViolations: t.number,
});

/** The optional `sharedness` block of summary.json; checked when present. */
export const SharednessC = t.type({
  questions: t.number,
  falseNegatives: t.number,
  falsePositives: t.number,
  collapsesOnlyByPolicy: t.number,
  duplicatedBytes: t.number,
  zeroFilledBytes: t.number,
});

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

/** A summary.json value checked and filled in (absent counters read as 0); `what` names it in errors. */
export function summaryFrom(raw: unknown, what: string): Summary {
  const checked = decode(SummaryC, raw, what);
  const rawSharedness = (raw as { sharedness?: unknown }).sharedness;
  const summary: Summary = {
    ...(raw as Summary),
    ...checked,
    metrics: normalizeMetrics((raw as { metrics: unknown }).metrics),
    outcomes: checked.outcomes as Record<string, OutcomeCount>,
  };
  if (rawSharedness !== undefined) summary.sharedness = decode(SharednessC, rawSharedness, `${what} "sharedness"`);
  else delete summary.sharedness;
  return summary;
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
