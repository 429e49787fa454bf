import { describe, expect, it } from 'vitest';
import { diffChecks, parseKnownDifferences, unexplained } from './diff.js';
import type { KernelCheck } from './run.js';

const KNOWN = `
# Known differences

| workload | lines | check | designs | reason | commit |
|---|---|---|---|---|---|
| seed001-balloon-punch | 12 | folioOrder | linux-6.10, linux-5.8 | non-uniform split keeps index 0 in an order-8 folio | 7460b470a131 |
| * | * | contentIntact | * | anything | abcdef123456 |
`;

describe('kernel diff', () => {
  const kernel: KernelCheck[] = [
    { line: 5, check: 'folioOrder', expected: 9, kernel: 9 },
    { line: 12, check: 'folioOrder', expected: 0, kernel: 8 },
    { line: 13, check: 'wasteBytes', expected: 0, kernel: null },
  ];
  const model = [
    { line: 5, check: 'folioOrder', expected: 9, actual: 9 },
    { line: 12, check: 'folioOrder', expected: 0, actual: 0 },
    { line: 13, check: 'wasteBytes', expected: 0, actual: 0 },
  ];

  it('pairs each kernel check with the model check of the same line, and a kernel that cannot answer agrees with nobody', () => {
    const rows = diffChecks(kernel, model, 'seed001-balloon-punch', 'linux-6.15');
    expect(rows.map((r) => r.agree)).toEqual([true, false, null]);
    expect(unexplained(rows).map((r) => r.line)).toEqual([12]);
  });

  it('a disagreement listed for the workload, line, check and design is known; under another design it is not', () => {
    const known = parseKnownDifferences(KNOWN);
    expect(unexplained(diffChecks(kernel, model, 'seed001-balloon-punch', 'linux-6.10', known))).toEqual([]);
    const rows = diffChecks(kernel, model, 'seed001-balloon-punch', 'linux-6.15', known);
    expect(unexplained(rows).map((r) => r.line)).toEqual([12]);
    expect(diffChecks(kernel, model, 'seed001-balloon-punch', 'linux-5.8', known)[1]!.known).toMatch(/7460b470a131/);
  });

  it('refuses a known-differences row without a reason or a commit', () => {
    expect(() =>
      parseKnownDifferences('| workload | lines | check | designs | reason | commit |\n|---|---|---|---|---|---|\n| x | * | mapped | * | | |\n'),
    ).toThrow(/reason and commit/);
  });
});
