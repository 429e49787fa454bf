import { describe, expect, test } from 'vitest';
import type * as t from 'io-ts';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { Observation, ObservationHeader, Summary, issuesOf, stableStringify, type Metrics } from './index.js';

const metrics: Metrics = {
  allocatedBytes: 4194304,
  idealBytes: 2097152,
  wasteBytes: 2097152,
  peakWasteBytes: 2097152,
  wasteByCause: { 'unmapped-in-thp': 0, 'truncated-retained': 0, 'collapse-bloat': 2097152, 'duplicated-shared': 0, 'split-blocked': 0 },
  lockedOps: 10,
  lockedOpsByKind: { atomic: 8, spinlock: 2 },
  lockedOpsBySite: { 'get_page.tail': 10 },
  lockAcquisitions: 2,
  maxLockDepth: 1,
  hugeCoverage: 0.5,
  tlbShootdowns: 0,
  pageCopies: 0,
};
const sha = 'a'.repeat(64);
const workload = { name: 'w', seed: 1, params: {} };

const errorsOf = (codec: t.Decoder<unknown, unknown>, v: unknown) => {
  const r = codec.decode(v);
  return isLeft(r) ? issuesOf(r.left).map((i) => `${i.path}: ${i.expected}`) : [];
};

describe('observations', () => {
  test('domain events and samples decode', () => {
    for (const o of [
      { seq: 0, type: 'sample', metrics },
      { seq: 3, type: 'thp_fault_alloc', pid: 1, addr: 0 },
      { seq: 4, type: 'thp_split_page_failed', reason: 'extra_ref' },
      { seq: 5, type: 'khugepaged_scan', result: 'SCAN_EXCEED_SHARED_PTE', none: 0, swap: 0, shared: 256, referenced: 1, writable: true, pid: 1, addr: 0 },
      { seq: 6, type: 'migrate', reason: 'compaction', result: 'fail', cause: 'pinned' },
      { seq: 7, type: 'expect.failed', check: 'anonHugeBytes', expected: 2097152, actual: 0, line: 8 },
      { seq: 8, type: 'invariant.violated', invariant: 'refcount>=mapcount', detail: 'pfn 12' },
    ]) {
      expect(isRight(Observation.decode(o)), stableStringify(o)).toBe(true);
    }
  });

  test('a bad observation names its field', () => {
    expect(errorsOf(Observation, { seq: -1, type: 'khugepaged_scan', result: 'OK' })).toEqual(['$.seq: a non-negative integer', '$.result: a SCAN_* code']);
    expect(errorsOf(Observation, { seq: 1, type: 'sample', metrics: { ...metrics, hugeCoverage: 2 } })).toEqual([
      '$.metrics.hugeCoverage: a fraction from 0 to 1',
    ]);
    expect(errorsOf(Observation, { seq: 1, type: 'thp_split' })[0]).toMatch(/^\$\.type: one of thp_fault_alloc, /);
  });

  test('the observation log header decodes', () => {
    const h = { pagelab_observations: 1, pagelab: '0.1.0', design: { refcount: 'head-refcount' }, workload, logSha256: sha };
    expect(isRight(ObservationHeader.decode(h))).toBe(true);
    expect(errorsOf(ObservationHeader, { ...h, logSha256: 'xyz' })).toEqual(['$.logSha256: a sha256 (64 lowercase hex digits)']);
  });
});

describe('summary.json', () => {
  const outcome = { ok: 1, failed: 0, reasons: {} };
  const summary = {
    pagelab: '0.1.0',
    design: { preset: 'linux-6.10' },
    workload,
    logSha256: sha,
    events: 10,
    metrics,
    outcomes: {
      thp_fault: outcome,
      split_page: outcome,
      split_pmd: outcome,
      collapse: outcome,
      migrate: outcome,
      cma_alloc: outcome,
      compact: outcome,
      cow: outcome,
    },
    expectations: { passed: 1, failed: 1, failures: [{ seq: 7, line: 8, check: 'anonHugeBytes', expected: 2097152, actual: 0 }] },
    invariantViolations: 0,
  };

  test('a complete summary decodes', () => {
    expect(isRight(Summary.decode(summary))).toBe(true);
  });

  const laterBlocks = {
    settings: { 'khugepaged.max_ptes_none': 511 },
    overRun: { samples: 3, meanWasteBytes: -4096, meanHugeCoverage: 0.25, peakHugeCoverage: 0.5 },
    lockedOpsByEvent: { touch: { events: 4, lockedOps: 9 } },
    eventMarks: { seqs: { fork: [2, 5] }, counts: { fork: 2 } },
    vmstat: { thp_fault_alloc: 1, thp_split_page: 0 },
    invariantWalks: 16,
    oom: { faults: 2, expected: false },
    sharedness: { questions: 5, falseNegatives: 1, falsePositives: 0, collapsesOnlyByPolicy: 1, duplicatedBytes: 4096, zeroFilledBytes: 0 },
  };

  test('a summary written before the settings, overRun, vmstat, oom and sharedness blocks still decodes', () => {
    const r = Summary.decode(summary);
    expect(isRight(r) && r.right.oom === undefined && r.right.overRun === undefined).toBe(true);
  });

  test('the blocks the engine writes decode with their types, nestingViolations included', () => {
    const r = Summary.decode({ ...summary, ...laterBlocks, metrics: { ...metrics, nestingViolations: ['depth 49 > 48'] } });
    expect(isRight(r)).toBe(true);
    if (isRight(r)) {
      expect(r.right.oom).toEqual({ faults: 2, expected: false });
      expect(r.right.metrics.nestingViolations).toEqual(['depth 49 > 48']);
      expect(r.right.eventMarks?.seqs['fork']).toEqual([2, 5]);
    }
  });

  test('a malformed later block is reported by its path', () => {
    const bad = {
      ...summary,
      ...laterBlocks,
      overRun: { ...laterBlocks.overRun, meanHugeCoverage: 1.5 },
      oom: { faults: -1, expected: false },
      eventMarks: { seqs: { fork: ['2'] }, counts: {} },
    };
    expect(errorsOf(Summary, bad)).toEqual([
      '$.overRun.meanHugeCoverage: a fraction from 0 to 1',
      '$.eventMarks.seqs.fork[0]: a non-negative integer',
      '$.oom.faults: a non-negative integer',
    ]);
  });

  test('a missing outcome and a bad failure entry are reported by path', () => {
    const { cow: _cow, ...outcomes } = summary.outcomes;
    const bad = { ...summary, outcomes, expectations: { ...summary.expectations, failures: [{ seq: 0 }] } };
    expect(errorsOf(Summary, bad)).toEqual([
      '$.outcomes.cow: an outcome',
      '$.expectations.failures[0].seq: a positive integer',
      '$.expectations.failures[0].line: a positive integer',
      '$.expectations.failures[0].check: a non-empty string',
      '$.expectations.failures[0].expected: a JSON value',
      '$.expectations.failures[0].actual: a JSON value',
    ]);
  });
});
