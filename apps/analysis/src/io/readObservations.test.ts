import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { metricsWith } from '../metrics.js';
import { readObservationLines, readObservations } from './readObservations.js';

function logFile(lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'pagelab-obs-'));
  const p = join(dir, 'observations.jsonl');
  writeFileSync(p, lines.join('\n') + '\n');
  return p;
}

const header = JSON.stringify({
  pagelab_observations: 1,
  pagelab: '0.1.0',
  design: {},
  workload: { name: 'w', seed: 1, params: {} },
  logSha256: 'a'.repeat(64),
});
const sampleLine = (seq: number) => JSON.stringify({ seq, type: 'sample', metrics: metricsWith() });

describe('readObservations', () => {
  it('emits the header first, then each observation in file order', async () => {
    const p = logFile([header, sampleLine(0), '{"seq":3,"type":"thp_fault_alloc"}']);
    const lines = await lastValueFrom(readObservationLines(p).pipe(toArray()));
    expect(lines.map((l) => l.kind)).toEqual(['header', 'observation', 'observation']);
    const obs = await lastValueFrom(readObservations(p).pipe(toArray()));
    expect(obs.map((o) => o.seq)).toEqual([0, 3]);
  });

  it('errors with file and line number on a malformed line', async () => {
    const p = logFile([header, sampleLine(1), '{oops']);
    await expect(lastValueFrom(readObservations(p))).rejects.toThrow(/observations\.jsonl:3: not JSON/);
  });

  it('decodes each observation with its type\u2019s codec and names the line and field that break it', async () => {
    const p = logFile([header, sampleLine(1), '{"seq":2,"type":"khugepaged_scan","result":"collapsed"}']);
    await expect(lastValueFrom(readObservations(p))).rejects.toThrow(/observations\.jsonl:3: at \$\.result: expected a SCAN_\* code/);
  });

  it('passes over an observation type it does not know, so a newer writer\u2019s log still reads', async () => {
    const p = logFile([header, '{"seq":1,"type":"from_the_future","x":1}', '{"seq":2,"type":"cow_reuse"}']);
    const obs = await lastValueFrom(readObservations(p).pipe(toArray()));
    expect(obs.map((o) => o.type)).toEqual(['cow_reuse']);
  });

  it('rejects a log whose first line is not the header', async () => {
    const p = logFile(['{"seq":1,"type":"sample"}']);
    await expect(lastValueFrom(readObservations(p))).rejects.toThrow(/:1: expected the observation header/);
  });

  it('stops reading when the subscriber unsubscribes early', async () => {
    const lines = [header];
    for (let i = 1; i <= 50_000; i++) lines.push(`{"seq":${i},"type":"cow_reuse"}`);
    const p = logFile(lines);
    const first = await firstValueFrom(readObservations(p).pipe(take(2), toArray()));
    expect(first.map((o) => o.seq)).toEqual([1, 2]);
  });
});
