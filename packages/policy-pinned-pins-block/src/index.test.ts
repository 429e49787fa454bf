import { applyEvent, checkInvariants, testKernel } from '@pagelab/kernel-core';
import { describe, expect, it } from 'vitest';
import { descriptor } from './index.js';

const MB = 1 << 20;
const A = 64 * MB;
const PAGE = 4096;

describe('pins-block (D0)', () => {
  it('a zbud page that fell back into a movable pageblock blocks alloc_contig of that range (S13)', () => {
    let asked = 0;
    const policy = descriptor.create({});
    const counting = {
      ...policy,
      migrateDriverPage: (k: Parameters<typeof policy.migrateDriverPage>[0], pfn: number) => (asked++, policy.migrateDriverPage(k, pfn)),
    };
    const k = testKernel({ config: { memory: 8 * MB }, settings: { 'thp.enabled': 'never' }, policies: { pinnedMigration: counting } });
    for (const e of [
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: A, len: 8 * MB, kind: 'anon' },
      { type: 'touch', pid: 1, addr: A, len: 1800 * PAGE, write: true },
      { type: 'driver_alloc', owner: 'zbud', pages: 1, handle: 'z' },
      { type: 'munmap', pid: 1, addr: A, len: 900 * PAGE },
      { type: 'alloc_contig', pages: 1024, cma: false, handle: 'c' },
    ] as const) {
      applyEvent(k, e);
      expect(checkInvariants(k)).toEqual([]);
    }
    expect(asked).toBeGreaterThan(0);
    expect(k.outcomes.get('cma_alloc').reasons).toEqual({ unmovable: 1 });
  });

  it('answers busy for any driver page and pays nothing on pin', () => {
    const k = testKernel();
    const p = descriptor.create({});
    const ops = k.ledger.lockedOps;
    p.onDriverPin(k, 5, true);
    expect(p.migrateDriverPage(k, 5)).toBe('busy');
    expect(k.ledger.lockedOps).toBe(ops);
  });
});
