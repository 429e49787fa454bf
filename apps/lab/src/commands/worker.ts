/**
 * `pagelab worker --queue redis://HOST:PORT`: takes sweep cells from the
 * queue and runs them, `--jobs` at once, each in a worker thread, until
 * stopped (or, with --idle-exit, once nothing came for that long). Start as
 * many as you like, on any machines that reach the Redis server and have the
 * same pagelab version (and, for log-file cells, the same shared paths).
 */
import { hostname } from 'node:os';
import { CliError, EXIT_OK, guarded, type LabContext } from '../context.js';
import { jobsOf } from '../pool/pool.js';
import { DEFAULT_QUEUE_NAME, parseQueueUrl, serveQueue } from '../pool/queue.js';

export interface WorkerArgs {
  readonly queue: string;
  readonly queueName?: string;
  readonly jobs?: string | number;
  /** seconds a job's lock lasts unrenewed: a killed worker's cell runs again this long after it died */
  readonly lockSeconds?: string | number;
  /** exit 0 after this many seconds with no cell running or arriving */
  readonly idleExit?: string | number;
}

function seconds(flag: string, v: string | number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new CliError(`${flag} "${String(v)}": expected a positive number of seconds, e.g. ${flag} 30`);
  return n;
}

export const DEFAULT_LOCK_SECONDS = 30;

export function workerCommand(ctx: LabContext, args: WorkerArgs): Promise<number> {
  return guarded(ctx, async () => {
    const target = parseQueueUrl(args.queue, args.queueName ?? DEFAULT_QUEUE_NAME);
    const jobs = jobsOf(args.jobs);
    const lock = seconds('--lock', args.lockSeconds, DEFAULT_LOCK_SECONDS);
    const idle = args.idleExit === undefined ? undefined : seconds('--idle-exit', args.idleExit, 0);
    const me = `${hostname()}:${process.pid}`;
    const server = await serveQueue(ctx, {
      target,
      jobs,
      lockDuration: Math.round(lock * 1000),
      log: (line) => ctx.stderr(`worker ${me}: ${line}\n`),
    });
    await server.ready;
    ctx.stderr(
      `worker ${me}: serving the queue "${target.name}" at ${target.shown}, ${jobs} cell${jobs === 1 ? '' : 's'} at once; a cell of a worker that dies runs again ${lock} s later${idle ? `; exits after ${idle} s idle` : ''}\n`,
    );
    if (idle === undefined) await new Promise<never>(() => {}); // until a signal ends the process (main.ts)
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (server.active() === 0 && Date.now() - server.lastActivity() >= idle! * 1000) {
          clearInterval(t);
          resolve();
        }
      }, 250);
    });
    await server.close();
    ctx.stderr(`worker ${me}: idle for ${idle} s; stopped\n`);
    return EXIT_OK;
  });
}
