/**
 * A real redis-server for the queue's tests: on 127.0.0.1 at a free port,
 * nothing persisted (no RDB, no AOF) in a temporary directory that goes
 * with it. Debian's redis-server package; .ci/run installs it when missing.
 * Test-only (imported by *.test.ts files).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisFixture {
  readonly url: string;
  readonly port: number;
  /** every key on the server (a test's server holds only the test's) */
  keys(): Promise<string[]>;
  stop(): Promise<void>;
}

/** Why the queue tests cannot run here, or undefined when redis-server is installed. */
export function redisMissing(): string | undefined {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0)
    return `redis-server is not installed (${r.error ? (r.error as NodeJS.ErrnoException).code : `exit ${r.status}`}); .ci/run installs it (apt-get install -y redis-server)`;
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** Starts a server and waits (up to `budgetMs`, a hang budget) until it answers PING. */
export async function startRedis(budgetMs = 60_000): Promise<RedisFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'pagelab-redis-'));
  const { Redis } = await import('ioredis');
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const proc: ChildProcess = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--loglevel', 'warning'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let log = '';
    proc.stdout!.on('data', (d) => (log += String(d)));
    proc.stderr!.on('data', (d) => (log += String(d)));
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    // PING waits in the offline queue, reconnecting every 100 ms, until the server listens
    const client = new Redis({ host: '127.0.0.1', port, retryStrategy: () => 100, maxRetriesPerRequest: null });
    client.on('error', () => {});
    const up = await Promise.race([
      client.ping().then(() => 'up' as const),
      exited.then(() => 'exited' as const),
      new Promise<'hung'>((r) => setTimeout(() => r('hung'), budgetMs).unref()),
    ]).catch(() => 'exited' as const);
    if (up !== 'up') {
      client.disconnect();
      proc.kill('SIGKILL');
      // the port may have been taken between freePort() and the bind: try another
      if (up === 'exited' && attempt < 3) continue;
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`redis-server on port ${port} did not start (${up}):\n${log}`);
    }
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      keys: () => client.keys('*'),
      async stop() {
        client.disconnect();
        if (proc.exitCode === null && proc.signalCode === null) {
          proc.kill('SIGKILL');
          await exited;
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}
