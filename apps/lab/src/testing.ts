/** A LabContext for tests: captured output, stand-in policies, one scenario, a fake analysis. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildRegistry } from '@pagelab/engine';
import { smallEvents, smallHeader, standInDescriptors } from '@pagelab/engine/testing';
import type { Scenario } from '@pagelab/workloads';
import type { LabContext } from './context.js';

const MiB = 1 << 20;

export const testScenario: Scenario = {
  name: 'test-thp-life',
  title: 'A THP life (test scenario)',
  source: 'apps/lab tests',
  expectation: 'nothing in particular',
  designs: ['linux-5.8', 'linux-6.10'],
  params: [{ name: 'extraTouches', description: 'extra 4 KiB writes at the end', default: 0 }],
  generate(params = {}) {
    const n = params['extraTouches'] ?? 0;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new Error(`extraTouches: expected an integer >= 0, got ${JSON.stringify(n)}`);
    const extra = Array.from({ length: n }, (_, i) => ({ type: 'touch' as const, pid: 1, addr: 3 * MiB + i * 4096, len: 4096, write: true }));
    return { header: { ...smallHeader, workload: { name: 'test-thp-life', seed: 1, params: { extraTouches: n } } }, events: [...smallEvents, ...extra] };
  },
};

export interface TestContext {
  readonly ctx: LabContext;
  readonly out: () => string;
  readonly err: () => string;
  readonly reports: string[];
}

export function testContext(cwd: string, overrides: Partial<LabContext> = {}): TestContext {
  let out = '';
  let err = '';
  const reports: string[] = [];
  const ctx: LabContext = {
    cwd,
    stdout: (s) => void (out += s),
    stderr: (s) => void (err += s),
    isTTY: false,
    commandLine: 'pagelab test',
    loadRegistry: async () => buildRegistry(standInDescriptors),
    loadScenarios: async () => [testScenario],
    loadAnalysis: async () => ({
      writeReport: async (dir: string) => {
        reports.push(dir);
        await writeFile(join(dir, 'report.html'), '<html></html>');
      },
    }),
    ...overrides,
  };
  return { ctx, out: () => out, err: () => err, reports };
}
