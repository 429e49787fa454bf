/**
 * `--set KEY=VALUE`: a tunable of the log header overridden for this replay,
 * with the keys and values of the `sysctl` event (the kernel's sysfs files:
 * /sys/kernel/mm/transparent_hugepage/enabled, .../khugepaged/max_ptes_none, ...).
 * The log itself is unchanged; the replay starts from the overridden header,
 * and summary.json / provenance.json record the settings replayed with.
 */
import { isRight } from 'fp-ts/lib/Either.js';
import type { Decoder } from 'io-ts';
import { SYSCTL_KEYS, sysctlValues, type LogHeader, type SysctlKey } from '@pagelab/events';
import { CliError } from './context.js';
import type { LoadedLog } from './log-source.js';

export type SettingsOverride = Partial<Record<SysctlKey, string | number>>;

const isKey = (k: string): k is SysctlKey => (SYSCTL_KEYS as readonly string[]).includes(k);

/** Parses and checks every `--set`; an unknown key or a bad value names the key and what it accepts. */
export function parseSets(list: readonly string[]): SettingsOverride {
  const out: SettingsOverride = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    const key = eq > 0 ? item.slice(0, eq).trim() : '';
    if (key === '') throw new CliError(`--set "${item}": expected KEY=VALUE, e.g. --set khugepaged.max_ptes_none=64`);
    if (!isKey(key)) throw new CliError(`--set ${key}: unknown tunable; expected one of ${SYSCTL_KEYS.join(', ')}`);
    if (key in out) throw new CliError(`--set ${key} is given twice`);
    const raw = item.slice(eq + 1).trim();
    const value = /^-?\d+$/.test(raw) ? Number(raw) : raw;
    const codec: Decoder<unknown, unknown> & { readonly name: string } = sysctlValues[key];
    if (!isRight(codec.decode(value))) throw new CliError(`--set ${key}=${raw}: expected ${codec.name}`);
    out[key] = value;
  }
  return out;
}

/** The header with the overrides applied (unchanged when there are none). */
export function headerWithSettings(header: LogHeader, sets: SettingsOverride): LogHeader {
  if (Object.keys(sets).length === 0) return header;
  return { ...header, settings: { ...(header.settings ?? {}), ...sets } as LogHeader['settings'] };
}

/** A loaded log replayed with overridden tunables; its sha256 stays the log's own (the settings are recorded beside it). */
export function withSettings(log: LoadedLog, sets: SettingsOverride): LoadedLog {
  if (Object.keys(sets).length === 0) return log;
  const header = headerWithSettings(log.header, sets);
  return { ...log, header, input: { ...log.input, header } };
}
