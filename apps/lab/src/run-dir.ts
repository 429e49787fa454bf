/**
 * Run directories appear whole or not at all: everything is written into a
 * hidden temporary directory beside the target and renamed onto it at the
 * end; on any error (or Ctrl-C) the temporary directory is removed.
 */
import { existsSync, rmSync } from 'node:fs';
import { mkdir, rename, rm, rmdir } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { CliError } from './context.js';

const pending = new Set<string>();

/** Removes temporary directories still being built (for a SIGINT handler). */
export function cleanupPending(): void {
  for (const dir of pending) rmSync(dir, { recursive: true, force: true });
  pending.clear();
}

export interface AtomicDirOptions {
  /** Replace an existing target instead of refusing. */
  readonly force?: boolean;
}

/** Builds `target` through `build(tempDir)`; the target appears only if build succeeds. */
export async function buildDirAtomically<T>(target: string, build: (dir: string) => Promise<T>, opts: AtomicDirOptions = {}): Promise<T> {
  if (existsSync(target) && !opts.force) {
    throw new CliError(`${target} already exists; remove it, choose another --out, or pass --force to replace it`);
  }
  const parent = dirname(target);
  const createdParent = !existsSync(parent);
  await mkdir(parent, { recursive: true });
  const temp = join(parent, `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(temp);
  pending.add(temp);
  try {
    const result = await build(temp);
    if (existsSync(target)) {
      const old = `${temp}.old`;
      await rename(target, old);
      await rename(temp, target);
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(temp, target);
    }
    return result;
  } catch (e) {
    await rm(temp, { recursive: true, force: true });
    // A parent made for this run (e.g. runs/) goes too if nothing else is in it.
    if (createdParent) await rmdir(parent).catch(() => undefined);
    throw e;
  } finally {
    pending.delete(temp);
  }
}
