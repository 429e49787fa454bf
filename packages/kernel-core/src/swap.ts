/**
 * Swap space: slots holding the content token of a swapped-out page and a
 * swap count (one per swap PTE referring to it), like swap_map[].
 */
import { ModelInputError } from './errors.js';

export class Swap {
  readonly content: Uint32Array;
  readonly count: Uint16Array;
  private readonly freeStack: Int32Array;
  private nfree: number;
  constructor(readonly slots: number) {
    this.content = new Uint32Array(slots);
    this.count = new Uint16Array(slots);
    this.freeStack = new Int32Array(slots);
    for (let i = 0; i < slots; i++) this.freeStack[i] = slots - 1 - i;
    this.nfree = slots;
  }
  get used(): number {
    return this.slots - this.nfree;
  }
  get available(): number {
    return this.nfree;
  }
  /** get_swap_page: a slot with count 0 (the caller adds the PTE references). Returns -1 when full. */
  alloc(content: number): number {
    if (this.nfree === 0) return -1;
    const s = this.freeStack[--this.nfree]!;
    this.content[s] = content;
    this.count[s] = 0;
    return s;
  }
  dup(slot: number): void {
    this.count[slot]!++;
  }
  /** swap_free: drops one reference; the slot is freed when none are left. */
  put(slot: number): void {
    if (this.count[slot] === 0) throw new ModelInputError('swap', 'a used swap slot', slot);
    if (--this.count[slot]! === 0) this.freeStack[this.nfree++] = slot;
  }
}
