/**
 * An error from a library for the person at the terminal: the first line
 * only, and an io-ts PathReporter dump ("Invalid value undefined supplied
 * to : {...}/workload: {...}/params: UnknownRecord") said as the field it
 * is about, never the type dump itself.
 */
export function errorSentence(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const lines = msg
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const dump = lines.find((l) => l.startsWith('Invalid value '));
  if (!dump) return lines.slice(0, 3).join('; ');
  const head = (lines[0] ?? '').replace(/:?\s*not the expected shape:?$/, '');
  const value = /^Invalid value (.*?) supplied to /.exec(dump)?.[1] ?? 'a value';
  const path = [...dump.matchAll(/\/([\w$-]+): /g)].map((m) => m[1]).join('.');
  const found = value === 'undefined' ? 'it is missing' : `found ${value.length > 80 ? `${value.slice(0, 79)}…` : value}`;
  return `${head === dump ? 'a file' : head} does not have the shape this pagelab writes: at ${path || 'its top level'}, ${found}`;
}
