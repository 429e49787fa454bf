/**
 * The importer on traces recorded on this kernel: the tracefs text of the
 * khugepaged selftest scenarios, and the strace + perf script pair of a
 * small C program (fixtures/memtest.c), counted exactly event by event.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { convert, detectFormat, importTrace, parseStrace, parseTracepoints, summarizeUnusable } from './index.js';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url)), 'utf8');

describe('ftrace text of the khugepaged selftests (tracefs instance, Linux 6.18)', () => {
  const text = fixture('ftrace-mm-sample.txt');
  const r = importTrace(text, { name: 'kh-sample' });

  it('is read as tracepoint text, and every sys_mmap/munmap/madvise pair becomes an op', () => {
    expect(detectFormat(text)).toBe('tracepoints');
    const p = parseTracepoints(text);
    const byOp: Record<string, number> = {};
    for (const op of p.ops) byOp[op.op] = (byOp[op.op] ?? 0) + 1;
    // 36 sys_mmap, 6 sys_munmap and 26 sys_madvise entry/return pairs in the file.
    expect(byOp).toEqual({ mmap: 36, munmap: 6, madvise: 26 });
  });

  it("gives 7 processes (one per pid seen, none forked in view), 21 anon/shared-anon mmaps, 3 munmaps and 22 madvises, plus libc's writable data as anon", () => {
    expect(r.stats.eventsByType).toEqual({ madvise: 25, mmap: 24, munmap: 3, spawn: 7 });
    expect(r.stats.processes).toBe(7);
    // libc's .data (prot 3, MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE of fd 3, 0x6000): anon where written, never a THP.
    expect(r.stats.cowFileBytes).toBe(3 * 0x6000);
    const i = r.events.findIndex((e) => e.type === 'mmap' && e.len === 0x6000);
    expect(r.events[i + 1]).toEqual({ type: 'madvise', pid: 1, addr: (r.events[i] as { addr: number }).addr, len: 0x6000, advice: 'nohugepage' });
  });

  it('leaves out the ld.so.cache and libc mappings, counted by bytes: 3 x 3,776,512', () => {
    expect(r.stats.excludedBytes['private-file']).toBe(3 * 3776512);
    expect(Object.values(r.stats.excludedBytes).reduce((a, b) => a + b, 0)).toBe(3 * 3776512);
  });

  it('counts the khugepaged and compaction lines as unusable, by event, with examples', () => {
    const groups = summarizeUnusable(r.unusable);
    expect(Object.fromEntries(groups.map((g) => [g.reason, g.count]))).toEqual({
      'mm_khugepaged_scan_pmd: an event pagelab does not replay': 14,
      'mm_collapse_huge_page: an event pagelab does not replay': 3,
      'mm_collapse_huge_page_isolate: an event pagelab does not replay': 3,
      'mm_collapse_huge_page_swapin: an event pagelab does not replay': 2,
      'mm_compaction_kcompactd_sleep: an event pagelab does not replay': 1,
    });
    expect(groups[0]!.examples[0]!.line).toBe(57);
    expect(r.ignored).toBe(17); // the header comments and the section comments
  });

  it('a shared anonymous mmap (flags 0x21) is shmem with a file of its own; madvise 0x15 is MADV_PAGEOUT', () => {
    const shared = r.events.filter((e) => e.type === 'mmap' && e.kind === 'shmem');
    expect(shared.map((e) => (e as { file: string }).file)).toEqual(['shared-anon-1', 'shared-anon-2', 'shared-anon-3']);
    expect(r.events.filter((e) => e.type === 'madvise' && e.advice === 'pageout')).toHaveLength(3);
  });

  it('keeps every mapping 2 MiB-aligned where the program had it so: the MAP_FIXED_NOREPLACE one at 0x40000000', () => {
    const big = r.events.filter((e) => e.type === 'mmap' && e.len === 0x200000);
    expect(big).toHaveLength(3);
    for (const e of big) expect((e as { addr: number }).addr % 0x200000).toBe(0);
  });
});

describe('strace -f + perf script of fixtures/memtest.c (8 MiB, every other page, fork, child writes, MADV_DONTNEED)', () => {
  const offset = -BigInt(fixture('memtest.clock-offset').trim());
  const sys = parseStrace(fixture('memtest.strace.txt'), { offsetNs: offset });
  const faults = parseTracepoints(fixture('memtest.perf-script.txt'));
  const root = 29090;
  const c = convert([...sys.ops, ...faults.ops], { name: 'memtest', startAtExec: { tid: root, exec: 2 } });

  it('reads every strace line: the wait4 pair, exit_group and SIGCHLD are not memory actions', () => {
    expect(sys.unusable).toEqual([]);
    expect(detectFormat(fixture('memtest.strace.txt'))).toBe('strace');
    const byOp: Record<string, number> = {};
    for (const op of sys.ops) byOp[op.op] = (byOp[op.op] ?? 0) + 1;
    expect(byOp).toEqual({ execve: 2, brk: 2, mmap: 17, mprotect: 6, munmap: 3, madvise: 2, clone: 1, exit: 2 });
  });

  it('reads every perf line as a fault', () => {
    expect(faults.unusable).toEqual([]);
    expect(faults.ops).toHaveLength(1692);
  });

  it("drops what the wrapper did before exec-ing the program, and the tracers' own faults", () => {
    expect(c.stats.processes).toBe(2);
    expect(c.stats.droppedFaults['before-start']).toBeGreaterThan(0);
    expect(c.stats.eventsByType).toMatchObject({ spawn: 1, fork: 1, exit: 2, madvise: 3, munmap: 1 });
  });

  it('the 8 MiB mapping: 1024 parent write touches on every other page, then 256 child writes in its first 2 MiB', () => {
    const big = c.events.find((e) => e.type === 'mmap' && e.len === 10 * 1048576) as { addr: number; pid: number };
    expect(big.addr % 0x200000).toBe(0);
    const inBig = c.events.filter((e) => e.type === 'touch' && e.addr >= big.addr && e.addr < big.addr + 8 * 1048576) as {
      pid: number;
      addr: number;
      len: number;
      write: boolean;
    }[];
    const parent = inBig.filter((e) => e.pid === 1),
      child = inBig.filter((e) => e.pid === 2);
    expect(parent.map((e) => e.addr - big.addr)).toEqual(Array.from({ length: 1024 }, (_, i) => i * 8192));
    expect(parent.every((e) => e.write && e.len === 4096)).toBe(true);
    expect(child.map((e) => e.addr - big.addr)).toEqual(Array.from({ length: 256 }, (_, i) => i * 8192));
    expect(child.every((e) => e.write)).toBe(true);
    const seq = (pred: (e: (typeof c.events)[number]) => boolean) => c.events.findIndex(pred);
    const fork = seq((e) => e.type === 'fork');
    expect(seq((e) => e === parent[1023])).toBeLessThan(fork);
    expect(seq((e) => e === child[0])).toBeGreaterThan(fork);
    const dontneed = seq((e) => e.type === 'madvise' && e.advice === 'dontneed');
    expect(c.events[dontneed]).toEqual({ type: 'madvise', pid: 1, addr: big.addr + 4 * 1048576, len: 2 * 1048576, advice: 'dontneed' });
    expect(dontneed).toBeGreaterThan(seq((e) => e.type === 'exit' && e.pid === 2));
  });
});
