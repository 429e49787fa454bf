/**
 * `pagelab kernel` on the live kernel. These tests change global kernel state
 * (THP and khugepaged knobs, a swap file, a tracefs instance), so they run one
 * at a time (this file's tests are sequential, and each holds the
 * kernel-state lock around what it compares) and skip, saying why, where the
 * machine cannot run them (not root, no THP, /sys read-only).
 *
 * The named-workload diff against linux-6.18 is the oracle check of the
 * model: a disagreement fails unless docs/kernel-differences.md names it.
 * Left out for time (each is a minute or more on a loaded 2-core machine, and
 * its checks are covered by the short selftest logs): mixed (1M events),
 * qemu-balloon (10k events, ~90 s), fork-heavy-random (~25 s), and the
 * recorded real-program logs (thousands of events each; their own package
 * tests them).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverRegistry } from '@pagelab/engine';
import {
  acquireKernelStateLock,
  KHUGEPAGED_DIR,
  type KernelStateLock,
  knobValue,
  machineRefusals,
  snapshotKnobs,
  unsupportedEvents,
} from '@pagelab/kernel-oracle';
import { scenarios } from '@pagelab/workloads';
import { runCli } from '../program.js';
import { testContext } from '../testing.js';

const why = machineRefusals();
if (why.length) console.log(`pagelab kernel live tests skipped: ${why.join('; ')}`);

const LAB = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const LEFT_OUT = new Set(['mixed', 'qemu-balloon', 'fork-heavy-random']);
const isRecorded = (source: string) => /record/i.test(source);

const runnable = scenarios.filter((s) => {
  if (LEFT_OUT.has(s.name) || isRecorded(s.source)) return false;
  const { events } = s.generate();
  return unsupportedEvents(events.map((event, i) => ({ line: i + 2, event }))).length === 0;
});
const notRunnable = scenarios.filter((s) => !LEFT_OUT.has(s.name) && !isRecorded(s.source) && !runnable.includes(s));

/** What a run must leave as it found it: knobs, swaps, tracefs instances, the executor's files. */
function machineState(): Record<string, string> {
  const inst = '/sys/kernel/tracing/instances';
  return {
    ...snapshotKnobs(),
    tracefsInstances: existsSync(inst)
      ? readdirSync(inst)
          .filter((d) => d.startsWith('pagelab'))
          .join(',')
      : '',
    varTmp: readdirSync('/var/tmp')
      .filter((f) => f.startsWith('pagelab-'))
      .join(','),
    mounts: readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .filter((l) => l.includes('tracefs'))
      .join('|'),
  };
}

function labContext(cwd: string) {
  return testContext(cwd, {
    loadRegistry: () => discoverRegistry(),
    loadScenarios: async () => scenarios,
  });
}

describe.skipIf(why.length > 0).sequential('pagelab kernel on the live kernel', () => {
  let lock: KernelStateLock;
  let dir: string;
  let initial: Record<string, string>;
  beforeAll(async () => {
    lock = await acquireKernelStateLock();
    dir = mkdtempSync(join(tmpdir(), 'pagelab-kernel-test-'));
    initial = machineState();
  }, 600_000);
  afterAll(() => {
    lock?.release();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // Budgets below: wall time on a loaded shared 2-core machine (khugepaged scans, swap I/O); no verdict depends on it.
  it('kernel run writes every event and check to kernel.jsonl and leaves every knob, swap and tracefs instance as it found them', async () => {
    const before = machineState();
    const t = labContext(dir);
    const code = await runCli(['kernel', 'run', 'selftest-collapse-max-ptes-swap', '--out', 'k1'], t.ctx);
    expect(t.err()).toBe('');
    expect(code).toBe(0);
    const lines = readFileSync(join(dir, 'k1', 'kernel.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ pagelab_kernel: 1 });
    const events = lines.filter((l) => typeof l['rc'] === 'number');
    // khugepaged's scans of the log's processes (mm_khugepaged_scan_pmd) follow the events.
    expect(lines.some((l) => l['type'] === 'khugepaged_scan')).toBe(true);
    expect(events.length).toBe(scenarios.find((s) => s.name === 'selftest-collapse-max-ptes-swap')!.generate().events.length);
    const checks = events.flatMap((e) => (e['checks'] as { kernel: unknown; expected: unknown }[] | undefined) ?? []);
    expect(checks.length).toBeGreaterThan(0);
    expect(checks.filter((c) => c.kernel !== null).length).toBe(checks.length);
    expect(machineState()).toEqual(before);
  }, 120_000);

  it('SIGINT in the middle of a log ends the run with 130, and every knob reads as it did before', async () => {
    const before = machineState();
    // 200 khugepaged passes: long enough to be interrupted in the middle.
    const header = {
      pagelab: 1,
      machine: { memory: 268435456, nodes: 1, cma: 0, swap: 67108864 },
      settings: { 'khugepaged.max_ptes_none': 0 },
      workload: { name: 'interrupt-me', seed: 1 },
    };
    const events = [
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: 1 << 30, len: 4 << 20, kind: 'anon' },
      { type: 'touch', pid: 1, addr: 1 << 30, len: 4096, write: true },
      { type: 'madvise', pid: 1, addr: 1 << 30, len: 4096, advice: 'pageout' },
      ...Array.from({ length: 200 }, () => ({ type: 'khugepaged' })),
      { type: 'expect', pid: 1, anonHugeBytes: 0 },
    ];
    const log = join(dir, 'interrupt.jsonl');
    writeFileSync(log, [header, ...events].map((l) => JSON.stringify(l)).join('\n') + '\n');
    const startScans = Number(readFileSync(`${KHUGEPAGED_DIR}/full_scans`, 'utf8'));
    // The CLI from source, as bin/pagelab.js runs it without a build (tsx from the workspace, whatever the cwd).
    const tsx = join(LAB, '..', '..', 'node_modules', 'tsx', 'dist', 'loader.mjs');
    const child = spawn(
      process.execPath,
      ['--import', pathToFileURL(tsx).href, '--conditions', 'development', join(LAB, 'src', 'main.ts'), 'kernel', 'run', log, '--out', join(dir, 'k2')],
      {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    // Mid-log: khugepaged is parked by the run and has done a few of its passes.
    for (let i = 0; i < 6000; i++) {
      const parked = knobValue(readFileSync(`${KHUGEPAGED_DIR}/scan_sleep_millisecs`, 'utf8')) === '3600000';
      if (parked && Number(readFileSync(`${KHUGEPAGED_DIR}/full_scans`, 'utf8')) >= startScans + 5) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(knobValue(readFileSync(`${KHUGEPAGED_DIR}/scan_sleep_millisecs`, 'utf8')), `the run did not start: ${stderr}`).toBe('3600000');
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(existsSync(join(dir, 'k2'))).toBe(false);
    expect(machineState()).toEqual(before);
    expect(stderr).not.toMatch(/could not restore/);
  }, 180_000);

  it('refuses a log with events the kernel cannot perform, naming their lines, and changes nothing', async () => {
    const before = machineState();
    const t = labContext(dir);
    const code = await runCli(['kernel', 'run', 'seed004-gup-pinned-cma', '--out', 'k3'], t.ctx);
    expect(code).toBe(2);
    expect(t.err()).toMatch(/alloc_contig at lines 8, 12/);
    expect(t.err()).toMatch(/driver_alloc at line 2/);
    expect(existsSync(join(dir, 'k3'))).toBe(false);
    expect(machineState()).toEqual(before);
  }, 60_000);

  if (notRunnable.length) console.log(`not run on the kernel (events it cannot perform): ${notRunnable.map((s) => s.name).join(', ')}`);

  it.each(runnable.map((s) => s.name))(
    '%s: the kernel and linux-6.18 agree on every check and every khugepaged scan, but for the known differences',
    async (name) => {
      const t = labContext(dir);
      const code = await runCli(['kernel', 'diff', name, '--design', 'linux-6.18', '--json'], t.ctx);
      type Row = { line: number; agree: boolean | null; known?: string };
      const out = JSON.parse(t.out()) as {
        checks: (Row & { check: string; kernel: unknown; model: unknown })[];
        scans: (Row & { pid: number; kernel: unknown; model: unknown })[] | null;
        collapses: (Row & { pid: number; kernel: number; model: number })[] | null;
      };
      const bad = out.checks.filter((c) => c.agree === false && !c.known);
      expect(bad).toEqual([]);
      // Scan by scan (mm_khugepaged_scan_pmd and mm_collapse_huge_page of the run's private tracefs instance).
      expect(out.scans).not.toBeNull();
      expect([...out.scans!, ...out.collapses!].filter((r) => r.agree === false && !r.known)).toEqual([]);
      expect(code).toBe(0);
    },
    120_000,
  );

  it("after every workload above, the machine reads as it did before the first (knobs, khugepaged's nice value across thread restarts, swaps, tracefs)", () => {
    expect(machineState()).toEqual(initial);
  });
});
