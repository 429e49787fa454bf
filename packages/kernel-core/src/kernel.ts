/**
 * The machine: frames, buddy allocator, processes, page cache, swap, LRU and
 * the cost ledger, plus the design's policies. Each method is one workload
 * event; the paths themselves live in modules named for what they model.
 */
import type { DesignPolicies } from './axes.js';
import { type AllocOpts, Buddy, MIGRATE_MOVABLE } from './buddy.js';
import { ModelInputError } from './errors.js';
import { clearLargeFields } from './folio.js';
import { Frames, PAGE_SIZE, PG } from './frames.js';
import { Ledger, site, type Site } from './ledger.js';
import { Lru } from './lru.js';
import { AnonVma, MM } from './mm.js';
import { type Observation, type ObservationInput, Outcomes } from './observe.js';
import { DEFAULT_PARAMS, DEFAULT_SETTINGS, type ModelParams, type Settings, checkSetting } from './params.js';
import { ShmemFile } from './shmem_file.js';
import { Swap } from './swap.js';
import { WasteMeter } from './waste.js';
import { newDriverState, newKhugepagedScanState, newKsmState } from './subsystem_state.js';
import { NOT_MODELLED_SETTINGS } from '@pagelab/events';

export interface MachineConfig {
  /** bytes of RAM (multiple of 4 MiB). */
  memory: number;
  nodes: number;
  /** bytes of CMA area (multiple of 2 MiB). */
  cma: number;
  /** bytes of swap. */
  swap: number;
}

/** A GUP reference set held by a handle (pin_user_pages / get_user_pages). */
export interface GupHandle {
  kind: 'get' | 'pin';
  pid: number;
  addr: number;
  /** pfn of every page grabbed, in order. */
  pfns: Int32Array;
  /**
   * Where the pinning process sees each grabbed page: its address at the
   * pin, moved by mremap, -1 once the process let go of that address
   * (munmap, MADV_DONTNEED, exit, a hwpoisoned page). A device write through
   * the pin is the process's data there (gup.ts dmaWrite). Absent for a
   * request released in the event that took it (dio): addr + i pages.
   */
  at?: Float64Array;
  longterm: boolean;
  write: boolean;
}

/** Kernel-owned pages (driver_alloc): zbud/zswap pages, DMA buffers, contiguous ranges. */
export interface DriverAlloc {
  owner: string;
  pfns: Int32Array;
  movable: boolean;
  contig: boolean;
}

const FREE_FOLIO = site('free_folio');
const NOT_MODELLED: ReadonlySet<string> = new Set(NOT_MODELLED_SETTINGS);
/** Observations one event may hold before they are spilled (Kernel.spill). */
export const OBSERVATION_BATCH = 4096;
/** What drain() returns when nothing was observed: shared, never written to. */
const NO_OBSERVATIONS: Observation[] = Object.freeze([]) as unknown as Observation[];

/** One evaluated `expect` check, passed or not: summary.json's expectations.checks (kernel diff reads the model's values there). */
export interface ExpectCheck {
  line: number;
  check: string;
  expected: unknown;
  actual: unknown;
  passed: boolean;
}

export interface ExpectFailure {
  line: number;
  label?: string;
  check: string;
  expected: unknown;
  actual: unknown;
}

export class Kernel {
  readonly frames: Frames;
  readonly ledger = new Ledger();
  readonly buddy: Buddy;
  readonly lru: Lru;
  readonly swap: Swap;
  readonly settings: Settings;
  readonly outcomes = new Outcomes();
  readonly waste = new WasteMeter();
  /** `expect` results: failures keep the event's line and what differed. */
  readonly expectations = { passed: 0, failed: 0, failures: [] as ExpectFailure[], checks: [] as ExpectCheck[], oomChecked: false };
  readonly mms = new Map<number, MM>();
  readonly files = new Map<string, ShmemFile>();
  readonly anonVmas: AnonVma[] = [];
  readonly handles = new Map<string, GupHandle>();
  /**
   * Content tokens of device writes through a pin that the pinning process
   * does not see or another process sees (GUP vs. CoW before 5.9, FOLL_GET):
   * the design's outcome, recorded as `dma_write` failures, so the content
   * invariant does not call those pages a model error.
   */
  readonly incoherentDmaTokens = new Set<number>();
  readonly drivers = new Map<string, DriverAlloc>();
  /** KSM's stable tree and rmap items (ksm.ts). */
  readonly ksm = newKsmState();
  /** Driver-page owners and the migration target of the policy call in progress (compaction.ts). */
  readonly driverPages = newDriverState();
  /** khugepaged's cursor and counters (khugepaged.ts). */
  readonly khugepaged = newKhugepagedScanState();
  /** Deferred split queue: heads linked through page[2] lruNext/lruPrev. */
  deferredHead = -1;
  deferredLen = 0;
  /** Monotonic content-token source: a write stores a fresh version number. */
  private token = 0;
  /**
   * Writes of a given value (a touch's `value`), which take no token: with
   * the token and the ledger's counts, what tells a sample that frames may
   * have changed since the last one (waste.ts).
   */
  valueWrites = 0;
  private mmIds = 0;
  private fileIds = 0;
  private obs: Observation[] = [];
  private events = 0;
  /** 1-based index of the event being applied (0 before the first): the `seq` of what it observes. */
  get seq(): number {
    return this.events;
  }
  /** applyEvent's first step: the observations from here on belong to the next event. */
  beginEvent(): number {
    return ++this.events;
  }
  /** Counters kept at map/unmap points (no scans): pages mapped by PMDs and by PTEs (user memory). */
  pmdMappedPages = 0;
  pteMappedPages = 0;
  /** Frames poisoned by memory_failure and taken out of service. */
  poisoned = 0;
  /**
   * khugepaged's per-PTE "mapped shared?" questions and where the design's
   * sharedness policy disagreed with the precise page_mapcount(page) > 1 answer.
   */
  readonly sharednessDivergence = {
    questions: 0,
    falseNegatives: 0,
    falsePositives: 0,
    /** khugepaged collapses the precise rule would have refused, and the waste they made. */
    collapsesOnlyByPolicy: 0,
    duplicatedBytes: 0,
    zeroFilledBytes: 0,
  };
  /** Pages lost to an input error would be a model bug; invariant checks read this. */
  readonly nodes: number;
  readonly framesPerNode: number;

  constructor(
    readonly config: MachineConfig,
    readonly policies: DesignPolicies,
    readonly params: ModelParams = DEFAULT_PARAMS,
    settings: Partial<Settings> = {},
  ) {
    const nr = config.memory / PAGE_SIZE;
    if (!Number.isInteger(nr) || nr < 1024 * config.nodes)
      throw new ModelInputError('machine.memory', 'at least 4 MiB per node, a multiple of 4 KiB', config.memory);
    this.frames = new Frames(nr);
    this.nodes = config.nodes;
    this.framesPerNode = Math.floor(nr / config.nodes);
    this.buddy = new Buddy(this.frames, this.ledger, { nodes: config.nodes, cmaFrames: config.cma / PAGE_SIZE });
    this.lru = new Lru(this.frames, this.ledger, config.nodes);
    this.swap = new Swap(Math.floor(config.swap / PAGE_SIZE));
    this.settings = { ...DEFAULT_SETTINGS };
    for (const [key, v] of Object.entries(settings)) this.sysctl(key, v);
  }

  // ---------------------------------------------------------------- plumbing

  emit(o: ObservationInput): void {
    this.obs.push({ seq: this.seq, ...o } as Observation);
    // One event may observe without bound (khugepaged with millions of passes): hand full batches on as they fill.
    if (this.obs.length >= OBSERVATION_BATCH && this.spill) this.spill(this.drain());
  }
  /**
   * Where full batches of observations go during an event (the engine's
   * writer); without it they wait for drain(). Keeps one event's
   * observations in memory to a bounded batch, in order.
   */
  spill: ((batch: Observation[]) => void) | undefined = undefined;
  /** Observations since the last drain (the engine batches them per event). */
  drain(): Observation[] {
    const o = this.obs;
    if (o.length === 0) return NO_OBSERVATIONS;
    this.obs = [];
    return o;
  }
  nextToken(): number {
    return ++this.token;
  }
  /** Tokens handed out so far. */
  get tokens(): number {
    return this.token;
  }
  nid(pfn: number): number {
    if (this.nodes === 1) return 0;
    return Math.min(this.nodes - 1, Math.floor(pfn / this.framesPerNode));
  }
  /** The node a process allocates on: processes are spread over nodes by pid. */
  homeNode(mm: MM): number {
    return mm.pid % this.nodes;
  }
  newAnonVma(mm: MM): AnonVma {
    const av = new AnonVma(this.anonVmas.length + 1);
    this.anonVmas.push(av);
    av.mms.push(mm);
    mm.anonVmas.add(av);
    return av;
  }
  anonVma(id: number): AnonVma | undefined {
    return this.anonVmas[id - 1];
  }
  mm(pid: number, field = 'pid'): MM {
    const mm = this.mms.get(pid);
    if (!mm) throw new ModelInputError(field, 'a live process (spawned and not exited)', pid);
    return mm;
  }
  file(name: string): ShmemFile {
    let f = this.files.get(name);
    if (!f) {
      f = new ShmemFile(++this.fileIds, name);
      this.files.set(name, f);
    }
    return f;
  }
  fileById(id: number): ShmemFile | undefined {
    for (const f of this.files.values()) if (f.id === id) return f;
    return undefined;
  }

  /**
   * Allocates a user folio (anon or shmem), order 0 or HPAGE_PMD_ORDER, movable,
   * and puts it on the LRU. Returns the head pfn or -1. The allocation
   * reference (refcount 1) becomes the first mapping's or the page cache's.
   */
  allocUserFolio(order: number, nid: number, anon: boolean): number {
    const head = this.buddy.allocPages(order, MIGRATE_MOVABLE, nid, order > 0 ? GFP_COMP : GFP_NOCOMP);
    if (head < 0) return -1;
    const f = this.frames;
    // __folio_set_anon / __SetPageSwapBacked: the folio is not visible yet, plain stores.
    f.flags[head] = f.flags[head]! | (1 << PG.swapbacked) | (1 << (anon ? PG.anon : PG.shmem));
    if (order >= 2) clearLargeFields(f, head);
    this.lru.add(head, this.nid(head));
    return head;
  }

  /** Frees a folio whose refcount reached 0 (free_compound_page / free_unref_page). */
  freeFolio(head: number): void {
    const f = this.frames;
    const order = f.order(head);
    this.lru.del(head, this.nid(head), false);
    if (order >= 2 && f.test(head, PG.deferred)) this.deferredUnqueue(head, true);
    // Every frame's fields written once, to their free state (a poisoned frame keeps PG_hwpoison and stays out).
    this.buddy.freeFolioFrames(head, order);
  }

  /** folio_put_refs on the head: frees the folio when the count reaches 0. */
  folioPutRefs(head: number, n: number, s = FREE_FOLIO): void {
    if (this.ledger.atomicSubAndTest(this.frames.refcount, head, n, s)) this.freeFolio(head);
  }

  /**
   * folios_put_refs (6.9+; release_pages before it) on the first `n` entries
   * of an mmu_gather batch: `refs[j]` references off folio `heads[j]`, in
   * order, each folio freed when its count reaches 0. The same counted
   * operations as folioPutRefs entry by entry, in one call for the batch
   * (the zap's gather, after its TLB flush).
   */
  foliosPutRefs(heads: Int32Array, refs: Int32Array, n: number, s: Site): void {
    for (let j = 0; j < n; j++) this.folioPutRefs(heads[j]!, refs[j]!, s);
  }

  /**
   * folio_put on each of `count` consecutive order-0 pages from `first`, one
   * reference each, in ascending order: a split's tails after the remap
   * (__split_huge_page's loop of put_page on the pieces). The same counted
   * operations as folioPutRefs page by page — one atomic at `s` per page, and
   * for each page that reaches zero the LRU removal and one zone lock in
   * freeFolioFrames — in one loop rather than a folioPutRefs -> freeFolio
   * call chain per page (an order-0 page has no deferred-queue entry).
   */
  putSmallPages(first: number, count: number, s: Site): void {
    const f = this.frames;
    const rc = f.refcount;
    const l = this.ledger;
    for (let p = first, end = first + count; p < end; p++) {
      if (!l.atomicSubAndTest(rc, p, 1, s)) continue;
      if (f.order(p) !== 0) {
        this.freeFolio(p); // not a small page after all (never for split tails): the general path
        continue;
      }
      this.lru.del(p, this.nid(p), false);
      this.buddy.freeFolioFrames(p, 0);
    }
  }

  // ---------------------------------------------------- deferred split queue

  /** deferred_split_folio: queue a partially mapped anon THP once, under split_queue_lock. */
  deferredSplitFolio(head: number): void {
    const f = this.frames;
    if (f.order(head) < 2 || f.test(head, PG.deferred)) return;
    this.ledger.spinLockIrqSave(SPLIT_QUEUE);
    this.ledger.setBit(f.flags, head, PG.deferred, SPLIT_QUEUE);
    f.lruNext[head + 2] = this.deferredHead;
    f.lruPrev[head + 2] = -1;
    if (this.deferredHead >= 0) f.lruPrev[this.deferredHead + 2] = head;
    this.deferredHead = head;
    this.deferredLen++;
    this.ledger.spinUnlockIrqRestore();
    this.emit({ type: 'thp_deferred_split_page', pfn: head });
  }
  /** Removes a folio from the deferred split queue (split succeeded, or the folio is freed). */
  deferredUnqueue(head: number, locked: boolean): void {
    const f = this.frames;
    if (!f.test(head, PG.deferred)) return;
    if (locked) this.ledger.spinLockIrqSave(SPLIT_QUEUE);
    f.flags[head] = f.flags[head]! & ~(1 << PG.deferred);
    const p = f.lruPrev[head + 2]!,
      n = f.lruNext[head + 2]!;
    if (p >= 0) f.lruNext[p + 2] = n;
    else this.deferredHead = n;
    if (n >= 0) f.lruPrev[n + 2] = p;
    f.lruNext[head + 2] = -1;
    f.lruPrev[head + 2] = -1;
    this.deferredLen--;
    if (locked) this.ledger.spinUnlockIrqRestore();
  }

  // ---------------------------------------------------------------- tunables

  /** Tunables set that the model does not act on (NOT_MODELLED_SETTINGS), with their last value. */
  readonly notModelled: Record<string, unknown> = {};

  sysctl(key: string, value: unknown): void {
    if (NOT_MODELLED.has(key)) {
      // A real knob the model does not act on (events settings.ts): kept for provenance, validated by the log codec.
      this.notModelled[key] = value;
      return;
    }
    const err = checkSetting(key, value);
    if (err) throw new ModelInputError('value', err, value);
    (this.settings as unknown as Record<string, unknown>)[key] = value;
  }

  // --------------------------------------------------------------- processes

  spawn(pid: number): MM {
    if (this.mms.has(pid)) throw new ModelInputError('pid', 'a pid not already in use', pid);
    const mm = new MM(pid, ++this.mmIds);
    this.mms.set(pid, mm);
    return mm;
  }
}

const SPLIT_QUEUE = site('deferred_split_folio');
/** Allocation options of user folios, shared rather than built per fault. */
const GFP_COMP: AllocOpts = Object.freeze({ comp: true });
const GFP_NOCOMP: AllocOpts = Object.freeze({ comp: false });
