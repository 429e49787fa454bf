/**
 * The promise of the README under faults, through the real `pagelab` bin:
 * a run or a comparison killed mid-way (SIGINT, SIGTERM, SIGKILL) or
 * stopped by a full disk leaves no run directory at --out, and a rerun to
 * the same --out works (and removes what a SIGKILL had to leave behind).
 * The full disk is a small tmpfs mounted as the parent of --out: root only,
 * under the kernel-state lock, unmounted even when the test fails.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/pagelab.js', import.meta.url));
const MiB = 1 << 20;
let dir: string;

/** A log whose replay takes seconds and writes ~160 bytes per khugepaged pass (two PMD ranges scanned each). */
function slowLog(name: string, passes: number): string {
  const lines = [
    { pagelab: 1, machine: { memory: 64 * MiB, nodes: 1, cma: 0, swap: 0 }, workload: { name: 'slow', seed: 1 } },
    { type: 'spawn', pid: 1 },
    { type: 'mmap', pid: 1, addr: 4 * MiB, len: 4 * MiB, kind: 'anon' },
    { type: 'touch', pid: 1, addr: 4 * MiB, len: 2 * MiB, write: true },
    { type: 'khugepaged', passes },
  ];
  const path = join(dir, name);
  writeFileSync(path, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  return path;
}

const started: ChildProcess[] = [];
function pagelab(args: string[]): ChildProcess {
  // Its own process group, so a SIGKILL can take the bin and the app it runs from source together, as kill -9 -PGID does.
  const p = spawn(process.execPath, [bin, ...args], {
    cwd: dir,
    env: { ...process.env, PAGELAB_FROM_SOURCE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  started.push(p);
  return p;
}
function runSync(args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, env: { ...process.env, PAGELAB_FROM_SOURCE: '1' }, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stderr: r.stderr };
}
const exited = (p: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => p.on('exit', (code, signal) => done({ code, signal })));

/** Waits until the run's temporary directory exists in `parent` (the replay is under way), or the process ended. */
async function midRun(p: ChildProcess, parent: string): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    if (p.exitCode !== null) throw new Error('the run ended before it could be interrupted');
    if (existsSync(parent) && readdirSync(parent).some((n) => n.includes('.tmp-'))) return;
    if (Date.now() - t0 > 60_000) throw new Error('no temporary directory appeared within 60 s');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Waits until the run's observations are reaching the disk: a file in its
 * temporary directory (or a design's subdirectory of it) holds bytes, which
 * the writer flushes 1 MiB at a time as the replay goes, so the replay is
 * under way and far from done.
 */
async function replaying(p: ChildProcess, parent: string): Promise<void> {
  const written = (d: string): boolean =>
    readdirSync(d, { withFileTypes: true }).some((e) => (e.isDirectory() ? written(join(d, e.name)) : statSync(join(d, e.name)).size > 0));
  const t0 = Date.now();
  for (;;) {
    if (p.exitCode !== null) throw new Error('the run ended before it could be interrupted');
    const temps = existsSync(parent) ? readdirSync(parent).filter((n) => n.includes('.tmp-')) : [];
    try {
      if (temps.some((n) => written(join(parent, n)))) return;
    } catch {
      // the directory moved while it was read: look again
    }
    if (Date.now() - t0 > 150_000) throw new Error('no observations reached the disk within 150 s');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The process's stderr, collected as it comes. */
function stderrOf(p: ChildProcess): () => string {
  let text = '';
  p.stderr!.on('data', (b: Buffer) => (text += b.toString()));
  return () => text;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pagelab-faults-'));
  slowLog('slow.jsonl', 400_000);
  slowLog('quick.jsonl', 10);
});
afterAll(() => {
  // A failed case may leave its run going: end its process group, so no replay outlives the test.
  for (const p of started) {
    if (p.exitCode === null && p.signalCode === null) {
      try {
        process.kill(-p.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

// Each case starts node with tsx (1-3 s) and replays for seconds: budgets sized for a loaded 2-core machine.
describe('a run or comparison interrupted mid-way', () => {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    it(`${signal} mid-run: exit ${code}, nothing left in the parent, and a rerun to the same --out works`, async () => {
      const parent = join(dir, `runs-${signal}`);
      const p = pagelab(['run', 'slow.jsonl', '--design', 'linux-6.10', '--out', join(parent, 'out')]);
      await midRun(p, parent);
      p.kill(signal);
      expect((await exited(p)).code).toBe(code);
      expect(existsSync(parent) ? readdirSync(parent) : []).toEqual([]);
      expect(runSync(['run', 'quick.jsonl', '--design', 'linux-6.10', '--out', join(parent, 'out')]).status).toBe(0);
      expect(readdirSync(parent)).toEqual(['out']);
    }, 180_000);
  }

  it('SIGKILL mid-run: no run directory; the rerun to the same --out removes the dead run temporary directory', async () => {
    const parent = join(dir, 'runs-kill');
    const p = pagelab(['run', 'slow.jsonl', '--design', 'linux-6.10', '--out', join(parent, 'out')]);
    await midRun(p, parent);
    // The bin runs the app in a child (from source): kill the group, as `kill -9 -PGID` would.
    process.kill(-p.pid!, 'SIGKILL');
    await exited(p);
    await new Promise((r) => setTimeout(r, 200));
    expect(readdirSync(parent).some((n) => n === 'out')).toBe(false);
    expect(runSync(['run', 'quick.jsonl', '--design', 'linux-6.10', '--out', join(parent, 'out')]).status).toBe(0);
    expect(readdirSync(parent)).toEqual(['out']);
  }, 180_000);

  it('SIGINT mid-compare: no comparison directory, and a rerun to the same --out works', async () => {
    const parent = join(dir, 'cmp-int');
    const p = pagelab(['compare', 'slow.jsonl', '--designs', 'linux-5.8,linux-6.10', '--out', join(parent, 'out')]);
    await midRun(p, parent);
    p.kill('SIGINT');
    expect((await exited(p)).code).toBe(130);
    expect(existsSync(parent) ? readdirSync(parent) : []).toEqual([]);
    expect(runSync(['compare', 'quick.jsonl', '--designs', 'linux-5.8,linux-6.10', '--out', join(parent, 'out')]).status).toBe(0);
    expect(readdirSync(parent)).toEqual(['out']);
  }, 180_000);

  it('SIGKILL mid-compare: no comparison directory; the rerun works and cleans up', async () => {
    const parent = join(dir, 'cmp-kill');
    const p = pagelab(['compare', 'slow.jsonl', '--designs', 'linux-5.8,linux-6.10', '--out', join(parent, 'out')]);
    await midRun(p, parent);
    process.kill(-p.pid!, 'SIGKILL');
    await exited(p);
    await new Promise((r) => setTimeout(r, 200));
    expect(readdirSync(parent).includes('out')).toBe(false);
    expect(runSync(['compare', 'quick.jsonl', '--designs', 'linux-5.8,linux-6.10', '--out', join(parent, 'out')]).status).toBe(0);
    expect(readdirSync(parent)).toEqual(['out']);
  }, 180_000);
});

// A named scenario is replayed from memory, in slices of events with the event loop run between them: a signal
// stops it mid-replay, not after the last event. The run says where it stopped, which shows it: fewer events
// applied than the log has. (A replay that ignored the signal until its end would report all of them.)
describe('a generated scenario interrupted mid-replay', () => {
  // A sample after every event: the observations reach the disk within the first thousand events, and the whole
  // replay would take minutes.
  const EVENTS = 200_000;
  const stoppedAt = (stderr: string) => {
    const m = /SIGINT: stopped after ([\d,]+) of ([\d,]+) events under ([^;\s]+)/.exec(stderr);
    expect(m, stderr).not.toBeNull();
    return { applied: Number(m![1]!.replace(/,/g, '')), events: Number(m![2]!.replace(/,/g, '')), design: m![3] };
  };

  it('SIGINT while `run mixed` replays: it stops within a slice of events, exit 130, nothing left, and a rerun works', async () => {
    const parent = join(dir, 'scn-run');
    const out = join(parent, 'out');
    const p = pagelab(['run', 'mixed', '-p', `events=${EVENTS}`, '--design', 'linux-6.10', '--sample-every', '1', '--out', out]);
    const stderr = stderrOf(p);
    await replaying(p, parent);
    p.kill('SIGINT');
    expect((await exited(p)).code).toBe(130);
    const at = stoppedAt(stderr());
    expect(at.events).toBe(EVENTS);
    expect(at.applied).toBeGreaterThan(0);
    expect(at.applied).toBeLessThan(EVENTS);
    expect(existsSync(parent) ? readdirSync(parent) : []).toEqual([]);
    expect(runSync(['run', 'mixed', '-p', 'events=2000', '--design', 'linux-6.10', '--out', out]).status).toBe(0);
    expect(readdirSync(parent)).toEqual(['out']);
  }, 180_000);

  it('SIGINT while `compare mixed` replays its first design: it stops there, exit 130, nothing left, and a rerun works', async () => {
    const parent = join(dir, 'scn-cmp');
    const out = join(parent, 'out');
    const p = pagelab(['compare', 'mixed', '-p', `events=${EVENTS}`, '--designs', 'linux-5.8,linux-6.10', '--sample-every', '1', '--out', out]);
    const stderr = stderrOf(p);
    await replaying(p, parent);
    p.kill('SIGINT');
    expect((await exited(p)).code).toBe(130);
    const at = stoppedAt(stderr());
    expect([at.design, at.events]).toEqual(['linux-5.8', EVENTS]);
    expect(at.applied).toBeLessThan(EVENTS);
    expect(existsSync(parent) ? readdirSync(parent) : []).toEqual([]);
    expect(runSync(['compare', 'mixed', '-p', 'events=2000', '--designs', 'linux-5.8,linux-6.10', '--out', out]).status).toBe(0);
    expect(readdirSync(parent)).toEqual(['out']);
  }, 180_000);
});

const LOCK = '/tmp/pagelab-kernel-state.lock';

/** The kernel-state lock of the project's rules: mkdir is atomic; a lock whose pid is dead is stale. */
async function takeLock(): Promise<() => void> {
  for (let i = 0; ; i++) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), `${process.pid}\n`);
      return () => rmSync(LOCK, { recursive: true, force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(
        (() => {
          try {
            return readFileSync(join(LOCK, 'pid'), 'utf8');
          } catch {
            return '';
          }
        })().trim(),
      );
      let alive = false;
      try {
        process.kill(pid, 0);
        alive = true;
      } catch {
        alive = false;
      }
      if (!alive && pid > 0) rmSync(LOCK, { recursive: true, force: true });
      if (i > 600) throw new Error(`${LOCK} held by pid ${pid} for 5 minutes`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const canMount = isRoot && spawnSync('which', ['mount']).status === 0;

describe('a full disk', () => {
  it.skipIf(!canMount)(
    'ENOSPC mid-run: exit 2 with the reason, no partial run directory; a rerun that fits works',
    async () => {
      const release = await takeLock();
      const mnt = join(dir, 'small-disk');
      mkdirSync(mnt, { recursive: true });
      let mounted = false;
      const umount = () => {
        if (mounted) spawnSync('umount', [mnt]);
        mounted = false;
      };
      process.once('exit', umount);
      try {
        const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { encoding: 'utf8' });
        if (m.status !== 0) {
          console.log(`skipped: cannot mount a tmpfs here (${m.stderr.trim()})`);
          return;
        }
        mounted = true;
        slowLog('fills.jsonl', 20_000); // ~6 MB of observations for a 1 MiB disk
        const r = runSync(['run', 'fills.jsonl', '--design', 'linux-6.10', '--out', join(mnt, 'out')]);
        expect(r.status).toBe(2);
        expect(r.stderr).toMatch(/ENOSPC|no space left/i);
        expect(readdirSync(mnt)).toEqual([]);
        expect(runSync(['run', 'quick.jsonl', '--design', 'linux-6.10', '--out', join(mnt, 'out')]).status).toBe(0);
        expect(readdirSync(mnt)).toEqual(['out']);
      } finally {
        umount();
        process.removeListener('exit', umount);
        rmdirSync(mnt);
        release();
      }
    },
    180_000,
  );

  it.skipIf(canMount)('is skipped where a tmpfs cannot be mounted (needs root)', () => {
    console.log('skipped: the full-disk test mounts a tmpfs, which needs root');
  });
});
