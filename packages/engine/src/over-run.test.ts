import { describe, expect, it } from 'vitest';
import { isLeft } from 'fp-ts/lib/Either.js';
import type { Metrics } from '@pagelab/events';
import { designFrom } from './design.js';
import { registryFrom } from './registry.js';
import { Replayer, summarize } from './replay.js';
import { OverRunMeter } from './over-run.js';
import { smallEvents, smallHeader, withLines } from './testing/index.js';

const registry = registryFrom([...(await import('./testing/index.js')).standInDescriptors]);
const design = (text: string) => {
  const d = designFrom(text, registry);
  if (isLeft(d)) throw new Error(d.left.message);
  return d.right;
};
const m = (wasteBytes: number, hugeCoverage: number) => ({ wasteBytes, hugeCoverage }) as Metrics;

describe('waste and coverage over the run', () => {
  it('a THP held for the first half of the run and split at the end reads 0 % at the end but 50 % over the run', () => {
    const meter = new OverRunMeter();
    meter.sample(0, m(0, 1));
    meter.sample(50, m(0, 1));
    meter.sample(51, m(0, 0));
    meter.sample(100, m(0, 0));
    const r = meter.result();
    expect(r.meanHugeCoverage).toBeCloseTo(50.5 / 100, 12);
    expect(r.peakHugeCoverage).toBe(1);
    expect(r.samples).toBe(4);
  });

  it('weights each stretch by the events it lasted, not by how many samples fell in it', () => {
    const meter = new OverRunMeter();
    // 2 MiB wasted for 90 events (two samples), 0 for 10 events (nine samples).
    meter.sample(0, m(2 << 20, 0));
    meter.sample(90, m(2 << 20, 0));
    for (let s = 91; s <= 100; s++) meter.sample(s, m(0, 0));
    expect(meter.result().meanWasteBytes).toBeCloseTo(((2 << 20) * 90 + (2 << 20) / 2) / 100, 6);
  });

  it('a replay sampled every event reports the mean of its samples and a coverage peak at least its end value', () => {
    const r = new Replayer(smallHeader, design('linux-6.10'), { sampleEvery: 1 });
    const samples: Metrics[] = [];
    const grab = (out: ReturnType<Replayer['apply']>) => {
      for (const o of out) if (o.type === 'sample') samples.push((o as unknown as { metrics: Metrics }).metrics);
    };
    grab(r.start());
    for (const e of withLines(smallEvents)) grab(r.apply(e));
    grab(r.finish());
    const s = summarize(r.state(), { design: design('linux-6.10'), header: smallHeader, logSha256: 'a'.repeat(64) });
    const trapezoid = samples.slice(1).reduce((a, x, i) => a + (x.wasteBytes + samples[i]!.wasteBytes) / 2, 0) / smallEvents.length;
    expect(s.overRun.samples).toBe(smallEvents.length + 1);
    expect(s.overRun.meanWasteBytes).toBeCloseTo(trapezoid, 6);
    expect(s.overRun.peakHugeCoverage).toBe(Math.max(...samples.map((x) => x.hugeCoverage)));
    expect(s.overRun.peakHugeCoverage).toBeGreaterThanOrEqual(s.metrics.hugeCoverage);
    expect(s.overRun.peakHugeCoverage).toBeGreaterThan(0);
  });
});

describe('per-event-type locked ops', () => {
  it('charges each event type only the ledger calls made while applying it, and they add up to the run total', () => {
    const r = new Replayer(smallHeader, design('linux-6.10'), { sampleEvery: 1000 });
    r.start();
    for (const e of withLines(smallEvents)) r.apply(e);
    r.finish();
    const s = summarize(r.state(), { design: design('linux-6.10'), header: smallHeader, logSha256: 'a'.repeat(64) });
    const byEvent = s.lockedOpsByEvent;
    expect(byEvent['pin']).toEqual({ events: 1, lockedOps: expect.any(Number) });
    expect(byEvent['pin']!.lockedOps).toBeGreaterThan(0);
    expect(byEvent['touch']!.events).toBe(3);
    expect(byEvent['expect']!.lockedOps).toBe(0);
    expect(Object.values(byEvent).reduce((a, c) => a + c.lockedOps, 0)).toBe(s.metrics.lockedOps);
  });
});

describe('vmstat counters', () => {
  it('counts a THP fault as thp_fault_alloc and the partial munmap as thp_split_pmd plus a deferred split', () => {
    const r = new Replayer(smallHeader, design('linux-6.10'), { sampleEvery: 1000 });
    r.start();
    const deferred = withLines(smallEvents)
      .flatMap((e) => r.apply(e))
      .filter((o) => o.type === 'thp_deferred_split_page').length;
    r.finish();
    const s = summarize(r.state(), { design: design('linux-6.10'), header: smallHeader, logSha256: 'a'.repeat(64) });
    expect(s.vmstat.thp_fault_alloc).toBe(s.outcomes['thp_fault']!.ok);
    expect(s.vmstat.thp_fault_alloc).toBeGreaterThanOrEqual(2);
    expect(s.vmstat.thp_split_pmd).toBeGreaterThanOrEqual(1);
    expect(s.vmstat.thp_deferred_split_page).toBe(deferred);
    expect(s.vmstat.compact_stall).toBe(0);
    expect(s.settings).toEqual({ 'thp.enabled': 'always' });
  });
});

describe('event marks for time charts', () => {
  it('keeps the seq of every fork and khugepaged event, and none of the others', async () => {
    const { EventMarkMeter } = await import('./event-marks.js');
    const m = new EventMarkMeter();
    m.add('touch', 1);
    m.add('fork', 2);
    m.add('khugepaged', 5);
    m.add('fork', 9);
    expect(m.result()).toEqual({ seqs: { fork: [2, 9], khugepaged: [5] }, counts: { fork: 2, khugepaged: 1 } });
  });
  it('thins a long run of marks evenly instead of keeping only the first ones', async () => {
    const { EventMarkMeter, MAX_MARKS } = await import('./event-marks.js');
    const m = new EventMarkMeter();
    for (let s = 1; s <= 10_000; s++) m.add('reclaim', s);
    const r = m.result();
    expect(r.counts['reclaim']).toBe(10_000);
    expect(r.seqs['reclaim']!.length).toBeLessThan(MAX_MARKS);
    expect(r.seqs['reclaim']!.at(-1)!).toBeGreaterThan(9_000);
  });
});
