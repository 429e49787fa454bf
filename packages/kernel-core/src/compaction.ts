import type { Kernel } from './kernel.js';
// PLACEHOLDER: being written (compaction, alloc_contig_range, driver pages). Not done.
export function compact(_k: Kernel, _order: number, _node?: number): void {
  throw new Error('compact: not implemented yet');
}
export function allocContig(_k: Kernel, _pages: number, _cma: boolean, _node?: number, _handle?: string): void {
  throw new Error('alloc_contig: not implemented yet');
}
export function freeContig(_k: Kernel, _handle: string): void {
  throw new Error('free_contig: not implemented yet');
}
export function driverAlloc(_k: Kernel, _owner: string, _pages: number, _handle: string, _movable: boolean, _node?: number): void {
  throw new Error('driver_alloc: not implemented yet');
}
export function driverFree(_k: Kernel, _handle: string): void {
  throw new Error('driver_free: not implemented yet');
}
