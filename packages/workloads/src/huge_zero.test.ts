/** The huge-zero-read-then-write workload under every era preset (huge_zero.ts). */
import { type Registry } from '@pagelab/engine';
import { installedRegistry, replayChecked } from '@pagelab/engine/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { hugeZeroReadThenWrite } from './huge_zero.js';
import { findScenario } from './registry.js';

let registry: Registry;
beforeAll(async () => {
  registry = await installedRegistry();
});

describe('huge-zero-read-then-write', () => {
  it('is a named workload', () => {
    expect(findScenario('huge-zero-read-then-write')).toBe(hugeZeroReadThenWrite);
  });

  it('passes every check where the write allocates a THP (3.13, 4.5, 6.15, 6.18), with the invariants after every event', () => {
    for (const design of hugeZeroReadThenWrite.designs) {
      const r = replayChecked(hugeZeroReadThenWrite.generate({}), design, registry, {
        invariants: 'every',
        sampleEvery: 1,
        source: 'scenario:huge-zero-read-then-write',
      });
      expect(r.violations, design).toEqual([]);
      expect(r.expectations.failures, design).toEqual([]);
    }
  });

  it('under linux-5.8 and linux-6.10 the write splits the huge zero PMD: only the AnonHugePages check after it fails, reading 0', () => {
    for (const design of ['linux-5.8', 'linux-6.10']) {
      const r = replayChecked(hugeZeroReadThenWrite.generate({}), design, registry, {
        invariants: 'every',
        sampleEvery: 1,
        source: 'scenario:huge-zero-read-then-write',
      });
      expect(r.violations, design).toEqual([]);
      expect(
        r.expectations.failures.map((f) => [f.check, f.actual]),
        design,
      ).toEqual([['anonHugeBytes', 0]]);
    }
  });
});
