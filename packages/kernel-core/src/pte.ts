/**
 * Page-table entry encoding, one Int32 per entry (x86-64 4 KiB PTEs):
 *   0           pte_none
 *   > 0         present: ((pfn + 1) << 3) | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY
 *   < 0         swap entry: -(slot + 1)
 * A huge PMD uses the present encoding with the head pfn.
 */
export const PTE_WRITE = 1;
export const PTE_YOUNG = 2;
export const PTE_DIRTY = 4;
export const PTE_NONE = 0;

export function mkPte(pfn: number, write: boolean, young = true): number {
  return ((pfn + 1) << 3) | (write ? PTE_WRITE : 0) | (young ? PTE_YOUNG : 0);
}
export function ptePresent(v: number): boolean {
  return v > 0;
}
export function pteSwap(v: number): boolean {
  return v < 0;
}
export function ptePfn(v: number): number {
  return (v >>> 3) - 1;
}
export function pteWrite(v: number): boolean {
  return (v & PTE_WRITE) !== 0;
}
export function pteYoung(v: number): boolean {
  return (v & PTE_YOUNG) !== 0;
}
export function pteWrprotect(v: number): number {
  return v & ~PTE_WRITE;
}
export function mkSwapPte(slot: number): number {
  return -(slot + 1);
}
export function swapSlot(v: number): number {
  return -v - 1;
}
