/**
 * Trace ops (what tasks did, in time order) to a pagelab workload log (what
 * the model replays). The converter keeps its own picture of every address
 * space — the mappings the model knows (anon, shmem) and those it does not
 * (private file mappings, devices, hugetlb), the brk heap and the stack — so
 * every event it writes is one the model can apply: munmap, mprotect and
 * madvise are clipped to modelled mappings, a fault becomes a touch only
 * inside one, and a MAP_FIXED mapping first unmaps what it replaces.
 *
 * Process tree: clone without CLONE_VM is a fork (a new mm, a copy of the
 * parent's); with CLONE_VM (threads, vfork) the task shares its parent's mm,
 * until it calls execve, which gives it a fresh mm. An mm exits with its
 * last task. Model pids are numbered in order of appearance, so pid reuse
 * by the real kernel cannot collide.
 */
import { HPAGE_PMD_SIZE, LOG_FORMAT_VERSION, PAGE_SIZE, type LogHeader, type Settings, type WorkloadEvent } from '@pagelab/events';
import { AddressMap } from './address-map.js';
import { has } from './symbols.js';
import { CLONE_VM, FALLOC_FL_PUNCH_HOLE, MADV, MAP_HUGETLB, MAP_SHARED, PROT_READ, PROT_WRITE, byTime, type FdTarget, type TraceOp } from './trace.js';

/** Why a mapping is left out of the log; the header counts each by bytes. */
export type ExcludedKind = 'private-file' | 'shared-file' | 'private-shmem' | 'device' | 'hugetlb' | 'unknown-fd';
export const EXCLUDED_KINDS: readonly ExcludedKind[] = ['private-file', 'shared-file', 'private-shmem', 'device', 'hugetlb', 'unknown-fd'];

/** Faults that did not become touches, by reason. */
export type DroppedFault = 'other-task' | 'unmodelled-mapping' | 'file-page-read' | 'no-mapping' | 'write-to-read-only' | 'prot-none' | 'before-start';
export const DROPPED_FAULTS: readonly DroppedFault[] = [
  'other-task',
  'unmodelled-mapping',
  'file-page-read',
  'no-mapping',
  'write-to-read-only',
  'prot-none',
  'before-start',
];

export interface ConvertOptions {
  readonly name: string;
  readonly seed?: number;
  readonly settings?: Settings;
  /** Free-form facts for the header's workload.params (command, tools, times). */
  readonly params?: Readonly<Record<string, unknown>>;
  /**
   * The recorder's root task runs a small wrapper first (prctl, personality,
   * exec): everything that task did before its N-th successful execve is
   * dropped, and recording starts with the program proper. 0 (import) keeps everything.
   */
  readonly startAtExec?: { readonly tid: number; readonly exec: number };
  /** Ignore faults of tasks the trace never introduced (the tracers themselves). Default true. */
  readonly faultsOfKnownTasksOnly?: boolean;
}

export interface ConvertStats {
  readonly processes: number;
  readonly threads: number;
  readonly faults: number;
  readonly touches: number;
  readonly excludedBytes: Record<ExcludedKind, number>;
  /** Bytes of writable private file mappings, modelled as anon where written (they are in excludedBytes too). */
  readonly cowFileBytes: number;
  readonly droppedFaults: Record<DroppedFault, number>;
  /** Calls the model has no event for, by name (e.g. "madvise MADV_FREE"), with counts. */
  readonly unmodelled: Record<string, number>;
  readonly eventsByType: Record<string, number>;
}

export interface Conversion {
  readonly header: LogHeader;
  readonly events: WorkloadEvent[];
  /** The trace time (ns) of each event, for lining samples of the real run up with the replay. */
  readonly times: number[];
  readonly stats: ConvertStats;
}

type Kind = 'anon' | 'shmem' | ExcludedKind;

interface Region {
  start: number;
  end: number;
  kind: Kind;
  write: boolean;
  readable: boolean;
  /** shmem: the file and the file offset of `start`. */
  file?: string;
  offset: number;
  /** A writable private file mapping, modelled as anon for the pages the program writes (see mmap). */
  cow?: true;
}

interface Mm {
  readonly pid: number;
  tasks: number;
  regions: Region[];
  brk?: number;
  stack?: { lo: number; hi: number };
  /** 2 MiB ranges this mm touched, for sizing the machine. */
  touched: Set<number>;
  /** The region the last fault hit (faults come in runs); cleared when regions change. */
  hit?: Region | undefined;
}

const pageDown = (n: number) => Math.floor(n / PAGE_SIZE) * PAGE_SIZE;
const pageUp = (n: number) => Math.ceil(n / PAGE_SIZE) * PAGE_SIZE;
const pmdDown = (n: number) => Math.floor(n / HPAGE_PMD_SIZE) * HPAGE_PMD_SIZE;
/** Stack candidates lie this far above every mapping the mm made (mmap_base keeps at least 128 MiB below the stack). */
const STACK_GAP = 64 * 1024 * 1024;
const STACK_ZONE = 0x7f0000000000;
const MiB = 1024 * 1024;
const USER_TOP = 0x800000000000;

const ADVICE: Readonly<Record<number, 'dontneed' | 'hugepage' | 'nohugepage' | 'collapse' | 'pageout' | 'mergeable'>> = {
  [MADV.DONTNEED]: 'dontneed',
  24: 'dontneed', // MADV_DONTNEED_LOCKED
  [MADV.HUGEPAGE]: 'hugepage',
  [MADV.NOHUGEPAGE]: 'nohugepage',
  [MADV.COLLAPSE]: 'collapse',
  [MADV.PAGEOUT]: 'pageout',
  [MADV.MERGEABLE]: 'mergeable',
};
const ADVICE_NAMES: Readonly<Record<number, string>> = {
  0: 'MADV_NORMAL',
  1: 'MADV_RANDOM',
  2: 'MADV_SEQUENTIAL',
  3: 'MADV_WILLNEED',
  8: 'MADV_FREE',
  9: 'MADV_REMOVE',
  10: 'MADV_DONTFORK',
  11: 'MADV_DOFORK',
  13: 'MADV_UNMERGEABLE',
  16: 'MADV_DONTDUMP',
  17: 'MADV_DODUMP',
  18: 'MADV_WIPEONFORK',
  19: 'MADV_KEEPONFORK',
  20: 'MADV_COLD',
  22: 'MADV_POPULATE_READ',
  23: 'MADV_POPULATE_WRITE',
  102: 'MADV_GUARD_INSTALL',
  103: 'MADV_GUARD_REMOVE',
};

class Converter {
  readonly raw: { ev: WorkloadEvent; t: number }[] = [];
  readonly ranges: [number, number][] = [];
  private readonly tasks = new Map<number, Mm>();
  private pidSerial = 0;
  private sharedAnonSerial = 0;
  private threads = 0;
  private faults = 0;
  private touches = 0;
  private lastTouch: { pid: number; addr: number; len: number; write: boolean } | undefined;
  private readonly knownFiles = new Set<string>();
  readonly excludedBytes = Object.fromEntries(EXCLUDED_KINDS.map((k) => [k, 0])) as Record<ExcludedKind, number>;
  readonly dropped = Object.fromEntries(DROPPED_FAULTS.map((k) => [k, 0])) as Record<DroppedFault, number>;
  readonly unmodelled: Record<string, number> = {};
  cowFileBytes = 0;
  private live = 0;
  peakTouched = 0;
  private readonly shmemTouched = new Set<string>();
  private started: boolean;
  private execsSeen = 0;

  constructor(
    private readonly opts: ConvertOptions,
    /** Faults above this are on a stack (see stackFor). */
    private readonly stackFloor: number,
  ) {
    this.started = opts.startAtExec === undefined;
  }

  get processes(): number {
    return this.pidSerial;
  }

  counts() {
    return { threads: this.threads, faults: this.faults, touches: this.touches };
  }

  apply(op: TraceOp): void {
    if (!this.started) {
      const s = this.opts.startAtExec!;
      if (op.tid === s.tid && op.op === 'execve' && ++this.execsSeen === s.exec) this.started = true;
      else if (op.op === 'fault') this.dropped['before-start']++;
      if (!this.started) return;
      // The program proper starts here, in a fresh mm.
      this.tasks.delete(op.tid);
      this.mmOf(op.tid, op.t);
      return;
    }
    switch (op.op) {
      case 'fault':
        return this.fault(op.tid, op.addr, op.write, op.t);
      case 'clone':
        return this.clone(op.tid, op.child, op.flags, op.t);
      case 'execve': {
        this.leave(op.tid, op.t);
        this.mmOf(op.tid, op.t);
        return;
      }
      case 'exit':
        return this.leave(op.tid, op.t);
      case 'mmap':
        return this.mmap(this.mmOf(op.tid, op.t), op.addr, pageUp(op.len), op.prot, op.flags, op.fd, op.offset, op.t);
      case 'munmap':
        return this.unmap(this.mmOf(op.tid, op.t), pageDown(op.addr), pageUp(op.addr + op.len), op.t);
      case 'mprotect':
        return this.mprotect(this.mmOf(op.tid, op.t), op.addr, pageUp(op.len), op.prot, op.t);
      case 'madvise':
        return this.madvise(this.mmOf(op.tid, op.t), op.addr, pageUp(op.len), op.advice, op.t);
      case 'brk':
        return this.brk(this.mmOf(op.tid, op.t), op.result, op.t);
      case 'mremap':
        return this.mremap(this.mmOf(op.tid, op.t), op.addr, pageUp(op.oldLen), pageUp(op.newLen), op.newAddr, op.t);
      case 'fallocate':
        return this.fallocate(op.fd, op.mode, op.offset, op.len, op.t);
      case 'ftruncate':
        if (op.fd.kind === 'shmem' && this.knownFiles.has(op.fd.file)) this.emit({ type: 'truncate', file: op.fd.file, size: pageUp(op.len) }, op.t);
        return;
    }
  }

  finish(): void {
    this.lastTouch = undefined;
  }

  private emit(ev: WorkloadEvent, t: number): void {
    if (ev.type !== 'touch') this.lastTouch = undefined;
    this.raw.push({ ev, t });
  }

  private count(what: string): void {
    this.unmodelled[what] = (this.unmodelled[what] ?? 0) + 1;
  }

  /** The mm of a task, spawning one for a task the trace never introduced (the first task, or one forked before tracing began). */
  private mmOf(tid: number, t: number): Mm {
    let mm = this.tasks.get(tid);
    if (!mm) {
      mm = { pid: ++this.pidSerial, tasks: 1, regions: [], touched: new Set() };
      this.tasks.set(tid, mm);
      this.emit({ type: 'spawn', pid: mm.pid }, t);
    }
    return mm;
  }

  private clone(parentTid: number, child: number, flags: number, t: number): void {
    const parent = this.mmOf(parentTid, t);
    if (this.tasks.has(child)) this.leave(child, t); // the kernel reused an id whose exit the trace missed
    if (has(flags, CLONE_VM)) {
      parent.tasks++;
      this.threads++;
      this.tasks.set(child, parent);
      return;
    }
    const mm: Mm = {
      pid: ++this.pidSerial,
      tasks: 1,
      regions: parent.regions.map((r) => ({ ...r })),
      touched: new Set(parent.touched),
      ...(parent.brk !== undefined ? { brk: parent.brk } : {}),
      ...(parent.stack ? { stack: { ...parent.stack } } : {}),
    };
    this.tasks.set(child, mm);
    this.live += mm.touched.size;
    this.peakTouched = Math.max(this.peakTouched, this.live + this.shmemTouched.size);
    this.emit({ type: 'fork', parent: parent.pid, child: mm.pid }, t);
  }

  private leave(tid: number, t: number): void {
    const mm = this.tasks.get(tid);
    if (!mm) return;
    this.tasks.delete(tid);
    if (--mm.tasks > 0) return;
    this.live -= mm.touched.size;
    const shared = new Set(mm.regions.filter((r) => r.kind === 'shmem' && r.file!.startsWith('shared-anon-')).map((r) => r.file!));
    this.emit({ type: 'exit', pid: mm.pid }, t);
    mm.regions = [];
    this.releaseSharedAnon(shared, t);
  }

  /** A MAP_SHARED|MAP_ANONYMOUS object lives while something maps it: when the last mapping goes, its pages are freed. */
  private releaseSharedAnon(files: Set<string>, t: number): void {
    if (files.size === 0) return;
    const live = new Set(this.tasks.values());
    for (const mm of live) for (const r of mm.regions) files.delete(r.file ?? '');
    for (const f of files) this.emit({ type: 'truncate', file: f, size: 0 }, t);
  }

  private classify(flags: number, fd: FdTarget): { kind: Kind; file?: string } {
    const shared = has(flags, MAP_SHARED);
    if (has(flags, MAP_HUGETLB)) return { kind: 'hugetlb' };
    switch (fd.kind) {
      case 'none':
        return shared ? { kind: 'shmem', file: `shared-anon-${++this.sharedAnonSerial}` } : { kind: 'anon' };
      case 'shmem':
        return shared ? { kind: 'shmem', file: fd.file } : { kind: 'private-shmem' };
      case 'device':
        return { kind: 'device' };
      case 'file':
        return { kind: shared ? 'shared-file' : 'private-file' };
      case 'unknown':
        return { kind: 'unknown-fd' };
    }
  }

  private mmap(mm: Mm, addr: number, len: number, prot: number, flags: number, fd: FdTarget, offset: number, t: number): void {
    if (len <= 0 || addr % PAGE_SIZE !== 0) return;
    const c = this.classify(flags, fd);
    this.unmap(mm, addr, addr + len, t);
    const r: Region = {
      start: addr,
      end: addr + len,
      kind: c.kind,
      write: (prot & PROT_WRITE) !== 0,
      readable: (prot & (PROT_READ | PROT_WRITE)) !== 0,
      offset: c.kind === 'shmem' && fd.kind === 'shmem' ? pageDown(offset) : 0,
      ...(c.file !== undefined ? { file: c.file } : {}),
    };
    if ((c.kind === 'private-file' || c.kind === 'private-shmem') && r.write) {
      // A written page of a private file mapping is an anon page (do_cow_fault), counted in RssAnon; a
      // read maps the page cache, which the model does not hold. So the mapping is anon in the log, only
      // its write faults are replayed, and MADV_NOHUGEPAGE keeps the model from giving it an anon THP
      // the kernel never would (file VMAs get none).
      this.insert(mm, { ...r, kind: 'anon', cow: true });
      this.excludedBytes[c.kind] += len;
      this.cowFileBytes += len;
      this.ranges.push([addr, addr + len]);
      this.emit({ type: 'mmap', pid: mm.pid, addr, len, kind: 'anon', write: true }, t);
      this.emit({ type: 'madvise', pid: mm.pid, addr, len, advice: 'nohugepage' }, t);
      return;
    }
    this.insert(mm, r);
    if (c.kind === 'anon') {
      this.ranges.push([addr, addr + len]);
      this.emit({ type: 'mmap', pid: mm.pid, addr, len, kind: 'anon', write: r.write }, t);
    } else if (c.kind === 'shmem') {
      this.ranges.push([addr, addr + len]);
      this.knownFiles.add(c.file!);
      this.emit({ type: 'mmap', pid: mm.pid, addr, len, kind: 'shmem', file: c.file!, offset: r.offset, write: r.write }, t);
    } else this.excludedBytes[c.kind] += len;
  }

  private insert(mm: Mm, r: Region): void {
    mm.hit = undefined;
    let i = 0;
    while (i < mm.regions.length && mm.regions[i]!.start < r.start) i++;
    mm.regions.splice(i, 0, r);
  }

  /** Cuts the regions at `a` so that one ends and the next starts there. */
  private cut(mm: Mm, a: number): void {
    mm.hit = undefined;
    for (let i = 0; i < mm.regions.length; i++) {
      const r = mm.regions[i]!;
      if (r.start < a && a < r.end) {
        const tail: Region = { ...r, start: a, offset: r.offset + (r.kind === 'shmem' ? a - r.start : 0) };
        r.end = a;
        mm.regions.splice(i + 1, 0, tail);
        return;
      }
    }
  }

  /** The regions inside [start, end), after cutting at both edges. */
  private within(mm: Mm, start: number, end: number): Region[] {
    this.cut(mm, start);
    this.cut(mm, end);
    return mm.regions.filter((r) => r.start >= start && r.end <= end);
  }

  private modelled(r: Region): boolean {
    return r.kind === 'anon' || r.kind === 'shmem';
  }

  private unmap(mm: Mm, start: number, end: number, t: number): void {
    if (end <= start) return;
    const gone = this.within(mm, start, end);
    if (gone.length === 0) return;
    const shared = new Set<string>();
    for (const r of gone) {
      if (this.modelled(r)) this.emit({ type: 'munmap', pid: mm.pid, addr: r.start, len: r.end - r.start }, t);
      if (r.kind === 'shmem' && r.file!.startsWith('shared-anon-')) shared.add(r.file!);
    }
    mm.regions = mm.regions.filter((r) => !gone.includes(r));
    mm.hit = undefined;
    if (mm.stack && mm.stack.lo < end && start < mm.stack.hi) mm.stack = undefined;
    this.releaseSharedAnon(shared, t);
  }

  private mprotect(mm: Mm, addr: number, len: number, prot: number, t: number): void {
    const write = (prot & PROT_WRITE) !== 0;
    for (const r of this.within(mm, addr, addr + len)) {
      r.write = write;
      r.readable = (prot & (PROT_READ | PROT_WRITE)) !== 0;
      if (this.modelled(r)) this.emit({ type: 'mprotect', pid: mm.pid, addr: r.start, len: r.end - r.start, write }, t);
    }
  }

  private madvise(mm: Mm, addr: number, len: number, advice: number, t: number): void {
    const a = ADVICE[advice];
    const pieces = mm.regions.filter((r) => this.modelled(r) && r.start < addr + len && addr < r.end);
    if (pieces.length === 0) return;
    if (advice === MADV.REMOVE) {
      // MADV_REMOVE on shmem punches the file range (shmem_fallocate); on anon the kernel refuses it.
      for (const r of pieces) {
        if (r.kind !== 'shmem') continue;
        const lo = Math.max(addr, r.start),
          hi = Math.min(addr + len, r.end);
        this.emit({ type: 'fallocate', file: r.file!, offset: r.offset + (lo - r.start), len: hi - lo, mode: 'punch_hole' }, t);
      }
      return;
    }
    if (!a) {
      this.count(`madvise ${ADVICE_NAMES[advice] ?? advice}`);
      return;
    }
    if (a === 'hugepage' || a === 'nohugepage' || a === 'mergeable') {
      // VMA flags: the model splits VMAs at the edges itself; only the modelled pieces are named.
      for (const r of this.within(mm, addr, addr + len)) {
        if (this.modelled(r)) this.emit({ type: 'madvise', pid: mm.pid, addr: r.start, len: r.end - r.start, advice: a }, t);
      }
      return;
    }
    for (const r of pieces) {
      const lo = Math.max(addr, r.start),
        hi = Math.min(addr + len, r.end);
      this.emit({ type: 'madvise', pid: mm.pid, addr: lo, len: hi - lo, advice: a }, t);
    }
  }

  private brk(mm: Mm, result: number, t: number): void {
    if (mm.brk === undefined || result === mm.brk) {
      mm.brk = result;
      return;
    }
    const cur = pageUp(mm.brk),
      next = pageUp(result);
    if (next > cur) {
      this.unmap(mm, cur, next, t);
      this.insert(mm, { start: cur, end: next, kind: 'anon', write: true, readable: true, offset: 0 });
      this.ranges.push([cur, next]);
      this.emit({ type: 'mmap', pid: mm.pid, addr: cur, len: next - cur, kind: 'anon', write: true }, t);
    } else if (next < cur) this.unmap(mm, next, cur, t);
    mm.brk = result;
  }

  private mremap(mm: Mm, addr: number, oldLen: number, newLen: number, newAddr: number, t: number): void {
    const src = this.within(mm, addr, addr + oldLen);
    if (src.length === 0) return;
    if (newLen < oldLen) {
      this.unmap(mm, addr + newLen, addr + oldLen, t);
      oldLen = newLen;
    }
    const moving = this.within(mm, addr, addr + oldLen);
    const covered =
      moving.length > 0 &&
      moving[0]!.start === addr &&
      moving.every((r, i) => i === 0 || r.start === moving[i - 1]!.end) &&
      moving[moving.length - 1]!.end === addr + oldLen;
    const last = moving[moving.length - 1];
    if (newAddr !== addr) {
      if (!covered || (!moving.every((r) => this.modelled(r)) && moving.some((r) => this.modelled(r)))) {
        // Part modelled, part not: the model cannot move half a range; drop the modelled half.
        this.count('mremap of a partly modelled range');
        this.unmap(mm, addr, addr + oldLen, t);
        return;
      }
      const delta = newAddr - addr;
      // Take the moving regions out first, so unmapping the destination cannot touch them.
      mm.regions = mm.regions.filter((r) => !moving.includes(r));
      mm.hit = undefined;
      this.unmap(mm, newAddr, newAddr + oldLen, t);
      for (const r of moving) {
        r.start += delta;
        r.end += delta;
        this.insert(mm, r);
      }
      if (moving.every((r) => this.modelled(r))) {
        this.ranges.push([newAddr, newAddr + oldLen]);
        this.emit({ type: 'mremap', pid: mm.pid, addr, len: oldLen, newAddr }, t);
      }
    }
    if (newLen > oldLen && last) {
      const from = newAddr + oldLen,
        to = newAddr + newLen;
      this.unmap(mm, from, to, t);
      const grown: Region = { ...last, start: from, end: to, offset: last.kind === 'shmem' ? last.offset + (last.end - last.start) : 0 };
      if (newAddr !== addr) grown.offset = last.kind === 'shmem' ? last.offset + (last.end - last.start) : 0;
      this.insert(mm, grown);
      if (grown.kind === 'anon') {
        this.ranges.push([from, to]);
        this.emit({ type: 'mmap', pid: mm.pid, addr: from, len: to - from, kind: 'anon', write: grown.write }, t);
      } else if (grown.kind === 'shmem') {
        this.ranges.push([from, to]);
        this.emit({ type: 'mmap', pid: mm.pid, addr: from, len: to - from, kind: 'shmem', file: grown.file!, offset: grown.offset, write: grown.write }, t);
      } else this.excludedBytes[grown.kind] += to - from;
    }
  }

  private fallocate(fd: FdTarget, mode: number, offset: number, len: number, t: number): void {
    if (fd.kind !== 'shmem' || !this.knownFiles.has(fd.file)) return;
    if (!has(mode, FALLOC_FL_PUNCH_HOLE)) {
      this.count(`fallocate mode 0x${mode.toString(16)}`);
      return;
    }
    const lo = pageUp(offset),
      hi = pageDown(offset + len);
    if (hi > lo) this.emit({ type: 'fallocate', file: fd.file, offset: lo, len: hi - lo, mode: 'punch_hole' }, t);
  }

  private find(mm: Mm, a: number): Region | undefined {
    const h = mm.hit;
    if (h && h.start <= a && a < h.end) return h;
    for (const r of mm.regions) {
      if (r.start <= a && a < r.end) {
        mm.hit = r;
        return r;
      }
    }
    return undefined;
  }

  /**
   * The stack is made by execve, not by a syscall the trace sees. mmap_base
   * sits at least 128 MiB below the stack (arch/x86/mm/mmap.c mmap_base's
   * gap), so a fault more than STACK_GAP above the highest address any
   * mmap in the whole trace returned is on a stack; it is mapped in 2 MiB
   * pieces as the faults reach them.
   */
  private stackFor(mm: Mm, page: number, t: number): Region | undefined {
    if (page < STACK_ZONE || page < this.stackFloor) return undefined;
    const lo = pmdDown(page);
    let from: number, to: number;
    if (!mm.stack) {
      from = lo;
      to = Math.min(lo + HPAGE_PMD_SIZE, USER_TOP);
    } else if (page < mm.stack.lo) {
      from = lo;
      to = mm.stack.lo;
    } else {
      from = mm.stack.hi;
      to = Math.min(lo + HPAGE_PMD_SIZE, USER_TOP);
    }
    if (to <= from) return undefined;
    // Another mapping in the way (an unusual layout): no stack guess here.
    if (mm.regions.some((r) => r.start < to && from < r.end)) return undefined;
    mm.stack = { lo: Math.min(from, mm.stack?.lo ?? from), hi: Math.max(to, mm.stack?.hi ?? to) };
    const r: Region = { start: from, end: to, kind: 'anon', write: true, readable: true, offset: 0 };
    this.insert(mm, r);
    this.ranges.push([from, to]);
    this.emit({ type: 'mmap', pid: mm.pid, addr: from, len: to - from, kind: 'anon', write: true, comment: 'stack' }, t);
    return r;
  }

  private fault(tid: number, addr: number, write: boolean, t: number): void {
    const mm = this.tasks.get(tid);
    if (!mm) {
      if (this.opts.faultsOfKnownTasksOnly ?? true) {
        this.dropped['other-task']++;
        return;
      }
    }
    const m = mm ?? this.mmOf(tid, t);
    this.faults++;
    const page = pageDown(addr);
    const r = this.find(m, page) ?? this.stackFor(m, page, t);
    if (!r) {
      this.dropped['no-mapping']++;
      return;
    }
    if (!this.modelled(r)) {
      this.dropped['unmodelled-mapping']++;
      return;
    }
    if (!r.readable) {
      this.dropped['prot-none']++;
      return;
    }
    if (r.cow && !write) {
      this.dropped['file-page-read']++;
      return;
    }
    if (write && !r.write) {
      this.dropped['write-to-read-only']++;
      return;
    }
    this.touches++;
    const pmd = pmdDown(page);
    if (r.kind === 'shmem') {
      const key = `${r.file}:${pmdDown(r.offset + (page - r.start))}`;
      if (!this.shmemTouched.has(key)) this.shmemTouched.add(key);
    } else if (!m.touched.has(pmd)) {
      m.touched.add(pmd);
      this.live++;
    }
    this.peakTouched = Math.max(this.peakTouched, this.live + this.shmemTouched.size);
    const last = this.lastTouch;
    if (last && last.pid === m.pid && last.write === write && last.addr + last.len === page) {
      last.len += PAGE_SIZE;
      return;
    }
    const ev = { type: 'touch' as const, pid: m.pid, addr: page, len: PAGE_SIZE, write };
    this.emit(ev, t);
    this.lastTouch = ev;
  }
}

/** Machine memory for the header: every 2 MiB range live processes touched could hold a THP, plus room; a multiple of 4 MiB. */
export function machineMemoryFor(peakPmdRanges: number): number {
  const bytes = peakPmdRanges * HPAGE_PMD_SIZE * 1.25 + 256 * MiB;
  return Math.ceil(bytes / (4 * MiB)) * 4 * MiB;
}

/** Converts trace ops (any order; sorted here by time) to a log. */
export function convert(ops: TraceOp[], opts: ConvertOptions): Conversion {
  let highest = 0;
  for (const op of ops) if (op.op === 'mmap' && op.addr + op.len < USER_TOP) highest = Math.max(highest, op.addr + op.len);
  const c = new Converter(opts, highest + STACK_GAP);
  for (const op of byTime(ops)) c.apply(op);
  c.finish();
  const map = new AddressMap(c.ranges);
  const events: WorkloadEvent[] = [];
  const times: number[] = [];
  const eventsByType: Record<string, number> = {};
  for (const { ev, t } of c.raw) {
    let out: WorkloadEvent = ev;
    if ('addr' in ev && 'pid' in ev && ev.type !== 'expect' && ev.type !== 'memory_failure') out = { ...ev, addr: map.map(ev.addr) } as WorkloadEvent;
    if (out.type === 'mremap') out = { ...out, newAddr: map.map(out.newAddr) };
    events.push(out);
    times.push(t);
    eventsByType[out.type] = (eventsByType[out.type] ?? 0) + 1;
  }
  const counts = c.counts();
  const stats: ConvertStats = {
    processes: c.processes,
    threads: counts.threads,
    faults: counts.faults,
    touches: counts.touches,
    excludedBytes: c.excludedBytes,
    cowFileBytes: c.cowFileBytes,
    droppedFaults: c.dropped,
    unmodelled: Object.fromEntries(Object.entries(c.unmodelled).sort(([a], [b]) => a.localeCompare(b))),
    eventsByType: Object.fromEntries(Object.entries(eventsByType).sort(([a], [b]) => a.localeCompare(b))),
  };
  const header: LogHeader = {
    pagelab: LOG_FORMAT_VERSION,
    machine: { memory: machineMemoryFor(c.peakTouched), nodes: 1, cma: 0, swap: 0 },
    ...(opts.settings !== undefined ? { settings: opts.settings } : {}),
    workload: {
      name: opts.name,
      seed: opts.seed ?? 0,
      params: {
        ...(opts.params ?? {}),
        excludedBytes: stats.excludedBytes,
        cowFileBytes: stats.cowFileBytes,
        droppedFaults: stats.droppedFaults,
        unmodelled: stats.unmodelled,
        processes: stats.processes,
        threads: stats.threads,
      },
    },
  };
  return { header, events, times, stats };
}
