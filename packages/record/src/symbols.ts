/**
 * The symbolic constants strace prints (PROT_READ|PROT_WRITE, MADV_DONTNEED,
 * CLONE_VM|...) back to numbers, from the uapi headers
 * (include/uapi/asm-generic/mman-common.h, mman.h, linux/sched.h, falloc.h).
 * Names the converter never reads map to 0 so an unknown flag is harmless.
 */
const TABLE: Readonly<Record<string, number>> = {
  PROT_NONE: 0,
  PROT_READ: 1,
  PROT_WRITE: 2,
  PROT_EXEC: 4,
  PROT_SEM: 8,
  PROT_GROWSDOWN: 0x01000000,
  PROT_GROWSUP: 0x02000000,
  MAP_SHARED: 0x1,
  MAP_PRIVATE: 0x2,
  MAP_SHARED_VALIDATE: 0x3,
  MAP_FIXED: 0x10,
  MAP_ANONYMOUS: 0x20,
  MAP_32BIT: 0x40,
  MAP_GROWSDOWN: 0x100,
  MAP_DENYWRITE: 0x800,
  MAP_EXECUTABLE: 0x1000,
  MAP_LOCKED: 0x2000,
  MAP_NORESERVE: 0x4000,
  MAP_POPULATE: 0x8000,
  MAP_NONBLOCK: 0x10000,
  MAP_STACK: 0x20000,
  MAP_HUGETLB: 0x40000,
  MAP_SYNC: 0x80000,
  MAP_FIXED_NOREPLACE: 0x100000,
  MAP_UNINITIALIZED: 0x4000000,
  MAP_FILE: 0,
  MADV_NORMAL: 0,
  MADV_RANDOM: 1,
  MADV_SEQUENTIAL: 2,
  MADV_WILLNEED: 3,
  MADV_DONTNEED: 4,
  MADV_FREE: 8,
  MADV_REMOVE: 9,
  MADV_DONTFORK: 10,
  MADV_DOFORK: 11,
  MADV_MERGEABLE: 12,
  MADV_UNMERGEABLE: 13,
  MADV_HUGEPAGE: 14,
  MADV_NOHUGEPAGE: 15,
  MADV_DONTDUMP: 16,
  MADV_DODUMP: 17,
  MADV_WIPEONFORK: 18,
  MADV_KEEPONFORK: 19,
  MADV_COLD: 20,
  MADV_PAGEOUT: 21,
  MADV_POPULATE_READ: 22,
  MADV_POPULATE_WRITE: 23,
  MADV_DONTNEED_LOCKED: 24,
  MADV_COLLAPSE: 25,
  MADV_HWPOISON: 100,
  MADV_SOFT_OFFLINE: 101,
  MADV_GUARD_INSTALL: 102,
  MADV_GUARD_REMOVE: 103,
  CLONE_VM: 0x100,
  CLONE_FS: 0x200,
  CLONE_FILES: 0x400,
  CLONE_SIGHAND: 0x800,
  CLONE_PIDFD: 0x1000,
  CLONE_PTRACE: 0x2000,
  CLONE_VFORK: 0x4000,
  CLONE_PARENT: 0x8000,
  CLONE_THREAD: 0x10000,
  CLONE_NEWNS: 0x20000,
  CLONE_SYSVSEM: 0x40000,
  CLONE_SETTLS: 0x80000,
  CLONE_PARENT_SETTID: 0x100000,
  CLONE_CHILD_CLEARTID: 0x200000,
  CLONE_DETACHED: 0x400000,
  CLONE_UNTRACED: 0x800000,
  CLONE_CHILD_SETTID: 0x1000000,
  CLONE_IO: 0x80000000,
  MREMAP_MAYMOVE: 1,
  MREMAP_FIXED: 2,
  MREMAP_DONTUNMAP: 4,
  FALLOC_FL_KEEP_SIZE: 0x1,
  FALLOC_FL_PUNCH_HOLE: 0x2,
  FALLOC_FL_NO_HIDE_STALE: 0x4,
  FALLOC_FL_COLLAPSE_RANGE: 0x8,
  FALLOC_FL_ZERO_RANGE: 0x10,
  FALLOC_FL_INSERT_RANGE: 0x20,
  FALLOC_FL_UNSHARE_RANGE: 0x40,
};

/**
 * `PROT_READ|PROT_WRITE`, `0x22`, `MAP_HUGETLB|21<<MAP_HUGE_SHIFT`, `0` →
 * a number; undefined when a part is neither a known name, a number nor a
 * shifted field (signals such as SIGCHLD in clone flags count as 0).
 */
export function flagsValue(text: string): number | undefined {
  let v = 0;
  for (const raw of text.trim().split('|')) {
    const part = raw.trim();
    if (part === '') continue;
    if (/^0x[0-9a-f]+$/i.test(part)) v += Number.parseInt(part.slice(2), 16);
    else if (/^\d+$/.test(part)) v += Number.parseInt(part, 10);
    else if (/^\d+<<\w+$/.test(part) || /^SIG\w+$/.test(part)) continue;
    else if (part in TABLE) v = orNum(v, TABLE[part]!);
    else if (/^[A-Z][A-Z0-9_]+$/.test(part))
      continue; // a flag the model does not read
    else return undefined;
  }
  return v;
}

/** Bitwise or for values past 2^31 (CLONE_IO): JavaScript's | is 32-bit signed. */
function orNum(a: number, b: number): number {
  const hi = Math.floor(a / 2 ** 32) | Math.floor(b / 2 ** 32);
  return hi * 2 ** 32 + (((a >>> 0) | (b >>> 0)) >>> 0);
}

/** Whether every bit of `bit` is set in `v` (safe above 2^31). */
export function has(v: number, bit: number): boolean {
  return Math.floor(v / bit) % 2 === 1;
}
