import { describe, expect, it } from 'vitest';
import { parseKnownDifferences } from './diff.js';
import { compareCollapses, compareScans, environmentalFields, type Scan, unexplainedScans } from './scans.js';
import { accessBitAgents } from './environment.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type KernelScan, logScans, parseTrace } from './trace.js';

/**
 * Records of a 6.18 kernel (fixtures/ftrace-mm-6.18.txt), each section the
 * scans of one khugepaged wake of one process. The first record of each is a
 * probe made in the process's own context (pid 4242), which names its mm.
 */
const PROBE = (mm: string, t: string) =>
  `  pagelab-executor-4242 [000] .....  ${t}: mm_khugepaged_scan_pmd: mm=${mm}, scan_pfn=0x1, referenced=0, none_or_zero=511, status=succeeded, unmapped=0`;

// kh06-max-ptes-swap: 65 swap PTEs refuse the range; with 64 it is swapped in and collapsed.
const MAX_PTES_SWAP = [
  PROBE('0000000058553510', '3147.900000'),
  '      khugepaged-31162   [001] .....  3147.912688: mm_khugepaged_scan_pmd: mm=0000000058553510, scan_pfn=0xffffffffffffffff, referenced=0, none_or_zero=0, status=exceed_swap_pte, unmapped=65',
  '      khugepaged-31162   [001] .....  3147.954274: mm_collapse_huge_page: mm=0000000058553510, isolated=1, status=succeeded',
  '      khugepaged-31162   [001] .....  3147.954277: mm_khugepaged_scan_pmd: mm=0000000058553510, scan_pfn=0x2ebb56, referenced=448, none_or_zero=0, status=succeeded, unmapped=64',
  '      khugepaged-31162   [001] .....  3147.970118: mm_khugepaged_scan_pmd: mm=0000000058553510, scan_pfn=0xffffffffffffffff, referenced=0, none_or_zero=0, status=page_pmd_mapped, unmapped=0',
].join('\n');

// kh12-max-ptes-shared, the child: 255 pages CoW'd since the fork (young), 257 still shared (old since the fork).
const MAX_PTES_SHARED = [
  PROBE('0000000030a80312', '3148.900000'),
  '      khugepaged-31162   [001] .....  3148.988585: mm_khugepaged_scan_pmd: mm=000000008b95d924, scan_pfn=0xffffffffffffffff, referenced=0, none_or_zero=0, status=page_pmd_mapped, unmapped=0',
  '      khugepaged-31162   [001] .....  3148.988615: mm_khugepaged_scan_pmd: mm=0000000030a80312, scan_pfn=0x12aa00, referenced=255, none_or_zero=0, status=exceed_shared_pte, unmapped=0',
].join('\n');

/** The trace's scans of log process 1 (OS pid 4242), all on log line `line`. */
function kernelScans(text: string, line: number): { scans: Scan[]; collapses: { line: number; pid: number; result: string }[] } {
  const recs = parseTrace(text);
  const { scans, collapses } = logScans(recs, new Map([[1, 4242]]), new Map([[1, recs[0]!.ns]]));
  return { scans: scans.map(({ ns: _ns, madvise: _m, ...s }: KernelScan) => ({ ...s, line })), collapses: collapses.map((c) => ({ ...c, line })) };
}

const model = (line: number, result: string, referenced: number, unmapped = 0, none = 0): Scan => ({ line, pid: 1, result, none, referenced, unmapped });

const KNOWN = `
| workload | lines | check | designs | reason | commit |
|---|---|---|---|---|---|
| s21-selftest-max-ptes-shared | 9 | khugepaged_scan.referenced | linux-6.15 | young bits after fork | 0123456789ab |
`;

describe('khugepaged scan by scan, from recorded ftrace', () => {
  it('a kernel whose scans and collapse match the model agrees row by row, and nothing is unexplained', () => {
    const k = kernelScans(MAX_PTES_SWAP, 7);
    const rows = compareScans(k.scans, [model(7, 'SCAN_EXCEED_SWAP_PTE', 0, 65), model(7, 'SCAN_SUCCEED', 448, 64)]);
    expect(rows.map((r) => [r.kernel?.result, r.agree])).toEqual([
      ['SCAN_EXCEED_SWAP_PTE', true],
      ['SCAN_SUCCEED', true],
      // The next wake found the new THP: the model's pass ended before it, so there is nothing to compare.
      ['SCAN_PMD_MAPPED', null],
    ]);
    const collapses = compareCollapses(k.collapses, [model(7, 'SCAN_SUCCEED', 448, 64)]);
    expect(collapses).toEqual([{ line: 7, pid: 1, kernel: 1, model: 1, agree: true }]);
    expect(unexplainedScans([...rows, ...collapses])).toEqual([]);
  });

  it('a referenced count that differs is a disagreement naming the field, and another process\u2019s scans are not the log\u2019s', () => {
    const k = kernelScans(MAX_PTES_SHARED, 9);
    expect(k.scans).toHaveLength(1);
    const rows = compareScans(k.scans, [model(9, 'SCAN_EXCEED_SHARED_PTE', 511)], {
      workload: 's21-selftest-max-ptes-shared',
      design: 'linux-6.18',
      known: [],
    });
    expect(rows).toEqual([
      {
        line: 9,
        pid: 1,
        kernel: { result: 'SCAN_EXCEED_SHARED_PTE', none: 0, referenced: 255, unmapped: 0 },
        model: { result: 'SCAN_EXCEED_SHARED_PTE', none: 0, referenced: 511, unmapped: 0 },
        agree: false,
        differs: ['referenced'],
      },
    ]);
    expect(unexplainedScans(rows)).toHaveLength(1);
  });

  it('a difference docs/kernel-differences.md lists for that field, line and design is known; another field or design is not', () => {
    const known = parseKnownDifferences(KNOWN);
    const k = kernelScans(MAX_PTES_SHARED, 9);
    const ctx = { workload: 's21-selftest-max-ptes-shared', design: 'linux-6.15', known };
    const listed = compareScans(k.scans, [model(9, 'SCAN_EXCEED_SHARED_PTE', 511)], ctx);
    expect(listed[0]!.known).toBe('young bits after fork (0123456789ab)');
    expect(unexplainedScans(listed)).toEqual([]);
    // The entry names referenced only: a different status is still unexplained.
    expect(unexplainedScans(compareScans(k.scans, [model(9, 'SCAN_SUCCEED', 511)], ctx))).toHaveLength(1);
    expect(unexplainedScans(compareScans(k.scans, [model(9, 'SCAN_EXCEED_SHARED_PTE', 511)], { ...ctx, design: 'linux-6.18' }))).toHaveLength(1);
  });

  it('leaves out ranges the kernel found without a page table; a refusal only the kernel’s full scan made is shown but never fails', () => {
    const scan = (result: string): Scan => ({ line: 5, pid: 1, result, none: 0, referenced: 0, unmapped: 0 });
    const rows = compareScans([scan('SCAN_PMD_NONE'), scan('SCAN_PMD_MAPPED'), scan('SCAN_EXCEED_NONE_PTE')], []);
    expect(rows.map((r) => [r.kernel?.result, r.agree])).toEqual([
      ['SCAN_PMD_MAPPED', null],
      ['SCAN_EXCEED_NONE_PTE', null],
    ]);
    expect(unexplainedScans(rows)).toEqual([]);
    // A collapse only the kernel made, or a scan only the model made, is a disagreement.
    expect(unexplainedScans(compareScans([scan('SCAN_SUCCEED')], []))).toMatchObject([{ differs: ['scan'], model: null }]);
    expect(unexplainedScans(compareScans([], [scan('SCAN_EXCEED_NONE_PTE')]))).toMatchObject([{ differs: ['scan'], kernel: null }]);
  });

  it('while a DAMON monitor moves accessed bits, a scan differing only in referenced reads as known with that reason; any other field still fails', () => {
    const k = kernelScans(MAX_PTES_SHARED, 9);
    const agents = ['DAMON kdamond 0 (pid 79, paddr operations) was on'];
    const ctx = { workload: 'kh12', design: 'linux-6.18', known: [], environmental: environmentalFields(agents) };
    // The counts differ in referenced only (DAMON's folio_set_young made the kernel's 511 where the model kept 255 on this machine).
    const rows = compareScans(k.scans, [model(9, 'SCAN_EXCEED_SHARED_PTE', 511)], ctx);
    expect(rows[0]!.agree).toBe(false);
    expect(rows[0]!.known).toContain('DAMON kdamond 0');
    expect(unexplainedScans(rows)).toEqual([]);
    expect(unexplainedScans(compareScans(k.scans, [model(9, 'SCAN_SUCCEED', 511)], ctx))).toHaveLength(1);
    // With no agent nothing is excused.
    expect(environmentalFields([])).toEqual({});
    expect(unexplainedScans(compareScans(k.scans, [model(9, 'SCAN_EXCEED_SHARED_PTE', 511)], { ...ctx, environmental: {} }))).toHaveLength(1);
  });

  it('finds each kdamond that is on in DAMON sysfs, and none where DAMON sysfs is missing', () => {
    const root = mkdtempSync(join(tmpdir(), 'pagelab-damon-'));
    try {
      const kd = (n: string, state: string, ops: string, pid: string) => {
        mkdirSync(join(root, n, 'contexts/0'), { recursive: true });
        writeFileSync(join(root, n, 'state'), `${state}\n`);
        writeFileSync(join(root, n, 'pid'), `${pid}\n`);
        writeFileSync(join(root, n, 'contexts/0/operations'), `${ops}\n`);
      };
      kd('0', 'on', 'paddr', '79');
      kd('1', 'off', 'vaddr', '-1');
      writeFileSync(join(root, 'nr_kdamonds'), '2\n');
      expect(accessBitAgents(root)).toEqual(['DAMON kdamond 0 (pid 79, paddr operations) was on']);
      expect(accessBitAgents(join(root, 'missing'))).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
