/**
 * Run directories appear whole or not at all: everything is written into a
 * hidden temporary directory beside the target and renamed onto it at the
 * end; on any error (or SIGINT, SIGTERM, SIGHUP) the temporary directory is
 * removed. A SIGKILL cannot be caught: the temporary directory it leaves
 * carries the dead process's pid in its name, and the next run writing
 * into the same parent removes it.
 *
 * Two runs writing the same target do not both succeed: a claim file
 * (created with O_EXCL, holding the writer's pid) names who is building it,
 * and the final rename refuses to land on anything that appeared meanwhile.
 *
 * `--force` replaces a pagelab run directory and nothing else: not a file,
 * not a directory without pagelab's files, not the working directory or one
 * of its ancestors, and never a directory holding the input log.
 */
import { existsSync, lstatSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, rmdir } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { CliError } from './context.js';

const pending = new Set<string>();

/** Removes temporary directories and claims still being built (for the signal handlers); returns how many. */
export function cleanupPending(): number {
  const n = pending.size;
  for (const path of pending) rmSync(path, { recursive: true, force: true });
  pending.clear();
  return n;
}

export interface AtomicDirOptions {
  /** Replace an existing run directory instead of refusing. */
  readonly force?: boolean;
  /** Paths the run reads (the input log): never replaced, nor any directory holding them. */
  readonly inputs?: readonly string[];
  /** The working directory: never replaced, nor any of its ancestors. */
  readonly cwd?: string;
}

/** What pagelab writes into every run directory it makes (`run`: provenance.json; `compare`: compare.json). */
const RUN_MARKERS = ['provenance.json', 'compare.json'] as const;

/** Whether `dir` is a directory pagelab wrote: a run's provenance.json or a comparison's compare.json naming pagelab. */
export function isRunDirectory(dir: string): boolean {
  try {
    if (!lstatSync(dir).isDirectory()) return false;
  } catch {
    return false;
  }
  for (const marker of RUN_MARKERS) {
    const p = join(dir, marker);
    if (!existsSync(p)) continue;
    try {
      const v = JSON.parse(readFileSync(p, 'utf8')) as { pagelab?: unknown };
      if (typeof v === 'object' && v !== null && typeof v.pagelab === 'string') return true;
    } catch {
      // not pagelab's
    }
  }
  return false;
}

/** `inner` is `outer` or lies inside it. */
function within(inner: string, outer: string): boolean {
  const r = relative(outer, inner);
  return r === '' || (r !== '..' && !r.startsWith(`..${sep}`) && !isAbsolute(r));
}

/** Why `--force` may not replace `target`, or null when it may. */
export function forceRefusal(target: string, opts: AtomicDirOptions): string | null {
  let st;
  try {
    st = lstatSync(target);
  } catch {
    return null;
  }
  if (st.isSymbolicLink()) return `${target} is a symbolic link; --force replaces only a run directory written by pagelab`;
  if (!st.isDirectory()) return `${target} is a file, not a run directory; --force replaces only a run directory written by pagelab`;
  if (opts.cwd !== undefined && within(resolve(opts.cwd), target)) {
    return `${target} is the working directory or holds it; --force never replaces it`;
  }
  for (const input of opts.inputs ?? []) {
    if (within(resolve(input), target)) return `${target} holds the input log ${input}; --force never replaces it`;
  }
  if (!isRunDirectory(target)) {
    return `${target} is not a pagelab run directory (it has no provenance.json or compare.json written by pagelab); --force replaces only those. Choose another --out`;
  }
  return null;
}

/**
 * Whether process `pid` is alive (signal 0; EPERM means alive, owned by
 * someone else). A zombie — killed, not yet reaped by its parent, which in a
 * container whose init does not reap may be never — answers signal 0 too,
 * so /proc/PID/stat's state is checked: Z (or X) is dead.
 */
function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // "pid (comm) S ...": the state follows the last ')' (comm may contain spaces or parentheses).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // no /proc (not Linux): trust signal 0
  }
}

const TEMP_NAME = /^\..+\.tmp-(\d+)-[0-9a-f]{8}(\.old)?$/;
const CLAIM_NAME = /^\..+\.claim$/;

/** Removes what dead runs left in `parent`: temporary directories and claims whose pid no longer runs. */
export function removeStaleTemps(parent: string): string[] {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const p = join(parent, name);
    let pid: number | undefined;
    const m = TEMP_NAME.exec(name);
    if (m) pid = Number(m[1]);
    else if (CLAIM_NAME.test(name)) {
      try {
        pid = Number(readFileSync(p, 'utf8').trim());
      } catch {
        continue;
      }
    } else continue;
    if (alive(pid)) continue;
    try {
      if (!statSync(p).isDirectory() && m) continue;
    } catch {
      continue;
    }
    rmSync(p, { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/** Takes the claim on `target` (O_EXCL), or says who holds it. */
async function claim(target: string): Promise<string> {
  const path = join(dirname(target), `.${basename(target)}.claim`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const h = await open(path, 'wx');
      await h.writeFile(`${process.pid}\n`);
      await h.close();
      pending.add(path);
      return path;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (alive(holder)) throw new CliError(`${target} is being written by another pagelab run (pid ${holder}); wait for it, or choose another --out`);
      await rm(path, { force: true });
    }
  }
  throw new CliError(`${target}: could not claim it for writing; another run keeps claiming it`);
}

/** The guards of a run's --out: the working directory, and the input log when it is a file. */
export function outGuards(cwd: string, log: { readonly kind: string; readonly source: string }): AtomicDirOptions {
  return { cwd, inputs: log.kind === 'file' ? [resolve(cwd, log.source)] : [] };
}

/** Builds `target` through `build(tempDir)`; the target appears only if build succeeds. */
export async function buildDirAtomically<T>(target: string, build: (dir: string) => Promise<T>, opts: AtomicDirOptions = {}): Promise<T> {
  const refuseExisting = () => {
    if (!existsSync(target) && !isBrokenLink(target)) return;
    if (!opts.force) throw new CliError(`${target} already exists; remove it, choose another --out, or pass --force to replace it`);
    const why = forceRefusal(target, opts);
    if (why) throw new CliError(why);
  };
  refuseExisting();
  const parent = dirname(target);
  const createdParent = !existsSync(parent);
  await mkdir(parent, { recursive: true });
  removeStaleTemps(parent);
  const claimed = await claim(target);
  const temp = join(parent, `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    refuseExisting();
    await mkdir(temp);
    pending.add(temp);
    const result = await build(temp);
    // What exists now may have appeared while we built: check again under the claim.
    refuseExisting();
    if (existsSync(target)) {
      const old = `${temp}.old`;
      pending.add(old);
      await rename(target, old);
      await rename(temp, target);
      await rm(old, { recursive: true, force: true });
      pending.delete(old);
    } else {
      // rename(2) onto a non-empty directory fails (ENOTEMPTY) rather than replacing it.
      await rename(temp, target);
    }
    return result;
  } catch (e) {
    await rm(temp, { recursive: true, force: true });
    // A parent made for this run (e.g. runs/) goes too if nothing else is in it.
    if (createdParent) {
      await rm(claimed, { force: true });
      await rmdir(parent).catch(() => undefined);
    }
    throw e;
  } finally {
    pending.delete(temp);
    await rm(claimed, { force: true });
    pending.delete(claimed);
  }
}

function isBrokenLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
