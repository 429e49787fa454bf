import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

// Each test renders every chart to SVG and PNG (resvg): about a second alone, several on a loaded 2-core machine.
vi.setConfig({ testTimeout: 60_000 });
import { byteUnit, fmtBytes } from '../charts/format.js';
import { csvRecords } from '../testing/csv.js';
import { writeFixtureRun } from '../testing/fixture.js';
import { eventCosts, headlineNote, headlineRows } from './headline.js';
import { loadRun } from './load.js';
import { writeReport } from './writeReport.js';
import { metricsWith } from '../metrics.js';
import { summaryWith } from '../testing/summary.js';

describe('the headline reports waste and coverage over the run, not only at its end', () => {
  it('shows the time-weighted means beside peak and end, from summary.json overRun', async () => {
    const dir = writeFixtureRun({ events: 2000, sampleEvery: 100 });
    const run = await loadRun(dir);
    const rows = headlineRows(run.designs);
    for (const [i, r] of rows.entries()) {
      const s = run.designs[i]!.summary;
      expect(r.wasteMean.value).toBe(s.overRun!.meanWasteBytes);
      expect(r.coverageMean.value).toBe(s.overRun!.meanHugeCoverage);
      expect(r.coveragePeak.value).toBe(s.overRun!.peakHugeCoverage);
    }
    const html = readFileSync((await writeReport(dir)).html, 'utf8');
    expect(html).toContain('waste, mean over the run');
    expect(html).toContain('huge-page coverage, peak');
  });

  it('a summary.json from before overRun existed says so instead of inventing a mean', () => {
    const s = summaryWith({ events: 10, metrics: metricsWith({ wasteBytes: 1, peakWasteBytes: 2, lockedOps: 3 }) });
    const [r] = headlineRows([{ name: 'old', summary: s }]);
    expect(r!.wasteMean.text).toBe('not in summary.json');
  });
});

describe('per-operation costs come from that operation\u2019s own events', () => {
  it('prices a dio by the locked ops its own events took, not by the whole run divided by the dio count', () => {
    const s = summaryWith({
      events: 100,
      metrics: metricsWith({ lockedOps: 1000 }),
      lockedOpsByEvent: { touch: { events: 80, lockedOps: 800 }, dio: { events: 10, lockedOps: 150 }, pin: { events: 10, lockedOps: 50 } },
    });
    expect(eventCosts(s)).toEqual([
      { type: 'touch', events: 80, perEvent: 10 },
      { type: 'dio', events: 10, perEvent: 15 },
      { type: 'pin', events: 10, perEvent: 5 },
    ]);
    const row = { lockedOpsPerEvent: 10, eventCosts: eventCosts(s) } as Parameters<typeof headlineNote>[0];
    expect(headlineNote(row, 'lockedOps')).toContain('15 per dio');
    expect(headlineNote(row, 'lockedOps')).not.toContain('100 per dio');
  });
});

describe('byte units follow the value', () => {
  it('writes bytes as B, KiB, MiB or GiB with three significant digits', () => {
    expect(fmtBytes(512)).toBe('512 B');
    expect(fmtBytes(12 * 1024)).toBe('12.0 KiB');
    expect(fmtBytes(5 * 1024 * 1024)).toBe('5.00 MiB');
    expect(fmtBytes(300 * 1024 * 1024)).toBe('300 MiB');
    expect(fmtBytes(3 * 1024 ** 3)).toBe('3.00 GiB');
    expect(byteUnit(900).name).toBe('B');
    expect(byteUnit(2 * 1024 ** 3).name).toBe('GiB');
  });
});

describe('summary.csv', () => {
  it('identifies its run and carries the vmstat counters under their /proc/vmstat names', async () => {
    const dir = writeFixtureRun({ events: 1000 });
    const out = await writeReport(dir);
    const [first] = csvRecords(readFileSync(out.csv, 'utf8'));
    const s = JSON.parse(readFileSync(join(dir, 'linux-3.13', 'summary.json'), 'utf8'));
    expect(first!['workload']).toBe(s.workload.name);
    expect(Number(first!['seed'])).toBe(s.workload.seed);
    expect(JSON.parse(first!['settings']!)).toEqual({ 'thp.enabled': 'always' });
    expect(first!['log_sha256']).toBe(s.logSha256);
    expect(Number(first!['thp_fault_alloc'])).toBe(s.vmstat.thp_fault_alloc);
    expect(Number(first!['waste_mean_bytes'])).toBe(s.overRun.meanWasteBytes);
    expect(Number(first!['locked_ops_per_touch_event'])).toBe(s.lockedOpsByEvent.touch.lockedOps / s.lockedOpsByEvent.touch.events);
    const html = readFileSync(out.html, 'utf8');
    expect(html).toContain('id="vmstat"');
    expect(html).toContain('thp_fault_alloc');
  });
});
