/**
 * The axis table (kernel-core axes.ts) is the one list of axes: for every
 * entry, kernel-core exports the reference policy it names, this testkit
 * exports the conformance suite it names, and designPolicies puts the
 * axis's policy in the field the model reads.
 */
import * as core from '@pagelab/kernel-core';
import { AXES, AXIS_TABLE, designPolicies, referencePolicies, type AxisName, type AxisPolicy } from '@pagelab/kernel-core';
import { describe, expect, it } from 'vitest';
import * as testkit from './index.js';

describe('the axis table', () => {
  it.each(AXES)('%s: kernel-core exports its reference policy and the testkit its conformance suite', (axis) => {
    const e = AXIS_TABLE[axis];
    expect(typeof (core as Record<string, unknown>)[e.reference]).toBe('object');
    expect(typeof (testkit as Record<string, unknown>)[e.conformance]).toBe('function');
  });

  it('designPolicies makes one policy per axis and puts it in that axis field', () => {
    const asked: AxisName[] = [];
    const byField = referencePolicies as unknown as Record<string, unknown>;
    const built = designPolicies(<A extends AxisName>(axis: A) => {
      asked.push(axis);
      return byField[AXIS_TABLE[axis].field] as AxisPolicy[A];
    });
    expect(asked).toEqual([...AXES]);
    expect(built).toEqual(referencePolicies);
  });

  it('field and short names are unique, so packages and DesignPolicies fields cannot collide', () => {
    const fields = AXES.map((a) => AXIS_TABLE[a].field);
    const shorts = AXES.map((a) => AXIS_TABLE[a].short);
    expect(new Set(fields).size).toBe(AXES.length);
    expect(new Set(shorts).size).toBe(AXES.length);
  });
});
