/**
 * Recording a real program: run it twice.
 *
 * 1. Traced: perf records the exceptions:page_fault_user and
 *    page_fault_kernel tracepoints (address, error code; the kernel ones
 *    are the program's too, e.g. read() into a fresh buffer) around strace
 *    -f, which records every memory syscall and the process tree with
 *    times. The program runs under a wrapper that sets PR_SET_THP_DISABLE,
 *    so every first touch is a 4 KiB fault the trace sees (a THP fault
 *    would map 512 pages at once and hide 511 first touches).
 * 2. Normal: the same command under the same wrapper without the THP
 *    switch, untraced, so the AnonHugePages the kernel reports are what the
 *    program gets on this machine.
 *
 * Both runs turn ASLR off, and /proc/PID/smaps_rollup of the program's
 * process tree is sampled every `intervalMs` in both. The two runs may
 * still differ: strace slows every syscall (often 2-10x), so timers,
 * khugepaged's scans and the interleaving of processes differ; a program
 * reading the clock, the network or random data may take another path;
 * and the traced run has no THPs at all, so khugepaged had nothing of the
 * program's to scan then.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { SYSCTL_KEYS, sysctlValues, type LogHeader, type Settings, type SysctlKey, type WorkloadEvent } from '@pagelab/events';
import { acquireKernelStateLock } from '@pagelab/kernel-oracle';
import { convert, type Conversion } from './convert.js';
import { startSampler, type SmapsSample } from './smaps.js';
import { parseStrace } from './strace.js';
import { findTools, recordingProblems } from './tools.js';
import { parseTracepoints } from './tracepoints.js';
import { clockOffsetNs, wrapper } from './wrapper.js';
import { startTracefsFaults, tracefsAvailable } from './tracefs.js';
import type { Unusable } from './trace.js';

export interface RecordOptions {
  readonly argv: readonly string[];
  /** The workload name in the header (default: the program's basename). */
  readonly name?: string;
  /** Header settings to use instead of what this machine's sysfs says (thp.enabled=always, ...). */
  readonly settings?: Settings;
  /** smaps_rollup sampling period. Default 100 ms. */
  readonly intervalMs?: number;
  /** Skip the normal (THP-enabled, untraced) run. */
  readonly skipNormalRun?: boolean;
  /** Where the program's own stdout/stderr go. Default: inherited. */
  readonly programOutput?: 'inherit' | 'ignore';
  readonly cwd?: string;
  /** Called when the kernel-state lock is held by another run, before waiting for it. */
  readonly onWait?: (message: string) => void;
  /** Who records the faults: perf (default when installed) or a private tracefs instance. */
  readonly faults?: 'perf' | 'tracefs';
}

export interface RunFacts {
  readonly exitCode: number | null;
  readonly durationMs: number;
  readonly samples: SmapsSample[];
}

export interface Recording extends Conversion {
  readonly traced: RunFacts;
  readonly normal: RunFacts | undefined;
  /** smaps samples with the seq of the log event each lines up with. */
  readonly smaps: readonly (SmapsSample & { seq: number })[];
  readonly unusable: readonly Unusable[];
  /** How the normal run's samples were lined up with the log (absent without a normal run). */
  readonly alignment?: Alignment;
  /** Fault records perf says it lost (its buffer overflowed), 0 when none. */
  readonly lostFaults: number;
}

export class RecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordError';
  }
}

/** The THP tunables as this machine's sysfs has them, in the header's vocabulary. */
export function machineSettings(): Settings {
  const files: Partial<Record<SysctlKey, string>> = {
    'thp.enabled': '/sys/kernel/mm/transparent_hugepage/enabled',
    'thp.defrag': '/sys/kernel/mm/transparent_hugepage/defrag',
    'thp.shmem_enabled': '/sys/kernel/mm/transparent_hugepage/shmem_enabled',
    'khugepaged.max_ptes_none': '/sys/kernel/mm/transparent_hugepage/khugepaged/max_ptes_none',
    'khugepaged.max_ptes_swap': '/sys/kernel/mm/transparent_hugepage/khugepaged/max_ptes_swap',
    'khugepaged.max_ptes_shared': '/sys/kernel/mm/transparent_hugepage/khugepaged/max_ptes_shared',
    'khugepaged.pages_to_scan': '/sys/kernel/mm/transparent_hugepage/khugepaged/pages_to_scan',
  };
  const out: Record<string, string | number> = {};
  for (const key of SYSCTL_KEYS) {
    const f = files[key];
    if (!f) continue;
    let text: string;
    try {
      text = readFileSync(f, 'utf8').trim();
    } catch {
      continue;
    }
    // "always [madvise] never": the bracketed word is the setting.
    const chosen = /\[([^\]]+)\]/.exec(text)?.[1] ?? text;
    const value: string | number = /^\d+$/.test(chosen) ? Number(chosen) : chosen;
    if ((sysctlValues[key] as { is(u: unknown): boolean }).is(value)) out[key] = value;
  }
  return out as Settings;
}

/** tmpfs mount points (files there are shmem). */
function tmpfsMounts(): string[] {
  try {
    return readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' '))
      .filter((f) => f[2] === 'tmpfs')
      .map((f) => f[1]!.replace(/\\040/g, ' '));
  } catch {
    return [];
  }
}

function exePath(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}

/** Runs argv as a child, sampling its tree; `exclude` names tracer processes inside the tree. */
function runSampled(
  argv: readonly string[],
  run: SmapsSample['run'],
  intervalMs: number,
  opts: RecordOptions,
  tracerExes: readonly string[],
): Promise<RunFacts> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', opts.programOutput ?? 'inherit', opts.programOutput ?? 'inherit'], cwd: opts.cwd });
    const tracers = new Set<number>();
    const sampler = startSampler(
      () => child.pid,
      () => {
        // perf and strace sit at the top of the traced tree: leave them out of the program's numbers.
        if (tracerExes.length > 0 && child.pid !== undefined) {
          tracers.add(child.pid);
          try {
            for (const line of readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/)) {
              const p = Number(line);
              if (p > 0 && tracerExes.includes(exePath(p) ?? '')) tracers.add(p);
            }
          } catch {
            // not yet, or gone
          }
        }
        return tracers;
      },
      run,
      intervalMs,
    );
    child.on('error', (e) => {
      sampler.stop();
      reject(new RecordError(`could not start ${argv[0]}: ${e.message}`));
    });
    child.on('exit', (code) => {
      const samples = sampler.stop();
      resolve({ exitCode: code, durationMs: Number(process.hrtime.bigint() - t0) / 1e6, samples });
    });
  });
}

/** When the program was alive (samples with a process), and where its number of processes changed, and to what. */
function landmarks(samples: readonly SmapsSample[]): { start: number; end: number; changes: { tMs: number; count: number }[] } | undefined {
  const alive = samples.filter((s) => s.processes > 0);
  if (alive.length === 0) return undefined;
  const changes: { tMs: number; count: number }[] = [];
  for (let i = 1; i < alive.length; i++) {
    if (alive[i]!.processes !== alive[i - 1]!.processes) changes.push({ tMs: (alive[i]!.tMs + alive[i - 1]!.tMs) / 2, count: alive[i]!.processes });
  }
  return { start: alive[0]!.tMs, end: alive[alive.length - 1]!.tMs, changes };
}

/**
 * Maps a time of the normal run to the traced run's time: from the first
 * sample that saw the program to the last, piecewise linear through the
 * moments the process count changed (a fork, an exit) when both runs
 * changed it in the same sequence, else by the fraction of that span. The
 * traced run is slower, and not uniformly (faults and syscalls are slowed,
 * sleeps are not; perf and strace take a while to start), so the landmarks
 * line the phases up better than elapsed time.
 */
export function timeWarp(
  normal: Pick<RunFacts, 'samples' | 'durationMs'>,
  traced: Pick<RunFacts, 'samples' | 'durationMs'>,
): ((tMs: number) => number) & { how: Alignment } {
  const n = landmarks(normal.samples),
    t = landmarks(traced.samples);
  if (!n || !t)
    return Object.assign((tMs: number) => (normal.durationMs > 0 ? (tMs / normal.durationMs) * traced.durationMs : 0), { how: 'fraction' as const });
  const same = n.changes.length > 0 && n.changes.length === t.changes.length && n.changes.every((x, i) => x.count === t.changes[i]!.count);
  const anchors: [number, number][] = [
    [n.start, t.start],
    ...(same ? n.changes.map((x, i): [number, number] => [x.tMs, t.changes[i]!.tMs]) : []),
    [n.end, t.end],
  ];
  const f = (tMs: number) => {
    if (tMs <= anchors[0]![0]) return anchors[0]![1];
    for (let i = 1; i < anchors.length; i++) {
      const [a0, b0] = anchors[i - 1]!,
        [a1, b1] = anchors[i]!;
      if (tMs <= a1) return a1 > a0 ? b0 + ((tMs - a0) / (a1 - a0)) * (b1 - b0) : b1;
    }
    return anchors[anchors.length - 1]![1];
  };
  return Object.assign(f, { how: same ? ('landmarks' as const) : ('fraction' as const) });
}

/** How the normal run's samples were lined up with the log. */
export type Alignment = 'landmarks' | 'rss-dtw' | 'fraction';

/** DTW is O(n m) in time and memory: past this many cells the fraction alignment is kept. */
const DTW_MAX_CELLS = 4_000_000;

/**
 * Dynamic time warping of the normal run's RssAnon+RssShmem curve onto the
 * traced run's (both runs do the same things, at different speeds): for
 * each normal sample, the traced sample it is matched with, or undefined
 * when the runs are too long for it. Rss decides the matching, so the Rss
 * error measured after it is optimistic; AnonHugePages (absent from the
 * traced run, which had THP off) is not used and stays an honest check.
 */
export function rssDtw(normal: readonly SmapsSample[], traced: readonly SmapsSample[]): number[] | undefined {
  const n = normal.length,
    m = traced.length;
  if (n === 0 || m === 0 || n * m > DTW_MAX_CELLS) return undefined;
  const scale = Math.max(1, ...normal.map((s) => s.rssModelBytes), ...traced.map((s) => s.rssModelBytes));
  const cost = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const d = Math.abs(normal[i]!.rssModelBytes - traced[j]!.rssModelBytes) / scale;
      const best =
        i === 0 && j === 0
          ? 0
          : Math.min(
              i > 0 ? cost[(i - 1) * m + j]! : Infinity,
              j > 0 ? cost[i * m + j - 1]! : Infinity,
              i > 0 && j > 0 ? cost[(i - 1) * m + j - 1]! : Infinity,
            );
      cost[i * m + j] = d + best;
    }
  }
  // Walk back from the end: the first cell met in a row is the latest traced sample matched to that normal sample.
  const match = new Array<number>(n).fill(-1);
  let i = n - 1,
    j = m - 1;
  match[i] = j;
  while (i > 0 || j > 0) {
    const diag = i > 0 && j > 0 ? cost[(i - 1) * m + j - 1]! : Infinity,
      up = i > 0 ? cost[(i - 1) * m + j]! : Infinity,
      left = j > 0 ? cost[i * m + j - 1]! : Infinity;
    if (diag <= up && diag <= left) {
      i--;
      j--;
    } else if (up <= left) i--;
    else j--;
    if (match[i] === -1) match[i] = j;
  }
  return match;
}

/** The seq of the last event at or before time t (0 = before any event). */
function seqAt(times: readonly number[], t: number): number {
  let lo = 0,
    hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Records `argv`: the traced run, the conversion, then the normal run.
 * Throws a RecordError naming the missing tool (and how to install it) or
 * what went wrong; writes nothing itself (see writeRecording).
 */
export async function recordProgram(opts: RecordOptions): Promise<Recording> {
  if (opts.argv.length === 0) throw new RecordError('no command to record (pagelab record -- CMD ARGS...)');
  const tools = findTools();
  const via = opts.faults ?? (tools.perf.path ? 'perf' : 'tracefs');
  if (via === 'tracefs' && !tracefsAvailable())
    throw new RecordError(`cannot record faults: no perf (${tools.perf.install}) and no tracefs with exceptions:page_fault_user at /sys/kernel/tracing`);
  const problems = recordingProblems(tools, via);
  if (problems.length > 0) throw new RecordError(`cannot record: ${problems.join('; ')}`);
  const w = wrapper(tools.cc.path, tools.python3.path);
  const intervalMs = opts.intervalMs ?? 100;
  // Tests and runs that change THP knobs hold the kernel-state lock; holding it while recording keeps
  // the settings read into the header the ones both runs ran under.
  const lock = await acquireKernelStateLock(1_000).catch(async () => {
    opts.onWait?.('waiting for the kernel-state lock (another run is changing THP knobs)');
    return acquireKernelStateLock();
  });
  const dir = mkdtempSync(join(tmpdir(), 'pagelab-record-'));
  try {
    const perfData = join(dir, 'faults.perf'),
      straceOut = join(dir, 'strace.txt');
    const offset = clockOffsetNs(w);
    const straceArgv = [
      tools.strace.path!,
      '-f',
      '-q',
      '--timestamps=unix,us',
      '-T',
      '-yy',
      '-o',
      straceOut,
      '-e',
      'trace=%memory,%process,fallocate,ftruncate',
      '--',
      ...w.argv,
      '--no-thp',
      '--',
      ...opts.argv,
    ];
    let faults,
      lost = 0,
      traced: RunFacts;
    if (via === 'perf') {
      traced = await runSampled(
        [
          tools.perf.path!,
          'record',
          '-q',
          '-B',
          '-k',
          'CLOCK_MONOTONIC',
          '-m',
          '1024',
          '-e',
          'exceptions:page_fault_user',
          '-e',
          'exceptions:page_fault_kernel',
          '-o',
          perfData,
          '--',
          ...straceArgv,
        ],
        'traced',
        intervalMs,
        opts,
        [tools.strace.path!, tools.perf.path!],
      );
      const script = spawnSync(tools.perf.path!, ['script', '-i', perfData, '--ns', '-F', 'comm,tid,time,event,trace'], {
        encoding: 'utf8',
        maxBuffer: 1 << 30,
      });
      if (script.status !== 0) throw new RecordError(`perf script failed: ${script.stderr.trim().split('\n')[0]}`);
      faults = parseTracepoints(script.stdout);
      lost = Number(/(\d+) lost/.exec(script.stderr)?.[1] ?? 0);
    } else {
      const instance = startTracefsFaults();
      try {
        traced = await runSampled(straceArgv, 'traced', intervalMs, opts, [tools.strace.path!]);
      } catch (e) {
        instance.remove();
        throw e;
      }
      const got = instance.finish();
      faults = parseTracepoints(got.text);
      lost = got.overrun;
    }
    const straceText = readFileSync(straceOut, 'utf8');
    const syscalls = parseStrace(straceText, { tmpfsMounts: tmpfsMounts(), offsetNs: -offset });
    const rootTid = Number(/^(\d+)\s/.exec(straceText)?.[1] ?? NaN);
    if (!Number.isFinite(rootTid)) throw new RecordError(`strace recorded nothing (${straceOut} is empty): did ${opts.argv[0]} start?`);
    const settings = { ...machineSettings(), ...(opts.settings ?? {}) } as Settings;
    const name = opts.name ?? basename(opts.argv[0]!);
    const conversion = convert([...syscalls.ops, ...faults.ops], {
      name,
      settings,
      startAtExec: { tid: rootTid, exec: w.execs },
      params: {
        recorded: {
          command: [...opts.argv],
          kernel: release(),
          tools: { strace: tools.strace.version ?? '', faults: via === 'perf' ? (tools.perf.version ?? 'perf') : 'tracefs instance', wrapper: w.kind },
          thpDisabledWhileTraced: true,
          aslr: 'off in both runs',
          exitCode: traced.exitCode,
        },
      },
    });
    const normal = opts.skipNormalRun ? undefined : await runSampled([...w.argv, '--', ...opts.argv], 'normal', intervalMs, opts, []);
    const smaps: (SmapsSample & { seq: number })[] = traced.samples.map((s) => ({ ...s, seq: seqAt(conversion.times, s.tNs) }));
    let alignment: Alignment | undefined;
    if (normal && traced.samples.length > 0) {
      const warp = timeWarp(normal, traced);
      const alive = (ss: readonly SmapsSample[]) => ss.filter((x) => x.processes > 0);
      const dtw = warp.how === 'landmarks' ? undefined : rssDtw(alive(normal.samples), alive(traced.samples));
      alignment = dtw ? 'rss-dtw' : warp.how;
      const t0 = traced.samples[0]!.tNs - traced.samples[0]!.tMs * 1e6;
      if (dtw) {
        const tracedAlive = alive(traced.samples);
        let k = 0;
        for (const s of normal.samples) {
          // Samples before the program started or after it ended keep the time warp's answer.
          const j = s.processes > 0 ? dtw[k++] : undefined;
          smaps.push({ ...s, seq: j !== undefined ? seqAt(conversion.times, tracedAlive[j]!.tNs) : seqAt(conversion.times, t0 + warp(s.tMs) * 1e6) });
        }
      } else for (const s of normal.samples) smaps.push({ ...s, seq: seqAt(conversion.times, t0 + warp(s.tMs) * 1e6) });
    }
    return {
      ...conversion,
      traced,
      normal,
      smaps,
      ...(alignment ? { alignment } : {}),
      unusable: [...syscalls.unusable, ...faults.unusable],
      lostFaults: lost,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    lock.release();
  }
}

/** The lines of the smaps file written beside a recorded log (LOG.smaps.jsonl). */
export function smapsLines(r: Pick<Recording, 'traced' | 'normal' | 'smaps' | 'header' | 'alignment'>, intervalMs: number): unknown[] {
  return [
    {
      pagelab_smaps: 1,
      workload: r.header.workload.name,
      intervalMs,
      ...(r.alignment ? { alignment: r.alignment } : {}),
      runs: {
        traced: {
          thp: 'disabled (PR_SET_THP_DISABLE)',
          durationMs: Math.round(r.traced.durationMs),
          exitCode: r.traced.exitCode,
          samples: r.traced.samples.length,
        },
        ...(r.normal
          ? {
              normal: {
                thp: 'as the machine is set',
                durationMs: Math.round(r.normal.durationMs),
                exitCode: r.normal.exitCode,
                samples: r.normal.samples.length,
              },
            }
          : {}),
      },
      note: "seq: the log event each sample lines up with (traced run: by time; normal run: per alignment, landmarks = through the forks and exits both runs saw, rss-dtw = time-warping its Rss curve onto the traced run's, which makes its Rss error optimistic, fraction = by the fraction of the run elapsed). rssModelBytes = RssAnon + RssShmem, what the model holds.",
    },
    ...r.smaps.map((s) => ({
      run: s.run,
      seq: s.seq,
      tMs: Math.round(s.tMs),
      processes: s.processes,
      anonHugeBytes: s.anonHugeBytes,
      rssModelBytes: s.rssModelBytes,
      rssAnonBytes: s.rssAnonBytes,
      rssShmemBytes: s.rssShmemBytes,
      rssBytes: s.rssBytes,
      shmemPmdMappedBytes: s.shmemPmdMappedBytes,
      swapBytes: s.swapBytes,
    })),
  ];
}

/** The sidecar file name of a log. */
export function smapsPathFor(logPath: string): string {
  return `${logPath.replace(/\.gz$/, '')}.smaps.jsonl`;
}

export type { LogHeader, WorkloadEvent };
