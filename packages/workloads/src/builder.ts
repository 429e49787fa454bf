/**
 * A small vocabulary for writing workloads as code: addresses in MiB/pages,
 * one method per event, and a deterministic PRNG for the generated ones.
 */
import type { LogHeader, WorkloadEvent } from '@pagelab/events';

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;
export const PAGE = 4 * KiB;
export const THP = 2 * MiB;
/** A 2 MiB-aligned user address far from zero, where scenarios put their first region. */
export const REGION = 1 * GiB;

export interface MachineSpec {
  memory: number;
  nodes?: number;
  cma?: number;
  swap?: number;
}

/**
 * Event literals below list their keys in the log's canonical order (type,
 * then sorted), so a generated log's bytes are JSON.stringify's and its
 * sha256 costs no key sort (events' canonical.ts); any other order is still
 * correct, only slower to digest.
 */
export class LogBuilder {
  readonly events: WorkloadEvent[] = [];
  constructor(
    private readonly name: string,
    private readonly seed: number,
    private readonly params: Record<string, unknown>,
    private readonly machine: MachineSpec,
    private readonly settings: Record<string, string | number> = {},
  ) {}

  header(): LogHeader {
    return {
      pagelab: 1,
      machine: { memory: this.machine.memory, nodes: this.machine.nodes ?? 1, cma: this.machine.cma ?? 0, swap: this.machine.swap ?? 64 * MiB },
      settings: this.settings,
      workload: { name: this.name, seed: this.seed, params: this.params },
    } as LogHeader;
  }
  build(): { header: LogHeader; events: WorkloadEvent[] } {
    return { header: this.header(), events: this.events };
  }
  push(e: WorkloadEvent): this {
    this.events.push(e);
    return this;
  }
  comment(text: string): this {
    // Attached to the next event; kept as its own no-op-free note by putting it on that event.
    this.pendingComment = text;
    return this;
  }
  private pendingComment: string | undefined;
  private ev(e: WorkloadEvent): this {
    if (this.pendingComment !== undefined) {
      (e as { comment?: string }).comment = this.pendingComment;
      this.pendingComment = undefined;
    }
    this.events.push(e);
    return this;
  }
  spawn(pid: number) {
    return this.ev({ type: 'spawn', pid });
  }
  exit(pid: number) {
    return this.ev({ type: 'exit', pid });
  }
  fork(parent: number, child: number) {
    return this.ev({ type: 'fork', child, parent });
  }
  mmapAnon(pid: number, addr: number, len: number) {
    return this.ev({ type: 'mmap', addr, kind: 'anon', len, pid });
  }
  mmapShmem(pid: number, addr: number, len: number, file: string, offset = 0) {
    return this.ev({ type: 'mmap', addr, file, kind: 'shmem', len, offset, pid });
  }
  munmap(pid: number, addr: number, len: number) {
    return this.ev({ type: 'munmap', addr, len, pid });
  }
  mprotect(pid: number, addr: number, len: number, write: boolean) {
    return this.ev({ type: 'mprotect', addr, len, pid, write });
  }
  madvise(pid: number, addr: number, len: number, advice: 'hugepage' | 'nohugepage' | 'dontneed' | 'collapse' | 'pageout' | 'mergeable') {
    return this.ev({ type: 'madvise', addr, advice, len, pid });
  }
  write(pid: number, addr: number, len: number) {
    return this.ev({ type: 'touch', addr, len, pid, write: true });
  }
  read(pid: number, addr: number, len: number) {
    return this.ev({ type: 'touch', addr, len, pid, write: false });
  }
  pin(pid: number, addr: number, len: number, handle: string, opts: { longterm?: boolean; fast?: boolean } = {}) {
    return this.ev({ type: 'pin', addr, handle, len, pid, ...opts });
  }
  unpin(handle: string, dirty?: boolean) {
    return this.ev(dirty === undefined ? { type: 'unpin', handle } : { type: 'unpin', dirty, handle });
  }
  get(pid: number, addr: number, len: number, handle: string) {
    return this.ev({ type: 'get', addr, handle, len, pid });
  }
  put(handle: string) {
    return this.ev({ type: 'put', handle });
  }
  dio(pid: number, addr: number, len: number, count = 1, write = true) {
    return this.ev({ type: 'dio', addr, count, len, pid, write });
  }
  khugepaged(pid?: number, passes = 1) {
    return this.ev(pid === undefined ? { type: 'khugepaged', passes } : { type: 'khugepaged', passes, pid });
  }
  reclaim(pages: number) {
    return this.ev({ type: 'reclaim', pages });
  }
  sysctl(key: string, value: string | number) {
    return this.ev({ type: 'sysctl', key, value } as WorkloadEvent);
  }
  expect(e: Omit<Extract<WorkloadEvent, { type: 'expect' }>, 'type'>) {
    return this.ev({ type: 'expect', ...e } as WorkloadEvent);
  }
  raw(e: WorkloadEvent) {
    return this.ev(e);
  }
}

/** mulberry32: a tiny deterministic PRNG; the workload seed is its only source of randomness. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Reads an integer parameter with a default, refusing values out of range with a message naming it. */
export function intParam(params: Readonly<Record<string, unknown>> | undefined, name: string, dflt: number, min: number, max: number): number {
  const v = params?.[name] ?? dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new Error(`parameter ${name}: expected an integer in ${min}..${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

export function enumParam<T extends string>(params: Readonly<Record<string, unknown>> | undefined, name: string, dflt: T, allowed: readonly T[]): T {
  const v = params?.[name] ?? dflt;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new Error(`parameter ${name}: expected one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  }
  return v as T;
}

/** Reads a number parameter in [min, max] (fractions and the like), refusing other types and values with a message naming it. */
export function numberParam(params: Readonly<Record<string, unknown>> | undefined, name: string, dflt: number, min: number, max: number): number {
  const v = params?.[name] ?? dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max)
    throw new Error(`parameter ${name}: expected a number in ${min}..${max}, got ${JSON.stringify(v)}`);
  return v;
}

export function boolParam(params: Readonly<Record<string, unknown>> | undefined, name: string, dflt: boolean): boolean {
  const v = params?.[name] ?? dflt;
  if (typeof v !== 'boolean') throw new Error(`parameter ${name}: expected true or false, got ${JSON.stringify(v)}`);
  return v;
}

/** Refuses parameters a scenario does not know (a typo must not silently do nothing). */
export function checkKnown(params: Readonly<Record<string, unknown>> | undefined, known: readonly string[], scenario: string): void {
  for (const k of Object.keys(params ?? {})) {
    if (!known.includes(k)) throw new Error(`scenario ${scenario}: unknown parameter "${k}", expected one of ${known.length ? known.join(', ') : '(none)'}`);
  }
}
