/**
 * The recorder's intermediate form: what one task did to memory, decoded
 * from strace, perf script or ftrace text but not yet translated into the
 * model's vocabulary. Times are nanoseconds on one clock per trace; `tid`
 * is the kernel's task id (a thread or a process).
 */

/** x86 page-fault error code bits (arch/x86/include/asm/trap_pf.h: X86_PF_PROT, X86_PF_WRITE, X86_PF_USER). */
export const PF_WRITE = 0x2;

/** The mmap flag bits the converter reads (include/uapi/asm-generic/mman-common.h, linux/mman.h). */
export const MAP_SHARED = 0x01;
export const MAP_PRIVATE = 0x02;
export const MAP_SHARED_VALIDATE = 0x03;
export const MAP_FIXED = 0x10;
export const MAP_ANONYMOUS = 0x20;
export const MAP_HUGETLB = 0x40000;
export const PROT_READ = 0x1;
export const PROT_WRITE = 0x2;

/** Clone flags (include/uapi/linux/sched.h). */
export const CLONE_VM = 0x100;
export const CLONE_THREAD = 0x10000;

/** madvise advice numbers (include/uapi/asm-generic/mman-common.h). */
export const MADV = {
  DONTNEED: 4,
  FREE: 8,
  REMOVE: 9,
  MERGEABLE: 12,
  HUGEPAGE: 14,
  NOHUGEPAGE: 15,
  PAGEOUT: 21,
  COLLAPSE: 25,
} as const;

/** fallocate mode bits (include/uapi/linux/falloc.h). */
export const FALLOC_FL_KEEP_SIZE = 0x01;
export const FALLOC_FL_PUNCH_HOLE = 0x02;

/** What a file descriptor of a mapping refers to, as far as the model cares. */
export type FdTarget =
  | { readonly kind: 'none' } // MAP_ANONYMOUS (fd -1)
  | { readonly kind: 'shmem'; readonly file: string } // memfd, /dev/shm, a tmpfs file
  | { readonly kind: 'device'; readonly path: string }
  | { readonly kind: 'file'; readonly path: string } // a regular (page cache) file, or unknown
  | { readonly kind: 'unknown' };

interface Base {
  /** Nanoseconds; items are applied in this order (stable for ties). */
  readonly t: number;
  readonly tid: number;
}

export type TraceOp =
  | (Base & {
      readonly op: 'mmap';
      readonly addr: number;
      readonly len: number;
      readonly prot: number;
      readonly flags: number;
      readonly fd: FdTarget;
      readonly offset: number;
    })
  | (Base & { readonly op: 'munmap'; readonly addr: number; readonly len: number })
  | (Base & { readonly op: 'mremap'; readonly addr: number; readonly oldLen: number; readonly newLen: number; readonly newAddr: number })
  | (Base & { readonly op: 'mprotect'; readonly addr: number; readonly len: number; readonly prot: number })
  | (Base & { readonly op: 'madvise'; readonly addr: number; readonly len: number; readonly advice: number })
  | (Base & { readonly op: 'brk'; readonly result: number })
  | (Base & { readonly op: 'clone'; readonly child: number; readonly flags: number })
  | (Base & { readonly op: 'execve' })
  | (Base & { readonly op: 'exit' })
  | (Base & { readonly op: 'fallocate'; readonly fd: FdTarget; readonly mode: number; readonly offset: number; readonly len: number })
  | (Base & { readonly op: 'ftruncate'; readonly fd: FdTarget; readonly len: number })
  | (Base & { readonly op: 'fault'; readonly addr: number; readonly write: boolean });

export type OpName = TraceOp['op'];

/** A line a parser could not use: its 1-based number, why, and the text. */
export interface Unusable {
  readonly line: number;
  readonly reason: string;
  readonly text: string;
}

/** What a parser hands the converter. */
export interface ParsedTrace {
  readonly ops: TraceOp[];
  /** Lines that carried no memory action by design (comments, headers, blank lines, other syscalls). */
  readonly ignored: number;
  readonly unusable: Unusable[];
}

/** Sorts ops by time, keeping the input order for equal times (Array.prototype.sort is stable). */
export function byTime(ops: TraceOp[]): TraceOp[] {
  return ops.sort((a, b) => a.t - b.t);
}

/** Parses a C integer literal as the tracers print them: decimal, 0x hex, or a negative decimal. */
export function cInt(s: string): number | undefined {
  const v = s.trim();
  if (/^0x[0-9a-f]+$/i.test(v)) return Number.parseInt(v.slice(2), 16);
  if (/^-?\d+$/.test(v)) return Number.parseInt(v, 10);
  if (v === 'NULL') return 0;
  return undefined;
}

/** Groups unusable lines by reason with their counts and the first examples of each. */
export function summarizeUnusable(unusable: readonly Unusable[], examples = 3): { reason: string; count: number; examples: Unusable[] }[] {
  const by = new Map<string, { reason: string; count: number; examples: Unusable[] }>();
  for (const u of unusable) {
    let g = by.get(u.reason);
    if (!g) by.set(u.reason, (g = { reason: u.reason, count: 0, examples: [] }));
    g.count++;
    if (g.examples.length < examples) g.examples.push(u);
  }
  return [...by.values()].sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}
