import { describe, expect, it } from 'vitest';
import * as t from 'io-ts';
import { isLeft, isRight, type Either } from 'fp-ts/lib/Either.js';
import type { PolicyDescriptor, RefcountPolicy } from '@pagelab/kernel-core';
import { designFrom, designJson, parseDesign, type DesignError } from './design.js';
import { registryFrom } from './registry.js';
import { standInDescriptors, standInHeadRefcount } from './testing/index.js';

const registry = registryFrom(standInDescriptors);

function ok<A>(e: Either<DesignError, A>): A {
  if (isLeft(e)) throw new Error(e.left.message);
  return e.right;
}
function err<A>(e: Either<DesignError, A>): DesignError {
  if (isRight(e)) throw new Error('expected an error');
  return e.left;
}

/** A refcount policy with parameters, to exercise decoding. */
const tunable: PolicyDescriptor = {
  id: 'tunable-refcount',
  axis: 'refcount',
  title: 'tunable',
  models: 'tests',
  params: t.type({ batch: t.number, strict: t.boolean }) as unknown as t.Type<Record<string, unknown>, unknown, unknown>,
  defaults: { batch: 1, strict: false },
  create: (p) => ({ ...(standInHeadRefcount.create({}) as RefcountPolicy), id: `tunable-${String(p['batch'])}` }),
};
const withTunable = registryFrom([...standInDescriptors, tunable]);

describe('parseDesign', () => {
  it('reads a bare preset name', () => {
    const s = ok(parseDesign('linux-5.8'));
    expect(s.preset).toBe('linux-5.8');
    expect(s.policies.refcount.id).toBe('head-refcount');
    expect(s.params.thpCow).toBe('pte');
  });

  it('applies overrides on a named preset', () => {
    const s = ok(parseDesign('linux-3.13:refcount=head-refcount,param.thpCow=pte'));
    expect(s.preset).toBe('linux-3.13');
    expect(s.policies.refcount.id).toBe('head-refcount');
    expect(s.policies.sharedness.id).toBe('precise-mapcount');
    expect(s.params.thpCow).toBe('pte');
    expect(s.params.follPin).toBe(false);
  });

  it('starts from linux-6.10 when no preset is named', () => {
    const s = ok(parseDesign('sharedness=precise-mapcount'));
    expect(s.preset).toBe('linux-6.10');
    expect(s.policies.sharedness.id).toBe('precise-mapcount');
    expect(s.policies['pinned-migration'].id).toBe('movable-ops');
  });

  it('reads policy params in parentheses with typed values', () => {
    const s = ok(parseDesign('linux-3.13:refcount=tail-refcount(perTailLockInSplit=true;depth=3;mode=x)'));
    expect(s.policies.refcount).toEqual({ id: 'tail-refcount', params: { perTailLockInSplit: true, depth: 3, mode: 'x' } });
  });

  it('names an unknown preset and lists the known ones', () => {
    const e = err(parseDesign('linux-9.9'));
    expect(e.token).toBe('linux-9.9');
    expect(e.message).toContain('unknown preset "linux-9.9"');
    expect(e.message).toContain('linux-3.13, linux-4.5');
  });

  it('names an unknown axis and lists the axes', () => {
    const e = err(parseDesign('linux-5.8:refcnt=head-refcount'));
    expect(e.token).toBe('refcnt');
    expect(e.message).toContain('refcount, sharedness, pinned-migration, shmem-truncate');
  });

  it("names an unknown policy and lists that axis's policy ids", () => {
    const e = err(parseDesign('sharedness=psychic'));
    expect(e.token).toBe('psychic');
    expect(e.message).toContain('unknown sharedness policy "psychic"');
    expect(e.message).toContain('precise-mapcount, likely-mapped-shared, mm-owner-tracking');
  });

  it('accepts policy ids the registry adds', () => {
    expect(isLeft(parseDesign('refcount=tunable-refcount'))).toBe(true);
    expect(ok(parseDesign('refcount=tunable-refcount', withTunable)).policies.refcount.id).toBe('tunable-refcount');
  });

  it('rejects a bad era parameter name or value with the allowed values', () => {
    expect(err(parseDesign('param.thpCoW=huge')).message).toContain('param.thpCow, param.khugepagedAccepts');
    const e = err(parseDesign('param.thpCow=giant'));
    expect(e.token).toBe('param.thpCow=giant');
    expect(e.message).toContain('expects one of huge, pte');
    expect(err(parseDesign('param.follPin=yes')).message).toContain('expects one of false, true');
  });

  it('rejects malformed tokens, repeats and empty strings', () => {
    expect(err(parseDesign('linux-5.8:refcount')).message).toContain('expected axis=policy');
    expect(err(parseDesign('refcount=head-refcount,refcount=tail-refcount')).message).toContain('given twice');
    expect(err(parseDesign('linux-5.8:')).message).toContain('nothing after');
    expect(err(parseDesign('  ')).message).toContain('empty design');
    expect(err(parseDesign('refcount=tail-refcount(oops)')).message).toContain('key=value');
  });
});

describe('resolveDesign', () => {
  it('keeps the preset name when nothing differs', () => {
    const d = ok(designFrom('linux-6.10', registry));
    expect(d.name).toBe('linux-6.10');
    expect(d.slug).toBe('linux-6.10');
    expect(ok(designFrom('linux-6.10:sharedness=likely-mapped-shared,param.thpCow=pte', registry)).name).toBe('linux-6.10');
  });

  it('names a changed design by its differences, in axis order', () => {
    const d = ok(designFrom('param.follPin=false,sharedness=precise-mapcount', registry));
    expect(d.name).toBe('linux-6.10:sharedness=precise-mapcount,param.follPin=false');
    expect(d.slug).toBe('linux-6.10_sharedness_precise-mapcount_param.follPin_false');
    expect(d.params.follPin).toBe(false);
  });

  it('decodes policy params with the descriptor codec, filling defaults', () => {
    const d = ok(designFrom('refcount=tunable-refcount(batch=4)', withTunable));
    expect(d.policies.refcount).toEqual({ id: 'tunable-refcount', params: { batch: 4, strict: false } });
    expect(d.name).toBe('linux-6.10:refcount=tunable-refcount(batch=4)');
    expect(d.createPolicies().refcount.id).toBe('tunable-4');
    expect(designJson(d).policies['refcount']).toEqual({ id: 'tunable-refcount', params: { batch: 4, strict: false } });
  });

  it('reports a bad or unknown policy param with what was expected', () => {
    const bad = err(designFrom('refcount=tunable-refcount(batch=lots)', withTunable));
    expect(bad.message).toContain('bad parameters for policy tunable-refcount');
    expect(bad.message).toContain('batch: expected');
    expect(bad.message).toContain('"lots"');
    const unknown = err(designFrom('refcount=tunable-refcount(bacth=2)', withTunable));
    expect(unknown.message).toContain('has no parameter "bacth"; expected one of batch, strict');
  });

  it('names a policy that is not installed, with its axis and what is installed', () => {
    const e = err(designFrom('minchan-2013', registry));
    expect(e.token).toBe('tail-refcount');
    expect(e.message).toContain('policy "tail-refcount" for axis refcount is not installed (installed refcount policies: head-refcount)');
    expect(e.message).toContain(
      'policy "owner-handlers" for axis pinned-migration is not installed (installed pinned-migration policies: movable-ops, pins-block)',
    );
  });

  it('gives each replay fresh policy instances', () => {
    const d = ok(designFrom('linux-5.8', registry));
    expect(d.createPolicies().refcount).not.toBe(d.createPolicies().refcount);
  });
});
