/**
 * The recorded real programs: each log is valid, replays under every
 * installed preset with the invariants walked every 1,000 events (as
 * recorded, THP madvise, and with thp=always, where THPs form and fork,
 * CoW and partial munmap split them), and holds what its program did.
 */
import { isLeft } from 'fp-ts/lib/Either.js';
import { LogHeader, WorkloadEvent } from '@pagelab/events';
import { PRESETS, type Registry } from '@pagelab/engine';
import { installedRegistry, replayChecked } from '@pagelab/engine/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { recordedScenarios } from './recorded.js';

let registry: Registry;
beforeAll(async () => {
  registry = await installedRegistry();
});

const installed = () =>
  PRESETS.filter((p) => Object.entries(p.policies).every(([axis, c]) => registry.get(axis as never, c.id) !== undefined)).map((p) => p.name);
const count = (events: readonly WorkloadEvent[], type: string) => events.filter((e) => e.type === type).length;

describe('recorded workloads', () => {
  for (const s of recordedScenarios) {
    it(`${s.name}: the header and every event decode`, () => {
      const { header, events } = s.generate();
      expect(isLeft(LogHeader.decode(header))).toBe(false);
      expect(events.filter((e) => isLeft(WorkloadEvent.decode(e)))).toEqual([]);
      expect(header.settings?.['thp.enabled']).toBe('madvise'); // this machine's setting when it was recorded
      expect((header.workload.params as { excludedBytes: Record<string, number> }).excludedBytes['private-file']).toBeGreaterThan(0);
    });

    // 600 to 6,300 events with a full invariant walk every 1,000, per preset, twice: a few seconds per workload.
    it(`${s.name}: replays under every installed preset, as recorded and with thp=always, with every invariant holding`, () => {
      for (const thp of ['as-recorded', 'always']) {
        const log = s.generate({ thp });
        for (const design of installed()) {
          const r = replayChecked(log, design, registry, { invariants: 'sample', sampleEvery: 1000, source: `scenario:${s.name}` });
          expect(r.violations, `${s.name} thp=${thp} under ${design}`).toEqual([]);
          expect(r.outcomes['fault']?.failed ?? 0, `${s.name} thp=${thp} under ${design}: no oom/sigbus`).toBe(0);
        }
      }
    }, 120_000);
  }

  it('redis-bgsave: redis-server forks for BGSAVE and its parent keeps writing while the child lives', () => {
    const { events } = recordedScenarios.find((s) => s.name === 'redis-bgsave')!.generate();
    expect(count(events, 'fork')).toBeGreaterThanOrEqual(1);
    // The BGSAVE child: a fork whose child writes nothing of its own heap before it exits (it only reads to save),
    // while the parent's writes land between the fork and the child's exit.
    const forks = events.map((e, i) => ({ e, i })).filter(({ e }) => e.type === 'fork') as { e: { parent: number; child: number }; i: number }[];
    const saving = forks.find(({ e, i }) => {
      const exit = events.findIndex((x, j) => j > i && x.type === 'exit' && x.pid === e.child);
      return exit > i && events.slice(i, exit).some((x) => x.type === 'touch' && x.pid === e.parent && x.write);
    });
    expect(saving, 'a fork during which the parent writes').toBeDefined();
  });

  it('compile: many short processes, most of them exec-ed fresh', () => {
    const { events } = recordedScenarios.find((s) => s.name === 'compile')!.generate();
    expect(count(events, 'spawn') + count(events, 'fork')).toBeGreaterThan(30);
    expect(count(events, 'exit')).toBe(count(events, 'spawn') + count(events, 'fork'));
  });

  it('node-heap-churn: V8 unmaps and madvises its heap as it collects', () => {
    const { events } = recordedScenarios.find((s) => s.name === 'node-heap-churn')!.generate();
    expect(count(events, 'munmap')).toBeGreaterThan(100);
    expect(events.filter((e) => e.type === 'madvise' && e.advice === 'dontneed').length).toBeGreaterThan(10);
  });

  it('numpy-arrays: numpy asks for huge pages on its large arrays', () => {
    const { events } = recordedScenarios.find((s) => s.name === 'numpy-arrays')!.generate();
    expect(events.filter((e) => e.type === 'madvise' && e.advice === 'hugepage').length).toBeGreaterThan(0);
  });
});
