import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isLeft } from 'fp-ts/lib/Either.js';
import { Summary, type WorkloadEvent } from '@pagelab/events';
import { logLines, smallEvents } from '@pagelab/engine/testing';
import { testContext } from '../testing.js';
import { validateCommand } from './validate.js';
import { runCommand } from './run.js';
import { compareCommand, splitDesigns } from './compare.js';
import { reportCommand } from './report.js';
import { policiesCommand } from './policies.js';
import { scenariosCommand } from './scenarios.js';
import { runCli } from '../program.js';

const MiB = 1 << 20;
let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'pagelab-lab-'));
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

function writeLog(name: string, lines: readonly string[]): string {
  writeFileSync(join(cwd, name), `${lines.join('\n')}\n`);
  return name;
}

const goodLog = () => writeLog('good.jsonl', logLines());
const badLog = () => {
  const lines = logLines();
  lines[2] = '{"type":"mmap","pid":1,"addr":2097152,"len":-5,"kind":"anon"}';
  lines[4] = '{"type":"touch", oops}';
  return writeLog('bad.jsonl', lines);
};
/** Everything in cwd except the logs: what a command left behind. */
const leftovers = () => readdirSync(cwd).filter((f) => !f.endsWith('.jsonl'));

describe('pagelab validate', () => {
  it('lists every bad line with its number and JSON path and exits non-zero', async () => {
    const t = testContext(cwd);
    expect(await validateCommand(t.ctx, badLog())).toBe(2);
    expect(t.err()).toContain('bad.jsonl:3: at $.len: expected');
    expect(t.err()).toContain('got -5');
    expect(t.err()).toContain('bad.jsonl:5: not valid JSON');
    expect(t.err()).toContain('invalid: 2 bad lines');
  });

  it('reports a good log with its event count and sha256', async () => {
    const t = testContext(cwd);
    expect(await validateCommand(t.ctx, goodLog())).toBe(0);
    expect(t.out()).toMatch(new RegExp(`good.jsonl: ok: ${smallEvents.length} events in ${smallEvents.length + 1} lines, sha256 [0-9a-f]{64}`));
  });

  it('names a missing file', async () => {
    const t = testContext(cwd);
    expect(await validateCommand(t.ctx, 'nope.jsonl')).toBe(2);
    expect(t.err()).toContain('nope.jsonl: no such file');
  });
});

describe('pagelab run', () => {
  it('refuses a bad log, lists its bad lines and leaves no directory', async () => {
    const t = testContext(cwd);
    expect(await runCommand(t.ctx, { log: badLog(), design: 'linux-6.10', out: 'runs/x' })).toBe(2);
    expect(t.err()).toContain('bad.jsonl is not a valid workload log; nothing was run');
    expect(t.err()).toContain('bad.jsonl:3: at $.len');
    expect(leftovers()).toEqual([]);
  });

  it('writes observations.jsonl, summary.json and provenance.json into the default directory', async () => {
    const t = testContext(cwd);
    expect(await runCommand(t.ctx, { log: goodLog(), design: 'linux-5.8', sampleEvery: 4 })).toBe(0);
    const runs = readdirSync(join(cwd, 'runs'));
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatch(/^engine-small-linux-5\.8-[0-9a-f]{8}$/);
    const dir = join(cwd, 'runs', runs[0]!);
    expect(readdirSync(dir).sort()).toEqual(['observations.jsonl', 'provenance.json', 'summary.json']);
    const lines = readFileSync(join(dir, 'observations.jsonl'), 'utf8').trimEnd().split('\n');
    const header = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(header).toMatchObject({ pagelab_observations: 1, workload: { name: 'engine-small' } });
    expect(
      lines
        .slice(1)
        .filter((l) => l.includes('"type":"sample"'))
        .map((l) => (JSON.parse(l) as { seq: number }).seq),
    ).toEqual([0, 4, 8, 12]);
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as unknown;
    expect(isLeft(Summary.decode(summary))).toBe(false);
    const prov = JSON.parse(readFileSync(join(dir, 'provenance.json'), 'utf8')) as Record<string, unknown>;
    expect(prov).toMatchObject({
      command: 'pagelab test',
      node: process.version,
      design: { name: 'linux-5.8' },
      log: { source: 'good.jsonl', events: smallEvents.length },
    });
    expect((prov['log'] as { sha256: string }).sha256).toBe(header['logSha256']);
    expect(t.out()).toContain(`wrote runs/${runs[0]}/`);
  });

  it('gives byte-identical observations.jsonl for two runs of one log under one design', async () => {
    const t = testContext(cwd);
    const log = goodLog();
    expect(await runCommand(t.ctx, { log, design: 'linux-6.10', out: 'a', sampleEvery: 3, check: true })).toBe(0);
    expect(await runCommand(t.ctx, { log, design: 'linux-6.10', out: 'b', sampleEvery: 3, check: true })).toBe(0);
    expect(readFileSync(join(cwd, 'a', 'observations.jsonl'))).toEqual(readFileSync(join(cwd, 'b', 'observations.jsonl')));
    expect(readFileSync(join(cwd, 'a', 'summary.json'))).toEqual(readFileSync(join(cwd, 'b', 'summary.json')));
  });

  it('stops at an event the model cannot apply, naming line and field, and writes nothing', async () => {
    const events: WorkloadEvent[] = [...smallEvents.slice(0, 4), { type: 'touch', pid: 1, addr: 900 * MiB, len: 4096, write: true }];
    const t = testContext(cwd);
    expect(await runCommand(t.ctx, { log: writeLog('mid.jsonl', logLines(events)), design: 'linux-6.10', out: 'runs/mid' })).toBe(2);
    expect(t.err()).toContain(`mid.jsonl:6: at $.addr: expected an address inside a mapping of pid 1, got ${900 * MiB}`);
    expect(leftovers()).toEqual([]);
  });

  it('with --check, exits 1 after writing when an expectation failed', async () => {
    const events: WorkloadEvent[] = [...smallEvents, { type: 'expect', pid: 1, addr: 4 * MiB, len: 2 * MiB, anonHugeBytes: 2 * MiB, label: 'still huge?' }];
    const t = testContext(cwd);
    expect(await runCommand(t.ctx, { log: writeLog('exp.jsonl', logLines(events)), design: 'linux-6.10', out: 'r', check: true })).toBe(1);
    expect(t.err()).toContain('check failed: 1 expectation failed: line 14 (still huge?): anonHugeBytes expected 2097152');
    expect(existsSync(join(cwd, 'r', 'summary.json'))).toBe(true);
    // Without --check the same run succeeds.
    expect(await runCommand(testContext(cwd).ctx, { log: 'exp.jsonl', design: 'linux-6.10', out: 'r2' })).toBe(0);
  });

  it('replays a named scenario with --param', async () => {
    const t = testContext(cwd);
    expect(await runCommand(t.ctx, { log: 'test-thp-life', design: 'linux-6.10', param: ['extraTouches=3'], out: 's' })).toBe(0);
    const summary = JSON.parse(readFileSync(join(cwd, 's', 'summary.json'), 'utf8')) as { events: number; workload: { params: unknown } };
    expect(summary.events).toBe(smallEvents.length + 3);
    expect(summary.workload.params).toEqual({ extraTouches: 3 });
    const prov = JSON.parse(readFileSync(join(cwd, 's', 'provenance.json'), 'utf8')) as { log: { source: string; params: unknown } };
    expect(prov.log).toMatchObject({ source: 'scenario:test-thp-life', params: { extraTouches: 3 } });
  });

  it('names unknown scenarios, unknown or bad scenario params', async () => {
    const t1 = testContext(cwd);
    expect(await runCommand(t1.ctx, { log: 'no-such-thing', design: 'linux-6.10' })).toBe(2);
    expect(t1.err()).toContain(
      '"no-such-thing" is neither a log file nor a scenario; expected a path to a workload log (JSONL) or one of the scenarios: test-thp-life',
    );
    const t2 = testContext(cwd);
    expect(await runCommand(t2.ctx, { log: 'test-thp-life', design: 'linux-6.10', param: ['extra=1'] })).toBe(2);
    expect(t2.err()).toContain('scenario test-thp-life has no parameter "extra"; expected one of extraTouches');
    const t3 = testContext(cwd);
    expect(await runCommand(t3.ctx, { log: 'test-thp-life', design: 'linux-6.10', param: ['extraTouches=-1'] })).toBe(2);
    expect(t3.err()).toContain('scenario test-thp-life: extraTouches: expected an integer >= 0, got -1');
    const t4 = testContext(cwd);
    expect(await runCommand(t4.ctx, { log: 'test-thp-life', design: 'linux-6.10', param: ['oops'] })).toBe(2);
    expect(t4.err()).toContain('--param "oops": expected NAME=VALUE');
    expect(leftovers()).toEqual([]);
  });

  it('names a policy that is not installed, or an unknown one, before reading the log', async () => {
    const t = testContext(cwd);
    expect(await runCommand(t.ctx, { log: goodLog(), design: 'linux-3.13' })).toBe(2);
    expect(t.err()).toContain('policy "tail-refcount" for axis refcount is not installed (installed refcount policies: head-refcount)');
    const t2 = testContext(cwd);
    expect(await runCommand(t2.ctx, { log: goodLog(), design: 'linux-6.10:sharedness=telepathy' })).toBe(2);
    expect(t2.err()).toContain(
      'unknown sharedness policy "telepathy" in "sharedness=telepathy"; expected one of precise-mapcount, likely-mapped-shared, mm-owner-tracking',
    );
    expect(leftovers()).toEqual([]);
  });

  it('refuses to overwrite an existing run directory unless --force', async () => {
    const t = testContext(cwd);
    const log = goodLog();
    expect(await runCommand(t.ctx, { log, design: 'linux-6.10', out: 'same' })).toBe(0);
    expect(await runCommand(t.ctx, { log, design: 'linux-6.10', out: 'same' })).toBe(2);
    expect(t.err()).toContain('already exists');
    expect(await runCommand(t.ctx, { log, design: 'linux-5.8', out: 'same', force: true })).toBe(0);
    expect(JSON.parse(readFileSync(join(cwd, 'same', 'summary.json'), 'utf8'))).toMatchObject({ design: { name: 'linux-5.8' } });
    expect(readdirSync(cwd).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('rejects a bad --sample-every', async () => {
    const t = testContext(cwd);
    expect(await runCommand(t.ctx, { log: goodLog(), design: 'linux-6.10', sampleEvery: '0' })).toBe(2);
    expect(t.err()).toContain('--sample-every "0": expected a positive integer');
  });
});

describe('pagelab compare', () => {
  it('writes compare.json and one directory per design, and prints the headline table', async () => {
    const t = testContext(cwd);
    expect(await compareCommand(t.ctx, { log: goodLog(), designs: ['linux-6.10,sharedness=precise-mapcount', 'linux-5.8'], out: 'cmp', report: true })).toBe(0);
    const manifest = JSON.parse(readFileSync(join(cwd, 'cmp', 'compare.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest).toMatchObject({
      workload: { name: 'engine-small', seed: 1, params: {} },
      command: 'pagelab test',
      designs: [
        { name: 'linux-6.10', dir: 'linux-6.10' },
        { name: 'linux-6.10:sharedness=precise-mapcount', dir: 'linux-6.10_sharedness_precise-mapcount' },
        { name: 'linux-5.8', dir: 'linux-5.8' },
      ],
    });
    expect(Object.keys(manifest)).toEqual(['pagelab', 'workload', 'logSha256', 'command', 'designs']);
    for (const d of manifest['designs'] as { dir: string }[]) {
      expect(readdirSync(join(cwd, 'cmp', d.dir)).sort()).toEqual(['observations.jsonl', 'provenance.json', 'summary.json']);
    }
    expect(t.out()).toMatch(/design\s+mean waste\s+Δ\s+end waste\s+Δ\s+peak waste/);
    expect(t.out()).toContain('deltas against linux-6.10');
    expect(t.reports).toEqual([join(cwd, 'cmp')]);
    expect(t.out()).toContain('report: cmp/report.html');
  });

  it('refuses the same design twice and a bad log, leaving nothing', async () => {
    const t = testContext(cwd);
    expect(await compareCommand(t.ctx, { log: goodLog(), designs: ['linux-6.10,sharedness=likely-mapped-shared'], out: 'c' })).toBe(2);
    expect(t.err()).toContain('is the same design as');
    expect(await compareCommand(t.ctx, { log: badLog(), designs: ['linux-6.10,linux-5.8'], out: 'c' })).toBe(2);
    expect(leftovers()).toEqual([]);
  });

  it('keeps the comparison when the analysis package is missing, and says so', async () => {
    const t = testContext(cwd, { loadAnalysis: () => Promise.reject(new Error("Cannot find package '@pagelab/analysis'")) });
    expect(await compareCommand(t.ctx, { log: goodLog(), designs: ['linux-6.10'], out: 'c', report: true })).toBe(2);
    expect(t.err()).toContain('the report needs @pagelab/analysis');
    expect(existsSync(join(cwd, 'c', 'compare.json'))).toBe(true);
  });

  it('splits --designs on commas, keeping overrides with their design', () => {
    expect(splitDesigns(['linux-3.13,linux-4.5'])).toEqual(['linux-3.13', 'linux-4.5']);
    expect(splitDesigns(['linux-6.10,sharedness=precise-mapcount'])).toEqual(['linux-6.10', 'sharedness=precise-mapcount']);
    expect(splitDesigns(['linux-3.13:refcount=head-refcount,param.thpCow=pte,linux-5.8'])).toEqual([
      'linux-3.13:refcount=head-refcount,param.thpCow=pte',
      'linux-5.8',
    ]);
    expect(splitDesigns(['refcount=tail-refcount(a=1;b=2),sharedness=precise-mapcount', 'sharedness=x'])).toEqual([
      'refcount=tail-refcount(a=1;b=2),sharedness=precise-mapcount',
      'sharedness=x',
    ]);
  });
});

describe('pagelab report, policies, scenarios', () => {
  it('reports a single run directory by giving it a one-design compare.json', async () => {
    const t = testContext(cwd);
    expect(await runCommand(t.ctx, { log: goodLog(), design: 'linux-6.10', out: 'one' })).toBe(0);
    expect(await reportCommand(t.ctx, 'one')).toBe(0);
    expect(JSON.parse(readFileSync(join(cwd, 'one', 'compare.json'), 'utf8'))).toMatchObject({ designs: [{ name: 'linux-6.10', dir: '.' }] });
    expect(t.reports).toEqual([join(cwd, 'one')]);
    expect(await reportCommand(t.ctx, 'missing')).toBe(2);
  });

  it('lists installed policies, presets, and what a preset needs that is not installed', async () => {
    const t = testContext(cwd);
    expect(await policiesCommand(t.ctx)).toBe(0);
    expect(t.out()).toContain('head-refcount — test stand-in for head-refcount');
    expect(t.out()).toContain('tail-refcount — NOT INSTALLED');
    expect(t.out()).toMatch(/linux-3\.13 {3}\[needs policies that are not installed\]/);
    expect(t.out()).toMatch(/refcount\s+tail-refcount {3}NOT INSTALLED/);
    expect(t.out()).toContain('oleg-2013');
  });

  it('lists scenarios with params, defaults and suggested designs', async () => {
    const t = testContext(cwd);
    expect(await scenariosCommand(t.ctx)).toBe(0);
    expect(t.out()).toContain('test-thp-life — A THP life (test scenario)');
    expect(t.out()).toContain('extraTouches=0');
    expect(t.out()).toContain('designs:  linux-5.8, linux-6.10');
  });
});

describe('the command line', () => {
  it('runs subcommands through commander and maps exit codes', async () => {
    const t = testContext(cwd);
    expect(await runCli(['run', goodLog(), '--design', 'linux-6.10', '--out', 'cli', '--sample-every', '5'], t.ctx)).toBe(0);
    expect(existsSync(join(cwd, 'cli', 'summary.json'))).toBe(true);
    expect(await runCli(['compare', 'good.jsonl', '--designs', 'linux-6.10', '--designs', 'linux-5.8', '--out', 'cmp'], t.ctx)).toBe(0);
    expect(readdirSync(join(cwd, 'cmp')).sort()).toEqual(['compare.json', 'linux-5.8', 'linux-6.10']);
    expect(await runCli(['--help'], t.ctx)).toBe(0);
    expect(await runCli(['run', '--help'], t.ctx)).toBe(0);
    expect(t.out()).toContain('pagelab run workload.jsonl --design linux-4.5');
    expect(await runCli(['frobnicate'], t.ctx)).toBe(2);
    expect(await runCli(['run', 'good.jsonl'], t.ctx)).toBe(2);
    expect(t.err()).toContain("required option '-d, --design <DESIGN>' not specified");
  });
});
