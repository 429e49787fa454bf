/**
 * One workload event, applied to the machine: the dispatch from the event
 * log's vocabulary to the paths that model it.
 */
import type { WorkloadEvent } from '@pagelab/events';
import { ModelInputError } from './errors.js';
import { fork, exit } from './fork.js';
import { dio, dmaWrite, eraKind, gupFailed, gupRange, gupRefused, gupRelease } from './gup.js';
import { pinnedAddresses } from './gup_handles.js';
import type { Kernel } from './kernel.js';
import { khugepaged, madviseCollapse } from './khugepaged.js';
import { allocContig, compact, driverAlloc, driverFree, freeContig } from './compaction.js';
import { memoryFailure } from './memory_failure.js';
import { ksmScan } from './ksm.js';
import { fallocatePunch, shmemTruncate } from './shmem.js';
import { touch } from './fault.js';
import { madviseVmaFlags, mmap, mprotect, mremap, munmap, requireMapped, zapRange } from './vma_ops.js';
import { pageoutRange, reclaim } from './vmscan.js';
import { evaluateExpect } from './expect.js';

export function applyEvent(k: Kernel, ev: WorkloadEvent, line = 0): void {
  k.beginEvent();
  switch (ev.type) {
    case 'spawn':
      k.spawn(ev.pid);
      return;
    case 'exit':
      exit(k, k.mm(ev.pid));
      return;
    case 'fork':
      if (k.mms.has(ev.child)) throw new ModelInputError('child', 'a pid not already in use', ev.child);
      fork(k, k.mm(ev.parent, 'parent'), ev.child);
      return;
    case 'mmap':
      mmap(k, k.mm(ev.pid), ev.addr, ev.len, ev.kind, ev.write ?? true, ev.file, ev.offset ?? 0);
      return;
    case 'munmap':
      munmap(k, k.mm(ev.pid), ev.addr, ev.len);
      return;
    case 'mprotect':
      mprotect(k, k.mm(ev.pid), ev.addr, ev.len, ev.write);
      return;
    case 'mremap':
      mremap(k, k.mm(ev.pid), ev.addr, ev.len, ev.newAddr, ev.newLen ?? ev.len);
      return;
    case 'madvise': {
      const mm = k.mm(ev.pid);
      switch (ev.advice) {
        case 'hugepage':
        case 'nohugepage':
        case 'mergeable':
          madviseVmaFlags(k, mm, ev.addr, ev.len, ev.advice);
          return;
        case 'dontneed':
          requireMapped(mm, ev.addr, ev.len);
          zapRange(k, mm, ev.addr, ev.addr + ev.len, k.params.ptReclaim);
          return;
        case 'pageout':
          requireMapped(mm, ev.addr, ev.len);
          if (!k.params.madvPageout) {
            // Before 5.4 the advice does not exist: madvise() returns -EINVAL.
            k.outcomes.record('madvise', false, 'EINVAL');
            k.emit({ type: 'madvise_einval', pid: ev.pid, addr: ev.addr, advice: ev.advice });
            return;
          }
          pageoutRange(k, mm, ev.addr, ev.len);
          return;
        case 'collapse':
          // MADV_COLLAPSE changes no VMA flag, so it splits no VMA.
          requireMapped(mm, ev.addr, ev.len);
          if (!k.params.madvCollapse) {
            // Before 6.1 the advice does not exist: madvise() returns -EINVAL.
            k.outcomes.record('madvise', false, 'EINVAL');
            k.emit({ type: 'madvise_einval', pid: ev.pid, addr: ev.addr, advice: ev.advice });
            return;
          }
          madviseCollapse(k, mm, ev.addr, ev.len);
          return;
      }
      return;
    }
    case 'touch':
      touch(k, k.mm(ev.pid), ev.addr, ev.len, ev.write, ev.value);
      return;
    case 'pin':
    case 'get': {
      if (k.handles.has(ev.handle)) throw new ModelInputError('handle', 'a handle not already holding pages', ev.handle);
      const mm = k.mm(ev.pid);
      requireMapped(mm, ev.addr, ev.len);
      const kind = eraKind(k, ev.type === 'pin' ? 'pin' : 'get');
      const req = { pid: ev.pid, addr: ev.addr, len: ev.len, write: ev.write ?? true, fast: ev.fast ?? true, longterm: ev.longterm ?? false };
      // A refused GUP grabs nothing; its handle holds no pages, so the log's unpin/put still pairs with it.
      const refused = gupRefused(k, mm, ev.addr, ev.len, req.write, ev.type);
      const got = refused ? new Int32Array(0) : gupRange(k, mm, req, kind);
      // Out of memory (or SIGBUS) faulting the range in: -ENOMEM (-EFAULT), counted like a refusal, nothing held.
      if (typeof got === 'string') gupFailed(k, mm, ev.addr, ev.len, ev.type, got);
      const pfns = typeof got === 'string' ? new Int32Array(0) : got;
      if (!refused && typeof got !== 'string') k.outcomes.record('gup', true);
      const h = { kind, pid: ev.pid, addr: ev.addr, pfns, at: pinnedAddresses(ev.addr, pfns.length), longterm: req.longterm, write: req.write };
      k.handles.set(ev.handle, h);
      if (pfns.length > 0) k.policies.pinnedMigration.onGupPin?.(k, ev.handle, h, true);
      return;
    }
    case 'unpin':
    case 'put': {
      const h = k.handles.get(ev.handle);
      if (!h) throw new ModelInputError('handle', 'a handle taken by an earlier pin/get event and not yet released', ev.handle);
      if (ev.dirty) dmaWrite(k, h);
      if (h.pfns.length > 0) k.policies.pinnedMigration.onGupPin?.(k, ev.handle, h, false);
      gupRelease(k, h);
      k.handles.delete(ev.handle);
      return;
    }
    case 'dio': {
      const mm = k.mm(ev.pid);
      requireMapped(mm, ev.addr, ev.len);
      dio(k, mm, ev.addr, ev.len, ev.write ?? true, ev.count ?? 1);
      return;
    }
    case 'fallocate':
      fallocatePunch(k, ev.file, ev.offset, ev.len, ev.mode === 'punch_hole_split');
      return;
    case 'truncate':
      shmemTruncate(k, ev.file, ev.size);
      return;
    case 'khugepaged':
      khugepaged(k, ev.passes ?? 1, ev.pid);
      return;
    case 'compact':
      compact(k, ev.order ?? 9, ev.node);
      return;
    case 'alloc_contig':
      allocContig(k, ev.pages, ev.cma ?? true, ev.node, ev.handle);
      return;
    case 'free_contig':
      freeContig(k, ev.handle);
      return;
    case 'reclaim':
      reclaim(k, ev.pages);
      return;
    case 'driver_alloc':
      driverAlloc(k, ev.owner, ev.pages, ev.handle, ev.movable ?? false, ev.node);
      return;
    case 'driver_free':
      driverFree(k, ev.handle);
      return;
    case 'memory_failure':
      memoryFailure(k, k.mm(ev.pid), ev.addr);
      return;
    case 'ksm_scan':
      ksmScan(k, ev.passes ?? 1);
      return;
    case 'sysctl':
      k.sysctl(ev.key, ev.value);
      return;
    case 'expect':
      evaluateExpect(k, ev, line);
      return;
  }
}
