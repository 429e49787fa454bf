/**
 * Logs an independent fuzzer of schema-valid workloads found the model
 * wrong on (testing/fixtures/), replayed under every preset with the full
 * invariant walk after every event. Each must replay to the end with no
 * invariant violated: a device write through a pin that the design lets go
 * astray (GUP vs. CoW before 5.9) is a counted `dma_write` outcome, and a
 * pinned range the process mremapped, MADV_DONTNEED'd or lost to memory
 * failure before the dirty unpin is no loss at all.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LogHeader, WorkloadEvent } from '@pagelab/events';
import { isRight } from 'fp-ts/lib/Either.js';
import { designFrom } from './design.js';
import { OBSERVATION_BATCH } from '@pagelab/kernel-core';
import { PRESET_NAMES } from './presets.js';
import { replayBatches } from './replay.js';
import type { Registry } from './registry.js';
import { installedRegistry, replayChecked, type GeneratedLog } from './testing/checked.js';

export function fixture(name: string): GeneratedLog {
  const text = readFileSync(fileURLToPath(new URL(`./testing/fixtures/${name}`, import.meta.url)), 'utf8');
  const [header, ...events] = text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as unknown);
  return { header: header as LogHeader, events: events as WorkloadEvent[] };
}

let registry: Registry;
/** Every preset whose policies are installed (a preset can land before its policy package does). */
let presets: string[];
beforeAll(async () => {
  registry = await installedRegistry();
  presets = PRESET_NAMES.filter((p) => isRight(designFrom(p, registry)));
  expect(presets).toEqual(expect.arrayContaining(['linux-3.13', 'linux-4.5', 'linux-5.8', 'linux-6.10', 'linux-6.15']));
});

const CONTENT_FIXTURES = [
  'content-after-mremap.jsonl',
  'content-after-dontneed.jsonl',
  'fuzz-content-11.jsonl',
  'fuzz-content-221.jsonl',
  'fuzz-content-665.jsonl',
  'fuzz-content-823.jsonl',
  'fuzz-content-1291.jsonl',
];

describe('dirty unpins after the process moved or dropped the pinned range', () => {
  it('mremap of a pinned range: the device write shows up at the new address (move_ptes carries the pinned page)', () => {
    for (const design of presets) {
      const r = replayChecked(fixture('content-after-mremap.jsonl'), design, registry);
      expect(r.violations, design).toEqual([]);
      expect(r.failed, design).toEqual([]);
    }
  });

  it('MADV_DONTNEED of a pinned page: the process reads zero-fill there, the device write goes to the page it dropped', () => {
    for (const design of presets) {
      const r = replayChecked(fixture('content-after-dontneed.jsonl'), design, registry);
      expect(r.violations, design).toEqual([]);
      expect(r.failed, design).toEqual([]);
      expect(r.outcomes['dma_write'], design).toEqual({ ok: 1, failed: 0, reasons: {} });
    }
  });
});

describe('the fuzzer logs that reported content lost', () => {
  for (const name of CONTENT_FIXTURES) {
    it(`${name}: replays under every preset with no invariant violated`, () => {
      for (const design of presets) {
        // The walk every 4 events: a lost page stays lost, so nothing the fuzzer saw can slip between two walks.
        const r = replayChecked(fixture(name), design, registry, { invariants: 'sample', sampleEvery: 4 });
        expect(r.violations, design).toEqual([]);
      }
    }, 180_000); // up to 500 events x 11 presets, a walk every 4 events: 2-3 s idle, over a minute on a 2-core machine at load 27
  }
});

describe('GUP vs. CoW after fork: a design outcome, not a broken invariant', () => {
  const MiB = 1 << 20;
  const log: GeneratedLog = {
    header: { pagelab: 1, machine: { memory: 64 * MiB, nodes: 1, cma: 0, swap: 0 }, workload: { name: 'gup-after-fork', seed: 1 } },
    events: [
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: 4 * MiB, len: 2 * MiB, kind: 'anon' },
      { type: 'touch', pid: 1, addr: 4 * MiB, len: 4096, write: true },
      { type: 'pin', pid: 1, addr: 4 * MiB, len: 4096, handle: 'h', write: true },
      { type: 'fork', parent: 1, child: 2 },
      // The parent writes: before 5.9 the page is shared with the child, so the write copies it away from the pin.
      { type: 'touch', pid: 1, addr: 4 * MiB, len: 4096, write: true },
      { type: 'unpin', handle: 'h', dirty: true },
      { type: 'expect', pid: 1, contentIntact: true, label: 'the parent reads the device write' },
    ],
  };

  it('linux-3.13, 4.5 and 5.8 lose the device write for the parent and leak it to the child: counted as dma_write failures', () => {
    for (const design of ['linux-3.13', 'linux-4.5', 'linux-5.8']) {
      // FOLL_PIN came in 5.7 (pin_user_pages); 3.13 and 4.5 take FOLL_GET references.
      const seen: unknown[] = [];
      const r = replayChecked(log, design, registry, { watch: (o) => void (o.type === 'gup_incoherent' && seen.push(o)) });
      expect(r.violations, design).toEqual([]);
      expect(r.failed, design).toEqual(['the parent reads the device write']);
      expect(r.outcomes['dma_write'], design).toEqual({ ok: 0, failed: 1, reasons: { missed: 1 } });
      expect(seen, design).toEqual([
        { seq: 7, type: 'gup_incoherent', pid: 1, addr: 4 * MiB, via: design === 'linux-5.8' ? 'pin' : 'get', missed: 1, leaked: 1 },
      ]);
    }
  });

  it('linux-6.10 and 6.15 copy the pinned page for the child at fork (page_needs_cow_for_dma): the parent sees the write', () => {
    for (const design of ['linux-6.10', 'linux-6.15']) {
      const r = replayChecked(log, design, registry);
      expect(r.violations, design).toEqual([]);
      expect(r.failed, design).toEqual([]);
      expect(r.outcomes['dma_write'], design).toEqual({ ok: 1, failed: 0, reasons: {} });
    }
  });
});

describe('an event that observes without bound', () => {
  it('khugepaged with 20,000 passes hands its observations on in batches of at most OBSERVATION_BATCH, in order', async () => {
    const log = fixture('khugepaged-many-passes-crash.jsonl');
    // The fixture asks for 3,000,000 passes (the fuzzer's crash: one batch too big for a string); 20,000 show the batching.
    const events = log.events.map((e) => (e.type === 'khugepaged' ? { ...e, passes: 20_000 } : e));
    const d = designFrom('linux-6.10', registry);
    if (!isRight(d)) throw new Error('no linux-6.10');
    const sizes: number[] = [];
    let lastSeq = -1;
    let ordered = true;
    await new Promise<void>((done, fail) =>
      replayBatches({ header: log.header, events: events.map((event, i) => ({ line: i + 2, event })) }, d.right, { sampleEvery: 1000 }).subscribe({
        next: (b) => {
          sizes.push(b.length);
          for (const o of b) {
            if (o.seq < lastSeq) ordered = false;
            lastSeq = o.seq;
          }
        },
        error: fail,
        complete: done,
      }),
    );
    expect(Math.max(...sizes)).toBeLessThanOrEqual(OBSERVATION_BATCH + 2);
    expect(sizes.reduce((a, b) => a + b, 0)).toBeGreaterThan(40_000);
    expect(ordered).toBe(true);
  }, 60_000); // 20,000 khugepaged passes over two PMD ranges: about a second idle
});

describe('GUP and dio that run out of memory', () => {
  it('oom-on-pin.jsonl: every preset fails the pin with ENOMEM as an outcome, not as bad input', () => {
    for (const design of presets) {
      const r = replayChecked(fixture('oom-on-pin.jsonl'), design, registry);
      expect(r.violations, design).toEqual([]);
      expect(r.outcomes['gup'], design).toEqual({ ok: 0, failed: 1, reasons: { ENOMEM: 1 } });
      expect(r.oom.faults, design).toBeGreaterThan(0);
    }
  });

  it('oom-on-get-design-dependent.jsonl: replays to the end under every preset', () => {
    for (const design of presets) {
      const r = replayChecked(fixture('oom-on-get-design-dependent.jsonl'), design, registry, { invariants: 'sample', sampleEvery: 25 });
      expect(r.violations, design).toEqual([]);
      expect(r.events, design).toBe(500);
    }
  }, 180_000); // 500 events under each preset, invariants every 25 events: ~20 s alone, 85 s seen at load 30
});
