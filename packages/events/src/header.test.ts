import { describe, expect, test } from 'vitest';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { LogHeader, exampleHeader, issuesOf } from './index.js';

const brief = (value: unknown): string[] => {
  const r = LogHeader.decode(value);
  return isLeft(r) ? issuesOf(r.left).map((i) => `${i.path}: ${i.expected}`) : [];
};
const withMachine = (m: object) => ({ ...exampleHeader, machine: { ...exampleHeader.machine, ...m } });

describe('log header', () => {
  test('the contract example decodes', () => {
    expect(isRight(LogHeader.decode(exampleHeader))).toBe(true);
  });

  test('memory must be a positive multiple of 4 MiB', () => {
    expect(brief(withMachine({ memory: 4 * 1024 * 1024 + 4096 }))).toEqual(['$.machine.memory: a multiple of 4 MiB (4194304)']);
    expect(brief(withMachine({ memory: 0 }))).toEqual(['$.machine.memory: a positive byte count']);
  });

  test('nodes are 1 to 64, cma a multiple of 2 MiB below memory', () => {
    expect(brief(withMachine({ nodes: 65 }))).toEqual(['$.machine.nodes: an integer from 1 to 64']);
    expect(brief(withMachine({ cma: 4096 }))).toEqual(['$.machine.cma: a multiple of 2 MiB (2097152)']);
    expect(brief(withMachine({ cma: exampleHeader.machine.memory }))).toEqual(['$.machine.cma: a CMA size below machine.memory (1073741824)']);
  });

  test('settings keys are the sysctl keys, with their values checked; dotted keys are quoted in paths', () => {
    expect(brief({ ...exampleHeader, settings: { 'thp.enabled': 'sometimes' } })).toEqual(['$.settings["thp.enabled"]: one of always, madvise, never']);
    expect(brief({ ...exampleHeader, settings: { 'thp.enable': 'always' } })[0]).toMatch(
      /^\$\.settings\["thp\.enable"\]: no field "thp\.enable" in settings \(did you mean "thp\.enabled"\?/,
    );
  });

  test('a hand-written header may leave out settings and the workload params', () => {
    const { settings: _s, ...noSettings } = exampleHeader;
    expect(brief({ ...noSettings, workload: { name: 'hand-written', seed: 0 } })).toEqual([]);
  });

  test('the format version must be 1', () => {
    expect(brief({ ...exampleHeader, pagelab: 2 })).toEqual(['$.pagelab: 1 (the workload log format version)']);
  });

  test('workload params must be an object and the seed an integer', () => {
    expect(brief({ ...exampleHeader, workload: { name: 'w', seed: 1.5, params: [] } })).toEqual([
      '$.workload.seed: an integer',
      '$.workload.params: a JSON object',
    ]);
  });
});

describe('the header refuses every machine the model cannot build', () => {
  test('memory a multiple of nodes × 4 MiB (frames per node whole order-10 blocks)', () => {
    expect(brief(withMachine({ memory: 256 << 20, nodes: 3, cma: 0 }))).toEqual([
      '$.machine.memory: a multiple of 3 nodes × 4 MiB (12582912): every node gets whole 4 MiB (order-10) blocks',
    ]);
  });

  test('cma at most node 0 less its first pageblock', () => {
    expect(brief(withMachine({ memory: 64 << 20, nodes: 4, cma: 16 << 20 }))).toEqual([
      "$.machine.cma: at most 14680064 (node 0's 16777216 bytes less its first 2 MiB pageblock: the CMA area lies at the end of node 0)",
    ]);
    expect(brief(withMachine({ memory: 64 << 20, nodes: 4, cma: 14 << 20 }))).toEqual([]);
  });
});
