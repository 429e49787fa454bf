import type { Kernel } from './kernel.js';
import type { MM } from './mm.js';
// PLACEHOLDER: being written (khugepaged scan + collapse). Not done.
export function khugepaged(_k: Kernel, _passes: number, _pid?: number): void {
  throw new Error('khugepaged: not implemented yet');
}
export function madviseCollapse(_k: Kernel, _mm: MM, _addr: number, _len: number): void {
  throw new Error('MADV_COLLAPSE: not implemented yet');
}
