import { describe, expect, it } from 'vitest';
import type { WorkloadEvent } from '@pagelab/events';
import { testKernel } from './testing/reference.js';
import { applyChecked } from './testing/replay.js';
import { WasteMeter } from './waste.js';

const MB = 1 << 20;
const A = 64 * MB;

describe('waste samples', () => {
  it('a sample after events that change no frame reuses the last walk, and equals a fresh walk', () => {
    const k = applyChecked(testKernel(), [
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: A, len: 2 * MB, kind: 'anon' },
      { type: 'touch', pid: 1, addr: A, len: 2 * MB, write: true },
      { type: 'madvise', pid: 1, addr: A, len: MB, advice: 'dontneed' },
    ] as WorkloadEvent[]);
    const first = k.waste.measure(k);
    expect(k.waste.walks).toBe(1);
    // Reads of present PTEs only set young bits: no frame the walk reads changes.
    applyChecked(k, [{ type: 'touch', pid: 1, addr: A + MB, len: 8192, write: false }] as WorkloadEvent[]);
    const again = k.waste.measure(k);
    expect(k.waste.walks).toBe(1);
    expect(again).toEqual(first);
    expect(again).toEqual(new WasteMeter().measure(k));
  });

  it('a write, even of a given value with no fault and no lock, makes the next sample walk again', () => {
    const k = applyChecked(testKernel(), [
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: A, len: 2 * MB, kind: 'anon' },
      { type: 'touch', pid: 1, addr: A, len: 2 * MB, write: true },
      { type: 'fork', parent: 1, child: 2 },
      { type: 'touch', pid: 2, addr: A, len: 4096, write: true },
      { type: 'touch', pid: 2, addr: A + 4096, len: 4096, write: true, value: 7 },
    ] as WorkloadEvent[]);
    const before = k.waste.measure(k);
    // The child's page at A + 4096 is its own now (CoW done): writing a token another page holds
    // takes no lock and no fresh token, and still changes what is duplicated.
    applyChecked(k, [{ type: 'touch', pid: 2, addr: A, len: 4096, write: true, value: 7 }] as WorkloadEvent[]);
    const walks = k.waste.walks;
    const after = k.waste.measure(k);
    expect(k.waste.walks).toBe(walks + 1);
    expect(after).toEqual(new WasteMeter().measure(k));
    expect(after).not.toEqual(before);
  });
});
