import type { Kernel } from './kernel.js';
import type { MM } from './mm.js';
// PLACEHOLDER: being written. Not done.
export function memoryFailure(_k: Kernel, _mm: MM, _addr: number): void {
  throw new Error('memory_failure: not implemented yet');
}
