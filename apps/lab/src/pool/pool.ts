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

/**
 * Runs every task, at most `jobs` at once, and returns the results in task
 * order. In-thread, `preloaded(task)` may hand over a log already in memory.
 */
export async function runCells(
  ctx: LabContext,
  tasks: readonly CellTask[],
  jobs: number,
  progress: Progress,
  preloaded?: (t: CellTask) => Parameters<typeof runCell>[2] | Promise<Parameters<typeof runCell>[2]>,
  /** after each cell, before the next result is counted (e.g. move its directory into a cache) */
  onDone?: (t: CellTask, r: CellResult) => Promise<void>,
): Promise<CellResult[]> {
  if (jobs <= 1 || tasks.length <= 1 || !poolAvailable()) {
    const out: CellResult[] = [];
    for (const t of tasks) {
      const r = await runCell({ ...ctx, isTTY: false }, t, await preloaded?.(t));
      await onDone?.(t, r);
      progress.cell(r.events);
      out.push(r);
    }
    return out;
  }
  const { Piscina } = await import('piscina');
  const pool = new Piscina({ filename: WORKER!, execArgv: process.execArgv, maxThreads: Math.min(jobs, tasks.length), minThreads: 1, idleTimeout: 1000 });
  try {
    return await Promise.all(
      tasks.map(async (t) => {
        try {
          const r = (await pool.run({ ...t, commandLine: ctx.commandLine })) as CellResult;
          await onDone?.(t, r);
          progress.cell(r.events);
          return r;
        } catch (e) {
          // Errors cross the thread boundary as plain Errors: the message is the CliError's own.
          throw new CliError(e instanceof Error ? e.message : String(e));
        }
      }),
    );
  } finally {
    await pool.destroy();
  }
}
