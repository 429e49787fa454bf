// Leaf codecs of the wire formats. Each codec's name, and each refinement's
// message, is a phrase in words ("a multiple of 4096") so that a decode error
// can say "expected <name>, got <value>" without a lookup table.
import * as t from 'io-ts';
import { isRight } from 'fp-ts/lib/Either.js';

export const PAGE_SIZE = 4096;
export const HPAGE_PMD_SIZE = 2 * 1024 * 1024;
export const MIB_4 = 4 * 1024 * 1024;

/** One refinement step: a predicate and the words for what it demands. */
export type Check<A> = readonly [predicate: (a: A) => boolean, expected: string];

/** A codec built from a base test and refinement steps; the first failing step names the error. */
function leaf<A>(name: string, base: (u: unknown) => u is A, baseExpected: string, checks: readonly Check<A>[]): t.Type<A, A, unknown> {
  const validate = (u: unknown, c: t.Context): t.Validation<A> => {
    if (!base(u)) return t.failure(u, c, baseExpected);
    for (const [ok, expected] of checks) if (!ok(u)) return t.failure(u, c, expected);
    return t.success(u);
  };
  return new t.Type<A, A, unknown>(name, (u): u is A => isRight(validate(u, [])), validate, t.identity);
}

const isSafeInteger = (u: unknown): u is number => typeof u === 'number' && Number.isSafeInteger(u);

/** A safe integer with extra refinements; a non-integer is reported with the whole name. */
export function integer(name: string, ...checks: readonly Check<number>[]): t.Type<number, number, unknown> {
  return leaf(name, isSafeInteger, name, checks);
}

export function intRange(min: number, max: number, name = `an integer from ${min} to ${max}`): t.Type<number, number, unknown> {
  return integer(name, [(n) => n >= min && n <= max, name]);
}

export const Integer = integer('an integer');
export const NonNegativeInt = integer('a non-negative integer', [(n) => n >= 0, 'a non-negative integer']);
export const PositiveInt = integer('a positive integer', [(n) => n >= 1, 'a positive integer']);

/** A number (not NaN) with extra refinements. */
export function finite(name: string, ...checks: readonly Check<number>[]): t.Type<number, number, unknown> {
  return leaf(name, (u): u is number => typeof u === 'number' && Number.isFinite(u), name, checks);
}

const multipleOf = (unit: number, words: string): Check<number> => [(n) => n % unit === 0, words];

/** A byte address or offset: page aligned, may be 0. */
export const PageAddr = integer('a non-negative multiple of 4096', [(n) => n >= 0, 'a non-negative integer'], multipleOf(PAGE_SIZE, 'a multiple of 4096'));
/** A byte length: page aligned, at least one page. */
export const PageLen = integer('a positive multiple of 4096', [(n) => n > 0, 'a positive length (at least 4096)'], multipleOf(PAGE_SIZE, 'a multiple of 4096'));
/** A byte size that may be 0 but is page aligned (swap, file size). */
export const PageSize = PageAddr;
export const Pid = integer('a positive integer (pid)', [(n) => n >= 1, 'a positive integer (pid)']);
export const PageCount = integer('an integer >= 1 (pages)', [(n) => n >= 1, 'an integer >= 1 (pages)']);
export const Passes = integer('an integer >= 1', [(n) => n >= 1, 'an integer >= 1']);
export const MAX_NUMNODES = 64;
export const NodeId = intRange(0, MAX_NUMNODES - 1, `a NUMA node id from 0 to ${MAX_NUMNODES - 1}`);
/** Buddy order: 0..MAX_ORDER (10). */
export const MAX_ORDER = 10;
export const Order = intRange(0, MAX_ORDER, `an order from 0 to ${MAX_ORDER}`);

const isString = (u: unknown): u is string => typeof u === 'string';
export const Str = leaf('a string', isString, 'a string', []);
export const NonEmptyString = leaf('a non-empty string', isString, 'a non-empty string', [[(s) => s.length > 0, 'a non-empty string']]);
export const Bool = leaf('a boolean', (u): u is boolean => typeof u === 'boolean', 'a boolean (true or false)', []);
export const Sha256Hex = leaf('a sha256 (64 lowercase hex digits)', isString, 'a sha256 (64 lowercase hex digits)', [
  [(s) => /^[0-9a-f]{64}$/.test(s), 'a sha256 (64 lowercase hex digits)'],
]);

/** Free-form JSON object (not null, not an array). */
export const JsonObject = leaf(
  'a JSON object',
  (u): u is Readonly<Record<string, unknown>> => typeof u === 'object' && u !== null && !Array.isArray(u),
  'a JSON object',
  [],
);

/** One of a fixed set of strings; the error lists them. */
export function oneOf<const K extends readonly [string, ...string[]]>(values: K, name = `one of ${values.join(', ')}`): t.Type<K[number], K[number], unknown> {
  const set = new Set<string>(values);
  return leaf(name, (u): u is K[number] => typeof u === 'string' && set.has(u), name, []);
}

/** A single constant value (e.g. a format version). */
export function constant<const V extends string | number | boolean>(value: V, name = JSON.stringify(value)): t.Type<V, V, unknown> {
  return leaf(name, (u): u is V => u === value, name, []);
}

/** A string or an integer (sysctl values before they are checked per key). */
export const StringOrInt = leaf('a string or an integer', (u): u is string | number => typeof u === 'string' || isSafeInteger(u), 'a string or an integer', []);

/** Any JSON value (used for expected/actual of failed checks). */
export const JsonValue = leaf('a JSON value', (u): u is unknown => u !== undefined, 'a JSON value', []);
