/**
 * Driving khugepaged one scan at a time. The thread is parked with
 * scan_sleep_millisecs=3600000; each write of that file wakes it for one
 * khugepaged_do_scan (the store handler resets khugepaged_sleep_expire and
 * wakes khugepaged_wait). A pass here is: wake it until full_scans has
 * advanced, each time waiting until the thread has run and sleeps again in
 * khugepaged() (its wchan). thp.enabled=never stops the thread and a later
 * enable starts a new one, so the thread is looked up again every time.
 *
 * Under thp.enabled=always every process on the machine registers, and
 * runtimes reserve gigabytes of address space that khugepaged walks PMD by
 * PMD: at the log's pages_to_scan a full scan can take thousands of wakes.
 * So a wake runs with pages_to_scan raised to SCAN_ALL, which makes it one
 * full scan (khugepaged_do_scan stops when it passes the list head twice),
 * and the log's value is written back after it.
 *
 * The thread runs at nice 19 (set_user_nice(current, MAX_NICE)); on a
 * machine whose CPUs are busy it can take minutes over one scan, so it runs
 * at nice 0 for the wakes of a pass and gets its 19 back after.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { KHUGEPAGED_DIR, type Knobs } from './knobs.js';

export const PARKED_SLEEP_MS = 3_600_000;
export const SCAN_ALL = 1 << 24;
/** khugepaged's own nice value (set_user_nice(current, MAX_NICE) at the top of khugepaged()). */
const MAX_NICE = 19;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The khugepaged kernel thread's pid, or null when it is not running (thp.enabled=never). */
export function khugepagedPid(): number | null {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/comm`, 'utf8').trim() === 'khugepaged') return Number(d);
    } catch {
      /* gone meanwhile */
    }
  }
  return null;
}

interface ThreadState {
  state: string;
  wchan: string;
  switches: number;
}

function threadState(pid: number): ThreadState | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const state = /^State:\s+(\S)/m.exec(status)?.[1] ?? '?';
    const switches =
      Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0) + Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    return { state, wchan: readFileSync(`/proc/${pid}/wchan`, 'utf8').trim(), switches };
  } catch {
    return null;
  }
}

/** Parked: sleeping in khugepaged() itself (khugepaged_wait_work is inlined there), not inside a scan. */
const parked = (s: ThreadState | null) => s !== null && s.state === 'S' && s.wchan === 'khugepaged';

export function fullScans(): number {
  return Number(readFileSync(`${KHUGEPAGED_DIR}/full_scans`, 'utf8').trim());
}

export class KhugepagedDriver {
  /** Threads reniced for a pass, with their nice value before. */
  private readonly reniced = new Map<number, number>();

  constructor(
    private readonly knobs: Knobs,
    // A loaded 2-core machine can keep even a nice-0 kernel thread waiting; this is a hang guard, not a verdict.
    private readonly timeoutMs = 120_000,
  ) {}

  private renice(pid: number): void {
    try {
      // A thread that thp.enabled just (re)started may not have run khugepaged()'s set_user_nice(current, MAX_NICE)
      // yet and still reads kthreadd's 0: what it gets back is then the 19 it would have given itself.
      if (!this.reniced.has(pid)) this.reniced.set(pid, getPriority(pid) === 0 ? MAX_NICE : getPriority(pid));
      setPriority(pid, 0);
    } catch {
      /* not permitted, or the thread is gone: it scans at its own pace */
    }
  }

  /** Gives every reniced thread its nice value back (also from a signal's cleanup). */
  restorePriority(): void {
    for (const [pid, nice] of this.reniced) {
      try {
        setPriority(pid, nice);
      } catch {
        /* the thread is gone (thp.enabled=never stopped it) */
      }
    }
    this.reniced.clear();
  }

  /** Waits until the thread (if any) is parked, seen twice 5 ms apart. */
  async quiesce(): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    let seen = 0;
    while (seen < 2) {
      const pid = khugepagedPid();
      if (pid === null) return;
      seen = parked(threadState(pid)) ? seen + 1 : 0;
      if (Date.now() > deadline) throw new Error(`khugepaged did not go back to sleep within ${this.timeoutMs / 1000} s`);
      await sleep(5);
    }
  }

  /** Parks the thread (the write itself wakes it once) and waits for it to sleep. */
  async park(): Promise<void> {
    const pid = khugepagedPid();
    if (pid === null) return;
    this.renice(pid);
    try {
      await this.wakeOnce(pid, () => false);
      await this.quiesce();
    } finally {
      this.restorePriority();
    }
  }

  /**
   * Writes scan_sleep_millisecs (one wake) and waits until the thread has
   * run since (a context switch) and is parked again, or `done` holds.
   */
  private async wakeOnce(pid: number, done: () => boolean): Promise<void> {
    const before = threadState(pid);
    this.knobs.write(`${KHUGEPAGED_DIR}/scan_sleep_millisecs`, PARKED_SLEEP_MS);
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const now = threadState(pid);
      if (now === null) return; // the thread was replaced
      if (parked(now) && (now.switches > (before?.switches ?? 0) || done())) return;
      if (Date.now() > deadline) throw new Error(`khugepaged (pid ${pid}) did not finish its scan within ${this.timeoutMs / 1000} s`);
      await sleep(2);
    }
  }

  /**
   * One pass: wakes the thread until full_scans advanced. Returns the
   * number of wakes, or 0 when no thread runs (thp.enabled=never).
   */
  async pass(): Promise<number> {
    const pagesToScan = `${KHUGEPAGED_DIR}/pages_to_scan`;
    const logValue = this.knobs.read(pagesToScan);
    this.knobs.write(pagesToScan, SCAN_ALL);
    try {
      return await this.wakeUntilFullScan();
    } finally {
      this.knobs.write(pagesToScan, logValue);
      this.restorePriority();
    }
  }

  private async wakeUntilFullScan(): Promise<number> {
    const start = fullScans();
    for (let wakes = 1; wakes <= 64; wakes++) {
      const pid = khugepagedPid();
      if (pid === null) return 0;
      this.renice(pid);
      await this.wakeOnce(pid, () => fullScans() > start);
      if (fullScans() > start) return wakes;
    }
    throw new Error('khugepaged did not complete a full scan in 64 wakes');
  }
}
