/**
 * The log's own mappings per process and the content each page should hold,
 * kept beside the kernel run: expect checks count only these ranges (the
 * executor's own heap gets THPs too), and contentIntact compares what the
 * kernel's pages hold with what the log last wrote. `ANY` marks a page a
 * device or a direct-I/O read wrote: its content is not checked.
 */
export const PAGE = 4096;
export const ANY = -1n;

export interface Mapping {
  start: number;
  end: number;
  kind: 'anon' | 'shmem';
  file?: string;
  /** First page's offset in the file, in pages (shmem). */
  pgoff: number;
  /**
   * The THP madvise flag of an anon mapping: set by the log (hugepage,
   * nohugepage) or by the run to stand in for thp.enabled=always ('auto').
   */
  thp?: 'auto' | 'hugepage' | 'nohugepage';
}

export interface Proc {
  maps: Mapping[];
  /** Anonymous content by page address; absent = zero. */
  anon: Map<number, bigint>;
}

export class LogMappings {
  readonly procs = new Map<number, Proc>();
  /** Shmem content per file, by page offset; absent = zero. */
  readonly files = new Map<string, Map<number, bigint>>();

  proc(pid: number): Proc | undefined {
    return this.procs.get(pid);
  }

  spawn(pid: number): void {
    this.procs.set(pid, { maps: [], anon: new Map() });
  }

  fork(parent: number, child: number): void {
    const p = this.procs.get(parent);
    if (p) this.procs.set(child, { maps: p.maps.map((m) => ({ ...m })), anon: new Map(p.anon) });
  }

  exit(pid: number): void {
    this.procs.delete(pid);
  }

  file(name: string): Map<number, bigint> {
    let f = this.files.get(name);
    if (!f) this.files.set(name, (f = new Map()));
    return f;
  }

  mmap(pid: number, m: Mapping): void {
    const p = this.procs.get(pid);
    if (!p) return;
    p.maps.push(m);
    p.maps.sort((a, b) => a.start - b.start);
    if (m.file) this.file(m.file);
  }

  /** Removes [addr, addr+len) from the process's mappings (munmap), returning the pieces removed. */
  unmap(pid: number, addr: number, len: number): Mapping[] {
    const p = this.procs.get(pid);
    if (!p) return [];
    const end = addr + len;
    const kept: Mapping[] = [];
    const cut: Mapping[] = [];
    for (const m of p.maps) {
      if (m.end <= addr || m.start >= end) {
        kept.push(m);
        continue;
      }
      if (m.start < addr) kept.push({ ...m, end: addr });
      if (m.end > end) kept.push({ ...m, start: end, pgoff: m.pgoff + (end - m.start) / PAGE });
      const s = Math.max(m.start, addr);
      cut.push({ ...m, start: s, end: Math.min(m.end, end), pgoff: m.pgoff + (s - m.start) / PAGE });
    }
    p.maps = kept.sort((a, b) => a.start - b.start);
    for (let a = addr; a < end; a += PAGE) p.anon.delete(a);
    return cut;
  }

  /** mremap(addr, len, newLen, MREMAP_FIXED, to): a shrink unmaps the tail first; a growth extends the last piece moved. */
  mremap(pid: number, addr: number, len: number, to: number, newLen = len): void {
    const p = this.procs.get(pid);
    if (!p) return;
    if (newLen < len) {
      this.unmap(pid, addr + newLen, len - newLen);
      len = newLen;
    }
    const moved = new Map<number, bigint>();
    for (let a = addr; a < addr + len; a += PAGE) {
      const v = p.anon.get(a);
      if (v !== undefined) moved.set(a - addr + to, v);
    }
    const pieces = this.unmap(pid, addr, len);
    this.unmap(pid, to, Math.max(len, newLen));
    for (const m of pieces) p.maps.push({ ...m, start: m.start - addr + to, end: m.end - addr + to });
    p.maps.sort((a, b) => a.start - b.start);
    // A growth extends the mapping that ends the moved range (vma_expand of the new VMA).
    const last = p.maps.find((m) => m.end === to + len);
    if (newLen > len && last) last.end = to + newLen;
    for (const [a, v] of moved) p.anon.set(a, v);
  }

  /** Marks the anon mappings overlapping a range with the log's own madvise(MADV_[NO]HUGEPAGE). */
  advise(pid: number, addr: number, len: number, thp: 'hugepage' | 'nohugepage'): void {
    for (const m of this.procs.get(pid)?.maps ?? []) if (m.kind === 'anon' && m.start < addr + len && addr < m.end) m.thp = thp;
  }

  mappingAt(pid: number, addr: number): Mapping | undefined {
    return this.procs.get(pid)?.maps.find((m) => m.start <= addr && addr < m.end);
  }

  /** Sets the expected content of each page in the range (writes, or ANY). */
  setContent(pid: number, addr: number, len: number, value: (i: number) => bigint): void {
    const p = this.procs.get(pid);
    if (!p) return;
    for (let a = addr, i = 0; a < addr + len; a += PAGE, i++) {
      const m = this.mappingAt(pid, a);
      if (!m) continue;
      if (m.kind === 'shmem') this.file(m.file!).set(m.pgoff + (a - m.start) / PAGE, value(i));
      else p.anon.set(a, value(i));
    }
  }

  /** MADV_DONTNEED: anonymous pages read zero again; shmem keeps its page cache. */
  dontneed(pid: number, addr: number, len: number): void {
    const p = this.procs.get(pid);
    if (!p) return;
    for (let a = addr; a < addr + len; a += PAGE) if (this.mappingAt(pid, a)?.kind === 'anon') p.anon.delete(a);
  }

  punch(file: string, offset: number, len: number): void {
    const f = this.file(file);
    for (let i = offset / PAGE; i < (offset + len) / PAGE; i++) f.delete(i);
  }

  truncate(file: string, size: number): void {
    const f = this.file(file);
    for (const k of [...f.keys()]) if (k >= Math.ceil(size / PAGE)) f.delete(k);
  }

  expected(pid: number, addr: number): bigint {
    const m = this.mappingAt(pid, addr);
    if (!m) return 0n;
    if (m.kind === 'shmem') return this.files.get(m.file!)?.get(m.pgoff + (addr - m.start) / PAGE) ?? 0n;
    return this.procs.get(pid)!.anon.get(addr) ?? 0n;
  }

  /** The ranges an expect check covers: its own, or every mapping of the process. */
  ranges(pid: number, addr?: number, len?: number): { start: number; end: number }[] {
    if (addr !== undefined) return [{ start: addr, end: addr + (len ?? PAGE) }];
    return (this.procs.get(pid)?.maps ?? []).map((m) => ({ start: m.start, end: m.end }));
  }
}
