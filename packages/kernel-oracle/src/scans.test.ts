import { describe, expect, it } from 'vitest';
import { compareScans } from './scans.js';

const scan = (line: number, pid: number, result: string, referenced = 0, none = 0, unmapped = 0) => ({ line, pid, result, none, referenced, unmapped });

describe('khugepaged scan by scan', () => {
  it('pairs the kernel\u2019s and the model\u2019s scans of one event and process in order, counts included', () => {
    const rows = compareScans(
      [scan(9, 2, 'SCAN_EXCEED_SHARED_PTE', 255), scan(11, 2, 'SCAN_SUCCEED', 256)],
      [scan(9, 2, 'SCAN_EXCEED_SHARED_PTE', 511), scan(11, 2, 'SCAN_SUCCEED', 256)],
    );
    expect(rows.map((r) => [r.line, r.agree])).toEqual([
      [9, false],
      [11, true],
    ]);
  });

  it('leaves out ranges the kernel found without a page table, and shows a scan only one side made', () => {
    const rows = compareScans([scan(5, 1, 'SCAN_PMD_NONE'), scan(5, 1, 'SCAN_PMD_MAPPED')], []);
    expect(rows).toEqual([{ line: 5, pid: 1, kernel: { result: 'SCAN_PMD_MAPPED', none: 0, referenced: 0, unmapped: 0 }, model: null, agree: false }]);
  });
});
