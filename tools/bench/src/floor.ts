/**
 * The do-nothing model: the least any replay of a log must do, measured in
 * the same process and round as the real one so that their ratio holds
 * across hosts (absolute rates move 2-4x between machines; the ratio does
 * not). Per event it reads the event's fields, switches on its type, and
 * for each 4 KiB page the event covers goes PTE -> pfn -> refcount through
 * the model's own structures (kernel-core's MM page tables and PTE
 * encoding, a typed-array refcount per frame). A page with no PTE gets one
 * pointing at the next frame (a fault that does no accounting), so later
 * events find it mapped. Nothing is counted, allocated per page, split,
 * freed or reclaimed: it is the floor, not a model.
 */
import type { LogEvent } from '@pagelab/engine';
import { MM, PAGE_SIZE, mkPte, pteIndex, ptePfn } from '@pagelab/kernel-core';

type WorkloadEvent = LogEvent['event'];

export class FloorModel {
  private readonly mms = new Map<number, MM>();
  private readonly refcount: Int32Array;
  private nextPfn = 1;
  /** Folded over every refcount read, so the JIT cannot drop the walk as dead. */
  checksum = 0;

  constructor(frames: number) {
    this.refcount = new Int32Array(frames);
  }

  apply(e: WorkloadEvent): void {
    switch (e.type) {
      case 'spawn':
        this.mms.set(e.pid, new MM(e.pid, e.pid));
        return;
      case 'fork':
        this.mms.set(e.child, new MM(e.child, e.child));
        return;
      case 'exit':
        this.mms.delete(e.pid);
        return;
      case 'touch':
      case 'mmap':
      case 'munmap':
      case 'mprotect':
      case 'mremap':
      case 'madvise':
      case 'pin':
      case 'get':
      case 'dio':
        this.pages(e.pid, e.addr, e.len);
        return;
      default:
        // unpin, khugepaged, reclaim, expect, ...: no pages named by the event.
        this.checksum ^= 1;
    }
  }

  /** PTE -> pfn -> refcount for each page of [addr, addr + len). */
  private pages(pid: number, addr: number, len: number): void {
    const mm = this.mms.get(pid);
    if (!mm) return;
    const rc = this.refcount;
    const end = addr + len;
    let sum = 0;
    for (let a = addr; a < end; a += PAGE_SIZE) {
      const pt = mm.ptAlloc(a);
      const i = pteIndex(a);
      let pte = pt.ptes[i]!;
      if (pte === 0) {
        pte = pt.ptes[i] = mkPte(this.nextPfn, true);
        this.nextPfn = this.nextPfn + 1 < rc.length ? this.nextPfn + 1 : 1;
      }
      sum += rc[ptePfn(pte)]!++;
    }
    this.checksum = (this.checksum + sum) | 0;
  }
}
