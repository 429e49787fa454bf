/**
 * Plug-in discovery: policy packages declare `"pagelab": {"plugin": true}` in
 * their package.json and export a `descriptor` (a PolicyDescriptor). The
 * registry finds them under the workspace's node_modules/@pagelab (or in the
 * directories given), imports them, checks each descriptor's shape and
 * indexes it by axis and id. A new package appears without edits elsewhere.
 */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import { AXES, type AxisName, type PolicyDescriptor } from '@pagelab/kernel-core';
import { issuesOf, formatIssue } from '@pagelab/events';

export interface Registry {
  /** Every descriptor, ordered by axis (AXES order) then id. */
  readonly descriptors: readonly PolicyDescriptor[];
  get(axis: AxisName, id: string): PolicyDescriptor | undefined;
  byAxis(axis: AxisName): readonly PolicyDescriptor[];
  /** The package a descriptor came from, when it was discovered. */
  packageOf(id: string): string | undefined;
  /** Plug-in packages found but not usable (import failed, no descriptor, bad shape): one sentence each. */
  readonly problems: readonly string[];
}

export class RegistryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistryError';
  }
}

interface Entry {
  readonly descriptor: PolicyDescriptor;
  readonly pkg?: string;
}

const ID = /^[a-z0-9][a-z0-9.-]*$/;

/** Shape check of an untrusted export: a list of what is wrong, empty when it is a usable descriptor. */
export function descriptorProblems(d: unknown): string[] {
  if (typeof d !== 'object' || d === null) return [`expected a PolicyDescriptor object, got ${d === null ? 'null' : typeof d}`];
  const o = d as Record<string, unknown>;
  const out: string[] = [];
  if (typeof o['id'] !== 'string' || !ID.test(o['id'])) out.push(`id: expected a kebab-case string, got ${JSON.stringify(o['id'])}`);
  if (typeof o['axis'] !== 'string' || !(AXES as readonly string[]).includes(o['axis'])) {
    out.push(`axis: expected one of ${AXES.join(', ')}, got ${JSON.stringify(o['axis'])}`);
  }
  if (typeof o['title'] !== 'string' || o['title'] === '') out.push('title: expected a non-empty string');
  if (typeof o['models'] !== 'string' || o['models'] === '') out.push('models: expected a non-empty string (the kernel version or seed it models)');
  if (typeof o['create'] !== 'function') out.push('create: expected a function (params) => policy');
  const params = o['params'] as { decode?: unknown; is?: unknown; name?: unknown } | undefined;
  if (typeof params !== 'object' || params === null || typeof params.decode !== 'function' || typeof params.is !== 'function') {
    out.push('params: expected an io-ts codec (with decode and is)');
  } else {
    const r = (params as unknown as { decode(u: unknown): Either<import('io-ts').Errors, unknown> }).decode(o['defaults']);
    if (isLeft(r))
      out.push(
        `defaults: do not decode with the params codec: ${issuesOf(r.left)
          .map((i) => formatIssue('defaults', 0, i).replace(/^defaults:0: /, ''))
          .join('; ')}`,
      );
  }
  const docs = o['paramDocs'];
  if (docs !== undefined && (typeof docs !== 'object' || docs === null || Object.values(docs).some((v) => typeof v !== 'string'))) {
    out.push('paramDocs: expected an object of strings');
  }
  return out;
}

function build(entries: readonly Entry[], problems: readonly string[]): Either<RegistryError, Registry> {
  const byId = new Map<string, Entry>();
  for (const e of entries) {
    const prev = byId.get(e.descriptor.id);
    if (prev) {
      const where = (x: Entry) => (x.pkg ? ` (package ${x.pkg})` : '');
      return left(
        new RegistryError(
          `duplicate policy id "${e.descriptor.id}": axis ${prev.descriptor.axis}${where(prev)} and axis ${e.descriptor.axis}${where(e)}; policy ids must be unique`,
        ),
      );
    }
    byId.set(e.descriptor.id, e);
  }
  const axisRank = (a: AxisName) => AXES.indexOf(a);
  const sorted = [...byId.values()].sort((a, b) => axisRank(a.descriptor.axis) - axisRank(b.descriptor.axis) || (a.descriptor.id < b.descriptor.id ? -1 : 1));
  const descriptors = sorted.map((e) => e.descriptor);
  return right({
    descriptors,
    problems: [...problems],
    get: (axis, id) => {
      const e = byId.get(id);
      return e && e.descriptor.axis === axis ? e.descriptor : undefined;
    },
    byAxis: (axis) => descriptors.filter((d) => d.axis === axis),
    packageOf: (id) => byId.get(id)?.pkg,
  });
}

/** A registry of the given descriptors (tests, embedding). Invalid shapes and duplicate ids are errors. */
export function buildRegistry(descriptors: readonly PolicyDescriptor[]): Either<RegistryError, Registry> {
  for (const d of descriptors) {
    const p = descriptorProblems(d);
    if (p.length > 0) return left(new RegistryError(`policy descriptor ${JSON.stringify((d as { id?: unknown }).id)}: ${p.join('; ')}`));
  }
  return build(
    descriptors.map((descriptor) => ({ descriptor })),
    [],
  );
}

/** As buildRegistry, throwing the RegistryError: for tests. */
export function registryFrom(descriptors: readonly PolicyDescriptor[]): Registry {
  const r = buildRegistry(descriptors);
  if (isLeft(r)) throw r.left;
  return r.right;
}

export interface DiscoverOptions {
  /** Package directories to consider instead of scanning node_modules/@pagelab. */
  readonly dirs?: readonly string[];
  /** Where the node_modules scan starts (default: this package's own location). */
  readonly from?: string;
  /** Package directories to consider in addition to the scan (e.g. from PAGELAB_PLUGIN_DIRS). */
  readonly extraDirs?: readonly string[];
}

interface PluginPackage {
  readonly dir: string;
  readonly name: string;
  readonly json: Record<string, unknown>;
  /** Import by package name (found in node_modules, resolvable from here) or by file. */
  readonly byName: boolean;
}

function readPackage(dir: string): Record<string, unknown> | undefined {
  const path = join(dir, 'package.json');
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

const isPlugin = (json: Record<string, unknown>): boolean => {
  const pl = json['pagelab'];
  return typeof pl === 'object' && pl !== null && (pl as Record<string, unknown>)['plugin'] === true;
};

/** node_modules/@pagelab directories of `from` and its ancestors, nearest first. */
function scopeDirs(from: string): string[] {
  const out: string[] = [];
  let dir = resolve(from);
  for (;;) {
    const d = join(dir, 'node_modules', '@pagelab');
    if (existsSync(d)) out.push(d);
    const up = dirname(dir);
    if (up === dir) return out;
    dir = up;
  }
}

function findPlugins(opts: DiscoverOptions): PluginPackage[] {
  const found = new Map<string, PluginPackage>();
  const explicit = opts.dirs ?? opts.extraDirs;
  if (explicit) {
    for (const dir of explicit) {
      const json = readPackage(dir);
      if (json && isPlugin(json)) {
        const name = typeof json['name'] === 'string' ? json['name'] : dir;
        if (!found.has(name)) found.set(name, { dir: resolve(dir), name, json, byName: false });
      }
    }
  }
  if (!opts.dirs) {
    const from = opts.from ?? dirname(fileURLToPath(import.meta.url));
    for (const scope of scopeDirs(from)) {
      for (const entry of readdirSync(scope).sort()) {
        const dir = join(scope, entry);
        let real: string;
        try {
          real = realpathSync(dir);
          if (!statSync(real).isDirectory()) continue;
        } catch {
          continue;
        }
        const json = readPackage(real);
        if (!json || !isPlugin(json)) continue;
        const name = typeof json['name'] === 'string' ? json['name'] : `@pagelab/${entry}`;
        if (!found.has(name)) found.set(name, { dir: real, name, json, byName: opts.from === undefined });
      }
    }
  }
  return [...found.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Whether TypeScript sources can be imported (vitest, tsx with --conditions=development). */
function sourceConditionActive(): boolean {
  if (process.env['VITEST']) return true;
  const args = [...process.execArgv, process.env['NODE_OPTIONS'] ?? ''].join(' ');
  return /(--conditions[= ]|-C[= ]?)development/.test(args);
}

/** The module file of a package directory, from `exports["."]` (or `main`). */
function entryFile(pkg: PluginPackage): string | undefined {
  const exp = pkg.json['exports'];
  let target: unknown = exp;
  if (typeof exp === 'object' && exp !== null && '.' in exp) target = (exp as Record<string, unknown>)['.'];
  const conditions = sourceConditionActive() ? ['development', 'import', 'default'] : ['import', 'default'];
  const pick = (t: unknown): string | undefined => {
    if (typeof t === 'string') return t;
    if (typeof t !== 'object' || t === null) return undefined;
    for (const c of conditions) {
      const v = pick((t as Record<string, unknown>)[c]);
      if (v !== undefined) return v;
    }
    return undefined;
  };
  const rel = pick(target) ?? (typeof pkg.json['main'] === 'string' ? pkg.json['main'] : undefined);
  return rel === undefined ? undefined : join(pkg.dir, rel);
}

async function load(pkg: PluginPackage): Promise<Either<string, PolicyDescriptor>> {
  let mod: Record<string, unknown>;
  try {
    if (pkg.byName) {
      mod = (await import(pkg.name)) as Record<string, unknown>;
    } else {
      const file = entryFile(pkg);
      if (file === undefined) return left(`${pkg.name}: package.json has no "exports" entry to import`);
      mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    }
  } catch (e) {
    return left(`${pkg.name}: import failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  const d = mod['descriptor'] ?? mod['default'];
  if (d === undefined) return left(`${pkg.name}: declares "pagelab": {"plugin": true} but exports no \`descriptor\` (yet)`);
  const problems = descriptorProblems(d);
  if (problems.length > 0) return left(`${pkg.name}: its descriptor is not a valid PolicyDescriptor: ${problems.join('; ')}`);
  return right(d as PolicyDescriptor);
}

/**
 * Finds and imports every plug-in package. Unusable packages are listed in
 * `problems`, not fatal; duplicate policy ids are an error.
 */
export async function discoverRegistry(opts: DiscoverOptions = {}): Promise<Either<RegistryError, Registry>> {
  const entries: Entry[] = [];
  const problems: string[] = [];
  for (const pkg of findPlugins(opts)) {
    const r = await load(pkg);
    if (isLeft(r)) problems.push(r.left);
    else entries.push({ descriptor: r.right, pkg: pkg.name });
  }
  return build(entries, problems);
}
