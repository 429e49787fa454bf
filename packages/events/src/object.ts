// Object codecs with an explicit excess-property check. io-ts' t.exact/t.strict
// strip unknown keys silently; on the wire a typo ("lenght") must be an error
// that names the field, so unknown keys are reported here, one error each.
import * as t from 'io-ts';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';

type Flatten<T> = { readonly [K in keyof T]: T[K] };

export type ObjectOf<R extends t.Props, O extends t.Props> = Flatten<t.TypeOfProps<R> & t.TypeOfPartialProps<O>>;
export type ObjectOutputOf<R extends t.Props, O extends t.Props> = Flatten<t.OutputOfProps<R> & t.OutputOfPartialProps<O>>;

/** A whole-object rule broken: the key it concerns ('' = the object) and what was expected. */
export interface Violation {
  readonly key: string;
  readonly expected: string;
}

export interface ObjectOptions<A> {
  /** Reject keys that are neither required nor optional (default true). */
  readonly exact?: boolean;
  /** Rules across fields, run once every field decoded. */
  readonly refine?: (a: A) => readonly Violation[];
  /** Words for the object in messages, e.g. 'a "munmap" event'. Defaults to the codec name. */
  readonly noun?: string;
}

export interface ObjectCodec<R extends t.Props, O extends t.Props> extends t.Type<ObjectOf<R, O>, ObjectOutputOf<R, O>, unknown> {
  readonly required: R;
  readonly optional: O;
  readonly keys: readonly string[];
}

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);

/** Edit distance, for "did you mean" on unknown keys. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const sub = (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      cur.push(Math.min(sub, (prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

export function suggest(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const kl = k.toLowerCase();
    // A known key that the typo starts with (or vice versa): "lenght" -> "len".
    const d = kl.length >= 3 && (lower.startsWith(kl) || kl.startsWith(lower)) ? 1 : distance(lower, kl);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return bestD <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/**
 * An object with required and optional fields. All problems are reported,
 * not just the first: every bad field and every unknown key.
 */
export function object<R extends t.Props, O extends t.Props = Record<never, never>>(
  name: string,
  required: R,
  optional: O = {} as O,
  options: ObjectOptions<ObjectOf<R, O>> = {},
): ObjectCodec<R, O> {
  const exact = options.exact ?? true;
  const noun = options.noun ?? name;
  const keys = [...Object.keys(required), ...Object.keys(optional)];
  const known = new Set(keys);
  const req = t.type(required);
  const opt = t.partial(optional);
  const validate = (u: unknown, c: t.Context): t.Validation<ObjectOf<R, O>> => {
    if (!isObject(u)) return t.failure(u, c, noun);
    const errors: t.ValidationError[] = [];
    if (exact) {
      for (const k of Object.keys(u)) {
        if (known.has(k)) continue;
        const hint = suggest(k, keys);
        const expected = `no field ${JSON.stringify(k)} in ${noun} (${hint === undefined ? '' : `did you mean ${JSON.stringify(hint)}? `}allowed: ${keys.join(', ')})`;
        errors.push({ value: u[k], context: t.appendContext(c, k, t.never, u[k]), message: expected });
      }
    }
    const r = req.validate(u, c);
    if (isLeft(r)) errors.push(...r.left);
    const o = opt.validate(u, c);
    if (isLeft(o)) errors.push(...o.left);
    if (errors.length > 0) return t.failures(errors);
    // Both passes succeeded. io-ts hands back the input itself when no field was
    // transformed (the usual case): then skip the copy, it is per event.
    const rr = isRight(r) ? r.right : {};
    const or = isRight(o) ? o.right : {};
    const a = (rr === u && or === u ? u : { ...rr, ...or }) as unknown as ObjectOf<R, O>;
    const broken = options.refine?.(a) ?? [];
    if (broken.length > 0) {
      return t.failures(
        broken.map((v) => {
          const value = v.key === '' ? u : u[v.key];
          return { value, context: v.key === '' ? c : t.appendContext(c, v.key, t.unknown, value), message: v.expected };
        }),
      );
    }
    return t.success(a);
  };
  const codec = new t.Type<ObjectOf<R, O>, ObjectOutputOf<R, O>, unknown>(
    name,
    (u): u is ObjectOf<R, O> => isRight(validate(u, [])),
    validate,
    (a) => ({ ...req.encode(a as t.TypeOf<typeof req>), ...opt.encode(a as t.TypeOf<typeof opt>) }) as unknown as ObjectOutputOf<R, O>,
  );
  return Object.assign(codec, { required, optional, keys });
}
