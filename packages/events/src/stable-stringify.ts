// JSON with a deterministic key order, so the same values always give the
// same bytes (observation logs must be byte-identical across runs).

export interface StableStringifyOptions {
  /** Keys written first, in this order, wherever they occur (e.g. ['seq', 'type']); all others follow sorted. */
  readonly leadingKeys?: readonly string[];
}

/**
 * Like JSON.stringify without whitespace, but object keys are sorted (by
 * UTF-16 code units, after any `leadingKeys`); arrays keep their order.
 * Same rules as JSON.stringify otherwise: toJSON is honoured, undefined and
 * functions are dropped from objects and become null in arrays, non-finite
 * numbers become null. Throws TypeError on cycles and BigInt.
 */
export function stableStringify(value: unknown, options: StableStringifyOptions = {}): string {
  const s = write(value, '', false, options.leadingKeys ?? NO_KEYS, []);
  if (s === undefined) throw new TypeError(`stableStringify: ${typeof value} is not serialisable as JSON`);
  return s;
}

const NO_KEYS: readonly string[] = [];

/**
 * One value. Strings are built by concatenation and keys sorted with the
 * default sort (UTF-16 code units, as `compare`), with no per-call maps or
 * closures: observation and log lines are written by the million.
 * `stack` holds the objects being written (the nesting is shallow).
 */
function write(v: unknown, key: string, inArray: boolean, leading: readonly string[], stack: object[]): string | undefined {
  if (typeof v === 'object' && v !== null && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
    v = (v as { toJSON: (k: string) => unknown }).toJSON(key);
  }
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      // String() and JSON.stringify agree on every finite number (-0 included: "0").
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      throw new TypeError('stableStringify: cannot serialise a BigInt');
    case 'undefined':
    case 'function':
    case 'symbol':
      return inArray ? 'null' : undefined;
  }
  if (v === null) return 'null';
  const obj = v as object;
  if (stack.includes(obj)) throw new TypeError('stableStringify: cyclic structure');
  stack.push(obj);
  let out: string;
  if (Array.isArray(obj)) {
    out = '[';
    for (let i = 0; i < obj.length; i++) out += (i > 0 ? ',' : '') + (write(obj[i], String(i), true, leading, stack) ?? 'null');
    out += ']';
  } else {
    const record = obj as Record<string, unknown>;
    const keys = Object.keys(record);
    let order = keys;
    if (leading.length === 0) keys.sort();
    else {
      order = [];
      for (const k of leading) if (!order.includes(k) && keys.includes(k)) order.push(k);
      const rest = order.length === 0 ? keys : keys.filter((k) => !leading.includes(k));
      rest.sort();
      for (const k of rest) order.push(k);
    }
    out = '{';
    let first = true;
    for (const k of order) {
      const s = write(record[k], k, false, leading, stack);
      if (s === undefined) continue;
      out += (first ? '' : ',') + JSON.stringify(k) + ':' + s;
      first = false;
    }
    out += '}';
  }
  stack.pop();
  return out;
}
