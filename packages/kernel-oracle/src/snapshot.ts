/**
 * Every THP, khugepaged and KSM knob this package may write, read as text:
 * a test compares a snapshot before a run with one after (counters such as
 * full_scans and pages_collapsed are left out: they move by themselves).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { khugepagedPid } from './khugepaged.js';
import { KSM_DIR, THP_DIR } from './knobs.js';

const COUNTERS = new Set([
  'full_scans',
  'pages_collapsed',
  'pages_shared',
  'pages_sharing',
  'pages_unshared',
  'pages_volatile',
  'pages_scanned',
  'pages_skipped',
  'stable_node_chains',
  'stable_node_dups',
  'general_profit',
  'ksm_zero_pages',
]);

function walk(dir: string, out: Record<string, string>): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) {
      if (name !== 'stats') walk(p, out);
    } else if (!COUNTERS.has(name) && (st.mode & 0o200) !== 0) {
      try {
        out[p] = readFileSync(p, 'utf8').trim();
      } catch {
        /* write-only or unreadable */
      }
    }
  }
}

export function snapshotKnobs(): Record<string, string> {
  const out: Record<string, string> = {};
  walk(THP_DIR, out);
  walk(KSM_DIR, out);
  for (const p of ['/proc/sys/vm/swappiness']) if (existsSync(p)) out[p] = readFileSync(p, 'utf8').trim();
  out['/proc/swaps'] = readFileSync('/proc/swaps', 'utf8').trim();
  const kh = khugepagedPid();
  // The run renices the thread for its scans: its nice value is part of what it must give back.
  if (kh !== null) out['khugepaged nice'] = String(getPriority(kh));
  return out;
}
