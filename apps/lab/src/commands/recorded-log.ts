/**
 * What `record` and `import` share: --set KEY=VALUE into header settings,
 * checking every event against the log codecs before anything is written,
 * writing the log atomically, and the summary a person reads (what was
 * left out, and why).
 */
import { isLeft } from 'fp-ts/lib/Either.js';
import { LogHeader, SYSCTL_KEYS, WorkloadEvent, formatIssue, issuesOf, sysctlValues, writeJsonlFile, type Settings, type SysctlKey } from '@pagelab/events';
import type { Conversion } from '@pagelab/record';
import { CliError } from '../context.js';
import { formatBytes, formatCount } from '../format.js';

/** --set thp.enabled=always → settings; a bad key or value is a CliError naming what is accepted. */
export function settingsFrom(sets: readonly string[]): Settings {
  const out: Record<string, string | number> = {};
  for (const s of sets) {
    const eq = s.indexOf('=');
    const key = s.slice(0, eq),
      raw = s.slice(eq + 1);
    if (eq <= 0 || !(SYSCTL_KEYS as readonly string[]).includes(key))
      throw new CliError(`--set ${s}: expected KEY=VALUE with KEY one of ${SYSCTL_KEYS.join(', ')}`);
    const value: string | number = /^\d+$/.test(raw) ? Number(raw) : raw;
    const codec = sysctlValues[key as SysctlKey] as { is(u: unknown): boolean; name: string };
    if (!codec.is(value)) throw new CliError(`--set ${s}: expected ${codec.name} for ${key}`);
    out[key] = value;
  }
  return out as Settings;
}

/** Decodes the header and every event with the log codecs: the converter's output must be a valid log. */
export function checkLog(c: Pick<Conversion, 'header' | 'events'>): void {
  const h = LogHeader.decode(c.header);
  if (isLeft(h))
    throw new Error(
      `internal: the recorded header is not valid: ${issuesOf(h.left)
        .map((x) => formatIssue('recorded log', 1, x))
        .join('; ')}`,
    );
  c.events.forEach((e, i) => {
    const d = WorkloadEvent.decode(e);
    if (isLeft(d))
      throw new Error(
        `internal: recorded event ${i + 1} is not valid (${JSON.stringify(e)}): ${issuesOf(d.left)
          .map((x) => formatIssue('recorded log', i + 2, x))
          .join('; ')}`,
      );
  });
}

export async function writeLog(path: string, c: Pick<Conversion, 'header' | 'events'>): Promise<void> {
  await writeJsonlFile(path, [c.header, ...c.events]);
}

const EXCLUDED_WORDS: Readonly<Record<string, string>> = {
  'private-file': 'private file mappings (libraries, executables, data files)',
  'shared-file': 'shared mappings of regular files',
  'private-shmem': 'private mappings of shmem/tmpfs files',
  device: 'device and special mappings',
  hugetlb: 'hugetlbfs mappings',
  'unknown-fd': 'mappings of descriptors the trace did not name',
};

/** The lines that say what the log holds and what it leaves out. */
export function conversionSummary(c: Conversion): string[] {
  const s = c.stats;
  const lines = [
    `${formatCount(c.events.length)} events: ${Object.entries(s.eventsByType)
      .map(([k, v]) => `${k} ${formatCount(v)}`)
      .join(', ')}`,
    `${s.processes} process${s.processes === 1 ? '' : 'es'} (mms), ${s.threads} more task${s.threads === 1 ? '' : 's'} sharing one (threads, vfork children before exec); ${formatCount(s.faults)} faults, ${formatCount(s.touches)} of them in modelled (anon/shmem) memory`,
  ];
  const left = Object.entries(s.excludedBytes).filter(([, b]) => b > 0);
  if (left.length > 0) {
    lines.push(`left out (the model has no notion of them; counted in the header's workload.params.excludedBytes):`);
    for (const [k, b] of left) lines.push(`  ${formatBytes(b)} of ${EXCLUDED_WORDS[k] ?? k}`);
    if (s.cowFileBytes > 0)
      lines.push(`  (of which ${formatBytes(s.cowFileBytes)} writable: replayed as anon for the pages written, as the kernel's CoW makes them)`);
  }
  const dropped = Object.entries(s.droppedFaults).filter(([, n]) => n > 0);
  if (dropped.length > 0) {
    lines.push(`faults not replayed: ${dropped.map(([k, n]) => `${k} ${formatCount(n)}`).join(', ')}`);
    if ((s.droppedFaults['no-mapping'] ?? 0) > 0)
      lines.push("  (no-mapping: mostly the executable's own data/bss and ld.so, which execve maps without a syscall the trace sees)");
  }
  const un = Object.entries(s.unmodelled);
  if (un.length > 0) lines.push(`calls with no model event: ${un.map(([k, n]) => `${k} x${n}`).join(', ')}`);
  return lines;
}
