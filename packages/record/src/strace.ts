/**
 * strace -f output (`strace -f --timestamps=unix,us -T -yy`) to trace ops:
 * one line per syscall with the task id, the wall-clock time of entry, the
 * arguments with fd paths (`3</memfd:heap (deleted)>`), the result and the
 * time spent; `<unfinished ...>` / `<... resumed>` pairs are joined.
 */
import { type FdTarget, type ParsedTrace, type TraceOp, type Unusable, cInt } from './trace.js';
import { flagsValue } from './symbols.js';

export interface StraceOptions {
  /** Mount points of tmpfs file systems: files under them are shmem (record reads /proc/self/mounts). */
  readonly tmpfsMounts?: readonly string[];
  /** Added to every time (ns), to move strace's wall clock onto the fault tracer's clock (BigInt: wall-clock ns are past 2^53). */
  readonly offsetNs?: bigint;
}

const LINE = /^(\d+)\s+(\d+)\.(\d+)\s+(.*)$/;
const MEMORY_CALLS = new Set([
  'mmap',
  'mmap2',
  'munmap',
  'mremap',
  'mprotect',
  'pkey_mprotect',
  'madvise',
  'brk',
  'clone',
  'clone3',
  'fork',
  'vfork',
  'execve',
  'execveat',
  'fallocate',
  'ftruncate',
]);

/** Splits an argument list at top-level commas (not inside (), [], {}, "..." or an fd's <path>). */
export function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0,
    start = 0,
    inStr = false,
    inAngle = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (inStr) {
      if (c === '\\') i++;
      else if (c === '"') inStr = false;
      continue;
    }
    if (inAngle) {
      if (c === '>') inAngle = false;
      continue;
    }
    if (c === '"') inStr = true;
    else if (c === '<' && i > 0 && /\d/.test(s[i - 1]!)) inAngle = true;
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      out.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = s.slice(start).trim();
  if (last !== '' || out.length > 0) out.push(last);
  return out;
}

/** What an fd argument (`-1`, `3`, `3</dev/shm/x>`) refers to. */
export function fdTarget(arg: string, tmpfsMounts: readonly string[] = []): FdTarget {
  // strace 6.x prints a deleted file (a memfd) as 3</memfd:pool>(deleted); older ones inside the brackets.
  const m = /^(-?\d+)(?:<(.*)>)?(?:\(deleted\))?$/.exec(arg.trim());
  if (!m) return { kind: 'unknown' };
  if (m[1] === '-1' || m[1] === '4294967295') return { kind: 'none' };
  const path = m[2];
  if (path === undefined) return { kind: 'unknown' };
  return pathTarget(path, tmpfsMounts);
}

/** Classifies a path as strace -yy prints it. */
export function pathTarget(rawPath: string, tmpfsMounts: readonly string[] = []): FdTarget {
  const path = rawPath.replace(/ \(deleted\)$/, '');
  if (path.startsWith('/memfd:')) return { kind: 'shmem', file: path.slice(1) };
  if (path === '/dev/zero') return { kind: 'none' }; // mapping /dev/zero is an anonymous mapping (shmem when shared)
  if (path.startsWith('/dev/shm/')) return { kind: 'shmem', file: path };
  if (tmpfsMounts.some((m) => m !== '/' && (path === m || path.startsWith(m.endsWith('/') ? m : `${m}/`)))) return { kind: 'shmem', file: path };
  if (path.startsWith('/dev/') || path.startsWith('anon_inode:') || path.startsWith('socket:') || path.startsWith('pipe:')) return { kind: 'device', path };
  if (path.startsWith('/SYSV')) return { kind: 'shmem', file: path };
  return { kind: 'file', path };
}

interface Pending {
  readonly name: string;
  readonly t: number;
  readonly head: string;
}

/** Parses strace text. Lines that are not memory actions are counted as ignored; malformed memory lines are unusable. */
export function parseStrace(text: string, opts: StraceOptions = {}): ParsedTrace {
  const ops: TraceOp[] = [];
  const unusable: Unusable[] = [];
  let ignored = 0;
  const pending = new Map<number, Pending>();
  const mounts = opts.tmpfsMounts ?? [];
  const off = opts.offsetNs ?? 0n;
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n]!;
    if (raw.trim() === '') continue;
    const m = LINE.exec(raw);
    if (!m) {
      unusable.push({ line: n + 1, reason: 'not "TID SECONDS.MICROS call(...)"', text: raw });
      continue;
    }
    const tid = Number(m[1]);
    const t = Number(BigInt(m[2]!) * 1_000_000_000n + BigInt(m[3]!.padEnd(9, '0').slice(0, 9)) + off);
    let rest = m[4]!;
    if (rest.startsWith('+++')) {
      if (/^\+\+\+ (exited with|killed by|superseded by)/.test(rest)) ops.push({ op: 'exit', t, tid });
      else ignored++;
      continue;
    }
    if (rest.startsWith('---')) {
      ignored++;
      continue;
    }
    let start = t;
    const resumed = /^<\.\.\. (\w+) resumed>(.*)$/.exec(rest);
    if (resumed) {
      const p = pending.get(tid);
      pending.delete(tid);
      if (!p || p.name !== resumed[1]) {
        if (MEMORY_CALLS.has(resumed[1]!)) unusable.push({ line: n + 1, reason: 'a resumed call whose start is missing', text: raw });
        else ignored++;
        continue;
      }
      rest = `${p.name}(${p.head}${resumed[2]}`;
      start = p.t;
    }
    const call = /^(\w+)\((.*)$/.exec(rest);
    if (!call) {
      unusable.push({ line: n + 1, reason: 'not a syscall line', text: raw });
      continue;
    }
    const name = call[1]!;
    if (/ <unfinished \.\.\.>$/.test(rest)) {
      if (MEMORY_CALLS.has(name)) pending.set(tid, { name, t, head: call[2]!.replace(/ <unfinished \.\.\.>$/, '') });
      else ignored++;
      continue;
    }
    if (!MEMORY_CALLS.has(name)) {
      ignored++;
      continue;
    }
    // args) = RET [ERRNO (text)] [<DURATION>]
    const tail = /^(.*)\)\s+=\s+(\S+)(.*?)(?:\s+<(\d+\.\d+)>)?$/.exec(call[2]!);
    if (!tail) {
      if (/\)\s+=\s+\?/.test(call[2]!))
        ignored++; // exit_group-like "= ?"
      else unusable.push({ line: n + 1, reason: `${name}: no "= RESULT"`, text: raw });
      continue;
    }
    const ret = cInt(tail[2]!);
    if (ret === undefined || ret < 0 || ret === -1) {
      ignored++; // a failed call changes nothing
      continue;
    }
    const dur = tail[4] !== undefined ? Math.round(Number(tail[4]) * 1e9) : 0;
    const done = start + dur;
    const op = decode(name, splitArgs(tail[1]!), ret, start, done, tid, mounts);
    if (typeof op === 'string') unusable.push({ line: n + 1, reason: op, text: raw });
    else if (op) ops.push(op);
    else ignored++;
  }
  for (const p of pending.values()) unusable.push({ line: 0, reason: `${p.name}: unfinished at the end of the trace`, text: p.head });
  return { ops, ignored, unusable };
}

const num = (s: string | undefined): number | undefined => (s === undefined ? undefined : cInt(s));

/**
 * One syscall to an op; a string is why it cannot be used. Creating calls
 * take the time they returned (a fault in the new range comes after that);
 * clone takes its entry time, so the fork is before anything the child does.
 */
function decode(name: string, a: string[], ret: number, start: number, done: number, tid: number, mounts: readonly string[]): TraceOp | string | null {
  switch (name) {
    case 'mmap':
    case 'mmap2': {
      const len = num(a[1]),
        prot = flagsValue(a[2] ?? ''),
        flags = flagsValue(a[3] ?? ''),
        offset = num(a[5]);
      if (len === undefined || prot === undefined || flags === undefined || offset === undefined)
        return `${name}: arguments not (addr, len, prot, flags, fd, offset)`;
      return { op: 'mmap', t: done, tid, addr: ret, len, prot, flags, fd: fdTarget(a[4] ?? '', mounts), offset: name === 'mmap2' ? offset * 4096 : offset };
    }
    case 'munmap': {
      const addr = num(a[0]),
        len = num(a[1]);
      if (addr === undefined || len === undefined) return 'munmap: arguments not (addr, len)';
      return { op: 'munmap', t: done, tid, addr, len };
    }
    case 'mremap': {
      const addr = num(a[0]),
        oldLen = num(a[1]),
        newLen = num(a[2]);
      if (addr === undefined || oldLen === undefined || newLen === undefined) return 'mremap: arguments not (addr, old_len, new_len, ...)';
      return { op: 'mremap', t: done, tid, addr, oldLen, newLen, newAddr: ret };
    }
    case 'mprotect':
    case 'pkey_mprotect': {
      const addr = num(a[0]),
        len = num(a[1]),
        prot = flagsValue(a[2] ?? '');
      if (addr === undefined || len === undefined || prot === undefined) return `${name}: arguments not (addr, len, prot)`;
      return { op: 'mprotect', t: done, tid, addr, len, prot };
    }
    case 'madvise': {
      const addr = num(a[0]),
        len = num(a[1]),
        advice = flagsValue(a[2] ?? '');
      if (addr === undefined || len === undefined || advice === undefined) return 'madvise: arguments not (addr, len, advice)';
      return { op: 'madvise', t: done, tid, addr, len, advice };
    }
    case 'brk':
      return { op: 'brk', t: done, tid, result: ret };
    case 'clone':
    case 'clone3': {
      const f = /flags=([^,}]*)/.exec(a.join(', '));
      const flags = f ? flagsValue(f[1]!) : 0;
      if (flags === undefined) return `${name}: flags not readable`;
      return { op: 'clone', t: start, tid, child: ret, flags };
    }
    case 'fork':
      return { op: 'clone', t: start, tid, child: ret, flags: 0 };
    case 'vfork':
      return { op: 'clone', t: start, tid, child: ret, flags: 0x100 | 0x4000 };
    case 'execve':
    case 'execveat':
      return { op: 'execve', t: done, tid };
    case 'fallocate': {
      const mode = flagsValue(a[1] ?? ''),
        offset = num(a[2]),
        len = num(a[3]);
      if (mode === undefined || offset === undefined || len === undefined) return 'fallocate: arguments not (fd, mode, offset, len)';
      return { op: 'fallocate', t: done, tid, fd: fdTarget(a[0] ?? '', mounts), mode, offset, len };
    }
    case 'ftruncate': {
      const len = num(a[1]);
      if (len === undefined) return 'ftruncate: arguments not (fd, length)';
      return { op: 'ftruncate', t: done, tid, fd: fdTarget(a[0] ?? '', mounts), len };
    }
    default:
      return null;
  }
}
