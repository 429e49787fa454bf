import { describe, expect, it } from 'vitest';
import { LogMappings, PAGE } from './mappings.js';

const MiB = 1 << 20;

describe('the log mappings beside a kernel run', () => {
  it("a fork copies the anon content the child must see; a write in the child leaves the parent's content", () => {
    const m = new LogMappings();
    m.spawn(1);
    m.mmap(1, { start: 2 * MiB, end: 4 * MiB, kind: 'anon', pgoff: 0 });
    m.setContent(1, 2 * MiB, 2 * PAGE, (i) => 100n + BigInt(i));
    m.fork(1, 2);
    m.setContent(2, 2 * MiB, PAGE, () => 7n);
    expect(m.expected(1, 2 * MiB)).toBe(100n);
    expect(m.expected(2, 2 * MiB)).toBe(7n);
    expect(m.expected(2, 2 * MiB + PAGE)).toBe(101n);
  });

  it('mremap moves content with the mapping; munmap and MADV_DONTNEED make anon pages read zero', () => {
    const m = new LogMappings();
    m.spawn(1);
    m.mmap(1, { start: 2 * MiB, end: 4 * MiB, kind: 'anon', pgoff: 0 });
    m.setContent(1, 2 * MiB, 4 * PAGE, () => 5n);
    m.mremap(1, 2 * MiB, 2 * PAGE, 8 * MiB);
    expect(m.expected(1, 8 * MiB + PAGE)).toBe(5n);
    expect(m.mappingAt(1, 2 * MiB)).toBeUndefined();
    m.dontneed(1, 2 * MiB + 2 * PAGE, PAGE);
    expect(m.expected(1, 2 * MiB + 2 * PAGE)).toBe(0n);
    expect(m.expected(1, 2 * MiB + 3 * PAGE)).toBe(5n);
  });

  it('shmem content lives in the file: a second mapping sees it, a hole punch and a truncate drop it', () => {
    const m = new LogMappings();
    m.spawn(1);
    m.spawn(2);
    m.mmap(1, { start: 2 * MiB, end: 4 * MiB, kind: 'shmem', file: 'f', pgoff: 0 });
    m.mmap(2, { start: 6 * MiB, end: 7 * MiB, kind: 'shmem', file: 'f', pgoff: 256 });
    m.setContent(1, 3 * MiB, 3 * PAGE, () => 9n);
    expect(m.expected(2, 6 * MiB + PAGE)).toBe(9n);
    m.punch('f', (256 + 1) * PAGE, PAGE);
    expect(m.expected(1, 3 * MiB + PAGE)).toBe(0n);
    m.truncate('f', 256 * PAGE);
    expect(m.expected(2, 6 * MiB)).toBe(0n);
  });
});
