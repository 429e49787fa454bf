import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../program.js';
import { testContext } from '../testing.js';

let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'pagelab-races-'));
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

async function cli(...args: string[]) {
  const t = testContext(cwd);
  const code = await runCli(args, t.ctx);
  return { code, out: t.out(), err: t.err() };
}

describe('pagelab races', () => {
  it('lists the scenarios with their known verdicts', async () => {
    const r = await cli('races');
    expect(r.code).toBe(0);
    for (const name of [
      'seed002-prep-compound-unfixed',
      'seed002-prep-compound-fixed',
      'seed002-prep-compound-no-wmb',
      'seed001-speculative-lookup',
      'seed001-lookup-rechecked',
      'pagetail-first-page-fixed',
    ]) {
      expect(r.out).toContain(name);
    }
    const j = JSON.parse((await cli('races', '--json')).out);
    expect(j.find((s: { name: string }) => s.name === 'seed002-prep-compound-no-wmb').expect).toEqual({ sc: 'unreachable', weak: 'reachable' });
  });
  it('exits 1 with the JSON counterexample when the seed002 race is reachable under sc', async () => {
    const r = await cli('races', 'seed002-prep-compound-unfixed', '--json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(Object.keys(j)).toEqual(['name', 'memoryModel', 'interleavings', 'states', 'violations']);
    expect(j.memoryModel).toBe('sc');
    expect(Object.keys(j.violations[0])).toEqual(['assertion', 'steps']);
    expect(Object.keys(j.violations[0].steps[0])).toEqual(['cpu', 'function', 'op', 'word', 'value']);
    expect(j.violations[0].steps.at(-1)).toMatchObject({ cpu: 0, function: 'compound_unlock_irqrestore', op: 'rmw', word: 'H.flags' });
  });
  it('exits 0 for the fixed order under the weak model, and 1 without its smp_wmb', async () => {
    expect((await cli('races', 'seed002-prep-compound-fixed', '--memory-model', 'weak', '--json')).code).toBe(0);
    expect((await cli('races', 'seed002-prep-compound-no-wmb', '--memory-model', 'sc', '--json')).code).toBe(0);
    const weak = await cli('races', 'seed002-prep-compound-no-wmb', '--memory-model', 'weak');
    expect(weak.code).toBe(1);
    expect(weak.out).toContain('VIOLATION: compound_lock lost');
    expect(weak.out).toContain('<-- fails here');
  });
  it('prints the seed002 ordering question as a herd7 litmus test', async () => {
    const r = await cli('races', 'seed002-prep-compound-fixed', '--litmus');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^C seed002-prep-compound-fixed\n/);
    expect(r.out).toContain('smp_wmb();');
    expect(r.out).toContain('exists (1:r0=1 /\\ flags=1)');
    expect((await cli('races', 'seed001-speculative-lookup', '--litmus')).code).toBe(2);
  });
  it('writes swimlane reports for both memory models', { timeout: 30_000 }, async () => {
    const r = await cli('races', 'seed002-prep-compound-no-wmb', '--report', 'out');
    expect(r.code).toBe(0);
    const files = readdirSync(join(cwd, 'out')).sort();
    expect(files).toEqual(['report.html', 'report.md', 'seed002-prep-compound-no-wmb-weak-1.svg']);
    const svg = readFileSync(join(cwd, 'out', files[2]!), 'utf8');
    expect(svg).toContain('CPU0 put_compound_page');
    expect(svg).toContain('assertion fails');
    expect((await cli('races', 'seed002-prep-compound-no-wmb', '--report', 'out')).code).toBe(2);
    expect(readdirSync(cwd).filter((f) => f !== 'out')).toEqual([]);
  });
  it('explores a scenario of your own from a module, and names the bad step of a broken one', async () => {
    // Steps are plain objects, so a module needs no import to write them.
    const sb = (extra: string) => `export default {
      name: 'my-sb', title: 'store buffering', source: 'test', expect: { sc: 'unreachable', weak: 'reachable' },
      words: [{ name: 'x', init: 0, shape: { kind: 'count' } }, { name: 'y', init: 0, shape: { kind: 'count' } }],
      cpus: [
        { name: 'P0', steps: [{ kind: 'store', fn: 'P0', word: 'x', value: 1 }, { kind: 'load', fn: 'P0', word: '${extra}', into: 'r0' }] },
        { name: 'P1', steps: [{ kind: 'store', fn: 'P1', word: 'y', value: 1 }, { kind: 'load', fn: 'P1', word: 'x', into: 'r1' }] },
      ],
      finally: [{ assertion: 'both read 0', reads: [], holds: (_m, regs) => !(regs(0).r0 === 0 && regs(1).r1 === 0) }],
    };\n`;
    writeFileSync(join(cwd, 'my-sb.mjs'), sb('y'));
    expect((await cli('races', '--file', 'my-sb.mjs', '--json')).code).toBe(0);
    const weak = await cli('races', '--file', 'my-sb.mjs', '--memory-model', 'weak', '--json');
    expect(weak.code).toBe(1);
    expect(JSON.parse(weak.out).violations[0].assertion).toBe('both read 0');
    writeFileSync(join(cwd, 'bad.mjs'), sb('z'));
    const bad = await cli('races', '--file', 'bad.mjs');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("CPU0 P0 step 2 (P0): unknown word 'z'");
  });
  it('refuses an unknown scenario or memory model with exit 2', async () => {
    const a = await cli('races', 'no-such-race');
    expect(a.code).toBe(2);
    expect(a.err).toContain("unknown race scenario 'no-such-race'");
    const b = await cli('races', 'seed002-prep-compound-fixed', '--memory-model', 'tso');
    expect(b.code).toBe(2);
    expect(b.err).toContain("--memory-model: expected sc or weak, got 'tso'");
  });
});
