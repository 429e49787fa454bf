/**
 * What the CLI promises about the directories it writes and the verdicts
 * it prints: --force replaces only a pagelab run directory, two runs never
 * both write one --out, dead runs' temporary directories go, running out of
 * memory is a counted outcome that --check holds the log to.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { logLines } from '@pagelab/engine/testing';
import { testContext } from './testing.js';
import { runCommand } from './commands/run.js';
import { compareCommand } from './commands/compare.js';
import { reportCommand } from './commands/report.js';
import { validateCommand } from './commands/validate.js';
import { removeStaleTemps } from './run-dir.js';

let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'pagelab-rel-'));
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

const goodLog = (dir = cwd) => {
  writeFileSync(join(dir, 'good.jsonl'), `${logLines().join('\n')}\n`);
  return join(dir, 'good.jsonl');
};
const fixture = (name: string) => {
  copyFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)), join(cwd, name));
  return name;
};
/** A pid that is certainly not running: a child that has exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;

describe('--force replaces a pagelab run directory and nothing else', () => {
  it('refuses a regular file and leaves it as it was', async () => {
    const t = testContext(cwd);
    writeFileSync(join(cwd, 'notes.txt'), 'my notes');
    expect(await runCommand(t.ctx, { log: goodLog(), design: 'linux-6.10', out: 'notes.txt', force: true })).toBe(2);
    expect(t.err()).toContain('is a file, not a run directory');
    expect(readFileSync(join(cwd, 'notes.txt'), 'utf8')).toBe('my notes');
  });

  it("refuses a user's directory that pagelab did not write", async () => {
    const t = testContext(cwd);
    mkdirSync(join(cwd, 'photos'));
    writeFileSync(join(cwd, 'photos', 'a.jpg'), 'jpeg');
    expect(await runCommand(t.ctx, { log: goodLog(), design: 'linux-6.10', out: 'photos', force: true })).toBe(2);
    expect(t.err()).toContain('is not a pagelab run directory');
    expect(readdirSync(join(cwd, 'photos'))).toEqual(['a.jpg']);
  });

  it('refuses `--out .` (the working directory) even when it looks like a run directory', async () => {
    const t = testContext(cwd);
    writeFileSync(join(cwd, 'provenance.json'), JSON.stringify({ pagelab: '0.1.0' }));
    expect(await runCommand(t.ctx, { log: goodLog(), design: 'linux-6.10', out: '.', force: true })).toBe(2);
    expect(t.err()).toContain('is the working directory or holds it');
    expect(existsSync(join(cwd, 'good.jsonl'))).toBe(true);
  });

  it('refuses the directory holding the input log, even a run directory', async () => {
    const t = testContext(cwd);
    const first = testContext(cwd);
    expect(await runCommand(first.ctx, { log: goodLog(), design: 'linux-6.10', out: 'runs/a' })).toBe(0);
    const log = goodLog(join(cwd, 'runs', 'a'));
    expect(await runCommand(t.ctx, { log, design: 'linux-6.10', out: 'runs/a', force: true })).toBe(2);
    expect(t.err()).toContain('holds the input log');
    expect(existsSync(log)).toBe(true);
  });

  it('replaces a run directory pagelab wrote', async () => {
    const log = goodLog();
    expect(await runCommand(testContext(cwd).ctx, { log, design: 'linux-6.10', out: 'runs/a' })).toBe(0);
    const t = testContext(cwd);
    expect(await runCommand(t.ctx, { log, design: 'linux-5.8', out: 'runs/a', force: true })).toBe(0);
    expect(readFileSync(join(cwd, 'runs', 'a', 'summary.json'), 'utf8')).toContain('linux-5.8');
    expect(readdirSync(join(cwd, 'runs'))).toEqual(['a']);
  });
});

describe('one writer per --out', () => {
  it('the second of two racing runs fails clearly and the first one writes the directory', async () => {
    const log = goodLog();
    const a = testContext(cwd);
    const b = testContext(cwd);
    const codes = await Promise.all([
      runCommand(a.ctx, { log, design: 'linux-6.10', out: 'runs/x' }),
      runCommand(b.ctx, { log, design: 'linux-5.8', out: 'runs/x' }),
    ]);
    expect(codes.sort()).toEqual([0, 2]);
    expect(a.err() + b.err()).toMatch(/runs\/x (is being written by another pagelab run \(pid \d+\)|already exists)/);
    expect(readdirSync(join(cwd, 'runs'))).toEqual(['x']);
  });

  it('a claim left by a dead run does not block the next one', async () => {
    mkdirSync(join(cwd, 'runs'));
    writeFileSync(join(cwd, 'runs', '.x.claim'), `${deadPid()}\n`);
    const t = testContext(cwd);
    expect(await runCommand(t.ctx, { log: goodLog(), design: 'linux-6.10', out: 'runs/x' })).toBe(0);
    expect(readdirSync(join(cwd, 'runs'))).toEqual(['x']);
  });
});

describe('temporary directories of dead runs', () => {
  it('are removed by the next run into the same parent; those of live runs are kept', async () => {
    const runs = join(cwd, 'runs');
    const dead = `.old.tmp-${deadPid()}-0badcafe`;
    const live = `.other.tmp-${process.pid}-0badcafe`;
    mkdirSync(join(runs, dead), { recursive: true });
    writeFileSync(join(runs, dead, 'observations.jsonl'), '{}\n');
    mkdirSync(join(runs, live));
    expect(await runCommand(testContext(cwd).ctx, { log: goodLog(), design: 'linux-6.10', out: 'runs/y' })).toBe(0);
    expect(readdirSync(runs).sort()).toEqual([live, 'y']);
    expect(removeStaleTemps(runs)).toEqual([]);
  });
});

describe('running out of memory', () => {
  it('a pin the machine cannot fault in fails with ENOMEM as an outcome, shown in the run line, not as bad input', async () => {
    const t = testContext(cwd);
    expect(await runCommand(t.ctx, { log: fixture('oom-on-pin.jsonl'), design: 'linux-6.10', out: 'runs/oom' })).toBe(0);
    expect(t.out()).toMatch(/faults? out of memory \(OOM; 1 GUP\/dio failed with ENOMEM\)/);
    const s = JSON.parse(readFileSync(join(cwd, 'runs', 'oom', 'summary.json'), 'utf8')) as {
      outcomes: Record<string, { failed: number; reasons: Record<string, number> }>;
      oom: { faults: number; expected: boolean };
    };
    expect(s.outcomes['gup']).toEqual({ ok: 0, failed: 1, reasons: { ENOMEM: 1 } });
    expect(s.oom.faults).toBeGreaterThan(0);
    expect(s.oom.expected).toBe(false);
  });

  it('--check fails a run whose faults ran out of memory unless an expect says the log means it', async () => {
    const t = testContext(cwd);
    expect(await runCommand(t.ctx, { log: fixture('oom-on-pin.jsonl'), design: 'linux-6.10', out: 'runs/a', check: true })).toBe(1);
    expect(t.err()).toMatch(/ran out of memory .*"oomFaults":\d+/);
    const faults = (JSON.parse(readFileSync(join(cwd, 'runs', 'a', 'summary.json'), 'utf8')) as { oom: { faults: number } }).oom.faults;
    const lines = readFileSync(join(cwd, 'oom-on-pin.jsonl'), 'utf8').trimEnd().split('\n');
    writeFileSync(join(cwd, 'intended.jsonl'), `${[...lines, JSON.stringify({ type: 'expect', oomFaults: faults, label: 'the pin runs out' })].join('\n')}\n`);
    const u = testContext(cwd);
    expect(await runCommand(u.ctx, { log: 'intended.jsonl', design: 'linux-6.10', out: 'runs/b', check: true })).toBe(0);
  });

  it('compare of a log whose GUP runs out of memory under some designs only replays every design', async () => {
    const t = testContext(cwd);
    expect(await compareCommand(t.ctx, { log: fixture('oom-on-get-design-dependent.jsonl'), designs: ['linux-5.8,linux-6.10'], out: 'cmp' })).toBe(0);
    expect(readdirSync(join(cwd, 'cmp')).sort()).toEqual(['compare.json', 'linux-5.8', 'linux-6.10']);
    expect(t.out()).toMatch(/^invariants checked \d+ times per design \(every \d+ events and after the last; --check walks at every sample\): all held$/m);
  }, 60_000); // 500 events under two designs with an invariant walk after each (a short log is walked every event): ~3 s idle

  it('compare --check exits 1 naming the design whose faults ran out of memory', async () => {
    const t = testContext(cwd);
    expect(await compareCommand(t.ctx, { log: fixture('oom-on-pin.jsonl'), designs: ['linux-5.8,linux-6.10'], out: 'cmp', check: true })).toBe(1);
    expect(t.err()).toContain('check failed for linux-5.8');
    expect(t.out()).toMatch(/^linux-5\.8: \d+ faults? out of memory \(OOM; 1 GUP\/dio failed with ENOMEM\)$/m);
  });
});

describe('invariants without --check', () => {
  it('a plain run walks them a bounded number of times and says so in its summary lines', async () => {
    const t = testContext(cwd);
    expect(await runCommand(t.ctx, { log: goodLog(), design: 'linux-6.10', out: 'runs/p' })).toBe(0);
    expect(t.out()).toMatch(
      /invariants checked \d+ times \((every \d+ events and after the last|after every event); --check walks at every sample\): all held/,
    );
    const s = JSON.parse(readFileSync(join(cwd, 'runs', 'p', 'summary.json'), 'utf8')) as { invariantWalks: number };
    expect(s.invariantWalks).toBeGreaterThan(1);
    expect(s.invariantWalks).toBeLessThanOrEqual(17);
  });
});

describe('pagelab report on a run directory', () => {
  const noParams = () => {
    const lines = logLines();
    const h = JSON.parse(lines[0]!) as { workload: Record<string, unknown> };
    delete h.workload['params'];
    writeFileSync(join(cwd, 'bare.jsonl'), `${[JSON.stringify(h), ...lines.slice(1)].join('\n')}\n`);
    return 'bare.jsonl';
  };

  it('reports a run of a log without workload.params (contracts.md allows it)', async () => {
    expect(await runCommand(testContext(cwd).ctx, { log: noParams(), design: 'linux-6.10', out: 'r' })).toBe(0);
    const t = testContext(cwd);
    expect(await reportCommand(t.ctx, 'r')).toBe(0);
    expect(JSON.parse(readFileSync(join(cwd, 'r', 'compare.json'), 'utf8')).workload.params).toEqual({});
  });

  it('names a missing observations.jsonl in a sentence and writes nothing', async () => {
    expect(await runCommand(testContext(cwd).ctx, { log: goodLog(), design: 'linux-6.10', out: 'r' })).toBe(0);
    rmSync(join(cwd, 'r', 'observations.jsonl'));
    const t = testContext(cwd);
    expect(await reportCommand(t.ctx, 'r')).toBe(2);
    expect(t.err()).toBe(
      'pagelab: r/observations.jsonl is missing: the report needs summary.json and observations.jsonl (rerun `pagelab run` or `pagelab compare` to write them)\n',
    );
    expect(readdirSync(join(cwd, 'r')).sort()).toEqual(['provenance.json', 'summary.json']);
  });

  it('turns an io-ts dump into the field it is about and leaves no compare.json behind when the report fails', async () => {
    expect(await runCommand(testContext(cwd).ctx, { log: goodLog(), design: 'linux-6.10', out: 'r' })).toBe(0);
    const t = testContext(cwd, {
      loadAnalysis: async () => ({
        writeReport: async (dir: string) => {
          throw new Error(
            `${dir}/summary.json: not the expected shape:\n  Invalid value undefined supplied to : { a: string }/metrics: { b: number }/wasteBytes: number`,
          );
        },
      }),
    });
    expect(await reportCommand(t.ctx, 'r')).toBe(2);
    expect(t.err()).toMatch(/summary\.json does not have the shape this pagelab writes: at metrics\.wasteBytes, it is missing\n$/);
    expect(t.err()).not.toContain('Invalid value');
    expect(existsSync(join(cwd, 'r', 'compare.json'))).toBe(false);
  });
});

describe('THP knobs the model does not act on', () => {
  it('khugepaged/defrag and the mTHP knobs are accepted and listed in provenance as not modelled; thp.use_zero_page is modelled', async () => {
    const lines = logLines();
    const h = JSON.parse(lines[0]!) as Record<string, unknown>;
    h['settings'] = { 'thp.use_zero_page': 0, 'khugepaged.defrag': 1, 'thp.hugepages-64kB.enabled': 'inherit' };
    writeFileSync(join(cwd, 'knobs.jsonl'), `${[JSON.stringify(h), ...lines.slice(1)].join('\n')}\n`);
    const t = testContext(cwd);
    expect(await runCommand(t.ctx, { log: 'knobs.jsonl', design: 'linux-6.10', out: 'k' })).toBe(0);
    const p = JSON.parse(readFileSync(join(cwd, 'k', 'provenance.json'), 'utf8')) as { settings: { notModelled: Record<string, unknown> } };
    expect(p.settings.notModelled).toEqual({ 'khugepaged.defrag': 1, 'thp.hugepages-64kB.enabled': 'inherit' });
  });
});

describe('validate --semantic', () => {
  it('reports every event the model refuses, each with its line, in one attempt', async () => {
    const MiB = 1 << 20;
    const header = JSON.parse(logLines()[0]!) as unknown;
    const events = [
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: 4 * MiB, len: 2 * MiB, kind: 'anon' },
      { type: 'touch', pid: 1, addr: 64 * MiB, len: 4096, write: true }, // line 4: no mapping there
      { type: 'unpin', handle: 'nope' }, // line 5: no such handle
      { type: 'touch', pid: 7, addr: 4 * MiB, len: 4096, write: true }, // line 6: pid 7 was never spawned
      { type: 'mmap', pid: 1, addr: 5 * MiB, len: 2 * MiB, kind: 'anon' }, // line 7: overlaps line 3's mapping
      { type: 'touch', pid: 1, addr: 4 * MiB, len: 4096, write: true },
    ];
    writeFileSync(join(cwd, 'sem.jsonl'), `${[header, ...events].map((x) => JSON.stringify(x)).join('\n')}\n`);
    const plain = testContext(cwd);
    expect(await validateCommand(plain.ctx, 'sem.jsonl')).toBe(0);
    const t = testContext(cwd);
    expect(await validateCommand(t.ctx, 'sem.jsonl', { semantic: true })).toBe(2);
    const lines = t.err().trimEnd().split('\n');
    expect(lines.slice(0, -1).map((l) => /^sem\.jsonl:(\d+): at \$\.(\w+):/.exec(l)?.slice(1))).toEqual([
      ['4', 'addr'],
      ['5', 'handle'],
      ['6', 'pid'],
      ['7', 'addr'],
    ]);
    expect(lines.at(-1)).toBe('sem.jsonl: semantic: 4 events the model refuses under linux-6.10');
  });
});
