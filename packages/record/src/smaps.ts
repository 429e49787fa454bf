/**
 * What the kernel itself says a program uses, sampled while it runs: for
 * every process of the program's tree, /proc/PID/smaps_rollup
 * (AnonHugePages, ShmemPmdMapped, Rss, Swap: fs/proc/task_mmu.c
 * show_smaps_rollup) and /proc/PID/status (RssAnon, RssShmem:
 * fs/proc/task_mmu.c task_mem), summed over the tree. The model holds only
 * anonymous and shmem memory, so `rssModelBytes` = RssAnon + RssShmem is
 * the Rss to hold its prediction against; `rssBytes` (with file pages) is
 * kept beside it.
 */
import { readFileSync, readdirSync } from 'node:fs';

export interface SmapsSample {
  /** Which run: the traced one (THP disabled) or the normal one. */
  readonly run: 'traced' | 'normal';
  /** Milliseconds since the run started. */
  readonly tMs: number;
  /** Monotonic ns (the fault tracer's clock) at the sample. */
  readonly tNs: number;
  readonly processes: number;
  readonly rssBytes: number;
  readonly rssModelBytes: number;
  readonly rssAnonBytes: number;
  readonly rssShmemBytes: number;
  readonly anonHugeBytes: number;
  readonly shmemPmdMappedBytes: number;
  readonly swapBytes: number;
}

const KB = 1024;

function kbField(text: string, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) * KB : 0;
}

/** pid -> parent pid, for every process now alive. */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
      const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(name), Number(after[1]));
    } catch {
      // gone between readdir and read
    }
  }
  return out;
}

/** The root and every descendant, minus `exclude` (the tracers). */
export function processTree(root: number, exclude: ReadonlySet<number> = new Set()): number[] {
  const pp = parents();
  const kids = new Map<number, number[]>();
  for (const [pid, ppid] of pp) {
    let k = kids.get(ppid);
    if (!k) kids.set(ppid, (k = []));
    k.push(pid);
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const p = stack.pop()!;
    if (!pp.has(p)) continue;
    if (!exclude.has(p)) out.push(p);
    stack.push(...(kids.get(p) ?? []));
  }
  return out.sort((a, b) => a - b);
}

/** One sample of a process tree; processes that vanish mid-read are skipped. */
export function sampleTree(pids: readonly number[], run: SmapsSample['run'], tMs: number, tNs: number): SmapsSample {
  let rss = 0,
    anon = 0,
    shmem = 0,
    huge = 0,
    shmemPmd = 0,
    swap = 0,
    n = 0;
  for (const pid of pids) {
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      if (!/^Rss:/m.test(rollup)) continue; // a kernel thread or a zombie: no mm
      rss += kbField(rollup, 'Rss');
      huge += kbField(rollup, 'AnonHugePages');
      shmemPmd += kbField(rollup, 'ShmemPmdMapped');
      swap += kbField(rollup, 'Swap');
      anon += kbField(status, 'RssAnon');
      shmem += kbField(status, 'RssShmem');
      n++;
    } catch {
      // exited
    }
  }
  return {
    run,
    tMs,
    tNs,
    processes: n,
    rssBytes: rss,
    rssModelBytes: anon + shmem,
    rssAnonBytes: anon,
    rssShmemBytes: shmem,
    anonHugeBytes: huge,
    shmemPmdMappedBytes: shmemPmd,
    swapBytes: swap,
  };
}

/** Samples a process tree every `intervalMs` until stop(); the samples in order. */
export function startSampler(
  root: () => number | undefined,
  exclude: () => ReadonlySet<number>,
  run: SmapsSample['run'],
  intervalMs: number,
): { stop(): SmapsSample[] } {
  const samples: SmapsSample[] = [];
  const t0 = process.hrtime.bigint();
  const tick = () => {
    const r = root();
    if (r === undefined) return;
    const now = process.hrtime.bigint();
    samples.push(sampleTree(processTree(r, exclude()), run, Number(now - t0) / 1e6, Number(now)));
  };
  const timer = setInterval(tick, intervalMs);
  tick();
  return {
    stop() {
      clearInterval(timer);
      return samples;
    },
  };
}
