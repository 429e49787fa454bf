import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { logScans, parseTrace, scanResultOf } from './trace.js';

const sample = readFileSync(new URL('../fixtures/ftrace-mm-6.18.txt', import.meta.url), 'utf8');

describe('ftrace of a 6.18 kernel', () => {
  it('reads each mm_khugepaged_scan_pmd with its status as a SCAN_* code and its counts', () => {
    const recs = parseTrace(sample).filter((r) => r.event === 'mm_khugepaged_scan_pmd');
    expect(recs.length).toBe(14);
    const shared = recs.find((r) => r.fields['status'] === 'exceed_shared_pte')!;
    expect(scanResultOf(shared.fields['status']!)).toBe('SCAN_EXCEED_SHARED_PTE');
    expect(shared.fields['referenced']).toBe('255');
    expect(scanResultOf('page_pmd_mapped')).toBe('SCAN_PMD_MAPPED');
    expect(scanResultOf('no_writable_page')).toBe('SCAN_PAGE_RO');
  });

  it('keeps only the scans of mms learnt from a probe in the process itself', () => {
    const recs = parseTrace(sample);
    const scan = recs.find((r) => r.event === 'mm_khugepaged_scan_pmd')!;
    // Pretend the first scanned mm's process made a probe: a record in its own context.
    const probe = { ...scan, task: 'pagelab-executor', taskPid: 4242, ns: scan.ns - 1 };
    const { scans } = logScans([probe, ...recs], new Map([[1, 4242]]), new Map([[1, probe.ns]]));
    expect(scans.length).toBeGreaterThan(0);
    expect(scans.every((s) => s.pid === 1)).toBe(true);
    expect(scans.length).toBe(recs.filter((r) => r.event === 'mm_khugepaged_scan_pmd' && r.fields['mm'] === scan.fields['mm']).length);
  });
});
