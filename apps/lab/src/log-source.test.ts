import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isObservable } from 'rxjs';
import { stableStringify, type LogHeader, type WorkloadEvent } from '@pagelab/events';
import type { LogEvent } from '@pagelab/engine';
import { findScenario, type Scenario } from '@pagelab/workloads';
import { loadLog } from './log-source.js';
import { testContext, testScenario } from './testing.js';

const fileLines = (header: unknown, events: readonly unknown[]) =>
  [stableStringify(header), ...events.map((e) => stableStringify(e, { leadingKeys: ['type'] }))].map((l) => `${l}\n`).join('');

function items(events: LoadedEvents): LogEvent[] {
  if (isObservable(events)) throw new Error('expected an iterable');
  return [...events];
}
type LoadedEvents = Awaited<ReturnType<typeof loadLog>>['input']['events'];

describe('a named scenario reaches the replay as objects, its provenance from canonical bytes', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pagelab-log-source-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('the scenario has the sha256 and event count of the same log written to a file, and the same events line by line', async () => {
    const t = testContext(dir);
    const gen = testScenario.generate({ extraTouches: 2 });
    await writeFile(join(dir, 'same.jsonl'), fileLines(gen.header, gen.events));
    const fromScenario = await loadLog(t.ctx, 'test-thp-life', ['extraTouches=2']);
    const fromFile = await loadLog(t.ctx, 'same.jsonl');
    expect(fromScenario.sha256).toBe(fromFile.sha256);
    expect(fromScenario.events).toBe(fromFile.events);
    expect(fromScenario.header).toEqual(fromFile.header);
    const got = items(fromScenario.input.events);
    expect(got.map((i) => i.line)).toEqual(gen.events.map((_, i) => i + 2));
    expect(got.map((i) => i.event)).toEqual(gen.events);
  });

  it('a streaming scenario is generated again for each replay, with the same events each time', async () => {
    let runs = 0;
    const header = testScenario.generate().header;
    const streamed: Scenario = {
      ...testScenario,
      name: 'streamed',
      stream: () => ({
        header,
        events: {
          *[Symbol.iterator]() {
            runs++;
            for (let i = 0; i < 5; i++) yield { type: 'spawn', pid: 10 + i } as WorkloadEvent;
          },
        },
      }),
    };
    const t = testContext(dir, { loadScenarios: async () => [streamed] });
    const log = await loadLog(t.ctx, 'streamed');
    expect(log.events).toBe(5);
    expect(runs).toBe(1);
    expect(items(log.input.events)).toEqual(items(log.input.events));
    expect(log.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a scenario header the codec refuses is reported as a scenario bug naming the field', async () => {
    const broken: Scenario = {
      ...testScenario,
      name: 'broken',
      generate: () => ({ header: { ...testScenario.generate().header, machine: { memory: 12345, nodes: 1, cma: 0, swap: 0 } } as LogHeader, events: [] }),
    };
    const t = testContext(dir, { loadScenarios: async () => [broken] });
    await expect(loadLog(t.ctx, 'broken')).rejects.toThrow(
      /scenario broken generated an invalid log \(a bug in the scenario\): scenario:broken:1: at \$\.machine\.memory/,
    );
  });

  it('the mixed workload streams the events its generate() returns, in the same order', () => {
    const mixed = findScenario('mixed')!;
    const params = { events: 3000, seed: 3 };
    const streamed = [...mixed.stream!(params).events];
    expect(streamed).toHaveLength(3000);
    expect(streamed).toEqual(mixed.generate(params).events);
  });
});
