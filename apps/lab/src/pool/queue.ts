/**
 * Cells beyond one machine: a BullMQ queue on Redis. The submitter
 * (`pagelab sweep SPEC --queue redis://HOST:PORT`) adds one job per cell and
 * collects the results; any number of `pagelab worker --queue …` processes,
 * on any machines that reach the Redis server, take jobs and run them.
 *
 * A job carries what rebuilds its log (a scenario's name, --param items with
 * the seed, --set items) or the path of a log file every worker shares, and
 * the design: never the log itself. The worker runs the cell exactly as the
 * local pool does (the same LocalExecutor, in a worker thread so its lock
 * stays renewed) and returns the run directory's files through the queue.
 * The submitter writes them into the cell's directory, so the sweep's cache
 * and tables are made by the same code as for a local sweep: the queue is
 * just another CellExecutor. docs/contracts.md describes both payloads.
 *
 * A worker that dies mid-cell stops renewing its job's lock; after
 * lockDuration another worker's stalled-job check moves the job back to the
 * wait list and the cell runs again (BullMQ stalled-job recovery).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import type { LogHeader } from '@pagelab/events';
import { PAGELAB_VERSION, type RunSummary } from '@pagelab/engine';
import { CliError, type LabContext } from '../context.js';
import type { CellResult, CellTask } from './cell.js';
import { LocalExecutor, type CellExecutor, type RunHooks } from './pool.js';

const gzipP = promisify(gzip);
const gunzipP = promisify(gunzip);

/** The queue every worker and submitter uses unless --queue-name says otherwise. */
export const DEFAULT_QUEUE_NAME = 'pagelab-cells';

/** What a job carries (contract version 1; docs/contracts.md). */
export interface CellJob {
  readonly v: 1;
  /** the submitter's pagelab version: a worker of another version refuses the job (its model may differ) */
  readonly pagelab: string;
  /** scenario name, or an absolute path to a log file every worker can read */
  readonly log: string;
  /** --param items, the seed among them */
  readonly params: readonly string[];
  /** --set items */
  readonly set: readonly string[];
  /** the DESIGN string as given */
  readonly design: string;
  readonly sampleEvery?: string | number;
  /** the cell's name in logs and the run's label (a sweep's cell key) */
  readonly label: string;
  readonly check?: boolean;
}

/** What a worker returns (contract version 1): the cell's run files, gzipped, base64. */
export interface CellJobResult {
  readonly v: 1;
  readonly sha256: string;
  readonly events: number;
  readonly source: string;
  readonly header: LogHeader;
  /** host and pid of the worker that ran it */
  readonly worker: string;
  /** file name -> gzip(content) in base64: summary.json, observations.jsonl, provenance.json */
  readonly files: Readonly<Record<string, string>>;
}

export interface QueueTarget {
  /** redis://HOST:PORT[/DB] as given, password hidden, for messages */
  readonly shown: string;
  readonly url: string;
  readonly name: string;
}

/** Checks a --queue URL: redis:// or rediss://, a host, and a port. */
export function parseQueueUrl(text: string, name: string = DEFAULT_QUEUE_NAME): QueueTarget {
  const expected = 'expected redis://HOST:PORT (or rediss:// for TLS, redis://:PASSWORD@HOST:PORT/DB), e.g. --queue redis://127.0.0.1:6379';
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new CliError(`--queue "${text}": not a URL; ${expected}`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new CliError(`--queue "${text}": the scheme is "${u.protocol}"; ${expected}`);
  if (u.hostname === '') throw new CliError(`--queue "${text}": no host; ${expected}`);
  if (u.port === '') throw new CliError(`--queue "${text}": no port; ${expected}`);
  if (u.pathname !== '' && u.pathname !== '/' && !/^\/\d+$/.test(u.pathname))
    throw new CliError(`--queue "${text}": the path "${u.pathname}" is not a database number; ${expected}`);
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new CliError(`--queue-name "${name}": expected letters, digits, "_", "." or "-"`);
  const shown = u.password ? text.replace(`:${u.password}@`, ':***@') : text;
  return { shown, url: text, name };
}

/** The connection options BullMQ's queue, events and worker share (workers need no retry limit per request). */
function connection(t: QueueTarget) {
  return { url: t.url, maxRetriesPerRequest: null };
}

/** Connects once, with no retries, to say promptly and in a sentence when Redis cannot be reached. */
export async function probeRedis(t: QueueTarget): Promise<void> {
  const { Redis } = await import('ioredis');
  const r = new Redis(t.url, { lazyConnect: true, connectTimeout: 5000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  let cause: unknown;
  r.on('error', (e) => (cause ??= e)); // the socket's own error (ECONNREFUSED, ENOTFOUND), reported below as a sentence
  try {
    await r.connect();
    await r.ping();
  } catch (e) {
    const err = cause ?? e;
    const why = err instanceof Error ? ((err as NodeJS.ErrnoException).code ?? err.message) : String(err);
    throw new CliError(`--queue ${t.shown}: cannot reach Redis (${why}); start one there (redis-server --port PORT) or give the HOST:PORT of a running one`);
  } finally {
    r.disconnect();
  }
}

/** The job a task becomes: the task without its (submitter-local) run directory. */
export function cellJobOf(t: CellTask): CellJob {
  return {
    v: 1,
    pagelab: PAGELAB_VERSION,
    log: t.log,
    params: [...t.params],
    set: [...t.set],
    design: t.design,
    ...(t.sampleEvery !== undefined ? { sampleEvery: t.sampleEvery } : {}),
    label: t.label,
    ...(t.check ? { check: true } : {}),
  };
}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** Checks a job's data as a worker receives it; the reason names the field. */
export function checkCellJob(d: unknown): CellJob | string {
  if (d === null || typeof d !== 'object') return 'the job data is not an object';
  const j = d as Record<string, unknown>;
  if (j['v'] !== 1) return `v: ${JSON.stringify(j['v'])}, expected 1 (a job from another pagelab version?)`;
  for (const k of ['pagelab', 'log', 'design', 'label']) if (typeof j[k] !== 'string' || j[k] === '') return `${k}: expected a non-empty string`;
  for (const k of ['params', 'set']) if (!isStrings(j[k])) return `${k}: expected a list of KEY=VALUE strings`;
  if (j['sampleEvery'] !== undefined && typeof j['sampleEvery'] !== 'number' && typeof j['sampleEvery'] !== 'string') return 'sampleEvery: expected a number';
  return j as unknown as CellJob;
}

async function packDir(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const f of (await readdir(dir)).sort()) files[f] = (await gzipP(await readFile(join(dir, f)))).toString('base64');
  return files;
}

async function unpackInto(dir: string, files: Readonly<Record<string, string>>): Promise<void> {
  for (const [f, b64] of Object.entries(files)) {
    if (!/^[A-Za-z0-9_.-]+$/.test(f) || f.startsWith('.')) throw new CliError(`a worker returned a file named "${f}"; expected a plain run-file name`);
    await writeFile(join(dir, f), await gunzipP(Buffer.from(b64, 'base64')));
  }
}

/** A cell's result as the submitter rebuilds it from the job's return value, its files now in `outDir`. */
async function resultOf(t: CellTask, raw: unknown): Promise<CellResult> {
  const r = (typeof raw === 'string' ? JSON.parse(raw) : raw) as CellJobResult | null;
  if (r === null || typeof r !== 'object' || r.v !== 1 || typeof r.files !== 'object' || !('summary.json' in r.files))
    throw new CliError(`cell ${t.label}: a worker returned no run files (return value version ${String(r?.v)}, expected 1)`);
  await unpackInto(t.outDir, r.files);
  const summary = JSON.parse(await readFile(join(t.outDir, 'summary.json'), 'utf8')) as RunSummary;
  return { summary, header: r.header, sha256: r.sha256, events: r.events, source: r.source };
}

export interface QueueExecutorOptions {
  /** a line of news (no worker connected yet, a stalled cell taken again) */
  readonly note?: (line: string) => void;
  /** how often pending jobs are looked up, besides the events stream (ms) */
  readonly pollMs?: number;
}

/**
 * Cells on the workers of a queue. Results arrive on the queue's events
 * stream (a lookup of every pending job every few seconds catches any the
 * stream lost to a reconnection); each job is removed once its result is in.
 * At the end, and on failure, this run's jobs go, and when no job of anyone
 * else is left the queue's keys go too (obliterate).
 */
export class QueueExecutor implements CellExecutor {
  readonly description: string;
  constructor(
    private readonly target: QueueTarget,
    private readonly opts: QueueExecutorOptions = {},
  ) {
    this.description = `the queue "${target.name}" at ${target.shown}`;
  }

  async run(tasks: readonly CellTask[], hooks: RunHooks = {}): Promise<CellResult[]> {
    if (tasks.length === 0) return [];
    await probeRedis(this.target);
    const { Queue, QueueEvents, Job } = await import('bullmq');
    const queue = new Queue(this.target.name, { connection: connection(this.target) });
    const events = new QueueEvents(this.target.name, { connection: connection(this.target) });
    queue.on('error', () => {}); // ioredis reconnects by itself; a lasting outage shows as no progress
    events.on('error', () => {});
    const runId = randomBytes(6).toString('hex');
    const ids = tasks.map((_, i) => `${runId}-${i}`);
    const index = new Map(ids.map((id, i) => [id, i]));
    const results: CellResult[] = new Array(tasks.length);
    const pending = new Set(ids);
    let poll: NodeJS.Timeout | undefined;
    try {
      await events.waitUntilReady(); // listening before the first job can finish
      const done = new Promise<void>((resolve, reject) => {
        let chain = Promise.resolve();
        // Counted in the chain, not from `pending` (which settle empties at once): a success collected after a
        // failure was seen must not resolve the run before the failure's step rejects it.
        let collected = 0;
        const settle = (id: string, outcome: { value: unknown } | { failed: string }) => {
          if (!pending.delete(id)) return;
          chain = chain
            .then(async () => {
              const i = index.get(id)!;
              const t = tasks[i]!;
              if ('failed' in outcome) throw new CliError(`cell ${t.label} failed on a worker: ${outcome.failed.replace(/^pagelab: /, '')}`);
              const r = await resultOf(t, outcome.value);
              await hooks.onDone?.(t, r);
              hooks.progress?.cell(r.events);
              results[i] = r;
              await queue.remove(id).catch(() => 0); // collected: nothing of it need stay in Redis
              if (++collected === tasks.length) resolve();
            })
            .catch(reject);
        };
        events.on('completed', ({ jobId, returnvalue }) => settle(jobId, { value: returnvalue }));
        events.on('failed', ({ jobId, failedReason }) => settle(jobId, { failed: failedReason }));
        events.on('stalled', ({ jobId }) => {
          const i = index.get(jobId);
          if (i !== undefined) this.opts.note?.(`queue: cell ${tasks[i]!.label} stalled (its worker stopped renewing the lock); it goes back to the queue`);
        });
        // The events stream is the fast path; this lookup is the safety net (a lost connection drops stream entries).
        poll = setInterval(() => {
          for (const id of [...pending])
            void Job.fromId(queue, id)
              .then((j) => {
                if (!j) settle(id, { failed: 'the job is gone from the queue (removed by someone else, or Redis was flushed)' });
                else if (j.finishedOn && j.failedReason) settle(id, { failed: j.failedReason });
                else if (j.finishedOn) settle(id, { value: j.returnvalue });
              })
              .catch(() => undefined);
        }, this.opts.pollMs ?? 5000);
      });
      await queue.addBulk(
        tasks.map((t, i) => ({
          name: 'cell',
          data: cellJobOf(t),
          // Kept until collected; a submitter that died leaves them to expire within a day.
          opts: { jobId: ids[i]!, attempts: 1, removeOnComplete: { age: 86_400 }, removeOnFail: { age: 86_400 } },
        })),
      );
      if ((await queue.getWorkersCount()) === 0)
        this.opts.note?.(
          `queue: ${tasks.length} cells queued on "${this.target.name}", no worker connected yet; start some: pagelab worker --queue ${this.target.shown}`,
        );
      await done;
      return results;
    } finally {
      if (poll) clearInterval(poll);
      await events.close().catch(() => undefined);
      await removeJobs(queue, ids, this.opts.note);
      try {
        const counts = await queue.getJobCounts();
        if (Object.values(counts).every((n) => n === 0)) await queue.obliterate();
      } catch {
        // a job of another sweep arrived meanwhile, or Redis went away: leave the queue as it is
      }
      await queue.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {}
}

/**
 * Removes every job of a run. A job a worker is still running is locked and
 * cannot be removed: after a failure, the run waits (up to a minute) for
 * those cells to end, and names what it had to leave.
 */
async function removeJobs(queue: import('bullmq').Queue, ids: readonly string[], note?: (line: string) => void): Promise<void> {
  let left = [...ids];
  const until = Date.now() + 60_000;
  for (;;) {
    const still: string[] = [];
    for (const id of left) {
      const state = await queue.getJobState(id).catch(() => 'unknown');
      if (state === 'unknown') continue; // gone already
      if ((await queue.remove(id).catch(() => 0)) !== 1) still.push(id);
    }
    left = still;
    if (left.length === 0 || Date.now() > until) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  if (left.length > 0) note?.(`queue: ${left.length} cells were still running on workers; their jobs are left to expire within a day`);
}

export interface ServeOptions {
  readonly target: QueueTarget;
  /** cells at once, each in a worker thread */
  readonly jobs: number;
  /** ms a job's lock lasts without renewal: how long a dead worker's cell waits before it runs again */
  readonly lockDuration: number;
  /** ms between stalled-job checks (default lockDuration) */
  readonly stalledInterval?: number;
  /** a line of what the worker does (took, finished, failed) */
  readonly log: (line: string) => void;
}

/**
 * A worker: takes cells from the queue, `jobs` at once, until close().
 * Cells run in worker threads (LocalExecutor) so that the lock on each job
 * is renewed on time while a replay runs.
 */
export async function serveQueue(
  ctx: LabContext,
  o: ServeOptions,
): Promise<{ close(): Promise<void>; readonly ready: Promise<void>; active(): number; lastActivity(): number }> {
  await probeRedis(o.target);
  const { Worker, UnrecoverableError } = await import('bullmq');
  const me = `${hostname()}:${process.pid}`;
  const cwd = await mkdtemp(join(tmpdir(), 'pagelab-worker-'));
  // A fresh cwd: a scenario name never resolves to a stray file, and a log path must be the absolute one the job names.
  const local = new LocalExecutor({ ...ctx, cwd, isTTY: false, stdout: () => {}, stderr: () => {} }, o.jobs, undefined, { threads: 'always' });
  const worker = new Worker(
    o.target.name,
    async (job) => {
      const data = checkCellJob(job.data);
      if (typeof data === 'string') throw new UnrecoverableError(`job ${job.id}: ${data}`);
      if (data.pagelab !== PAGELAB_VERSION)
        throw new UnrecoverableError(
          `worker ${me} runs pagelab ${PAGELAB_VERSION} and the sweep was submitted by pagelab ${data.pagelab}; run workers of the submitter's version`,
        );
      const outDir = await mkdtemp(join(tmpdir(), 'pagelab-cell-'));
      try {
        const r = await local.runOne({ ...data, outDir });
        const out: CellJobResult = { v: 1, sha256: r.sha256, events: r.events, source: r.source, header: r.header, worker: me, files: await packDir(outDir) };
        return out;
      } catch (e) {
        // A cell's error is the same on every worker (bad design, missing log): running it again would not help.
        throw new UnrecoverableError(e instanceof Error ? e.message : String(e));
      } finally {
        await rm(outDir, { recursive: true, force: true });
      }
    },
    {
      connection: connection(o.target),
      concurrency: o.jobs,
      lockDuration: o.lockDuration,
      stalledInterval: o.stalledInterval ?? o.lockDuration,
      // a cell whose worker was starved of CPU past its lock runs again rather than failing the sweep
      maxStalledCount: 5,
      autorun: true,
    },
  );
  const started = new Map<string, number>();
  let last = Date.now();
  worker.on('active', (job) => {
    last = Date.now();
    started.set(job.id!, Date.now());
    o.log(`took cell ${(job.data as CellJob).label} (job ${job.id})`);
  });
  worker.on('completed', (job) => {
    last = Date.now();
    o.log(`finished cell ${(job.data as CellJob).label} in ${((Date.now() - (started.get(job.id!) ?? Date.now())) / 1000).toFixed(1)} s`);
    started.delete(job.id!);
  });
  worker.on('failed', (job, err) => {
    last = Date.now();
    if (job) started.delete(job.id!);
    o.log(`cell ${job ? (job.data as CellJob).label : '?'} failed: ${err.message}`);
  });
  worker.on('error', (err) => o.log(`queue error: ${err.message}`));
  return {
    ready: worker.waitUntilReady().then(() => undefined),
    active: () => started.size,
    lastActivity: () => last,
    async close() {
      await worker.close();
      await local.close();
      await rm(cwd, { recursive: true, force: true });
    },
  };
}
