import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testContext } from '../testing.js';
import { compareCommand } from './compare.js';

let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'pagelab-report-'));
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

/** The alerts under a report's headline, in HTML and in Markdown. */
async function headlineAlerts(dir: string): Promise<{ html: string[]; md: string[] }> {
  const { writeReport } = await import('@pagelab/analysis');
  const out = await writeReport(join(cwd, dir));
  const html = readFileSync(out.html, 'utf8');
  const md = readFileSync(out.markdown, 'utf8');
  return {
    html: [...(/<ul id="headline-alerts"[\s\S]*?<\/ul>/.exec(html)?.[0] ?? '').matchAll(/<li class="warn">([^<]*)<\/li>/g)].map((m) => m[1]!),
    md: [...md.slice(0, md.indexOf('\n## ', md.indexOf('## Headline') + 1)).matchAll(/^> \*\*Warning:\*\* (.*)$/gm)].map((m) => m[1]!),
  };
}

describe('the report headline names what the outcomes table alone would hide', () => {
  it('says which design ran out of memory when a pin cannot be faulted in', async () => {
    copyFileSync(fileURLToPath(new URL('../fixtures/oom-on-pin.jsonl', import.meta.url)), join(cwd, 'oom-on-pin.jsonl'));
    const t = testContext(cwd);
    expect(await compareCommand(t.ctx, { log: 'oom-on-pin.jsonl', designs: ['linux-5.8,linux-6.10'], out: 'cmp' })).toBe(0);
    const a = await headlineAlerts('cmp');
    expect(a.html).toHaveLength(2);
    for (const [i, d] of ['linux-5.8', 'linux-6.10'].entries()) expect(a.html[i]).toMatch(new RegExp(`^${d}: \\d+ faults? found no memory \\(OOM\\)`));
    expect(a.md).toEqual(a.html);
  }, 120_000);

  it('says which design lost a DMA write to GUP after fork, and not the design that keeps the pinned page', async () => {
    // the parent pins its buffer for a device write, forks, writes the buffer itself (CoW), then the device's write lands
    const lines = [
      '{"pagelab":1,"machine":{"memory":67108864,"nodes":1,"cma":0,"swap":0},"workload":{"name":"gup-after-fork","seed":1,"params":{}}}',
      '{"type":"spawn","pid":1}',
      '{"type":"mmap","pid":1,"addr":4194304,"len":65536,"kind":"anon"}',
      '{"type":"touch","pid":1,"addr":4194304,"len":65536,"write":true}',
      '{"type":"pin","pid":1,"addr":4194304,"len":65536,"handle":"h","write":true,"longterm":true}',
      '{"type":"fork","parent":1,"child":2}',
      '{"type":"touch","pid":1,"addr":4194304,"len":65536,"write":true}',
      '{"type":"unpin","handle":"h","dirty":true}',
    ];
    writeFileSync(join(cwd, 'gup-after-fork.jsonl'), `${lines.join('\n')}\n`);
    const t = testContext(cwd);
    expect(await compareCommand(t.ctx, { log: 'gup-after-fork.jsonl', designs: ['linux-4.5,linux-6.10'], out: 'cmp' })).toBe(0);
    const a = await headlineAlerts('cmp');
    expect(a.html).toEqual([
      'linux-4.5: 1 of 1 device write through a pin was incoherent (1 missed by the pinning process): data written by DMA is lost, the GUP-after-fork outcome of this design.',
    ]);
    expect(a.md).toEqual(a.html);
  }, 120_000);
});
