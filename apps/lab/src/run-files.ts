/**
 * The files of one run directory: observations.jsonl (header line, then one
 * observation per line, deterministic bytes), summary.json and
 * provenance.json. Written into a directory that buildDirAtomically renames.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { SingleBar } from 'cli-progress';
import { openJsonlWriter, stableStringify, writeFileAtomic } from '@pagelab/events';
import {
  PAGELAB_VERSION,
  ReplayError,
  designJson,
  observationHeaderLine,
  observationLine,
  replayBatches,
  summarize,
  summaryJson,
  type Design,
  type InvariantMode,
  type ReplayState,
  type RunSummary,
} from '@pagelab/engine';
import { CliError, type LabContext } from './context.js';
import type { LoadedLog } from './log-source.js';
import { formatCount } from './format.js';
import { defaultInvariantEvery } from './verdict.js';

export interface RunFileOptions {
  readonly sampleEvery: number;
  readonly checkInvariants: InvariantMode;
  /** Also walk the invariants every N events and after the last (plain runs: a few walks, see verdict.ts). */
  readonly invariantEvery?: number;
  /** Label for the progress bar (the design name in a comparison). */
  readonly label?: string;
}

let commit: string | null | undefined;
/** `git rev-parse HEAD`, or null outside a git checkout. */
export function gitCommit(): string | null {
  if (commit === undefined) {
    try {
      commit =
        execFileSync('git', ['rev-parse', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 })
          .toString()
          .trim() || null;
    } catch {
      commit = null;
    }
  }
  return commit;
}

function progressBar(ctx: LabContext, total: number, label: string): { tick(n: number): void; stop(): void } {
  if (!ctx.isTTY || total === 0) return { tick: () => {}, stop: () => {} };
  const bar = new SingleBar({
    format: `${label} [{bar}] {percentage}% | {value}/{total} events | {rate} events/s`,
    stream: process.stderr,
    hideCursor: true,
    clearOnComplete: true,
  });
  const t0 = Date.now();
  bar.start(total, 0, { rate: '0' });
  let last = 0;
  return {
    tick: (n) => {
      if (n - last < 256 && n !== total) return;
      last = n;
      const secs = Math.max(1e-3, (Date.now() - t0) / 1000);
      bar.update(n, { rate: Math.round(n / secs).toLocaleString('en-US') });
    },
    stop: () => bar.stop(),
  };
}

/**
 * How a run walks the invariants: `--check` at every sample; otherwise a
 * bounded number of walks spread over the log (verdict.ts), so a plain run
 * sees a model error too. `how` says it in words for the run line.
 */
export function invariantOptions(
  check: boolean,
  sampleEvery: number,
  events: number,
): Pick<RunFileOptions, 'checkInvariants' | 'invariantEvery'> & { how: string } {
  if (check) return { checkInvariants: 'sample', how: `--check: at every sample, every ${formatCount(sampleEvery)} events` };
  const every = defaultInvariantEvery(events);
  const when = every === 1 ? 'after every event' : `every ${formatCount(every)} events and after the last`;
  return { checkInvariants: false, invariantEvery: every, how: `${when}; --check walks at every sample` };
}

/** The replay under way (for a signal handler's message): its design, events applied and the log's length. */
let replaying: { design: string; applied: number; events: number } | undefined;

/** Where an interrupted replay stood, as "after N of M events under DESIGN", or undefined outside a replay. */
export function replayInterruptedAt(): string | undefined {
  return replaying && `after ${formatCount(replaying.applied)} of ${formatCount(replaying.events)} events under ${replaying.design}`;
}

/** Replays `log` under `design`, writing the run files into `dir`. */
export async function writeRunFiles(ctx: LabContext, log: LoadedLog, design: Design, opts: RunFileOptions, dir: string): Promise<RunSummary> {
  const meta = { design, header: log.header, logSha256: log.sha256 };
  const writer = await openJsonlWriter(join(dir, 'observations.jsonl'));
  const bar = progressBar(ctx, log.events, opts.label ?? design.name);
  const at = (replaying = { design: design.name, applied: 0, events: log.events });
  let state: ReplayState | undefined;
  const t0 = Date.now();
  try {
    await writer.writeLine(observationHeaderLine(meta));
    await new Promise<void>((resolveDone, reject) => {
      replayBatches(log.input, design, {
        sampleEvery: opts.sampleEvery,
        checkInvariants: opts.checkInvariants,
        ...(opts.invariantEvery !== undefined ? { invariantEvery: opts.invariantEvery } : {}),
        source: log.source,
        onProgress: (n) => {
          at.applied = n;
          bar.tick(n);
        },
        onEnd: (s) => (state = s),
      }).subscribe({
        // Failures surface on close(); each write's own promise is not awaited here.
        next: (batch) => void writer.writeLines(batch.map(observationLine)).catch(() => undefined),
        error: reject,
        complete: resolveDone,
      });
    });
    await writer.close();
  } catch (e) {
    await writer.abort();
    if (e instanceof ReplayError) throw new CliError(`${e.message}. Nothing was written for design ${design.name}.`);
    throw e;
  } finally {
    bar.stop();
    replaying = undefined;
  }
  const summary = summarize(state!, meta);
  await writeFileAtomic(join(dir, 'summary.json'), summaryJson(summary));
  const provenance = {
    pagelab: PAGELAB_VERSION,
    gitCommit: gitCommit(),
    node: process.version,
    command: ctx.commandLine,
    createdAt: new Date().toISOString(),
    elapsedMs: Date.now() - t0,
    design: designJson(design),
    log: {
      source: log.source,
      kind: log.kind,
      sha256: log.sha256,
      events: log.events,
      header: log.header,
      ...(log.kind === 'scenario' ? { params: log.params } : {}),
    },
    // Real sysfs knobs the log set that the model accepts but does not act on (events settings.ts NOT_MODELLED_SETTINGS).
    settings: { notModelled: state!.kernel.notModelled },
    replay: {
      sampleEvery: opts.sampleEvery,
      checkInvariants: opts.checkInvariants,
      invariantEvery: opts.invariantEvery ?? null,
      invariantWalks: summary.invariantWalks,
    },
  };
  await writeFileAtomic(
    join(dir, 'provenance.json'),
    `${JSON.stringify(JSON.parse(stableStringify(provenance, { leadingKeys: ['pagelab', 'gitCommit', 'node', 'command'] })), null, 2)}\n`,
  );
  return summary;
}
