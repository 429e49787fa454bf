import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';

// Each test renders every chart to SVG and PNG (resvg): about a second alone, several on a loaded 2-core machine.
vi.setConfig({ testTimeout: 120_000 });
import { DEFAULT_DESIGNS, writeFixtureRun } from '../testing/fixture.js';
import { summaryWith } from '../testing/summary.js';
import { runTroubles, troubleAlerts } from './runAlerts.js';
import { writeReport } from './writeReport.js';

const headlineAlerts = (html: string): string[] =>
  [...(/<ul id="headline-alerts"[\s\S]*?<\/ul>/.exec(html)?.[0] ?? '').matchAll(/<li class="warn">([^<]*)<\/li>/g)].map((m) => m[1]!);

describe('a run that ran out of memory or lost DMA data says so in its headline', () => {
  it('puts OOM faults and incoherent device writes under the headline of report.html and report.md, naming the design', async () => {
    const [base, oomer, forker] = DEFAULT_DESIGNS;
    const dir = writeFixtureRun({
      events: 1200,
      sampleEvery: 100,
      designs: [base!, { ...oomer!, troubles: { oomFaults: 12 } }, { ...forker!, troubles: { coherentWrites: 3, missedWrites: 2 } }],
    });
    const out = await writeReport(dir);
    const html = readFileSync(out.html, 'utf8');
    const alerts = headlineAlerts(html);
    expect(alerts).toHaveLength(2);
    expect(alerts[0]).toMatch(new RegExp(`^${oomer!.name}: 12 faults found no memory \\(OOM\\)`));
    expect(alerts[0]).toContain('not a full run');
    expect(alerts[1]).toMatch(new RegExp(`^${forker!.name}: 2 of 5 device writes through a pin were incoherent \\(2 missed by the pinning process\\)`));
    // under the headline table, before the first section
    expect(html.indexOf('id="headline-alerts"')).toBeGreaterThan(html.indexOf('</table>'));
    expect(html.indexOf('id="headline-alerts"')).toBeLessThan(html.indexOf('<section'));
    expect(alerts.some((a) => a.startsWith(`${base!.name}:`))).toBe(false);
    const md = readFileSync(out.markdown, 'utf8');
    const mdHead = md.slice(md.indexOf('## Headline'), md.indexOf('\n## ', md.indexOf('## Headline') + 1));
    expect(mdHead).toContain(`> **Warning:** ${oomer!.name}: 12 faults found no memory (OOM)`);
    expect(mdHead).toContain(`> **Warning:** ${forker!.name}: 2 of 5 device writes`);
  });

  it('says nothing for a clean run', async () => {
    const html = readFileSync((await writeReport(writeFixtureRun({ events: 600, sampleEvery: 100 }))).html, 'utf8');
    expect(html).not.toContain('headline-alerts');
  });

  it('says OOM was meant when the log expects it, and counts seeds across replicates', () => {
    const meant = runTroubles(summaryWith({ oom: { faults: 4, expected: true } }));
    expect(troubleAlerts('linux-6.15', [meant])).toEqual([
      'linux-6.15: 4 faults found no memory (OOM); each touch, pin or direct I/O stopped there, so the run did less than its log asks (the log\u2019s expect says it means to run out of memory).',
    ]);
    const clean = runTroubles(summaryWith());
    expect(troubleAlerts('linux-3.13', [clean, meant, clean], 'seeds')[0]).toContain('4 faults found no memory (OOM) in 1 of 3 seeds');
  });

  it('reads OOM from the fault outcome of a summary.json written before the oom block', () => {
    const old = summaryWith({
      outcomes: { ...summaryWith().outcomes, fault: { ok: 90, failed: 7, reasons: { oom: 7 } } },
    });
    expect(runTroubles(old).oomFaults).toBe(7);
  });
});
