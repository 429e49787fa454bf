/**
 * Event sequences that build the canonical states of docs/kernel/mm-facts.md §8 on a
 * test kernel, for kernel-core's tests and the policy conformance suites.
 * Each builder returns the events (so a test can check invariants after
 * every one) and a function naming the state the events leave behind.
 */
import type { WorkloadEvent } from '@pagelab/events';
import type { Kernel } from '../kernel.js';
import { HPAGE_PMD_SIZE, PAGE_SIZE } from '../frames.js';
import { pteIndex } from '../mm.js';
import { ptePfn } from '../pte.js';

export interface S1Layout {
  /** parent and child pids. */
  parent: number;
  child: number;
  /** base of the PMD range R (2 MiB aligned) in both processes. */
  addr: number;
  /** pages of F that P and C both still map (R slots first..last). */
  first: number;
  last: number;
}

export const S1_DEFAULTS: S1Layout = { parent: 1, child: 2, addr: 64 << 20, first: 1, last: 256 };

/**
 * S1 (and S2 with first = 0, last = 255): a PTE-mapped, not yet split anon
 * THP F whose pages first..last are mapped by both P and C at the same slots
 * of R; every other page of F is unmapped (F is on the deferred split queue,
 * and nothing reclaims, so it stays whole). In P, R holds a writable young
 * exclusive small page X at slot 0 when slot 0 is not one of F's kept pages
 * (S1), and pte_none everywhere else.
 *
 *   P faults F by a PMD write, forks C, both drop the other pages with
 *   MADV_DONTNEED (each splits its own PMD, then zaps), then P writes slot 0.
 */
export function s1Events(layout: Partial<S1Layout> = {}): WorkloadEvent[] {
  const { parent, child, addr, first, last } = { ...S1_DEFAULTS, ...layout };
  const ev: WorkloadEvent[] = [
    { type: 'spawn', pid: parent },
    { type: 'mmap', pid: parent, addr, len: HPAGE_PMD_SIZE, kind: 'anon' },
    { type: 'touch', pid: parent, addr, len: HPAGE_PMD_SIZE, write: true },
    { type: 'fork', parent, child },
  ];
  for (const pid of [parent, child]) {
    if (first > 0) ev.push({ type: 'madvise', pid, addr, len: first * PAGE_SIZE, advice: 'dontneed' });
    const tail = addr + (last + 1) * PAGE_SIZE;
    if (last < 511) ev.push({ type: 'madvise', pid, addr: tail, len: addr + HPAGE_PMD_SIZE - tail, advice: 'dontneed' });
  }
  if (first > 0) ev.push({ type: 'touch', pid: parent, addr, len: PAGE_SIZE, write: true });
  return ev;
}

/** The head pfn of F: the folio P maps at R slot `first`. */
export function s1Folio(k: Kernel, layout: Partial<S1Layout> = {}): number {
  const { parent, addr, first } = { ...S1_DEFAULTS, ...layout };
  const a = addr + first * PAGE_SIZE;
  const pt = k.mm(parent).pt(a);
  if (!pt || pt.pmd > 0) throw new Error('S1: R is not PTE-mapped in the parent');
  return k.frames.head(ptePfn(pt.ptes[pteIndex(a)]!));
}

export interface S21Layout {
  parent: number;
  child: number;
  addr: number;
}

export const S21_DEFAULTS: S21Layout = { parent: 1, child: 2, addr: 64 << 20 };

/**
 * S21 (selftest collapse_max_ptes_shared), first part: P has a PMD-mapped
 * THP, forks, and C writes `written` pages from the start of the range
 * (default 255 = 512 - 256 - 1), each a 4 KiB CoW after C's PMD split.
 */
export function s21Events(written = 255, layout: Partial<S21Layout> = {}): WorkloadEvent[] {
  const { parent, child, addr } = { ...S21_DEFAULTS, ...layout };
  return [
    { type: 'spawn', pid: parent },
    { type: 'mmap', pid: parent, addr, len: HPAGE_PMD_SIZE, kind: 'anon' },
    { type: 'touch', pid: parent, addr, len: HPAGE_PMD_SIZE, write: true },
    { type: 'fork', parent, child },
    { type: 'touch', pid: child, addr, len: written * PAGE_SIZE, write: true },
  ];
}
