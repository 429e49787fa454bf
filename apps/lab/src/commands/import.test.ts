/** `pagelab import` and `pagelab record` at the command line: what is written, what is said, and bad input. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateLogText } from '@pagelab/events';
import { runCli } from '../program.js';
import { testContext } from '../testing.js';

const SAMPLE = fileURLToPath(new URL('../../../../packages/record/fixtures/ftrace-mm-sample.txt', import.meta.url));
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pagelab-import-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('pagelab import', () => {
  it('converts the tracefs sample into a log that validates, and lists the unusable lines by reason with examples', async () => {
    const t = testContext(dir);
    const code = await runCli(['import', SAMPLE, '--out', 'kh.jsonl'], t.ctx);
    expect(t.err()).toBe('');
    expect(code).toBe(0);
    const text = readFileSync(join(dir, 'kh.jsonl'), 'utf8');
    expect(validateLogText(text).ok).toBe(true);
    expect(text.trim().split('\n')).toHaveLength(1 + 59);
    expect(t.out()).toMatch(/59 events: madvise 25, mmap 24, munmap 3, spawn 7/);
    expect(t.out()).toMatch(/10\.80 MiB of private file mappings/);
    expect(t.out()).toMatch(/23 lines could not be used:\n\s+14 x mm_khugepaged_scan_pmd: an event pagelab does not replay\n\s+line 57: /);
  });

  it('--json gives the counts for scripts', async () => {
    const t = testContext(dir);
    expect(await runCli(['import', SAMPLE, '--out', 'kh.jsonl', '--json'], t.ctx)).toBe(0);
    const j = JSON.parse(t.out()) as { events: number; format: string; unusable: { reason: string; count: number }[] };
    expect(j.events).toBe(59);
    expect(j.format).toBe('tracepoints');
    expect(j.unusable.reduce((a, g) => a + g.count, 0)).toBe(23);
  });

  it('a file with no memory event is refused with exit 2 and nothing written', async () => {
    writeFileSync(join(dir, 'junk.txt'), 'hello\nworld\n');
    const t = testContext(dir);
    expect(await runCli(['import', 'junk.txt', '--out', 'junk.jsonl'], t.ctx)).toBe(2);
    expect(t.err()).toMatch(/junk\.txt: no memory event could be read .*first at line 1/);
    expect(existsSync(join(dir, 'junk.jsonl'))).toBe(false);
  });

  it('--set with an unknown key or a bad value names what is accepted (exit 2)', async () => {
    const t = testContext(dir);
    expect(await runCli(['import', SAMPLE, '--set', 'thp.enabled=sometimes'], t.ctx)).toBe(2);
    expect(t.err()).toMatch(/--set thp\.enabled=sometimes: expected .*always.*madvise.*never/);
    const u = testContext(dir);
    expect(await runCli(['import', SAMPLE, '--set', 'thp.nope=1'], u.ctx)).toBe(2);
    expect(u.err()).toMatch(/KEY one of thp\.enabled/);
  });
});

describe('pagelab record', () => {
  it('a bad --interval is refused before anything runs (exit 2)', async () => {
    const t = testContext(dir);
    expect(await runCli(['record', '--interval', '3', '--', 'true'], t.ctx)).toBe(2);
    expect(t.err()).toMatch(/--interval 3: expected an integer number of milliseconds >= 10/);
  });

  it('--help teaches: the tools it needs, what is left out, examples', async () => {
    const t = testContext(dir);
    expect(await runCli(['record', '--help'], t.ctx)).toBe(0);
    expect(t.out()).toMatch(/apt-get install -y strace/);
    expect(t.out()).toMatch(/linux-perf/);
    expect(t.out()).toMatch(/excludedBytes/);
    expect(t.out()).toMatch(/Examples:\n  pagelab record -- /);
  });
});
