/**
 * DESIGN strings: a preset name (`linux-5.8`), or overrides on a preset
 * (`linux-3.13:refcount=head-refcount`), or overrides alone, which start from
 * linux-6.10 (`sharedness=precise-mapcount,param.thpCow=huge`). Policy params
 * go in parentheses: `refcount=tail-refcount(perTailLockInSplit=true)`.
 *
 * parseDesign checks the syntax and the names; resolveDesign binds the
 * policies to a registry, decoding their params with each descriptor's codec.
 * Both return errors as values naming the offending token and what was expected.
 */
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import { AXES, MODEL_PARAM_DOMAINS, designPolicies, type AxisName, type DesignPolicies, type ModelParams, type PolicyDescriptor } from '@pagelab/kernel-core';
import { describeValue, issuesOf, stableStringify } from '@pagelab/events';
import { DEFAULT_PRESET, KNOWN_POLICY_IDS, PRESET_NAMES, findPreset, type AxisChoices, type PolicyChoice } from './presets.js';
import type { Registry } from './registry.js';

export interface DesignError {
  /** The piece of the design string (or the policy) at fault. */
  readonly token: string;
  /** One paragraph for the terminal: what is wrong and what was expected. */
  readonly message: string;
}

export type ParamValue = string | number | boolean;

/** A parsed design string: the preset it starts from, the full choice per axis, the era params. */
export interface DesignSpec {
  readonly text: string;
  readonly preset: string;
  readonly policies: AxisChoices;
  readonly params: ModelParams;
}

/** A design bound to installed policies, ready to replay. */
export interface Design {
  /** Canonical name: the preset's name when nothing differs from it, else `preset:axis=policy(k=v),param.k=v` of the differences. */
  readonly name: string;
  /** `name` with only [A-Za-z0-9._-]: the run directory name. */
  readonly slug: string;
  readonly preset: string;
  /** Per axis: policy id and its decoded params (defaults filled). */
  readonly policies: Readonly<Record<AxisName, { readonly id: string; readonly params: Readonly<Record<string, unknown>> }>>;
  readonly params: ModelParams;
  readonly descriptors: Readonly<Record<AxisName, PolicyDescriptor>>;
  /** Fresh policy instances (a policy may keep state; each replay gets its own). */
  createPolicies(): DesignPolicies;
}

/** The design as summary.json / provenance.json / observation headers record it. */
export function designJson(d: Design): {
  name: string;
  preset: string;
  policies: Record<string, { id: string; params: Record<string, unknown> }>;
  params: ModelParams;
} {
  const policies: Record<string, { id: string; params: Record<string, unknown> }> = {};
  for (const axis of AXES) policies[axis] = { id: d.policies[axis].id, params: { ...d.policies[axis].params } };
  return { name: d.name, preset: d.preset, policies, params: { ...d.params } };
}

// ------------------------------------------------------------ era params

const PARAM_DOMAINS = MODEL_PARAM_DOMAINS;
export const MODEL_PARAM_KEYS = Object.keys(PARAM_DOMAINS) as (keyof ModelParams)[];

/** The allowed values of each era parameter, for help texts. */
export function modelParamDomain(key: keyof ModelParams): readonly (string | boolean)[] {
  return PARAM_DOMAINS[key];
}

// ------------------------------------------------------------ parsing

const fail = (token: string, text: string, what: string): Either<DesignError, never> => left({ token, message: `design "${text}": ${what}` });

/** `true`/`false` as booleans, decimal numbers as numbers, anything else as a string. */
export function parseValue(raw: string): ParamValue {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  if (/^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  return raw;
}

/** Splits on `sep` outside parentheses. */
function splitTop(s: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0,
    start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === sep && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}

const axisList = AXES.join(', ');
const presetList = PRESET_NAMES.join(', ');

function knownIds(axis: AxisName, registry?: Registry): string[] {
  const ids = new Set(KNOWN_POLICY_IDS[axis]);
  for (const d of registry?.byAxis(axis) ?? []) ids.add(d.id);
  return [...ids];
}

function parsePolicy(text: string, axis: AxisName, token: string, rhs: string, registry?: Registry): Either<DesignError, PolicyChoice> {
  const m = /^([^()]*)(?:\((.*)\))?$/.exec(rhs);
  if (!m) return fail(token, text, `cannot read "${token}": expected ${axis}=POLICY or ${axis}=POLICY(key=value;key=value)`);
  const id = m[1]!.trim();
  const ids = knownIds(axis, registry);
  if (!ids.includes(id)) return fail(id || token, text, `unknown ${axis} policy "${id}" in "${token}"; expected one of ${ids.join(', ')}`);
  const params: Record<string, ParamValue> = {};
  if (m[2] !== undefined && m[2].trim() !== '') {
    for (const kv of m[2].split(';')) {
      const eq = kv.indexOf('=');
      const key = kv.slice(0, eq).trim();
      if (eq < 0 || key === '') return fail(kv, text, `cannot read policy param "${kv}" in "${token}": expected key=value (several separated by ";")`);
      params[key] = parseValue(kv.slice(eq + 1).trim());
    }
  }
  return right({ id, params });
}

function parseModelParam(text: string, token: string, key: string, raw: string): Either<DesignError, [keyof ModelParams, ModelParams[keyof ModelParams]]> {
  if (!(MODEL_PARAM_KEYS as string[]).includes(key)) {
    return fail(token, text, `unknown era parameter "param.${key}"; expected one of ${MODEL_PARAM_KEYS.map((k) => `param.${k}`).join(', ')}`);
  }
  const k = key as keyof ModelParams;
  const v = parseValue(raw);
  const domain = PARAM_DOMAINS[k] as readonly ParamValue[];
  if (!domain.includes(v)) return fail(token, text, `param.${key} expects one of ${domain.join(', ')}, got ${JSON.stringify(raw)}`);
  return right([k, v as ModelParams[keyof ModelParams]]);
}

/**
 * Parses a DESIGN string. Policy ids are checked against the ids the presets
 * know plus those of `registry` (when given); whether they are installed is
 * resolveDesign's question.
 */
export function parseDesign(input: string, registry?: Registry): Either<DesignError, DesignSpec> {
  const text = input.trim();
  if (text === '') return fail(text, text, `empty design; expected a preset (${presetList}) or axis=policy,... overrides`);
  let presetName = DEFAULT_PRESET;
  let rest = text;
  const colon = text.indexOf(':');
  if (colon >= 0) {
    presetName = text.slice(0, colon).trim();
    rest = text.slice(colon + 1).trim();
    if (rest === '') return fail(text, text, `nothing after "${presetName}:"; expected axis=policy or param.name=value overrides`);
  } else if (!text.includes('=')) {
    presetName = text;
    rest = '';
  }
  const preset = findPreset(presetName);
  if (!preset) return fail(presetName, text, `unknown preset "${presetName}"; expected one of ${presetList}`);
  const policies: Record<AxisName, PolicyChoice> = { ...preset.policies };
  const params: ModelParams = { ...preset.params };
  const seen = new Set<string>();
  if (rest !== '') {
    for (const raw of splitTop(rest, ',')) {
      const token = raw.trim();
      const eq = token.indexOf('=');
      if (eq <= 0) {
        return fail(token, text, `cannot read "${token}": expected axis=policy (axes: ${axisList}) or param.name=value`);
      }
      const lhs = token.slice(0, eq).trim();
      const rhs = token.slice(eq + 1).trim();
      if (seen.has(lhs)) return fail(token, text, `"${lhs}" is given twice`);
      seen.add(lhs);
      if (lhs.startsWith('param.')) {
        const r = parseModelParam(text, token, lhs.slice('param.'.length), rhs);
        if (isLeft(r)) return r;
        (params as unknown as Record<string, unknown>)[r.right[0]] = r.right[1];
        continue;
      }
      if (!(AXES as readonly string[]).includes(lhs)) {
        return fail(lhs, text, `unknown axis "${lhs}" in "${token}"; expected one of ${axisList} (or param.name=value for an era parameter)`);
      }
      const axis = lhs as AxisName;
      const r = parsePolicy(text, axis, token, rhs, registry);
      if (isLeft(r)) return r;
      policies[axis] = r.right;
    }
  }
  return right({ text, preset: preset.name, policies, params });
}

// ------------------------------------------------------------ resolving

function decodeParams(
  text: string,
  axis: AxisName,
  d: PolicyDescriptor,
  given: Readonly<Record<string, unknown>>,
): Either<DesignError, Record<string, unknown>> {
  const defaults = (typeof d.defaults === 'object' && d.defaults !== null ? d.defaults : {}) as Record<string, unknown>;
  const known = Object.keys(defaults);
  for (const key of Object.keys(given)) {
    if (!known.includes(key)) {
      return fail(
        key,
        text,
        `policy ${d.id} (axis ${axis}) has no parameter "${key}"; expected ${known.length ? `one of ${known.join(', ')}` : 'no parameters'}`,
      );
    }
  }
  const r = d.params.decode({ ...defaults, ...given });
  if (isLeft(r)) {
    const issues = issuesOf(r.left).map(
      (i) => `${i.path === '$' ? 'params' : i.path.replace(/^\$\./, '')}: expected ${i.expected}, got ${describeValue(i.got)}`,
    );
    return fail(d.id, text, `bad parameters for policy ${d.id} (axis ${axis}): ${issues.join('; ')}`);
  }
  return right(r.right as Record<string, unknown>);
}

const slugOf = (name: string): string => name.replace(/[^A-Za-z0-9._-]+/g, '_');

function formatChoice(id: string, params: Readonly<Record<string, unknown>>): string {
  const keys = Object.keys(params).sort();
  return keys.length === 0 ? id : `${id}(${keys.map((k) => `${k}=${String(params[k])}`).join(';')})`;
}

/** Policy params that differ from the descriptor's defaults, for the canonical name. */
function nonDefault(d: PolicyDescriptor, params: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const defaults = (d.defaults ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(params).sort()) if (stableStringify(params[k]) !== stableStringify(defaults[k])) out[k] = params[k];
  return out;
}

/**
 * Binds a parsed design to the registry's policies. Every axis whose policy
 * is not installed is named in the error, with what is installed for it.
 */
export function resolveDesign(spec: DesignSpec, registry: Registry): Either<DesignError, Design> {
  const missing: string[] = [];
  const descriptors = {} as Record<AxisName, PolicyDescriptor>;
  for (const axis of AXES) {
    const id = spec.policies[axis].id;
    const d = registry.get(axis, id);
    if (!d) {
      const installed = registry.byAxis(axis).map((x) => x.id);
      missing.push(`policy "${id}" for axis ${axis} is not installed (installed ${axis} policies: ${installed.length ? installed.join(', ') : 'none'})`);
    } else descriptors[axis] = d;
  }
  if (missing.length > 0) {
    const notes = registry.problems.length ? ` Plug-in packages found but not loaded: ${registry.problems.join('; ')}.` : '';
    const first = spec.policies[AXES.find((a) => !descriptors[a])!].id;
    return fail(
      first,
      spec.text,
      `${missing.join('; ')}. Each policy comes from a package with "pagelab": {"plugin": true} that exports its descriptor; \`pagelab policies\` lists what is installed.${notes}`,
    );
  }
  const policies = {} as Record<AxisName, { id: string; params: Record<string, unknown> }>;
  for (const axis of AXES) {
    const r = decodeParams(spec.text, axis, descriptors[axis], spec.policies[axis].params);
    if (isLeft(r)) return r;
    policies[axis] = { id: spec.policies[axis].id, params: r.right };
  }
  const preset = findPreset(spec.preset)!;
  const diffs: string[] = [];
  for (const axis of AXES) {
    const d = descriptors[axis];
    const mine = formatChoice(policies[axis].id, nonDefault(d, policies[axis].params));
    const pd = registry.get(axis, preset.policies[axis].id);
    const presetParams = pd ? decodeParams(spec.text, axis, pd, preset.policies[axis].params) : right(preset.policies[axis].params);
    const theirs = formatChoice(preset.policies[axis].id, pd && !isLeft(presetParams) ? nonDefault(pd, presetParams.right) : preset.policies[axis].params);
    if (mine !== theirs) diffs.push(`${axis}=${mine}`);
  }
  for (const k of MODEL_PARAM_KEYS) if (spec.params[k] !== preset.params[k]) diffs.push(`param.${k}=${String(spec.params[k])}`);
  const name = diffs.length === 0 ? preset.name : `${preset.name}:${diffs.join(',')}`;
  const params = { ...spec.params };
  return right({
    name,
    slug: slugOf(name),
    preset: preset.name,
    policies,
    params,
    descriptors,
    // The registry checked each descriptor's axis when it was found, so its factory makes that axis' policy.
    createPolicies: () => designPolicies((axis) => (descriptors[axis] as PolicyDescriptor<typeof axis>).create(policies[axis].params)),
  });
}

/** parseDesign then resolveDesign. */
export function designFrom(input: string, registry: Registry): Either<DesignError, Design> {
  const spec = parseDesign(input, registry);
  return isLeft(spec) ? spec : resolveDesign(spec.right, registry);
}
