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

/** The log's tunables (settings keys and sysctl events) and the file each one is. */
export const SETTING_FILES: Readonly<Record<string, string>> = {
  'thp.enabled': `${THP_DIR}/enabled`,
  'thp.defrag': `${THP_DIR}/defrag`,
  'thp.shmem_enabled': `${THP_DIR}/shmem_enabled`,
  'thp.use_zero_page': `${THP_DIR}/use_zero_page`,
  'khugepaged.max_ptes_none': `${KHUGEPAGED_DIR}/max_ptes_none`,
  'khugepaged.max_ptes_swap': `${KHUGEPAGED_DIR}/max_ptes_swap`,
  'khugepaged.max_ptes_shared': `${KHUGEPAGED_DIR}/max_ptes_shared`,
  'khugepaged.pages_to_scan': `${KHUGEPAGED_DIR}/pages_to_scan`,
};

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
