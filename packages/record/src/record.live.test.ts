/**
 * A live recording of a program whose memory actions are known
 * (fixtures/memtest.c): an 8 MiB MADV_HUGEPAGE mapping, a write to every
 * other page, fork, the child writes every other page of the first 2 MiB,
 * the child exits, MADV_DONTNEED of the third 2 MiB. Checked event by
 * event, replayed under every installed preset with the invariants walked,
 * and the model's AnonHugePages/Rss held against the kernel's.
 *
 * Skipped, with the reason printed, where the machine cannot trace (not
 * root, no strace/perf, a container without ptrace, no THP, no cc).
 * recordProgram holds the kernel-state lock, so no other test changes the
 * THP knobs between the traced and the normal run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { LogHeader, WorkloadEvent } from '@pagelab/events';
import { designFrom, PRESETS, type Registry } from '@pagelab/engine';
import { installedRegistry, replayChecked } from '@pagelab/engine/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closestPreset, findTools, predict, recordingProblems, recordProgram, type Recording } from './index.js';

const MiB = 1 << 20;

function whyNot(): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (perf tracepoints and ptrace need it)';
  if (!existsSync('/sys/kernel/mm/transparent_hugepage/enabled')) return 'the kernel has no THP';
  const tools = findTools();
  if (!tools.cc.path) return 'no cc to build the test program';
  const problems = recordingProblems(tools);
  return problems.length > 0 ? problems.join('; ') : null;
}

const reason = whyNot();
if (reason) console.log(`record.live.test: skipped: ${reason}`);

describe.skipIf(reason !== null)('pagelab record of fixtures/memtest.c on this kernel', () => {
  let r: Recording;
  let registry: Registry;
  let dir: string;

  // Two runs of a 0.7 s program under strace and perf, then perf script: a few seconds, more on a loaded machine.
  beforeAll(async () => {
    registry = await installedRegistry();
    dir = mkdtempSync(join(tmpdir(), 'pagelab-memtest-'));
    const bin = join(dir, 'memtest');
    const cc = spawnSync(findTools().cc.path!, ['-O1', '-o', bin, fileURLToPath(new URL('../fixtures/memtest.c', import.meta.url))], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`cc failed: ${cc.stderr}`);
    // recordProgram holds the kernel-state lock while it runs.
    r = await recordProgram({ argv: [bin], intervalMs: 20, programOutput: 'ignore' });
  }, 900_000); // recordProgram may first wait for the kernel-state lock while another test changes THP knobs

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('both runs exit 0 and perf lost no fault record', () => {
    expect(r.traced.exitCode).toBe(0);
    expect(r.normal!.exitCode).toBe(0);
    expect(r.lostFaults).toBe(0);
  });

  it('the log is valid: the header and every event decode', () => {
    expect(isRight(LogHeader.decode(r.header))).toBe(true);
    const bad = r.events.filter((e) => isLeft(WorkloadEvent.decode(e)));
    expect(bad).toEqual([]);
  });

  it('one program, one fork: spawn, fork 1 -> 2, exit 2 before exit 1; libraries left out and counted', () => {
    const tree = r.events.filter((e) => e.type === 'spawn' || e.type === 'fork' || e.type === 'exit');
    expect(tree).toEqual([
      { type: 'spawn', pid: 1 },
      { type: 'fork', parent: 1, child: 2 },
      { type: 'exit', pid: 2 },
      { type: 'exit', pid: 1 },
    ]);
    expect(r.stats.excludedBytes['private-file']).toBeGreaterThan(MiB); // libc and ld.so.cache
  });

  it('every other page of the 8 MiB is written once by the parent at 4 KiB, then 256 CoW writes by the child, then MADV_DONTNEED of the third 2 MiB', () => {
    const map = r.events.find((e) => e.type === 'mmap' && e.len === 10 * MiB) as { addr: number } | undefined;
    expect(map, '10 MiB mmap (8 MiB + 2 MiB for alignment)').toBeDefined();
    const base = map!.addr; // the program's mapping was 2 MiB-aligned (kernel >= 6.7 aligns large anon mmaps), and the layout keeps that
    expect(base % (2 * MiB)).toBe(0);
    const idx = (e: unknown) => r.events.indexOf(e as never);
    const hp = r.events.find((e) => e.type === 'madvise' && e.advice === 'hugepage');
    expect(hp).toEqual({ type: 'madvise', pid: 1, addr: base, len: 8 * MiB, advice: 'hugepage' });
    const touches = r.events.filter((e) => e.type === 'touch' && e.addr >= base && e.addr < base + 8 * MiB) as {
      pid: number;
      addr: number;
      len: number;
      write: boolean;
    }[];
    const parent = touches.filter((t) => t.pid === 1),
      child = touches.filter((t) => t.pid === 2);
    expect(parent.map((t) => [t.addr - base, t.len, t.write])).toEqual(Array.from({ length: 1024 }, (_, i) => [i * 8192, 4096, true]));
    expect(child.map((t) => [t.addr - base, t.len, t.write])).toEqual(Array.from({ length: 256 }, (_, i) => [i * 8192, 4096, true]));
    const fork = r.events.findIndex((e) => e.type === 'fork');
    expect(idx(hp)).toBeLessThan(idx(parent[0]));
    expect(idx(parent[1023])).toBeLessThan(fork);
    expect(idx(child[0])).toBeGreaterThan(fork);
    const dn = r.events.findIndex((e) => e.type === 'madvise' && e.advice === 'dontneed');
    expect(r.events[dn]).toEqual({ type: 'madvise', pid: 1, addr: base + 4 * MiB, len: 2 * MiB, advice: 'dontneed' });
    expect(dn).toBeGreaterThan(r.events.findIndex((e) => e.type === 'exit' && e.pid === 2));
  });

  // Every preset, invariants walked every 50 events: a few seconds idle, more beside the rest of the suite.
  it('replays under every installed preset with no invariant violated', { timeout: 120_000 }, () => {
    for (const p of PRESETS) {
      let run;
      try {
        run = replayChecked(r, p.name, registry, { invariants: 'sample', sampleEvery: 50, source: 'memtest' });
      } catch (e) {
        if (/not installed|unknown policy/i.test(String(e))) continue;
        throw e;
      }
      expect(run.violations, p.name).toEqual([]);
    }
  });

  // The levels the kernel held for a while (three samples or more) must each be a level the model reaches: this does not
  // depend on when the samples fell, so it holds on a loaded machine. Measured: every plateau (14 MiB with the child,
  // 6 MiB after) matched exactly for AnonHugePages, within 0.7% for RssAnon+RssShmem (the model holds no page tables, nor
  // the pages execve maps).
  it('every level the kernel held for three samples is one the model reaches under the preset nearest this kernel', () => {
    const preset = closestPreset(
      spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout,
      PRESETS.map((p) => p.name),
    )!;
    const d = designFrom(preset, registry);
    if (isLeft(d)) throw new Error(d.left.message);
    const everySeq = predict(
      r,
      d.right,
      Array.from({ length: r.events.length + 1 }, (_, seq) => ({ seq, anonHugeBytes: 0, rssModelBytes: 0 })),
    ).points;
    const normal = r.smaps.filter((s) => s.run === 'normal' && s.processes > 0);
    for (const key of ['anonHugeBytes', 'rssModelBytes'] as const) {
      const plateaus = [...new Set(normal.filter((s, i) => i >= 2 && normal[i - 1]![key] === s[key] && normal[i - 2]![key] === s[key]).map((s) => s[key]))];
      expect(plateaus.length, key).toBeGreaterThan(0);
      for (const v of plateaus) {
        const model = everySeq.map((p) => (key === 'anonHugeBytes' ? p.predictedAnonHugeBytes : p.predictedRssBytes));
        const nearest = model.reduce((b, m) => (Math.abs(m - v) < Math.abs(b - v) ? m : b), Infinity);
        expect(Math.abs(nearest - v), `${key} plateau ${v} vs the model's nearest level ${nearest}`).toBeLessThanOrEqual(Math.max(0.05 * v, 64 * 1024));
      }
    }
  });

  // Over the run, the error depends on where the samples fell. Measured (Linux 6.18, linux-6.15 and linux-6.18 presets,
  // 20 ms samples, the normal run lined up through the fork and the exit): AnonHugePages 0.0-1.0% off on steady samples
  // and 0.0-12% over all, RssAnon+RssShmem 0.7-1.2% steady and 0.7-12% over all. With elapsed-fraction alignment alone
  // it was 21-28%, and beside a concurrent recording (both runs slowed unevenly) one run reached 63% over all, 7.5%
  // steady. So the bound (10% on steady samples) is asserted when the fork and exit lined the runs up; otherwise the
  // figures are printed.
  it("the model under the preset nearest this kernel tracks the normal run's AnonHugePages and Rss within 10% on steady samples", () => {
    const preset = closestPreset(
      spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout,
      PRESETS.map((p) => p.name),
    )!;
    const d = designFrom(preset, registry);
    if (isLeft(d)) throw new Error(d.left.message);
    const normal = r.smaps.filter((s) => s.run === 'normal' && s.seq > 0);
    const p = predict(r, d.right, normal);
    console.log(
      `memtest under ${preset} (aligned by ${r.alignment}): AnonHugePages mean abs error ${(p.anonHuge.meanAbsBytes / MiB).toFixed(2)} MiB (${(p.anonHuge.relative * 100).toFixed(1)}% of the mean observed ${(p.anonHuge.meanObservedBytes / MiB).toFixed(2)} MiB), Rss ${(p.rss.meanAbsBytes / MiB).toFixed(2)} MiB (${(p.rss.relative * 100).toFixed(1)}%) over ${p.anonHuge.samples} samples; steady: ${(p.anonHugeSteady.relative * 100).toFixed(1)}% and ${(p.rssSteady.relative * 100).toFixed(1)}% over ${p.anonHugeSteady.samples}`,
    );
    // PAGELAB_DEBUG=1 prints every observed/predicted pair.
    if (process.env.PAGELAB_DEBUG)
      console.log(
        p.points
          .map(
            (x) =>
              `${x.seq} ${x.observedAnonHugeBytes / MiB}/${x.predictedAnonHugeBytes / MiB} ${(x.observedRssBytes / MiB).toFixed(2)}/${(x.predictedRssBytes / MiB).toFixed(2)}`,
          )
          .join('\n'),
      );
    expect(p.anonHuge.samples).toBeGreaterThan(5);
    if (r.alignment !== 'landmarks') {
      console.log(`record.live.test: the fork and exit did not line the runs up (alignment ${r.alignment}); the 10% bound is not asserted on this run`);
      return;
    }
    expect(p.anonHugeSteady.relative).toBeLessThan(0.1);
    expect(p.rssSteady.relative).toBeLessThan(0.1);
  });
});

describe.skipIf(reason !== null)('pagelab record with a private tracefs instance instead of perf', () => {
  it('sees the same first touches of fixtures/memtest.c, and leaves no instance behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pagelab-memtest-'));
    try {
      const bin = join(dir, 'memtest');
      const cc = spawnSync(findTools().cc.path!, ['-O1', '-o', bin, fileURLToPath(new URL('../fixtures/memtest.c', import.meta.url))], { encoding: 'utf8' });
      expect(cc.status).toBe(0);
      const r = await recordProgram({ argv: [bin], intervalMs: 50, programOutput: 'ignore', faults: 'tracefs', skipNormalRun: true });
      expect(existsSync(`/sys/kernel/tracing/instances/pagelab-record-${process.pid}`)).toBe(false);
      expect(r.lostFaults).toBe(0);
      const map = r.events.find((e) => e.type === 'mmap' && e.len === 10 * MiB) as { addr: number };
      const touches = r.events.filter((e) => e.type === 'touch' && e.addr >= map.addr && e.addr < map.addr + 8 * MiB) as { pid: number; addr: number }[];
      expect(touches.filter((t) => t.pid === 1).map((t) => t.addr - map.addr)).toEqual(Array.from({ length: 1024 }, (_, i) => i * 8192));
      expect(touches.filter((t) => t.pid === 2).map((t) => t.addr - map.addr)).toEqual(Array.from({ length: 256 }, (_, i) => i * 8192));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 900_000); // may first wait for the kernel-state lock
});
