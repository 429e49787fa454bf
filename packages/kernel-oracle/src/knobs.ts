/**
 * Kernel knobs (sysfs/procfs files) a run writes: each is read before its
 * first write and written back when the run ends, whether it finished,
 * failed or was interrupted. Selection files such as
 * transparent_hugepage/enabled ("always [madvise] never") are saved as the
 * bracketed choice, which is what writing them back takes.
 */
import { readFileSync, writeFileSync } from 'node:fs';

export const THP_DIR = '/sys/kernel/mm/transparent_hugepage';
export const KHUGEPAGED_DIR = `${THP_DIR}/khugepaged`;
export const KSM_DIR = '/sys/kernel/mm/ksm';

/**
 * The file a log tunable (settings key or sysctl event) is: `thp.X` under
 * transparent_hugepage/ (`thp.hugepages-64kB.enabled` is
 * hugepages-64kB/enabled), `khugepaged.X` under its khugepaged/. Null for
 * khugepaged's sleeps, which the run owns (it parks the thread).
 */
export function settingFile(key: string): string | null {
  if (key === 'khugepaged.scan_sleep_millisecs' || key === 'khugepaged.alloc_sleep_millisecs') return null;
  const thp = /^thp\.(hugepages-\d+kB)\.(enabled|shmem_enabled)$/.exec(key);
  if (thp) return `${THP_DIR}/${thp[1]}/${thp[2]}`;
  if (key.startsWith('thp.')) return `${THP_DIR}/${key.slice(4)}`;
  if (key.startsWith('khugepaged.')) return `${KHUGEPAGED_DIR}/${key.slice(11)}`;
  return null;
}

/** The value a knob file holds, as it would be written back ("[madvise]" -> "madvise"). */
export function knobValue(text: string): string {
  const chosen = /\[([^\]]+)\]/.exec(text);
  return (chosen ? chosen[1]! : text).trim();
}

export class Knobs {
  private readonly saved = new Map<string, string>();

  read(path: string): string {
    return knobValue(readFileSync(path, 'utf8'));
  }

  /** Writes a knob, saving what it held first (once per run). */
  write(path: string, value: string | number): void {
    if (!this.saved.has(path)) this.saved.set(path, this.read(path));
    writeFileSync(path, String(value));
  }

  /** Writes a trigger file (compact_memory, drop_caches): an action, nothing to restore. */
  trigger(path: string, value: string | number): void {
    writeFileSync(path, String(value));
  }

  /** Knobs written so far, with the values they will get back. */
  touched(): ReadonlyMap<string, string> {
    return this.saved;
  }

  /**
   * Writes every saved value back, newest first (enabled before the
   * per-size files it gates, if they were written in that order). Returns
   * the knobs that could not be restored, so a caller can say so.
   */
  restore(): string[] {
    const failed: string[] = [];
    for (const [path, value] of [...this.saved].reverse()) {
      try {
        writeFileSync(path, value);
        if (this.read(path) !== value) failed.push(`${path} (wrote "${value}", reads "${this.read(path)}")`);
      } catch (e) {
        failed.push(`${path}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    this.saved.clear();
    return failed;
  }
}
