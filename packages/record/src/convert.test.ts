/**
 * The converter on hand-made traces: what each syscall becomes in the
 * model's vocabulary, and what it leaves out.
 */
import { describe, expect, it } from 'vitest';
import { AddressMap, BASE } from './address-map.js';
import { convert } from './convert.js';
import { parseStrace } from './strace.js';
import type { TraceOp } from './trace.js';

const MiB = 1 << 20;
const anon = { kind: 'none' } as const;
let t = 0;
const at = <T extends object>(o: T) => ({ ...o, t: ++t }) as unknown as TraceOp;
const mmap = (tid: number, addr: number, len: number, flags = 0x22, fd: TraceOp extends infer _ ? object : never = anon, prot = 3) =>
  at({ op: 'mmap', tid, addr, len, prot, flags, fd, offset: 0 });
const fault = (tid: number, addr: number, write = true) => at({ op: 'fault', tid, addr, write });
const types = (ops: TraceOp[]) => convert(ops, { name: 't' }).events.map((e) => e.type);

describe('address layout', () => {
  it('keeps offsets within 2 MiB, order and gaps; a range and its neighbour that touch stay together', () => {
    const m = new AddressMap([
      [0x7f0000201000, 0x7f0000400000],
      [0x7f0000400000, 0x7f0000600000],
      [0x5555_0000_0000, 0x5555_0000_1000],
    ]);
    expect(m.map(0x5555_0000_0000)).toBe(BASE);
    expect(m.map(0x7f0000201000)).toBe(BASE + 2 * MiB + 2 * MiB + 0x1000); // after the 2 MiB heap chunk and a 2 MiB gap
    expect(m.map(0x7f0000400000) - m.map(0x7f0000201000)).toBe(0x400000 - 0x201000);
    expect(() => m.map(0x1000)).toThrow(/outside every recorded range/);
  });
});

describe('process tree', () => {
  it('clone without CLONE_VM forks; with CLONE_VM the thread shares the mm and its faults touch it; the mm exits with its last task', () => {
    const c = convert(
      [
        mmap(10, 0x7f0000000000, 2 * MiB),
        at({ op: 'clone', tid: 10, child: 11, flags: 0x100 | 0x10000 }),
        at({ op: 'clone', tid: 10, child: 12, flags: 0 }),
        fault(11, 0x7f0000001000),
        fault(12, 0x7f0000002000),
        at({ op: 'exit', tid: 10 }),
        at({ op: 'exit', tid: 11 }),
        at({ op: 'exit', tid: 12 }),
      ],
      { name: 't' },
    );
    expect(c.events.map((e) => [e.type, 'pid' in e ? e.pid : 'parent' in e ? `${e.parent}->${e.child}` : ''])).toEqual([
      ['spawn', 1],
      ['mmap', 1],
      ['fork', '1->2'],
      ['touch', 1],
      ['touch', 2],
      ['exit', 1],
      ['exit', 2],
    ]);
    expect(c.stats.threads).toBe(1);
  });

  it('execve gives the task a fresh mm: the old one exits, a new pid spawns', () => {
    expect(types([mmap(5, 0x7f0000000000, 4096), at({ op: 'execve', tid: 5 }), mmap(5, 0x7f0000000000, 4096)])).toEqual([
      'spawn',
      'mmap',
      'exit',
      'spawn',
      'mmap',
    ]);
  });
});

describe('mappings', () => {
  it('brk grows the heap as an anon mapping and shrinks it with munmap', () => {
    const c = convert(
      [at({ op: 'brk', tid: 1, result: 0x555555559000 }), at({ op: 'brk', tid: 1, result: 0x55555557a000 }), at({ op: 'brk', tid: 1, result: 0x555555569000 })],
      { name: 't' },
    );
    expect(c.events.slice(1).map((e) => [e.type, (e as { len: number }).len])).toEqual([
      ['mmap', 0x21000],
      ['munmap', 0x11000],
    ]);
  });

  it('MAP_FIXED over an anon mapping unmaps the part it replaces first; a private file mapping is left out and counted', () => {
    const c = convert([mmap(1, 0x7f0000000000, 4 * MiB), mmap(1, 0x7f0000100000, MiB, 0x12, { kind: 'file', path: '/lib/x.so' }, 1)], { name: 't' });
    expect(c.events.map((e) => e.type)).toEqual(['spawn', 'mmap', 'munmap']);
    expect(c.stats.excludedBytes['private-file']).toBe(MiB);
  });

  it('MAP_SHARED|MAP_ANONYMOUS is shmem with a file of its own, truncated to 0 when its last mapping goes', () => {
    const c = convert([mmap(1, 0x7f0000000000, MiB, 0x21), at({ op: 'munmap', tid: 1, addr: 0x7f0000000000, len: MiB })], { name: 't' });
    expect(c.events.slice(1)).toEqual([
      { type: 'mmap', pid: 1, addr: BASE, len: MiB, kind: 'shmem', file: 'shared-anon-1', offset: 0, write: true },
      { type: 'munmap', pid: 1, addr: BASE, len: MiB },
      { type: 'truncate', file: 'shared-anon-1', size: 0 },
    ]);
  });

  it('a memfd mapped shared, punched with fallocate and truncated: fallocate punch_hole and truncate on its file', () => {
    const fd = { kind: 'shmem', file: 'memfd:buf' } as const;
    const c = convert(
      [
        mmap(1, 0x7f0000000000, 4 * MiB, 0x1, fd),
        at({ op: 'fallocate', tid: 1, fd, mode: 0x3, offset: 0x1800, len: 0x3000 }),
        at({ op: 'ftruncate', tid: 1, fd, len: MiB + 1 }),
      ],
      { name: 't' },
    );
    expect(c.events.slice(2)).toEqual([
      { type: 'fallocate', file: 'memfd:buf', offset: 0x2000, len: 0x2000, mode: 'punch_hole' },
      { type: 'truncate', file: 'memfd:buf', size: MiB + 4096 },
    ]);
  });

  it('mremap growing in place maps the tail; moving it moves the pages; madvise is clipped to modelled mappings', () => {
    const c = convert(
      [
        mmap(1, 0x7f0000000000, MiB),
        at({ op: 'mremap', tid: 1, addr: 0x7f0000000000, oldLen: MiB, newLen: 2 * MiB, newAddr: 0x7f0000000000 }),
        at({ op: 'mremap', tid: 1, addr: 0x7f0000000000, oldLen: 2 * MiB, newLen: 2 * MiB, newAddr: 0x7f1000000000 }),
        mmap(1, 0x7f1000200000, MiB, 0x2, { kind: 'file', path: '/data' }, 1),
        at({ op: 'madvise', tid: 1, addr: 0x7f1000000000, len: 3 * MiB, advice: 4 }),
      ],
      { name: 't' },
    );
    const ev = c.events.slice(1);
    // The grown tail is a region of its own: the move and the madvise name both pieces, the file mapping neither.
    expect(ev.map((e) => e.type)).toEqual(['mmap', 'mmap', 'mremap', 'madvise', 'madvise']);
    expect(
      ev
        .slice(3)
        .map((e) => (e as { len: number }).len)
        .reduce((a, b) => a + b),
    ).toBe(2 * MiB);
    expect(ev[2]).toMatchObject({ len: 2 * MiB });
  });

  it('a write fault on a read-only mapping, and a fault in a left-out mapping, are counted and dropped', () => {
    const c = convert(
      [
        mmap(1, 0x7f0000000000, MiB, 0x22, anon, 1),
        mmap(1, 0x7f0000200000, MiB, 0x2, { kind: 'file', path: '/lib/y.so' }, 1),
        fault(1, 0x7f0000000000, true),
        fault(1, 0x7f0000000000, false),
        fault(1, 0x7f0000200000, false),
      ],
      { name: 't' },
    );
    expect(c.stats.droppedFaults['write-to-read-only']).toBe(1);
    expect(c.stats.droppedFaults['unmodelled-mapping']).toBe(1);
    expect(c.events.map((e) => e.type)).toEqual(['spawn', 'mmap', 'touch']);
  });

  it('consecutive first touches of one process merge into one touch', () => {
    const c = convert([mmap(1, 0x7f0000000000, MiB), fault(1, 0x7f0000000000), fault(1, 0x7f0000001000), fault(1, 0x7f0000002fff), fault(1, 0x7f0000004000)], {
      name: 't',
    });
    expect(c.events.filter((e) => e.type === 'touch').map((e) => (e as { len: number }).len)).toEqual([3 * 4096, 4096]);
  });
});

describe('strace text', () => {
  it('joins an unfinished call with its resumption and reads fd paths, clone flags and failures', () => {
    const p = parseStrace(
      [
        '7 1.000001 mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_SHARED, 3</memfd:pool>(deleted), 0 <unfinished ...>',
        '8 1.000002 exit_group(0) = ?',
        '7 1.000003 <... mmap resumed>) = 0x7f0000000000 <0.000004>',
        '7 1.000010 clone3({flags=CLONE_VM|CLONE_VFORK, exit_signal=SIGCHLD, stack=0x7f00, stack_size=0x9000}, 88) = 9 <0.000100>',
        '7 1.000020 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = -1 ENOMEM (Cannot allocate memory) <0.000001>',
        '8 1.000030 +++ exited with 0 +++',
      ].join('\n'),
    );
    expect(p.unusable).toEqual([]);
    expect(p.ops.map((o) => o.op)).toEqual(['mmap', 'clone', 'exit']);
    expect(p.ops[0]).toMatchObject({ addr: 0x7f0000000000, len: 8192, flags: 1, fd: { kind: 'shmem', file: 'memfd:pool' }, t: 1_000_001_000 + 4000 });
    expect(
      parseStrace('7 2.000000 fallocate(3</memfd:pool (deleted)>, FALLOC_FL_KEEP_SIZE|FALLOC_FL_PUNCH_HOLE, 0, 2097152) = 0 <0.000010>').ops[0],
    ).toMatchObject({ op: 'fallocate', fd: { kind: 'shmem', file: 'memfd:pool' }, mode: 3, len: 2097152 });
    expect(p.ops[1]).toMatchObject({ child: 9, flags: 0x100 | 0x4000, t: 1_000_010_000 });
  });
});

describe('lining the normal run up with the log', () => {
  const sample = (tMs: number, rss: number, processes = 1) => ({
    run: 'normal' as const,
    tMs,
    tNs: tMs * 1e6,
    processes,
    rssBytes: rss,
    rssModelBytes: rss,
    rssAnonBytes: rss,
    rssShmemBytes: 0,
    anonHugeBytes: 0,
    shmemPmdMappedBytes: 0,
    swapBytes: 0,
  });
  it('time-warps the Rss curve: a run three times slower in its middle phase still matches phase for phase', async () => {
    const { rssDtw } = await import('./record.js');
    const normal = [1, 1, 5, 5, 9, 9, 2].map((r, i) => sample(i * 10, r));
    const traced = [1, 1, 5, 5, 5, 5, 5, 5, 9, 9, 2].map((r, i) => sample(i * 10, r));
    const match = rssDtw(normal, traced)!;
    expect(match.map((j) => traced[j]!.rssModelBytes)).toEqual([1, 1, 5, 5, 9, 9, 2]);
  });

  it('goes through the forks and exits both runs saw, when they saw the same ones', async () => {
    const { timeWarp } = await import('./record.js');
    const normal = { durationMs: 100, samples: [sample(0, 1, 1), sample(10, 1, 2), sample(50, 1, 2), sample(60, 1, 1), sample(100, 1, 1)] };
    const traced = {
      durationMs: 1000,
      samples: [sample(0, 1, 0), sample(200, 1, 1), sample(300, 1, 2), sample(700, 1, 2), sample(800, 1, 1), sample(1000, 1, 1)],
    };
    const w = timeWarp(normal, traced);
    expect(w.how).toBe('landmarks');
    expect(w(5)).toBe(250); // the fork: midway between the samples either side, in both runs
    expect(w(55)).toBe(750); // the exit
  });
});
