/**
 * The executor: executor/pagelab-executor.c, built on first use with the
 * system `cc` into a cache directory (never committed), and driven one line
 * per command (see the C file's header for the protocol).
 */
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The C source, beside src/ and dist/ alike. */
export const EXECUTOR_SOURCE = fileURLToPath(new URL('../executor/pagelab-executor.c', import.meta.url));

export function cacheDir(): string {
  return process.env['PAGELAB_CACHE'] ?? join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'pagelab');
}

/** Compiles the executor unless a binary of this exact source is cached; returns its path. */
export function buildExecutor(): string {
  const src = readFileSync(EXECUTOR_SOURCE);
  const hash = createHash('sha256').update(src).digest('hex').slice(0, 16);
  const dir = join(cacheDir(), 'executor');
  const bin = join(dir, `pagelab-executor-${hash}`);
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  const tmp = `${bin}.${process.pid}.tmp`;
  try {
    execFileSync(process.env['CC'] ?? 'cc', ['-O2', '-Wall', '-o', tmp, EXECUTOR_SOURCE], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const err = (e as { stderr?: Buffer }).stderr?.toString() ?? String(e);
    throw new Error(`could not build the kernel executor with cc (${EXECUTOR_SOURCE}):\n${err}`);
  }
  renameSync(tmp, bin);
  return bin;
}

/** One reply: the syscall's return value, errno, nanoseconds it took, and any extra words. */
export interface Reply {
  readonly rc: number;
  readonly errno: number;
  readonly ns: number;
  readonly extra: readonly string[];
}

export class Executor {
  private readonly child: ChildProcessWithoutNullStreams;
  private buffer = '';
  private readonly waiting: ((line: string | null) => void)[] = [];
  private exited = false;
  /** The controller's pid (workers open its memfds through /proc/PID/fd). */
  pid = 0;

  constructor(bin: string) {
    this.child = spawn(bin, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        this.waiting.shift()?.(line);
      }
    });
    this.child.on('exit', () => {
      this.exited = true;
      for (const w of this.waiting.splice(0)) w(null);
    });
  }

  static async start(): Promise<Executor> {
    const ex = new Executor(buildExecutor());
    ex.pid = (await ex.call('hello')).rc;
    return ex;
  }

  call(line: string): Promise<Reply> {
    if (this.exited) return Promise.reject(new Error('the kernel executor has exited'));
    return new Promise((resolve, reject) => {
      this.waiting.push((text) => {
        if (text === null) return reject(new Error(`the kernel executor exited during "${line}"`));
        const w = text.split(' ');
        if (w[0] !== 'R') return reject(new Error(`the kernel executor answered "${text}" to "${line}"`));
        resolve({ rc: Number(w[1]), errno: Number(w[2]), ns: Number(w[3]), extra: w.slice(4).filter((x) => x !== '') });
      });
      this.child.stdin.write(`${line}\n`);
    });
  }

  /** Ends the run: the controller tells every worker to exit and waits for them. */
  async close(): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.stdin.end();
    const timer = setTimeout(() => this.kill(), 10_000);
    await done;
    clearTimeout(timer);
  }

  /** SIGTERM: the controller SIGKILLs its workers and exits (signal path). */
  kill(): void {
    if (!this.exited) this.child.kill('SIGTERM');
  }
}
