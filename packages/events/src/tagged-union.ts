// A union discriminated by a string field. Unlike t.union, a failure reports
// only the errors of the member whose tag matches, and an unknown tag lists
// the tags that exist.
import * as t from 'io-ts';
import { isRight } from 'fp-ts/lib/Either.js';

export type Members = Readonly<Record<string, t.Mixed>>;

export interface TaggedUnionCodec<M extends Members> extends t.Type<t.TypeOf<M[keyof M]>, t.OutputOf<M[keyof M]>, unknown> {
  readonly tag: string;
  readonly members: M;
  readonly tags: readonly (keyof M & string)[];
}

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);

export function taggedUnion<M extends Members>(name: string, tag: string, members: M): TaggedUnionCodec<M> {
  const tags = Object.keys(members) as (keyof M & string)[];
  const expectedTag = `one of ${tags.join(', ')}`;
  const validate = (u: unknown, c: t.Context): t.Validation<t.TypeOf<M[keyof M]>> => {
    if (!isObject(u)) return t.failure(u, c, name);
    const value = u[tag];
    const member = typeof value === 'string' && Object.hasOwn(members, value) ? members[value] : undefined;
    if (member === undefined) return t.failure(value, t.appendContext(c, tag, t.string, value), expectedTag);
    return member.validate(u, c) as t.Validation<t.TypeOf<M[keyof M]>>;
  };
  const encode = (a: t.TypeOf<M[keyof M]>): t.OutputOf<M[keyof M]> => {
    const member = members[(a as Record<string, string>)[tag] ?? ''];
    return member === undefined ? a : member.encode(a);
  };
  const codec = new t.Type<t.TypeOf<M[keyof M]>, t.OutputOf<M[keyof M]>, unknown>(
    name,
    (u): u is t.TypeOf<M[keyof M]> => isRight(validate(u, [])),
    validate,
    encode,
  );
  return Object.assign(codec, { tag, members, tags });
}
