import type { Kernel } from './kernel.js';
// PLACEHOLDER: being written. Not done.
export function ksmScan(_k: Kernel, _passes: number): void {
  throw new Error('ksm_scan: not implemented yet');
}
