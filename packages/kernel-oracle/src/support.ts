/**
 * What this machine and this executor can run: a refusal names every reason
 * at once (not root, no THP, events the kernel cannot perform here), and the
 * events it can only approximate are listed in the output.
 */
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import type { WorkloadEvent } from '@pagelab/events';
import { THP_DIR } from './knobs.js';

/** Event types the running kernel cannot perform, and why. */
export const UNSUPPORTED: Readonly<Partial<Record<WorkloadEvent['type'], string>>> = {
  alloc_contig: 'alloc_contig_range/CMA needs CONFIG_CMA and a driver; no user interface reaches it',
  free_contig: 'pairs with alloc_contig',
  driver_alloc: 'a driver holding unmovable pages needs a kernel module',
  driver_free: 'pairs with driver_alloc',
  memory_failure: 'MADV_HWPOISON needs CONFIG_MEMORY_FAILURE',
};

export interface LineEvent {
  readonly line: number;
  readonly event: WorkloadEvent;
}

/** Why this machine cannot run logs at all, or [] when it can. */
export function machineRefusals(): string[] {
  const why: string[] = [];
  if (process.platform !== 'linux') why.push(`not Linux (${process.platform})`);
  else {
    if (typeof process.getuid === 'function' && process.getuid() !== 0) why.push('not root (knobs under /sys/kernel/mm and /proc/kpageflags need root)');
    if (!hasCompiler()) why.push('no C compiler (cc) to build the executor');
    if (!existsSync(`${THP_DIR}/enabled`)) why.push(`no transparent huge pages (${THP_DIR} is missing)`);
    else if (!existsSync(`${THP_DIR}/khugepaged/scan_sleep_millisecs`)) why.push('no khugepaged knobs');
    // A container mounts /sys read-only (and /.dockerenv alone says nothing: some VMs carry one).
    else if (!writable(`${THP_DIR}/enabled`)) why.push(`${THP_DIR} is read-only (a container?)`);
  }
  return why;
}

function hasCompiler(): boolean {
  const cc = process.env['CC'] ?? 'cc';
  if (cc.includes('/')) return existsSync(cc);
  return (process.env['PATH'] ?? '').split(':').some((d) => d !== '' && existsSync(`${d}/${cc}`));
}

function writable(p: string): boolean {
  try {
    accessSync(p, constants.W_OK);
    return !readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .some((l) => l.split(' ')[1] === '/sys' && /(^|,)ro(,|$)/.test(l.split(' ')[3] ?? ''));
  } catch {
    return false;
  }
}

/** The log's events that cannot run here, by line. */
export function unsupportedEvents(events: readonly LineEvent[]): { line: number; type: string; why: string }[] {
  return events.flatMap(({ line, event }) => {
    const why = UNSUPPORTED[event.type];
    return why ? [{ line, type: event.type, why }] : [];
  });
}

/** One line per kind of event that runs only approximately, with how often it occurs. */
export function approximations(events: readonly LineEvent[], initialEnabled = 'always'): string[] {
  const count = (pred: (e: WorkloadEvent) => boolean) => events.filter(({ event }) => pred(event)).length;
  const notes: string[] = [];
  const add = (n: number, text: string) => n > 0 && notes.push(`${n} ${text}`);
  const always = initialEnabled === 'always' || events.some(({ event: e }) => e.type === 'sysctl' && e.key === 'thp.enabled' && e.value === 'always');
  if (always)
    notes.push(
      'thp.enabled=always: run as madvise plus MADV_HUGEPAGE on every anon mapping of the log, so khugepaged scans the log and not every process on the machine',
    );
  add(
    count((e) => e.type === 'reclaim'),
    'reclaim event(s): approximated by drop_caches=2 (every shrinker), then MADV_PAGEOUT of log mappings 2 MiB at a time until the pages asked for are free (shrinker frees estimated from MemFree)',
  );
  add(
    count((e) => e.type === 'pin' && (e.longterm !== true || e.write === false)),
    'pin(s) asked for a transient or read-only pin: made as an io_uring FOLL_LONGTERM|FOLL_WRITE pin, the only pin user space can make',
  );
  add(
    count((e) => e.type === 'get' && e.write === true),
    'get(s) with write: vmsplice takes read references',
  );
  add(
    count((e) => e.type === 'khugepaged' && e.pid !== undefined),
    'khugepaged event(s) with pid: the kernel scans every registered process',
  );
  add(
    count((e) => e.type === 'khugepaged'),
    'khugepaged event(s): one pass is one full scan (full_scans advanced)',
  );
  add(
    count((e) => e.type === 'compact'),
    'compact event(s): /proc/sys/vm/compact_memory compacts every zone, order and node ignored',
  );
  return notes;
}
