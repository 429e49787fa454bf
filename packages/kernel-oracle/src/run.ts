/**
 * Runs a workload log on the running kernel, event by event, through the
 * executor: every event's rc, errno and time, and every expect check's
 * kernel value. Every knob written is restored and everything created is
 * removed when the run ends — finished, failed or interrupted (SIGINT,
 * SIGTERM) — under the kernel-state lock.
 */
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import type { EventOf, LogHeader, WorkloadEvent } from '@pagelab/events';
import { DEFAULT_SETTINGS } from '@pagelab/kernel-core';
import { Cleanup, accessBitAgents, createDioFile, createSwap, createTraceInstance, readTrace } from './environment.js';
import { Executor, type Reply } from './executor.js';
import { KhugepagedDriver } from './khugepaged.js';
import { KSM_DIR, Knobs, settingFile, THP_DIR } from './knobs.js';
import { acquireKernelStateLock } from './lock.js';
import { ANY, LogMappings, type Mapping, PAGE } from './mappings.js';
import { approximations, type LineEvent, machineRefusals, unsupportedEvents } from './support.js';
import { type KernelScan, logScans, parseTrace, type TraceRecord } from './trace.js';

/** A check's value as JSON: a number, a boolean, or the text of a bound. */
export type JsonValue = number | boolean | string;

/** madvise advice numbers (include/uapi/asm-generic/mman-common.h). */
const ADVICE: Readonly<Record<EventOf<'madvise'>['advice'], number>> = {
  dontneed: 4,
  mergeable: 12,
  hugepage: 14,
  nohugepage: 15,
  pageout: 21,
  collapse: 25,
};

/** The checks the kernel can answer; the others (model metrics) are null. */
export const KERNEL_CHECKS = ['anonHugeBytes', 'shmemPmdMappedBytes', 'rssAnonBytes', 'swapBytes', 'mapped', 'folioOrder', 'contentIntact'] as const;

export interface EventResult {
  readonly line: number;
  readonly type: WorkloadEvent['type'];
  readonly rc: number;
  readonly errno: number;
  readonly ns: number;
  readonly note?: string;
}

export interface KernelCheck {
  readonly line: number;
  readonly label?: string;
  readonly check: string;
  readonly expected: JsonValue;
  /** The kernel's value, or null where it cannot answer (model metrics, a process that is gone). */
  readonly kernel: JsonValue | null;
}

export interface KernelRun {
  readonly kernel: string;
  readonly approximations: readonly string[];
  /** What cleared or moved accessed bits while the run went on (environment.ts accessBitAgents), seen before or after it. */
  readonly accessAgents: readonly string[];
  readonly events: readonly EventResult[];
  readonly checks: readonly KernelCheck[];
  /** khugepaged and collapse tracepoints of the log's processes (with a trace instance). */
  readonly trace: readonly TraceRecord[];
  /** Knob files written, with the value each held before (all restored). */
  readonly knobs: Readonly<Record<string, string>>;
  /** Whether a tracefs instance recorded the run (scans and collapses are empty without it). */
  readonly traced: boolean;
  /** mm_khugepaged_scan_pmd of the log's processes, on the log line whose event hit it (null: between events). */
  readonly scans: readonly (Omit<KernelScan, 'ns'> & { line: number | null })[];
  /** mm_collapse_huge_page of the log's processes. */
  readonly collapses: readonly { line: number | null; pid: number; result: string }[];
}

export class KernelRunRefused extends Error {
  constructor(readonly reasons: readonly string[]) {
    super(`cannot run this log on the running kernel:\n${reasons.map((r) => `  - ${r}`).join('\n')}`);
    this.name = 'KernelRunRefused';
  }
}

export class KernelRunInterrupted extends Error {
  constructor(
    readonly signal: string,
    readonly cleanupFailures: readonly string[],
  ) {
    super(`interrupted by ${signal}; knobs restored${cleanupFailures.length ? `, except: ${cleanupFailures.join('; ')}` : ''}`);
    this.name = 'KernelRunInterrupted';
  }
}

export interface RunOptions {
  /** Record huge_memory/compaction/migrate tracepoints in a private tracefs instance (default true). */
  readonly trace?: boolean;
  /** Called after each event (progress). */
  readonly onEvent?: (r: EventResult) => void;
}

/** Everything the log could refuse over, before anything is touched. */
export function refusals(events: readonly LineEvent[]): string[] {
  const why = machineRefusals();
  const bad = unsupportedEvents(events);
  if (bad.length) {
    const byType = new Map<string, number[]>();
    for (const b of bad) byType.set(b.type, [...(byType.get(b.type) ?? []), b.line]);
    for (const [type, lines] of byType) {
      const shown = lines.slice(0, 10).join(', ') + (lines.length > 10 ? `, ... (${lines.length} in all)` : '');
      why.push(`${type} at line${lines.length === 1 ? '' : 's'} ${shown}: ${unsupportedEvents([{ line: 0, event: { type } as WorkloadEvent }])[0]!.why}`);
    }
  }
  return why;
}

const SENTINEL_PID = -1;
const SENTINEL_ADDR = 64 * 2 ** 30;
const SENTINEL_LEN = 4 * 2 ** 20;
const PROBE_ADDR = 96 * 2 ** 30;

class Run {
  readonly knobs = new Knobs();
  readonly cleanup = new Cleanup();
  readonly maps = new LogMappings();
  readonly results: EventResult[] = [];
  readonly checks: KernelCheck[] = [];
  readonly khugepaged = new KhugepagedDriver(this.knobs);
  ex!: Executor;
  private fileIds = new Map<string, { id: number; fd: number }>();
  private handles = new Map<string, { id: number; pid: number; addr: number; len: number }>();
  private nextHandle = 0;
  private token = 0x10000000n;
  dioPath = '';
  tracing = false;
  /** Each log process's OS pid (the probe's trace records carry it). */
  readonly osPids = new Map<number, number>();
  /** CLOCK_MONOTONIC ns when each process's probe was over (its records before then are the probe's). */
  readonly probesUntil = new Map<number, number>();
  /** Each event's [start, end] in CLOCK_MONOTONIC ns, to place trace records on log lines. */
  readonly windows: { line: number; t0: number; t1: number }[] = [];

  /**
   * A MADV_COLLAPSE of a 2 MiB probe, mapped and unmapped again, far from
   * the log's addresses: its mm_khugepaged_scan_pmd record, hit in the
   * process's own context, names the process's mm for the trace.
   */
  async probe(pid: number): Promise<void> {
    if (!this.tracing) return;
    await this.ex.call(`mmap ${pid} ${PROBE_ADDR} ${2 * 2 ** 20} 0 0 1`);
    // MADV_COLLAPSE of an empty range fails before its tracepoint: give it one page.
    await this.ex.call(`touch ${pid} ${PROBE_ADDR} ${PAGE} 1 1 1`);
    await this.ex.call(`madvise ${pid} ${PROBE_ADDR} ${2 * 2 ** 20} ${ADVICE.collapse}`);
    await this.ex.call(`munmap ${pid} ${PROBE_ADDR} ${2 * 2 ** 20}`);
    this.probesUntil.set(pid, Number(process.hrtime.bigint()));
  }

  async fileOf(name: string): Promise<{ id: number; fd: number }> {
    let f = this.fileIds.get(name);
    if (!f) {
      const id = this.fileIds.size;
      const r = await this.ex.call(`file ${id}`);
      if (r.rc < 0) throw new Error(`memfd_create for shmem file "${name}" failed: errno ${r.errno}`);
      this.fileIds.set(name, (f = { id, fd: r.rc }));
    }
    return f;
  }

  /**
   * thp.enabled=always is run as `madvise` plus MADV_HUGEPAGE on every anon
   * mapping of the log: under `always` every process on the machine
   * registers with khugepaged, and a full scan would walk (and collapse)
   * the address spaces of everything else running here.
   */
  emulateAlways = false;

  private async writeSetting(key: string, value: string | number): Promise<void> {
    const path = settingFile(key);
    if (!path) return; // the run owns khugepaged's sleeps
    if (key !== 'thp.enabled') return this.knobs.write(path, value);
    const always = value === 'always';
    this.knobs.write(path, always ? 'madvise' : value);
    if (always === this.emulateAlways) return;
    this.emulateAlways = always;
    for (const [pid, p] of this.maps.procs) {
      for (const m of p.maps) {
        if (m.kind !== 'anon') continue;
        if (always && m.thp === undefined) await this.autoAdvise(pid, m);
        else if (!always && m.thp === 'auto') {
          // No madvise clears both flags; VM_NOHUGEPAGE is ineligible like no flag under madvise/never.
          await this.ex.call(`madvise ${pid} ${m.start} ${m.end - m.start} ${ADVICE.nohugepage}`);
          m.thp = undefined;
        }
      }
    }
  }

  private async autoAdvise(pid: number, m: Mapping): Promise<void> {
    await this.ex.call(`madvise ${pid} ${m.start} ${m.end - m.start} ${ADVICE.hugepage}`);
    m.thp = 'auto';
  }

  async applySetting(key: string, value: string | number): Promise<void> {
    await this.writeSetting(key, value);
    if (key === 'thp.enabled') {
      // A new khugepaged thread scans at once; make sure the sentinel stays registered, then let it settle.
      await this.ex.call(`madvise ${SENTINEL_PID} ${SENTINEL_ADDR} ${SENTINEL_LEN} ${ADVICE.hugepage}`);
      await this.khugepaged.park();
    }
  }

  /** The model's view of the machine at the start: every tunable the log names or defaults, one mTHP size (PMD). */
  async setUp(header: LogHeader, events: readonly LineEvent[]): Promise<void> {
    // Multi-size THP (6.8+): the model knows PMD-sized THPs only.
    for (const kind of ['enabled', 'shmem_enabled']) {
      for (const size of ['8kB', '16kB', '32kB', '64kB', '128kB', '256kB', '512kB', '1024kB', '2048kB']) {
        const p = `${THP_DIR}/hugepages-${size}/${kind}`;
        try {
          readFileSync(p);
        } catch {
          continue;
        }
        this.knobs.write(p, size === '2048kB' ? 'inherit' : 'never');
      }
    }
    const settings: Record<string, string | number> = { ...DEFAULT_SETTINGS, ...(header.settings ?? {}) };
    for (const [k, v] of Object.entries(settings)) if (v !== undefined) await this.writeSetting(k, v);
    this.knobs.write(`${THP_DIR}/khugepaged/defrag`, 1);
    // The sentinel: a touched THP-eligible mapping in a process of our own keeps khugepaged's mm list non-empty,
    // so registering a log process never wakes the thread (khugepaged_wait_event) outside a khugepaged event.
    await this.expectOk(`spawn ${SENTINEL_PID}`);
    await this.expectOk(`mmap ${SENTINEL_PID} ${SENTINEL_ADDR} ${SENTINEL_LEN} 0 0 1`);
    await this.expectOk(`madvise ${SENTINEL_PID} ${SENTINEL_ADDR} ${SENTINEL_LEN} ${ADVICE.hugepage}`);
    await this.expectOk(`touch ${SENTINEL_PID} ${SENTINEL_ADDR} ${PAGE} 1 1 1`);
    await this.khugepaged.park();
    const types = new Set(events.map((e) => e.event.type));
    const pageout = events.some(({ event: e }) => e.type === 'reclaim' || (e.type === 'madvise' && e.advice === 'pageout'));
    if (pageout && header.machine.swap > 0) createSwap(this.cleanup, Math.min(header.machine.swap, 2 ** 31));
    if (types.has('dio')) {
      const max = Math.max(...events.map(({ event: e }) => (e.type === 'dio' ? e.len : 0)));
      this.dioPath = createDioFile(this.cleanup, max);
    }
    if (types.has('ksm_scan') || events.some(({ event: e }) => e.type === 'madvise' && e.advice === 'mergeable')) {
      this.knobs.write(`${KSM_DIR}/run`, 0);
      this.knobs.write(`${KSM_DIR}/sleep_millisecs`, 1);
      this.knobs.write(`${KSM_DIR}/pages_to_scan`, 1000);
    }
  }

  private async expectOk(line: string): Promise<Reply> {
    const r = await this.ex.call(line);
    if (r.rc < 0) throw new Error(`executor setup "${line}" failed: errno ${r.errno}`);
    return r;
  }

  /** Performs one event; the reply's rc/errno, or a note for events without one syscall. */
  async perform(line: number, e: WorkloadEvent): Promise<{ r: Reply; note?: string }> {
    const ok: Reply = { rc: 0, errno: 0, ns: 0, extra: [] };
    const timed = async (body: () => Promise<Reply | void>): Promise<Reply> => {
      const t0 = process.hrtime.bigint();
      const r = (await body()) ?? ok;
      return { ...r, ns: r.ns || Number(process.hrtime.bigint() - t0) };
    };
    const m = this.maps;
    switch (e.type) {
      case 'spawn': {
        m.spawn(e.pid);
        const r = await this.ex.call(`spawn ${e.pid}`);
        if (r.rc > 0) this.osPids.set(e.pid, r.rc);
        await this.probe(e.pid);
        return { r };
      }
      case 'exit':
        m.exit(e.pid);
        for (const [k, h] of this.handles) if (h.pid === e.pid) this.handles.delete(k);
        return { r: await this.ex.call(`exit ${e.pid}`) };
      case 'fork': {
        m.fork(e.parent, e.child);
        const r = await this.ex.call(`fork ${e.parent} ${e.child}`);
        if (r.rc > 0) this.osPids.set(e.child, r.rc);
        await this.probe(e.child);
        return { r };
      }
      case 'mmap': {
        const write = (e.write ?? true) ? 1 : 0;
        if (e.kind === 'anon') {
          const r = await this.ex.call(`mmap ${e.pid} ${e.addr} ${e.len} 0 0 ${write}`);
          if (r.rc === 0) {
            const mp: Mapping = { start: e.addr, end: e.addr + e.len, kind: 'anon', pgoff: 0 };
            m.mmap(e.pid, mp);
            if (this.emulateAlways) await this.autoAdvise(e.pid, mp);
          }
          return { r };
        }
        const f = await this.fileOf(e.file!);
        const offset = e.offset ?? 0;
        await this.ex.call(`grow ${f.id} ${offset + e.len}`);
        const r = await this.ex.call(`mmap ${e.pid} ${e.addr} ${e.len} 1 ${offset} ${write} @/proc/${this.ex.pid}/fd/${f.fd}`);
        if (r.rc === 0) m.mmap(e.pid, { start: e.addr, end: e.addr + e.len, kind: 'shmem', file: e.file!, pgoff: offset / PAGE });
        return { r };
      }
      case 'munmap':
        m.unmap(e.pid, e.addr, e.len);
        return { r: await this.ex.call(`munmap ${e.pid} ${e.addr} ${e.len}`) };
      case 'mprotect':
        return { r: await this.ex.call(`mprotect ${e.pid} ${e.addr} ${e.len} ${e.write ? 1 : 0}`) };
      case 'mremap': {
        const r = await this.ex.call(`mremap ${e.pid} ${e.addr} ${e.len} ${e.newAddr} ${e.newLen ?? e.len}`);
        if (r.rc === 0) m.mremap(e.pid, e.addr, e.len, e.newAddr, e.newLen ?? e.len);
        return { r };
      }
      case 'madvise': {
        const r = await this.ex.call(`madvise ${e.pid} ${e.addr} ${e.len} ${ADVICE[e.advice]}`);
        if (e.advice === 'dontneed' && r.rc === 0) m.dontneed(e.pid, e.addr, e.len);
        if ((e.advice === 'hugepage' || e.advice === 'nohugepage') && r.rc === 0) m.advise(e.pid, e.addr, e.len, e.advice);
        return { r };
      }
      case 'touch': {
        if (!e.write) return { r: await this.ex.call(`touch ${e.pid} ${e.addr} ${e.len} 0 0 0`) };
        if (e.value !== undefined) {
          const r = await this.ex.call(`touch ${e.pid} ${e.addr} ${e.len} 1 1 ${e.value}`);
          m.setContent(e.pid, e.addr, e.len, () => BigInt(e.value!));
          return { r };
        }
        const base = this.token;
        this.token += BigInt(e.len / PAGE);
        const r = await this.ex.call(`touch ${e.pid} ${e.addr} ${e.len} 1 0 ${base}`);
        m.setContent(e.pid, e.addr, e.len, (i) => base + BigInt(i));
        return { r };
      }
      case 'pin':
      case 'get': {
        const id = this.nextHandle++;
        this.handles.set(e.handle, { id, pid: e.pid, addr: e.addr, len: e.len });
        return { r: await this.ex.call(`${e.type} ${e.pid} ${e.addr} ${e.len} ${id}`) };
      }
      case 'unpin':
      case 'put': {
        const h = this.handles.get(e.handle);
        if (!h) return { r: { ...ok, rc: -1, errno: 2 }, note: 'handle not held (its process exited)' };
        this.handles.delete(e.handle);
        if (e.dirty) m.setContent(h.pid, h.addr, h.len, () => ANY);
        return { r: await this.ex.call(`${e.type} ${h.pid} ${h.id}`) };
      }
      case 'dio': {
        const write = e.write ?? true;
        const r = await this.ex.call(`dio ${e.pid} ${e.addr} ${e.len} ${write ? 1 : 0} ${e.count ?? 1} @${this.dioPath}`);
        if (!write) m.setContent(e.pid, e.addr, e.len, () => ANY);
        return { r };
      }
      case 'fallocate': {
        const f = await this.fileOf(e.file);
        m.punch(e.file, e.offset, e.len);
        return { r: await this.ex.call(`punch ${f.id} ${e.offset} ${e.len}`) };
      }
      case 'truncate': {
        const f = await this.fileOf(e.file);
        m.truncate(e.file, e.size);
        return { r: await this.ex.call(`truncate ${f.id} ${e.size}`) };
      }
      case 'khugepaged': {
        let wakes = 0;
        const r = await timed(async () => {
          for (let i = 0; i < (e.passes ?? 1); i++) wakes += await this.khugepaged.pass();
        });
        return { r, note: wakes === 0 ? 'no khugepaged thread (thp.enabled=never)' : `${wakes} wake(s)` };
      }
      case 'compact':
        return { r: await timed(async () => this.knobs.trigger('/proc/sys/vm/compact_memory', 1)) };
      case 'reclaim': {
        const r = await timed(async () => this.reclaim(e.pages));
        return { r, note: 'approximated: drop_caches=2, then MADV_PAGEOUT of log mappings until the pages asked for are free' };
      }
      case 'ksm_scan':
        return { r: await timed(async () => this.ksmScan(e.passes ?? 1)) };
      case 'sysctl':
        return { r: await timed(async () => this.applySetting(e.key, e.value)) };
      case 'expect':
        await this.expect(line, e);
        return { r: ok };
      default:
        return { r: { ...ok, rc: -1, errno: 38 }, note: `${e.type} cannot run on this kernel` };
    }
  }

  /**
   * reclaim(pages), as the model's shrink order has it: the shrinkers first
   * (drop_caches=2 runs every shrinker, the THP deferred split queue among
   * them), then anonymous pages, 2 MiB of the log's mappings at a time in
   * mapping order, only until `pages` pages are free. What the shrinkers freed
   * is read from MemFree and thp_split_page, which other processes move too: an estimate.
   */
  async reclaim(pages: number): Promise<void> {
    const memFree = () => Number(/^MemFree:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0) / 4;
    const splits = () => Number(/^thp_split_page (\d+)/m.exec(readFileSync('/proc/vmstat', 'utf8'))?.[1] ?? 0);
    const before = memFree();
    const split0 = splits();
    this.knobs.trigger('/proc/sys/vm/drop_caches', 2);
    // Freed pages may wait in per-CPU lists that MemFree does not count; a THP split by a shrinker freed at least one.
    let freed = Math.max(0, memFree() - before, splits() - split0);
    for (const [pid, p] of this.maps.procs) {
      for (const mp of p.maps) {
        if (mp.kind !== 'anon') continue;
        for (let a = mp.start; a < mp.end && freed < pages; a += 2 * 2 ** 20) {
          const len = Math.min(2 * 2 ** 20, mp.end - a);
          const q0 = await this.ex.call(`query ${pid} ${a} ${len}`);
          await this.ex.call(`madvise ${pid} ${a} ${len} ${ADVICE.pageout}`);
          const q1 = await this.ex.call(`query ${pid} ${a} ${len}`);
          // Resident anon pages (RssAnon) that left the range.
          freed += Math.max(0, Number(q0.extra[2] ?? 0) - Number(q1.extra[2] ?? 0));
        }
      }
    }
  }

  async ksmScan(passes: number): Promise<void> {
    const scans = () => Number(readFileSync(`${KSM_DIR}/full_scans`, 'utf8').trim());
    const start = scans();
    this.knobs.write(`${KSM_DIR}/run`, 1);
    const deadline = Date.now() + 60_000;
    while (scans() < start + passes + 1) {
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    this.knobs.write(`${KSM_DIR}/run`, 0);
  }

  private async query(pid: number, addr: number | undefined, len: number | undefined): Promise<number[] | null> {
    if (!m_has(this.maps, pid)) return null;
    const sum = [0, 0, 0, 0, 0];
    for (const r of this.maps.ranges(pid, addr, len)) {
      const rep = await this.ex.call(`query ${pid} ${r.start} ${r.end - r.start}`);
      if (rep.rc < 0) return null;
      rep.extra.forEach((v, i) => (sum[i]! += Number(v)));
    }
    return sum;
  }

  private async contentIntact(pid: number, addr?: number, len?: number): Promise<boolean | null> {
    for (const r of this.maps.ranges(pid, addr, len)) {
      for (let start = r.start; start < r.end; start += 8192 * PAGE) {
        const n = Math.min(8192 * PAGE, r.end - start);
        const rep = await this.ex.call(`content ${pid} ${start} ${n}`);
        if (rep.rc < 0) return null;
        for (let i = 0; i < rep.extra.length; i++) {
          const a = start + i * PAGE;
          const want = this.maps.expected(pid, a);
          if (want === ANY) continue;
          const w = rep.extra[i]!;
          let have: bigint | null;
          if (w[0] === 'P') have = BigInt.asIntN(64, BigInt(`0x${w.slice(1)}`));
          else if (w === 'N') have = await this.notMapped(pid, a);
          else have = null; // swapped out: reading it would swap it in
          if (have !== null && have !== want) return false;
        }
      }
    }
    return true;
  }

  /** A page with no PTE: anon reads zero; shmem reads its page cache (pread maps nothing). */
  private async notMapped(pid: number, a: number): Promise<bigint> {
    const mp = this.maps.mappingAt(pid, a);
    if (!mp || mp.kind === 'anon') return 0n;
    const f = await this.fileOf(mp.file!);
    const rep = await this.ex.call(`fread ${f.id} ${mp.pgoff + (a - mp.start) / PAGE} 1`);
    return BigInt.asIntN(64, BigInt(`0x${rep.extra[0]!.slice(1)}`));
  }

  async expect(line: number, e: EventOf<'expect'>): Promise<void> {
    const add = (check: string, expected: JsonValue, kernel: JsonValue | null) =>
      this.checks.push({ line, ...(e.label !== undefined ? { label: e.label } : {}), check, expected, kernel });
    const q = e.pid !== undefined ? await this.query(e.pid, e.addr, e.len) : null;
    const bytes = (i: number) => (q === null ? null : q[i]! * PAGE);
    if (e.anonHugeBytes !== undefined) add('anonHugeBytes', e.anonHugeBytes, bytes(0));
    if (e.shmemPmdMappedBytes !== undefined) add('shmemPmdMappedBytes', e.shmemPmdMappedBytes, bytes(1));
    if (e.rssAnonBytes !== undefined) add('rssAnonBytes', e.rssAnonBytes, bytes(2));
    if (e.swapBytes !== undefined) add('swapBytes', e.swapBytes, bytes(3));
    if (e.mapped !== undefined) add('mapped', e.mapped, q === null ? null : q[4]! * PAGE === (e.len ?? PAGE));
    if (e.folioOrder !== undefined) {
      const rep = m_has(this.maps, e.pid!) ? await this.ex.call(`order ${e.pid} ${e.addr}`) : null;
      add('folioOrder', e.folioOrder, rep && rep.rc === 0 ? Number(rep.extra[0]) : null);
    }
    if (e.contentIntact !== undefined) {
      let all: boolean | null = true;
      for (const pid of e.pid !== undefined ? [e.pid] : [...this.maps.procs.keys()]) {
        if (!m_has(this.maps, pid)) all = null;
        const v = all === null ? null : await this.contentIntact(pid, e.addr, e.len);
        if (v === null) all = null;
        else if (!v && all !== null) all = false;
      }
      add('contentIntact', e.contentIntact, all);
    }
    // Model metrics: no kernel counterpart per process.
    for (const k of ['wasteBytes', 'splitFailed', 'collapsed', 'lockedOpsMax', 'lockedOpsMin'] as const) if (e[k] !== undefined) add(k, e[k]!, null);
  }
}

const m_has = (m: LogMappings, pid: number) => m.proc(pid) !== undefined;

/** Runs the log on the running kernel. Refuses (KernelRunRefused) before touching anything if it cannot. */
export async function runOnKernel(header: LogHeader, events: readonly LineEvent[], opts: RunOptions = {}): Promise<KernelRun> {
  const why = refusals(events);
  if (why.length) throw new KernelRunRefused(why);
  const lock = await acquireKernelStateLock();
  const agentsBefore = accessBitAgents();
  const run = new Run();
  let interrupted: string | null = null;
  let cleaned: string[] | null = null;
  const cleanUp = (): string[] => {
    if (cleaned) return cleaned;
    run.ex?.kill();
    run.khugepaged.restorePriority();
    cleaned = [...run.knobs.restore(), ...run.cleanup.run()];
    lock.release();
    return cleaned;
  };
  const onSignal = (sig: NodeJS.Signals) => {
    interrupted = sig;
    cleanUp();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A CLI whose own signal handler calls process.exit() first still restores: 'exit' listeners run synchronously.
  const onExit = () => void cleanUp();
  process.on('exit', onExit);
  let traceDir: string | null = null;
  try {
    run.ex = await Executor.start();
    await run.setUp(header, events);
    if (opts.trace !== false) {
      traceDir = createTraceInstance(run.cleanup);
      run.tracing = true;
    }
    for (const { line, event } of events) {
      if (interrupted) break;
      const t0 = Number(process.hrtime.bigint());
      const { r, note } = await run.perform(line, event);
      run.windows.push({ line, t0, t1: Number(process.hrtime.bigint()) });
      const res: EventResult = { line, type: event.type, rc: r.rc, errno: r.errno, ns: r.ns, ...(note ? { note } : {}) };
      run.results.push(res);
      opts.onEvent?.(res);
    }
    if (interrupted) throw new KernelRunInterrupted(interrupted, cleanUp());
    const trace = traceDir ? parseTrace(readTrace(traceDir)) : [];
    const { scans, collapses } = logScans(trace, run.osPids, run.probesUntil);
    const lineAt = (ns: number) => run.windows.find((w) => w.t0 <= ns && ns <= w.t1)?.line ?? null;
    const knobs = Object.fromEntries(run.knobs.touched());
    await run.ex.close();
    const failures = cleanUp();
    if (failures.length) throw new Error(`the run finished but could not restore: ${failures.join('; ')}`);
    return {
      kernel: release(),
      approximations: approximations(events, String(header.settings?.['thp.enabled'] ?? DEFAULT_SETTINGS['thp.enabled'])),
      accessAgents: [...new Set([...agentsBefore, ...accessBitAgents()])],
      events: run.results,
      checks: run.checks,
      knobs,
      traced: traceDir !== null,
      trace: trace.filter((t) => t.event.startsWith('mm_khugepaged') || t.event.startsWith('mm_collapse')),
      scans: scans.map(({ ns, ...sc }) => ({ line: lineAt(ns), ...sc })),
      collapses: collapses.map(({ ns, ...c }) => ({ line: lineAt(ns), ...c })),
    };
  } catch (e) {
    if (interrupted && !(e instanceof KernelRunInterrupted)) throw new KernelRunInterrupted(interrupted, cleanUp());
    const failures = cleanUp();
    if (failures.length && e instanceof Error) e.message += `\n(cleanup could not restore: ${failures.join('; ')})`;
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', onExit);
  }
}
