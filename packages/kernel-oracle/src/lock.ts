/**
 * The kernel-state lock: one run (or test) at a time changes global kernel
 * state. A directory made atomically with mkdir, holding the owner's pid; a
 * lock whose pid is dead is stale and taken over.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const KERNEL_STATE_LOCK = '/tmp/pagelab-kernel-state.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ownerOf(dir: string): number | null {
  try {
    const pid = Number(readFileSync(join(dir, 'pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

export interface KernelStateLock {
  release(): void;
}

/**
 * Takes the lock, waiting up to `waitMs` for another holder; throws naming
 * the holder otherwise. The lock is re-entrant for its holder and for the
 * holder's children: a test that holds it around a snapshot, a run and a
 * second snapshot can run the CLI in a child process under it.
 */
export async function acquireKernelStateLock(waitMs = 600_000, dir = KERNEL_STATE_LOCK): Promise<KernelStateLock> {
  const deadline = Date.now() + waitMs;
  for (let attempt = 0; ; attempt++) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, 'pid'), `${process.pid}\n`);
      let held = true;
      return {
        release() {
          if (held && ownerOf(dir) === process.pid) rmSync(dir, { recursive: true, force: true });
          held = false;
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = ownerOf(dir);
    if (owner !== null && (owner === process.pid || owner === process.ppid)) return { release() {} };
    // No pid file yet: the holder is between mkdir and write; a dead pid is stale.
    if (owner !== null && !alive(owner)) {
      rmSync(dir, { recursive: true, force: true });
      continue;
    }
    if (owner === null && attempt > 20) {
      rmSync(dir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`the kernel-state lock ${dir} is held by pid ${owner ?? '?'}; another run is changing kernel knobs`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
