/**
 * `validate` must already refuse every header the model would refuse: over
 * random machines (sizes, node counts, CMA sizes the format's primitive
 * rules accept), LogHeader decodes exactly when the Kernel can be built.
 */
import fc from 'fast-check';
import { isRight } from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { LogHeader, SYSCTL_KEYS } from '@pagelab/events';
import { Kernel, referencePolicies } from '@pagelab/kernel-core';

const MiB = 1 << 20;

function modelAccepts(machine: { memory: number; nodes: number; cma: number; swap: number }): string | null {
  try {
    new Kernel(machine, referencePolicies);
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

describe('the log header and the model agree on machines', () => {
  it('a machine decodes exactly when the model can build it', () => {
    const machine = fc.record({
      memory: fc.integer({ min: 1, max: 48 }).map((n) => n * 4 * MiB),
      nodes: fc.integer({ min: 1, max: 8 }),
      cma: fc.integer({ min: 0, max: 48 }).map((n) => n * 2 * MiB),
      swap: fc.constant(0),
    });
    fc.assert(
      fc.property(machine, (m) => {
        const decoded = isRight(LogHeader.decode({ pagelab: 1, machine: m, workload: { name: 'w', seed: 1 } }));
        const refused = modelAccepts(m);
        expect(decoded, `${JSON.stringify(m)}: the model says ${refused ?? 'ok'}`).toBe(refused === null);
      }),
      { seed: 0x4ead, numRuns: 400 },
    );
  });

  it('a setting decodes exactly when the model accepts it (every sysctl key, values around its limits)', () => {
    const values = [
      'always',
      'madvise',
      'never',
      'inherit',
      'within_size',
      'advise',
      'deny',
      'force',
      'defer',
      'defer+madvise',
      'sometimes',
      -1,
      0,
      1,
      2,
      64,
      511,
      512,
      4096,
      1 << 24,
      (1 << 24) + 1,
    ];
    const machine = { memory: 64 * MiB, nodes: 1, cma: 0, swap: 0 };
    for (const key of SYSCTL_KEYS) {
      for (const value of values) {
        const decoded = isRight(LogHeader.decode({ pagelab: 1, machine, workload: { name: 'w', seed: 1 }, settings: { [key]: value } }));
        let refused: string | null = null;
        try {
          new Kernel(machine, referencePolicies, undefined, { [key]: value } as never);
        } catch (e) {
          refused = e instanceof Error ? e.message : String(e);
        }
        // A value the codec refuses may still be one the model would take (it is stricter only where sysfs is); never the reverse.
        if (decoded) expect(refused, `${key}=${JSON.stringify(value)}`).toBeNull();
      }
    }
  });
});
