import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

// Each test renders every chart to SVG and PNG (resvg): about a second alone, several on a loaded 2-core machine.
vi.setConfig({ testTimeout: 60_000 });
import { csvRecords } from '../testing/csv.js';
import { writeFixtureRun } from '../testing/fixture.js';
import { writeReport } from './writeReport.js';

describe('writeReport', () => {
  it('writes a self-contained report.html, report.md with PNG charts and summary.csv into the run directory', async () => {
    const dir = writeFixtureRun({ events: 4000, sampleEvery: 100 });
    const out = await writeReport(dir, { command: 'pagelab report RUN' });
    const html = readFileSync(out.html, 'utf8');
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script|<link|src=|@import|url\((?!#)/i);
    expect((html.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(8);
    const headline = /<table id="headline">[\s\S]*?<\/table>/.exec(html)![0];
    expect((headline.match(/<tr data-design=/g) ?? []).length).toBe(3);
    for (const label of [
      'designs',
      'pagelab version',
      'git commit',
      'workload',
      'workload seed',
      'workload params',
      'log sha256',
      'command line',
      'report command',
    ]) {
      expect(html).toContain(`<dt>${label}</dt>`);
    }
    // the design policies and params of each provenance.json, one column per design
    const perDesign = /<table id="provenance-designs"[\s\S]*?<\/table>/.exec(html)![0];
    expect(perDesign).toContain('refcount: tail-refcount');
    expect(perDesign).toContain('sharedness: likely-mapped-shared');
    expect(perDesign).toContain('thpCow=pte');
    expect(html).toContain('id="sharedness"');
    expect(html).toContain('id="locking"');
    expect(html).not.toContain('warning');

    const md = readFileSync(out.markdown, 'utf8');
    const pngs = [...md.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1]!);
    expect(pngs).toHaveLength(8);
    for (const p of pngs) {
      expect(p.startsWith('charts/')).toBe(true);
      expect(readFileSync(join(dir, p)).subarray(1, 4).toString()).toBe('PNG');
    }

    const text = readFileSync(out.csv, 'utf8');
    expect(
      text
        .split('\n')[0]!
        .startsWith(
          'design,workload,seed,params,settings,refcount_policy,sharedness_policy,pinned_migration_policy,shmem_truncate_policy,log_sha256,is_baseline,events,',
        ),
    ).toBe(true);
    const csv = csvRecords(text);
    expect(csv).toHaveLength(3);
    expect(csv[0]).toMatchObject({ design: 'linux-3.13', is_baseline: '1', events: '4000', refcount_policy: 'tail-refcount(perTailLockInSplit=false)' });
    expect(csv[0]!['log_sha256']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('puts deltas against the first design in the headline and matches the summaries', async () => {
    const dir = writeFixtureRun({
      events: 3000,
      designs: [
        { name: 'linux-4.5', profile: 'head-refcount' },
        { name: 'linux-3.13', profile: 'tail-refcount' },
      ],
    });
    const out = await writeReport(dir);
    const html = readFileSync(out.html, 'utf8');
    const rows = html.match(/<tr data-design="[^"]+">.*?<\/tr>/g) ?? [];
    expect(rows[0]).toContain('linux-4.5');
    expect(rows[0]).toContain('baseline');
    expect(rows[1]).toMatch(/class="delta (better|worse|same)"/);
    const [, second] = csvRecords(readFileSync(out.csv, 'utf8'));
    const s45 = JSON.parse(readFileSync(join(dir, 'linux-4.5', 'summary.json'), 'utf8'));
    const s313 = JSON.parse(readFileSync(join(dir, 'linux-3.13', 'summary.json'), 'utf8'));
    expect(Number(second!['waste_delta_bytes'])).toBe(s313.metrics.wasteBytes - s45.metrics.wasteBytes);
    expect(Number(second!['waste_bytes'])).toBe(s313.metrics.wasteBytes);
    expect(html).not.toContain('warning');
  });

  it('renders a design with a single sample and a design with no waste', async () => {
    const dir = writeFixtureRun({
      events: 2000,
      designs: [
        { name: 'linux-3.13', profile: 'tail-refcount', zeroWaste: true },
        { name: 'linux-6.10', profile: 'folio', singleSample: true },
      ],
    });
    const out = await writeReport(dir);
    const html = readFileSync(out.html, 'utf8');
    expect(html).not.toMatch(/NaN|Infinity|undefined/);
    expect(html).toContain('single sample');
    expect(html).toContain('no waste at any sample');
    expect(existsSync(join(dir, 'charts', 'waste.png'))).toBe(true);
  });

  it('says so when a design directory has no provenance.json', async () => {
    const dir = writeFixtureRun({
      events: 500,
      designs: [
        { name: 'linux-4.5', profile: 'head-refcount' },
        { name: 'old', profile: 'folio', noProvenance: true },
      ],
    });
    const html = readFileSync((await writeReport(dir)).html, 'utf8');
    expect(html).toContain('old: no provenance.json in old/');
  });

  it('says which file is wrong when the run directory is incomplete', async () => {
    const dir = writeFixtureRun({ events: 100, designs: [{ name: 'a', dir: 'missing', profile: 'folio' }] });
    const { rmSync } = await import('node:fs');
    rmSync(join(dir, 'missing', 'summary.json'));
    await expect(writeReport(dir)).rejects.toThrow(/missing\/summary\.json: cannot read \(ENOENT\)/);
  });
});
