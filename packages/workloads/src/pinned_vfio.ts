/**
 * vfio-longterm-pins: a VM whose guest memory vfio pins long-term for device
 * assignment (VFIO_IOMMU_MAP_DMA -> pin_user_pages(FOLL_LONGTERM)), on a
 * two-node machine; then THP compaction on every node and memory offlining
 * of blocks of the VM's node. The model has no hot-remove event: offlining
 * a memory block is offline_pages' start_isolate_page_range +
 * do_migrate_range + test_pages_isolated, the same walk as
 * alloc_contig_range, so the workload offlines with alloc_contig (cma
 * false) over the node. Pinned pages make offlining fail (-EBUSY) unless
 * the design lets their owner move them (DM with coverGup); where the
 * destination ignores the node, the move crosses nodes.
 */
import { LogBuilder, MiB, PAGE, REGION, intParam } from './builder.js';
import { defineScenario } from './define.js';

const DESIGNS = ['linux-3.13', 'minchan-2013', 'kozlowski-2013', 'linux-6.15'];
/** One memory block offlined per alloc_contig: 4 MiB, the model's largest aligned contiguous range. */
const BLOCK_PAGES = 1024;

export const vfioLongtermPins = defineScenario({
  name: 'vfio-longterm-pins',
  title: "A VM's memory pinned long-term by vfio, then THP compaction and memory offlining of its node",
  source: 'seed 004 (Minchan: "GUP pages for memory-hotplug"; LaHaise: NUMA, all pinners); drivers/vfio/vfio_iommu_type1.c, mm/memory_hotplug.c offline_pages',
  expectation:
    "offlining the VM's node fails on the pinned pages in every era and under DM as posted; DM with coverGup moves them through the owner, to node 0 (cross-node), paying the global lock per page; the VM's data survives; try DM with coverGup as --design 'minchan-2013:pinned-migration=owner-handlers(coverGup=true)'",
  designs: DESIGNS,
  params: [
    { name: 'memoryMiB', description: 'RAM in MiB, split over the nodes (a multiple of 8 per node)', default: 512 },
    { name: 'nodes', description: 'NUMA nodes (the VM runs on the last one)', default: 2 },
    { name: 'pinnedMiB', description: 'guest memory pinned by vfio, in MiB (the pinned pages)', default: 64 },
    { name: 'offlineBlocks', description: '4 MiB blocks of the VM node to offline, from its start (0: every block of the node)', default: 0 },
  ],
  generate(p) {
    const memoryMiB = intParam(p, 'memoryMiB', 512, 16, 65536);
    const nodes = intParam(p, 'nodes', 2, 1, 8);
    if (memoryMiB % (8 * nodes) !== 0) throw new Error(`parameter memoryMiB: expected a multiple of ${8 * nodes} (8 MiB per node), got ${memoryMiB}`);
    const nodeMiB = memoryMiB / nodes;
    const pinnedMiB = intParam(p, 'pinnedMiB', 64, 1, Math.floor(nodeMiB / 2));
    const nodeBlocks = Math.floor((nodeMiB * MiB) / PAGE / BLOCK_PAGES);
    const offlineBlocks = intParam(p, 'offlineBlocks', 0, 0, nodeBlocks) || nodeBlocks;
    const b = new LogBuilder('vfio-longterm-pins', 0, p, { memory: memoryMiB * MiB, nodes, swap: memoryMiB * MiB }, { 'thp.enabled': 'never' });
    // Processes allocate on node pid % nodes: the VM (pid = nodes + nodes - 1) on the last node, a neighbour on node 0.
    const vm = 2 * nodes - 1;
    const other = 2 * nodes;
    const GUEST = REGION,
      HEAP = REGION + 16 * 1024 * MiB;
    const guest = pinnedMiB * MiB;
    b.spawn(vm).mmapAnon(vm, GUEST, guest).write(vm, GUEST, guest);
    b.comment('VFIO_IOMMU_MAP_DMA: the guest RAM is pinned for the assigned device');
    b.pin(vm, GUEST, guest, 'vfio', { longterm: true });
    // A neighbour on node 0 leaves holes, so compaction has work and the owner's copies have room.
    const heap = Math.floor(nodeMiB / 4) * MiB;
    b.spawn(other).mmapAnon(other, HEAP, heap).write(other, HEAP, heap);
    for (let off = 0; off < heap; off += 2 * MiB) b.madvise(other, HEAP + off, MiB, 'dontneed');
    b.raw({ type: 'compact', order: 9 });
    b.comment(`offline_pages over ${offlineBlocks} blocks of node ${nodes - 1}`);
    // Each alloc_contig takes the lowest block it can empty: blocks holding pinned guest pages fail, the rest go offline.
    for (let i = 0; i < offlineBlocks; i++) b.raw({ type: 'alloc_contig', pages: BLOCK_PAGES, cma: false, node: nodes - 1, handle: `offline${i}` });
    b.expect({ pid: vm, contentIntact: true, rssAnonBytes: guest, label: 'the guest reads back all of its memory, wherever it now is' });
    for (let i = 0; i < offlineBlocks; i++) b.raw({ type: 'free_contig', handle: `offline${i}` });
    b.unpin('vfio');
    b.exit(vm).exit(other);
    return b.build();
  },
});
