/**
 * Cells on every core: a piscina pool of worker_threads, one cell per task.
 * The pool needs the built worker (dist/pool/worker.js); run from sources
 * (tests) or with --jobs 1 the cells run one after another in this thread.
 * Progress: cells done/total, events/s and ETA; on a terminal one line that
 * updates, otherwise a plain line every few seconds.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { CliError, type LabContext } from '../context.js';
import { runCell, type CellResult, type CellTask } from './cell.js';

/**
 * The worker module: the built one next to this file, or, when the CLI runs
 * from source through tsx (bin/pagelab.js does when a source is newer than
 * the build), the TypeScript one; workers inherit the tsx loader from
 * process.execArgv. Under vitest there is neither and cells run in-thread.
 */
function workerFile(): string | undefined {
  const js = fileURLToPath(new URL('./worker.js', import.meta.url));
  if (existsSync(js)) return js;
  const boot = fileURLToPath(new URL('./worker-source.mjs', import.meta.url));
  if (import.meta.url.endsWith('.ts') && existsSync(boot) && process.execArgv.some((a) => a.includes('tsx'))) return boot;
  return undefined;
}
const WORKER = workerFile();

/** Whether cells can run in worker threads. */
export function poolAvailable(): boolean {
  return WORKER !== undefined;
}

/** --jobs: a positive integer, default the cores this process may use. */
export function jobsOf(v: string | number | undefined): number {
  if (v === undefined) return availableParallelism();
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`--jobs "${String(v)}": expected a positive integer (worker threads), e.g. --jobs 2`);
  return n;
}

function fmtSecs(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}

export class Progress {
  private done = 0;
  private events = 0;
  private lastLine = 0;
  private readonly t0 = Date.now();
  constructor(
    private readonly ctx: LabContext,
    private readonly total: number,
    private readonly what = 'cells',
    private readonly everyMs = 5000,
  ) {}

  cell(events: number): void {
    this.done++;
    this.events += events;
    const now = Date.now();
    const secs = Math.max(1e-3, (now - this.t0) / 1000);
    const rate = this.events / secs;
    const eta = ((this.total - this.done) * secs) / this.done;
    const line = `${this.what} ${this.done}/${this.total}, ${Math.round(rate).toLocaleString('en-US')} events/s, ${fmtSecs(secs)} elapsed, ETA ${this.done === this.total ? '0s' : fmtSecs(eta)}`;
    if (this.ctx.isTTY) this.ctx.stderr(`\r${line}\u001b[K${this.done === this.total ? '\n' : ''}`);
    else if (now - this.lastLine >= this.everyMs || this.done === this.total) {
      this.lastLine = now;
      this.ctx.stderr(`${line}\n`);
    }
  }
}

/** What an executor calls as cells finish (the same for the local pool and the queue). */
export interface RunHooks {
  readonly progress?: Progress;
  /** after each cell, before it is counted (e.g. move its directory into a cache); a rejection stops the run */
  readonly onDone?: (t: CellTask, r: CellResult) => Promise<void>;
}

/**
 * Where cells run: worker threads of this machine (LocalExecutor) or the
 * workers of a Redis queue (QueueExecutor in queue.ts). The contract, which
 * executor.contract.test.ts checks against both: every task runs once and its
 * run directory (`outDir`) holds the files an in-thread run writes; results
 * come back in task order; `onDone` runs for each before it is counted; a
 * failed cell rejects with a CliError naming it, and the run stops.
 */
export interface CellExecutor {
  /** e.g. "2 worker threads", for the line a sweep prints before it starts */
  readonly description: string;
  run(tasks: readonly CellTask[], hooks?: RunHooks): Promise<CellResult[]>;
  /** Frees threads or connections; the executor is not used after. */
  close(): Promise<void>;
}

type Preloaded = (t: CellTask) => Parameters<typeof runCell>[2] | Promise<Parameters<typeof runCell>[2]>;

/**
 * Cells on this machine, `jobs` at once: this thread runs one lane of cells
 * and a piscina pool of `jobs - 1` worker threads the others (a queue worker
 * runs every lane in a thread: its event loop must stay free to renew job
 * locks). The pool starts on the first cell and stays until close(). With one
 * job, or without a built worker (under vitest), every cell runs here.
 */
export class LocalExecutor implements CellExecutor {
  private pool: Promise<import('piscina').Piscina> | undefined;
  /** worker threads in the pool */
  readonly threads: number;
  /** whether this thread runs a lane of cells too */
  private readonly here: boolean;
  readonly description: string;
  constructor(
    private readonly ctx: LabContext,
    readonly jobs: number,
    /** for cells run in this thread: a log already in memory for a task */
    private readonly preloaded?: Preloaded,
    /** 'always': every cell in a worker thread, even with one job */
    opts: { readonly threads?: 'always' } = {},
  ) {
    const always = opts.threads === 'always' && poolAvailable();
    // A thread costs its start and, above all, the JIT's warm-up on its first replay: this thread, warm already
    // from building the logs, is one of the lanes, so --jobs 2 pays for one extra thread, not two.
    this.threads = always ? jobs : poolAvailable() ? jobs - 1 : 0;
    this.here = !always;
    this.description =
      this.threads === 0
        ? 'this thread'
        : `${jobs} lanes (${this.here ? 'this thread and ' : ''}${this.threads} worker thread${this.threads === 1 ? '' : 's'})`;
  }

  /** Runs one cell in this thread. */
  private async runHere(t: CellTask): Promise<CellResult> {
    return runCell({ ...this.ctx, isTTY: false }, t, await this.preloaded?.(t));
  }

  /** Runs one cell in a worker thread (in this thread when the executor has none). */
  async runOne(t: CellTask): Promise<CellResult> {
    if (this.threads === 0) return this.runHere(t);
    // One pool, made once even when many cells ask for it at the same moment, kept for the executor's life.
    this.pool ??= import('piscina').then(
      ({ Piscina }) => new Piscina({ filename: WORKER!, execArgv: process.execArgv, minThreads: this.threads, maxThreads: this.threads, idleTimeout: 60_000 }),
    );
    const pool = await this.pool;
    try {
      return (await pool.run({ ...t, commandLine: this.ctx.commandLine })) as CellResult;
    } catch (e) {
      // Errors cross the thread boundary as plain Errors: the message is the CliError's own.
      throw new CliError(e instanceof Error ? e.message : String(e));
    }
  }

  async run(tasks: readonly CellTask[], hooks: RunHooks = {}): Promise<CellResult[]> {
    const results: CellResult[] = new Array(tasks.length);
    let next = 0;
    let failed = false;
    // Each lane takes the next cell when its last one is done: a lane in this thread, one per worker thread.
    const lane = async (here: boolean) => {
      while (!failed && next < tasks.length) {
        const i = next++;
        const t = tasks[i]!;
        try {
          const r = here ? await this.runHere(t) : await this.runOne(t);
          await hooks.onDone?.(t, r);
          hooks.progress?.cell(r.events);
          results[i] = r;
        } catch (e) {
          failed = true; // the other lanes take no new cell
          throw e;
        }
      }
    };
    const lanes = [...(this.here ? [lane(true)] : []), ...Array.from({ length: this.threads }, () => lane(false))];
    await Promise.all(lanes);
    return results;
  }

  async close(): Promise<void> {
    const p = this.pool;
    this.pool = undefined;
    await (await p)?.destroy();
  }
}

/**
 * Runs every task, at most `jobs` at once, and returns the results in task
 * order. In-thread, `preloaded(task)` may hand over a log already in memory.
 */
export async function runCells(
  ctx: LabContext,
  tasks: readonly CellTask[],
  jobs: number,
  progress: Progress,
  preloaded?: Preloaded,
  /** after each cell, before the next result is counted (e.g. move its directory into a cache) */
  onDone?: (t: CellTask, r: CellResult) => Promise<void>,
): Promise<CellResult[]> {
  const ex = new LocalExecutor(ctx, Math.min(jobs, Math.max(1, tasks.length)), preloaded);
  try {
    return await ex.run(tasks, { progress, ...(onDone ? { onDone } : {}) });
  } finally {
    await ex.close();
  }
}
