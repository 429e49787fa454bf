import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { lastValueFrom, from, toArray } from 'rxjs';
import { isLeft } from 'fp-ts/lib/Either.js';
import { Summary, WASTE_CAUSES, decodeEventsText, decodeLogText, type LogHeader, type WorkloadEvent } from '@pagelab/events';
import { designFrom, type Design } from './design.js';
import { registryFrom } from './registry.js';
import {
  ReplayError,
  compare,
  observationHeaderLine,
  observationLine,
  replay,
  replayBatches,
  summarize,
  summaryJson,
  type Observation,
  type ReplayState,
} from './replay.js';
import { logLines, smallEvents, smallHeader, smallLog, withLines } from './testing/index.js';

const registry = registryFrom([...(await import('./testing/index.js')).standInDescriptors]);

function design(text: string): Design {
  const d = designFrom(text, registry);
  if (isLeft(d)) throw new Error(d.left.message);
  return d.right;
}

const all = (o: ReturnType<typeof replay>) => lastValueFrom(o.pipe(toArray()));
const MiB = 1 << 20;

describe('replay', () => {
  it('emits the kernel observations of each event with its 1-based seq', async () => {
    const obs = await all(replay(smallLog(), design('linux-6.10')));
    const split = obs.find((o) => o.type === 'thp_split_pmd')!;
    expect(split.seq).toBe(5); // the munmap is the fifth event
    expect(obs.every((o) => Number.isInteger(o.seq) && o.seq >= 0 && o.seq <= smallEvents.length)).toBe(true);
    for (let i = 1; i < obs.length; i++) expect(obs[i]!.seq).toBeGreaterThanOrEqual(obs[i - 1]!.seq);
  });

  it('samples at seq 0, every N events and after the last event', async () => {
    const seqs = async (n: number) =>
      (await all(replay(smallLog(), design('linux-6.10'), { sampleEvery: n }))).filter((o) => o.type === 'sample').map((o) => o.seq);
    expect(await seqs(5)).toEqual([0, 5, 10, 12]);
    expect(await seqs(4)).toEqual([0, 4, 8, 12]);
    expect(await seqs(1000)).toEqual([0, 12]);
  });

  it('writes the metrics block of the contract in every sample', async () => {
    const obs = await all(replay(smallLog(), design('linux-6.10'), { sampleEvery: 3 }));
    const last = obs.filter((o) => o.type === 'sample').at(-1)! as Observation & { metrics: Record<string, unknown> };
    expect(Object.keys(last.metrics).sort()).toEqual(
      [
        'allocatedBytes',
        'hugeCoverage',
        'idealBytes',
        'lockAcquisitions',
        'lockedOps',
        'lockedOpsByKind',
        'lockedOpsBySite',
        'maxLockDepth',
        'pageCopies',
        'peakWasteBytes',
        'tlbShootdowns',
        'wasteByCause',
        'wasteBytes',
      ].sort(),
    );
    expect(Object.keys(last.metrics['wasteByCause'] as object).sort()).toEqual([...WASTE_CAUSES].sort());
    expect(last.metrics['lockedOps']).toBeGreaterThan(0);
  });

  it('batches observations per event, never per page operation', async () => {
    const batches = await lastValueFrom(replayBatches(smallLog(), design('linux-6.10'), { sampleEvery: 1 }).pipe(toArray()));
    for (const b of batches) expect(new Set(b.map((o) => o.seq)).size).toBe(1);
    expect(batches.length).toBe(smallEvents.length + 1); // seq 0 plus one batch per sampled event
  });

  it('gives a byte-identical observation log for the same log and design', async () => {
    const hash = async () => {
      const d = design('linux-5.8');
      const lines = (await all(replay(smallLog(), d, { sampleEvery: 2, checkInvariants: 'sample' }))).map(observationLine);
      return createHash('sha256')
        .update([observationHeaderLine({ design: d, header: smallHeader, logSha256: '0'.repeat(64) }), ...lines].join('\n'))
        .digest('hex');
    };
    expect(await hash()).toBe(await hash());
  });

  it('writes seq and type first in every observation line', async () => {
    const obs = await all(replay(smallLog(), design('linux-6.10')));
    for (const o of obs) expect(observationLine(o)).toMatch(/^\{"seq":\d+,"type":"[^"]+"/);
  });

  it('replays a cold Observable of decoded events the same as an array', async () => {
    const text = logLines().join('\n');
    const fromText = await all(replay({ header: smallHeader, events: decodeEventsText(text) }, design('linux-6.10')));
    const fromArray = await all(replay(smallLog(), design('linux-6.10')));
    expect(fromText.map(observationLine)).toEqual(fromArray.map(observationLine));
  });

  it('fails with the line, field and expected value of an event the model cannot apply', async () => {
    const events: WorkloadEvent[] = [...smallEvents.slice(0, 3), { type: 'touch', pid: 1, addr: 512 * MiB, len: 4096, write: true }, ...smallEvents.slice(3)];
    const seen: Observation[] = [];
    const err = await new Promise<unknown>((resolve) =>
      replay(smallLog(events), design('linux-6.10'), { source: 'bad.jsonl' }).subscribe({
        next: (o) => seen.push(o),
        error: resolve,
        complete: () => resolve(null),
      }),
    );
    expect(err).toBeInstanceOf(ReplayError);
    const e = err as ReplayError;
    expect(e.line).toBe(5);
    expect(e.seq).toBe(4);
    expect(e.field).toBe('addr');
    expect(e.expected).toContain('inside a mapping of pid 1');
    expect(e.message).toBe(
      `bad.jsonl:5: at $.addr: expected an address inside a mapping of pid 1, got ${512 * MiB} (the model cannot apply this "touch" event)`,
    );
    expect(seen.every((o) => o.seq < 4)).toBe(true);
  });

  it('fails with the line of an event whose model path throws', async () => {
    const events: WorkloadEvent[] = [
      { type: 'spawn', pid: 1 },
      { type: 'spawn', pid: 1 },
    ];
    const err = await all(replay(smallLog(events), design('linux-6.10'))).catch((e: unknown) => e);
    expect((err as ReplayError).line).toBe(3);
    expect((err as ReplayError).field).toBe('pid');
  });

  it('turns a header the model refuses into an error at line 1', async () => {
    // Valid JSON for the codec, but the model needs at least 4 MiB per NUMA node.
    const header: LogHeader = { ...smallHeader, machine: { ...smallHeader.machine, memory: 4 << 20, nodes: 2, cma: 0 } };
    const err = await all(replay(smallLog(smallEvents, header), design('linux-6.10'))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplayError);
    expect((err as ReplayError).line).toBe(1);
  });

  it('reports invariant checks as observations, never a crash', async () => {
    const obs = await all(replay(smallLog(), design('linux-6.10'), { checkInvariants: 'every' }));
    for (const o of obs.filter((x) => x.type === 'invariant.violated')) {
      expect(typeof o['invariant']).toBe('string');
      expect(typeof o['detail']).toBe('string');
    }
  });
});

describe('summarize', () => {
  it('builds a summary.json that decodes with the contract codec', async () => {
    let state: ReplayState | undefined;
    const d = design('linux-5.8');
    const events: WorkloadEvent[] = [
      ...smallEvents,
      { type: 'expect', pid: 1, addr: 4 * MiB, len: 2 * MiB, anonHugeBytes: 2 * MiB, label: 'wrong on purpose' },
    ];
    await all(replay(smallLog(events), d, { onEnd: (s) => (state = s) }));
    const s = summarize(state!, { design: d, header: smallHeader, logSha256: 'a'.repeat(64) });
    expect(isLeft(Summary.decode(JSON.parse(summaryJson(s))))).toBe(false);
    expect(s.events).toBe(events.length);
    expect(s.design.name).toBe('linux-5.8');
    expect(s.design.params.thpCow).toBe('pte');
    expect(s.outcomes['split_page']).toEqual({ ok: 0, failed: 0, reasons: {} });
    expect(s.expectations.failed).toBe(1);
    expect(s.expectations.failures[0]).toMatchObject({ seq: events.length, line: events.length + 1, check: 'anonHugeBytes', label: 'wrong on purpose' });
    expect(s.metrics.nestingViolations).toEqual([]);
    expect(s.invariantViolations).toBe(0);
  });
});

describe('compare', () => {
  it('aligns the samples of several designs by seq', async () => {
    const rows = await lastValueFrom(compare(smallLog(), [design('linux-6.10'), design('linux-5.8')], { sampleEvery: 6 }).pipe(toArray()));
    expect(rows.map((r) => r.seq)).toEqual([0, 6, 12]);
    for (const r of rows) expect(Object.keys(r.metrics)).toEqual(['linux-6.10', 'linux-5.8']);
  });

  it('replays a decoded in-memory log', async () => {
    const decoded = decodeLogText(logLines());
    if (isLeft(decoded)) throw new Error('log should decode');
    const rows = await lastValueFrom(compare({ header: decoded.right.header, events: from(decoded.right.events) }, [design('linux-6.10')]).pipe(toArray()));
    expect(rows.at(-1)!.seq).toBe(smallEvents.length);
    expect(withLines(smallEvents)[0]!.line).toBe(2);
  });
});
