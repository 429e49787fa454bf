import { describe, expect, it } from 'vitest';
import { SETTING_KEYS, checkSetting } from './params.js';
import { testKernel } from './testing/reference.js';
import { applyEvent } from './syscalls.js';
import { shmemPmdMappedBytes } from './queries.js';

describe('tunables', () => {
  it('accept every value the sysfs knobs accept, and refuse others naming the key and the values', () => {
    expect(checkSetting('thp.defrag', 'defer+madvise')).toBeNull();
    expect(checkSetting('thp.shmem_enabled', 'force')).toBeNull();
    expect(checkSetting('thp.shmem_enabled', 'deny')).toBeNull();
    expect(checkSetting('thp.enabled', 'sometimes')).toMatch(/thp.enabled expects one of always, madvise, never, got "sometimes"/);
    expect(checkSetting('khugepaged.max_ptes_none', 512)).toMatch(/0\.\.511/);
    expect(checkSetting('vm.swappiness', 60)).toMatch(/unknown tunable "vm.swappiness", expected one of/);
    expect(SETTING_KEYS).toContain('khugepaged.pages_to_scan');
  });

  it('shmem_enabled=force gives tmpfs huge pages like always; deny like never', () => {
    for (const [mode, huge] of [
      ['force', 2 << 20],
      ['deny', 0],
    ] as const) {
      const k = testKernel({ settings: { 'thp.shmem_enabled': mode } });
      applyEvent(k, { type: 'spawn', pid: 1 });
      applyEvent(k, { type: 'mmap', pid: 1, addr: 64 << 20, len: 2 << 20, kind: 'shmem', file: 'f' });
      applyEvent(k, { type: 'touch', pid: 1, addr: 64 << 20, len: 2 << 20, write: true });
      expect(shmemPmdMappedBytes(k, k.mm(1)), mode).toBe(huge);
    }
  });
});
