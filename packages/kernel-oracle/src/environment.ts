/**
 * What a run creates on the machine besides knobs, each removed after: a
 * swap file (for pageout and reclaim), a file for O_DIRECT I/O on the root
 * ext4, a tracefs mount if none was mounted, and a private tracefs
 * instance.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const TRACEFS = '/sys/kernel/tracing';

/** Undo actions, run newest first. */
export class Cleanup {
  private readonly steps: { what: string; undo: () => void }[] = [];
  add(what: string, undo: () => void): void {
    this.steps.push({ what, undo });
  }
  run(): string[] {
    const failed: string[] = [];
    for (const s of this.steps.splice(0).reverse()) {
      try {
        s.undo();
      } catch (e) {
        failed.push(`${s.what}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return failed;
  }
}

/** A swap file of `bytes` under /var/tmp, active until cleanup. */
export function createSwap(cleanup: Cleanup, bytes: number): string {
  const path = `/var/tmp/pagelab-swap-${process.pid}`;
  const fd = openSync(path, 'w', 0o600);
  cleanup.add(`remove ${path}`, () => rmSync(path, { force: true }));
  // Written out, not sparse: swapon refuses files with holes.
  const chunk = Buffer.alloc(1 << 20);
  for (let done = 0; done < bytes; done += chunk.length) writeSync(fd, chunk, 0, Math.min(chunk.length, bytes - done));
  closeSync(fd);
  execFileSync('mkswap', [path], { stdio: 'ignore' });
  execFileSync('swapon', [path], { stdio: 'pipe' });
  cleanup.add(`swapoff ${path}`, () => execFileSync('swapoff', [path], { stdio: 'pipe' }));
  return path;
}

/** A zero-filled file for O_DIRECT reads and writes of up to `bytes`. */
export function createDioFile(cleanup: Cleanup, bytes: number): string {
  const path = `/var/tmp/pagelab-dio-${process.pid}`;
  writeFileSync(path, Buffer.alloc(bytes));
  cleanup.add(`remove ${path}`, () => rmSync(path, { force: true }));
  return path;
}

function tracefsMounted(): boolean {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[1] === TRACEFS && l.split(' ')[2] === 'tracefs');
}

/** The event groups a run records. */
export const TRACE_GROUPS = ['huge_memory', 'compaction', 'migrate'] as const;

/** A private tracefs instance recording TRACE_GROUPS; returns its directory. */
export function createTraceInstance(cleanup: Cleanup): string {
  if (!tracefsMounted()) {
    execFileSync('mount', ['-t', 'tracefs', 'nodev', TRACEFS], { stdio: 'pipe' });
    cleanup.add(`umount ${TRACEFS}`, () => execFileSync('umount', [TRACEFS], { stdio: 'pipe' }));
  }
  const dir = join(TRACEFS, 'instances', `pagelab-${process.pid}`);
  mkdirSync(dir);
  cleanup.add(`remove tracefs instance ${dir}`, () => {
    if (existsSync(dir)) rmdirSync(dir);
  });
  writeFileSync(join(dir, 'buffer_size_kb'), '8192');
  // CLOCK_MONOTONIC: records compare with the driver's event times (process.hrtime).
  writeFileSync(join(dir, 'trace_clock'), 'mono');
  for (const g of TRACE_GROUPS) if (existsSync(join(dir, 'events', g))) writeFileSync(join(dir, 'events', g, 'enable'), '1');
  writeFileSync(join(dir, 'tracing_on'), '1');
  return dir;
}

export function readTrace(dir: string): string {
  writeFileSync(join(dir, 'tracing_on'), '0');
  return readFileSync(join(dir, 'trace'), 'utf8');
}

/** DAMON's sysfs interface: one directory per kdamond. */
export const DAMON_KDAMONDS = '/sys/kernel/mm/damon/admin/kdamonds';

/**
 * Whatever clears and moves accessed bits behind the log's back while a run
 * goes on: each DAMON kdamond that is on (read only, never stopped: it is
 * the machine's, not ours). A physical- or virtual-address monitor clears
 * PTE young bits as it samples and sets the folio's young flag instead
 * (damon_ptep_mkold -> folio_set_young), which khugepaged counts as
 * referenced (hpage_collapse_scan_pmd: pte_young || folio_test_young ||
 * folio_test_referenced); the model keeps PTE young bits only. So while one
 * runs, the scans' `referenced` counts are not the log's alone.
 */
export function accessBitAgents(root = DAMON_KDAMONDS): string[] {
  const out: string[] = [];
  let names: string[];
  try {
    names = readdirSync(root).filter((n) => /^\d+$/.test(n));
  } catch {
    return out; // no DAMON sysfs: nothing to report
  }
  const read = (p: string) => {
    try {
      return readFileSync(p, 'utf8').trim();
    } catch {
      return '';
    }
  };
  for (const n of names.sort((a, b) => Number(a) - Number(b))) {
    const dir = join(root, n);
    if (read(join(dir, 'state')) !== 'on') continue;
    const ops = read(join(dir, 'contexts/0/operations')) || 'unknown';
    out.push(`DAMON kdamond ${n} (pid ${read(join(dir, 'pid')) || '?'}, ${ops} operations) was on`);
  }
  return out;
}
