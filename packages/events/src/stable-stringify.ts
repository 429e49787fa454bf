// JSON with a deterministic key order, so the same values always give the
// same bytes (observation logs must be byte-identical across runs).

export interface StableStringifyOptions {
  /** Keys written first, in this order, wherever they occur (e.g. ['seq', 'type']); all others follow sorted. */
  readonly leadingKeys?: readonly string[];
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Like JSON.stringify without whitespace, but object keys are sorted (by
 * UTF-16 code units, after any `leadingKeys`); arrays keep their order.
 * Same rules as JSON.stringify otherwise: toJSON is honoured, undefined and
 * functions are dropped from objects and become null in arrays, non-finite
 * numbers become null. Throws TypeError on cycles and BigInt.
 */
export function stableStringify(value: unknown, options: StableStringifyOptions = {}): string {
  const leading = options.leadingKeys ?? [];
  const rank = new Map(leading.map((k, i) => [k, i]));
  const order = (a: string, b: string): number => {
    const ra = rank.get(a);
    const rb = rank.get(b);
    if (ra !== undefined || rb !== undefined) return (ra ?? Infinity) - (rb ?? Infinity) || compare(a, b);
    return compare(a, b);
  };
  const stack = new Set<object>();

  const write = (v: unknown, key: string, inArray: boolean): string | undefined => {
    if (typeof v === 'object' && v !== null && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
      v = (v as { toJSON: (k: string) => unknown }).toJSON(key);
    }
    switch (typeof v) {
      case 'string':
        return JSON.stringify(v);
      case 'number':
        return Number.isFinite(v) ? JSON.stringify(v) : 'null';
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
    if (stack.has(obj)) throw new TypeError('stableStringify: cyclic structure');
    stack.add(obj);
    let out: string;
    if (Array.isArray(obj)) {
      const parts: string[] = [];
      for (let i = 0; i < obj.length; i++) parts.push(write(obj[i], String(i), true) ?? 'null');
      out = `[${parts.join(',')}]`;
    } else {
      const record = obj as Record<string, unknown>;
      const parts: string[] = [];
      for (const k of Object.keys(record).sort(order)) {
        const s = write(record[k], k, false);
        if (s !== undefined) parts.push(`${JSON.stringify(k)}:${s}`);
      }
      out = `{${parts.join(',')}}`;
    }
    stack.delete(obj);
    return out;
  };

  const s = write(value, '', false);
  if (s === undefined) throw new TypeError(`stableStringify: ${typeof value} is not serialisable as JSON`);
  return s;
}
