/**
 * Tracepoint text to trace ops: the ftrace `trace` file (and trace-cmd
 * report), and `perf script`. Both print one event per line after a task
 * prefix (`comm-TID [CPU] flags TIME:` for ftrace, `comm PID/TID [CPU]
 * TIME:` for perf); the bodies are the same tracepoints:
 * syscalls (sys_NAME(args) / sys_NAME -> ret in ftrace, sys_enter_NAME /
 * sys_exit_NAME in perf and trace-cmd), exceptions:page_fault_user|kernel,
 * and the sched/task events for the process tree.
 */
import { CLONE_VM, MAP_ANONYMOUS, PF_WRITE, type FdTarget, type ParsedTrace, type TraceOp, type Unusable, cInt } from './trace.js';
import { has } from './symbols.js';

const TIME = /^(.*?)\s(\d+)\.(\d{6,9}):\s+(.*)$/;
const FTRACE_TASK = /^\s*(.*)-(\d+)(?:\s+\(\s*(?:\d+|-+)\))?\s+\[\d+\]/;
const PERF_TASK = /^\s*(.*?)\s+(\d+)(?:\/(\d+))?(?:\s+\[\d+\])?\s*$/;
/** The top of the user address space on x86-64 (TASK_SIZE_MAX with 4-level tables): kernel faults above it are not the program's. */
export const USER_TOP = 0x800000000000;

interface Enter {
  readonly name: string;
  readonly t: number;
  readonly args: ReadonlyMap<string, number>;
}

/** `addr: 0x7f00, len: 4096` or `address=0x7f00 ip=... error_code=0x6` to a map of numbers (non-numeric values dropped). */
export function fieldsOf(s: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of s.matchAll(/(\w+)(?::\s*|=)(0x[0-9a-fA-F]+|-?\d+)\b/g)) out.set(m[1]!, cInt(m[2]!)!);
  return out;
}

/** Parses ftrace / trace-cmd report / perf script text. */
export function parseTracepoints(text: string): ParsedTrace {
  const ops: TraceOp[] = [];
  const unusable: Unusable[] = [];
  let ignored = 0;
  const enters = new Map<number, Enter>();
  /** Per tgid-less tid: the memfds it created, fd -> file name (ftrace has no fd paths). */
  const memfds = new Map<number, Map<number, string>>();
  const cloned = new Set<number>();
  let memfdSerial = 0;
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n]!;
    if (raw.trim() === '' || raw.trimStart().startsWith('#') || /^CPU \d+ is empty|^cpus=\d+/.test(raw.trim())) {
      ignored++;
      continue;
    }
    const bad = (reason: string) => unusable.push({ line: n + 1, reason, text: raw });
    const m = TIME.exec(raw);
    if (!m) {
      bad('no "TASK-PID [CPU] SECONDS.MICROS:" prefix');
      continue;
    }
    const task = FTRACE_TASK.exec(m[1]!) ?? PERF_TASK.exec(m[1]!);
    if (!task) {
      bad('no task id before the timestamp');
      continue;
    }
    const tid = Number(task[3] ?? task[2]);
    const t = Number(m[2]) * 1e9 + Number(m[3]!.padEnd(9, '0'));
    const body = m[4]!.replace(/^\w+:(?=\w+[:( ])/, ''); // perf's "syscalls:" / "exceptions:" system prefix
    let e: RegExpExecArray | null;
    if ((e = /^(?:sys_enter_(\w+):\s*(.*)|sys_(\w+)\((.*)\))$/.exec(body))) {
      const name = e[1] ?? e[3]!;
      const args = fieldsOf(e[2] ?? e[4] ?? '');
      if (name === 'exit_group' || name === 'exit') {
        // The task leaves here; sched_process_exit, when traced too, says the same.
        ops.push({ op: 'exit', t, tid });
        continue;
      }
      enters.set(tid, { name, t, args });
      continue;
    }
    if ((e = /^(?:sys_exit_(\w+):\s*(\S+)|sys_(\w+) -> (\S+))$/.exec(body))) {
      const name = e[1] ?? e[3]!;
      const ret = cInt(e[2] ?? e[4]!);
      const enter = enters.get(tid);
      enters.delete(tid);
      if (ret === undefined) {
        bad(`${name}: return value not a number`);
        continue;
      }
      if (!enter || enter.name !== name) {
        if (SYSCALLS.has(name)) bad(`${name}: a return without its entry line`);
        else ignored++;
        continue;
      }
      // Kernel return values are printed unsigned in some formats: -errno as 0xffff...
      if (ret < 0 || ret >= 0xfffffffffffff000) {
        ignored++;
        continue;
      }
      if (name === 'memfd_create') {
        let fds = memfds.get(tid);
        if (!fds) memfds.set(tid, (fds = new Map()));
        fds.set(ret, `memfd:${++memfdSerial}`);
        continue;
      }
      if (name === 'close') {
        memfds.get(tid)?.delete(enter.args.get('fd') ?? -1);
        continue;
      }
      const fd = (v: number | undefined): FdTarget => {
        if (v === undefined) return { kind: 'unknown' };
        if (v === -1 || v === 0xffffffff || v === 0xffffffffffffffff) return { kind: 'none' };
        const f = memfds.get(tid)?.get(v);
        return f !== undefined ? { kind: 'shmem', file: f } : { kind: 'file', path: `fd ${v}` };
      };
      const op = decodeNamed(name, enter, ret, t, tid, fd);
      if (typeof op === 'string') bad(op);
      else if (op) {
        if (op.op === 'clone') {
          if (cloned.has(op.child)) continue;
          cloned.add(op.child);
        }
        ops.push(op);
      } else ignored++;
      continue;
    }
    if ((e = /^page_fault_(user|kernel):\s*(.*)$/.exec(body))) {
      const f = fieldsOf(e[2]!);
      const addr = f.get('address'),
        code = f.get('error_code');
      if (addr === undefined || code === undefined) {
        bad('page fault without address= and error_code=');
        continue;
      }
      if (addr >= USER_TOP) {
        ignored++; // a kernel fault on a kernel address: not the program's memory
        continue;
      }
      ops.push({ op: 'fault', t, tid, addr, write: (code & PF_WRITE) !== 0 });
      continue;
    }
    if ((e = /^task_newtask:\s*(.*)$/.exec(body))) {
      const pid = /pid=(\d+)/.exec(e[1]!),
        flags = /clone_flags=([0-9a-fA-Fx]+)/.exec(e[1]!);
      if (!pid || !flags) {
        bad('task_newtask without pid= and clone_flags=');
        continue;
      }
      const child = Number(pid[1]);
      if (cloned.has(child)) continue;
      cloned.add(child);
      ops.push({ op: 'clone', t, tid, child, flags: Number.parseInt(flags[1]!.replace(/^0x/, ''), 16) });
      continue;
    }
    if ((e = /^sched_process_fork:.*child_pid=(\d+)/.exec(body))) {
      const child = Number(e[1]);
      if (!cloned.has(child)) {
        cloned.add(child);
        ops.push({ op: 'clone', t, tid, child, flags: 0 });
      }
      continue;
    }
    if ((e = /^sched_process_exec:.*\bpid=(\d+)/.exec(body))) {
      ops.push({ op: 'execve', t, tid: Number(e[1]) });
      continue;
    }
    if ((e = /^sched_process_exit:.*\bpid=(\d+)/.exec(body))) {
      ops.push({ op: 'exit', t, tid: Number(e[1]) });
      continue;
    }
    const ev = /^(\w+)/.exec(body);
    bad(ev ? `${ev[1]}: an event pagelab does not replay` : 'an event line pagelab cannot read');
  }
  for (const [, p] of enters) if (SYSCALLS.has(p.name)) unusable.push({ line: 0, reason: `${p.name}: entered but never returned in the trace`, text: '' });
  return { ops, ignored, unusable };
}

const SYSCALLS = new Set([
  'mmap',
  'munmap',
  'mremap',
  'mprotect',
  'madvise',
  'brk',
  'clone',
  'fork',
  'vfork',
  'execve',
  'fallocate',
  'ftruncate',
  'memfd_create',
  'close',
]);

/** A syscall from its tracepoint field names (include/trace/events/syscalls.h prints the C parameter names). */
function decodeNamed(name: string, enter: Enter, ret: number, done: number, tid: number, fd: (v: number | undefined) => FdTarget): TraceOp | string | null {
  const a = enter.args;
  const need = (...keys: string[]): number[] | string => {
    const out: number[] = [];
    for (const k of keys) {
      const v = a.get(k);
      if (v === undefined) return `${name}: no "${k}" field`;
      out.push(v);
    }
    return out;
  };
  switch (name) {
    case 'mmap': {
      const v = need('len', 'prot', 'flags', 'off');
      if (typeof v === 'string') return v;
      const [len, prot, flags, offset] = v as [number, number, number, number];
      return { op: 'mmap', t: done, tid, addr: ret, len, prot, flags, fd: has(flags, MAP_ANONYMOUS) ? { kind: 'none' } : fd(a.get('fd')), offset };
    }
    case 'munmap': {
      const v = need('addr', 'len');
      return typeof v === 'string' ? v : { op: 'munmap', t: done, tid, addr: v[0]!, len: v[1]! };
    }
    case 'mremap': {
      const addr = a.get('addr') ?? a.get('brk'),
        oldLen = a.get('old_len'),
        newLen = a.get('new_len');
      if (addr === undefined || oldLen === undefined || newLen === undefined) return 'mremap: no addr, old_len, new_len fields';
      return { op: 'mremap', t: done, tid, addr, oldLen, newLen, newAddr: ret };
    }
    case 'mprotect': {
      const v = need('start', 'len', 'prot');
      return typeof v === 'string' ? v : { op: 'mprotect', t: done, tid, addr: v[0]!, len: v[1]!, prot: v[2]! };
    }
    case 'madvise': {
      const v = need('start', 'len_in', 'behavior');
      return typeof v === 'string' ? v : { op: 'madvise', t: done, tid, addr: v[0]!, len: v[1]!, advice: v[2]! };
    }
    case 'brk':
      return { op: 'brk', t: done, tid, result: ret };
    case 'clone': {
      const flags = a.get('clone_flags');
      if (flags === undefined) return 'clone: no clone_flags field';
      return { op: 'clone', t: enter.t, tid, child: ret, flags };
    }
    case 'fork':
      return { op: 'clone', t: enter.t, tid, child: ret, flags: 0 };
    case 'vfork':
      return { op: 'clone', t: enter.t, tid, child: ret, flags: CLONE_VM | 0x4000 };
    case 'execve':
      return { op: 'execve', t: done, tid };
    case 'fallocate': {
      const v = need('fd', 'mode', 'offset', 'len');
      return typeof v === 'string' ? v : { op: 'fallocate', t: done, tid, fd: fd(v[0]), mode: v[1]!, offset: v[2]!, len: v[3]! };
    }
    case 'ftruncate': {
      const v = need('fd', 'length');
      return typeof v === 'string' ? v : { op: 'ftruncate', t: done, tid, fd: fd(v[0]), len: v[1]! };
    }
    default:
      return null;
  }
}
