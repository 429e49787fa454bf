import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { buildRegistry, descriptorProblems, discoverRegistry, registryFrom } from './registry.js';
import { standInDescriptors, standInPinsBlock } from './testing/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'pagelab-registry-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function pkg(name: string, json: Record<string, unknown>, source?: string): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `@fixture/${name}`, type: 'module', exports: { '.': './index.js' }, ...json }));
  if (source !== undefined) writeFileSync(join(dir, 'index.js'), source);
  return dir;
}

const good = (id: string) => `
const codec = { name: 'none', is: () => true, decode: (u) => ({ _tag: 'Right', right: u }), validate: (u) => ({ _tag: 'Right', right: u }), encode: (a) => a };
export const descriptor = { id: '${id}', axis: 'pinned-migration', title: 'fixture', models: 'tests', params: codec, defaults: {},
  create: () => ({ id: '${id}', migrateDriverPage: () => 'busy', onDriverPin: () => {} }) };`;

describe('the policy registry', () => {
  it('indexes descriptors by axis and id', () => {
    const r = registryFrom(standInDescriptors);
    expect(r.get('pinned-migration', 'pins-block')).toBe(standInPinsBlock);
    expect(r.get('refcount', 'pins-block')).toBeUndefined();
    expect(r.byAxis('shmem-truncate').map((d) => d.id)).toEqual(['split-on-punch', 'zero-keep']);
    expect(r.descriptors[0]!.axis).toBe('refcount');
  });

  it('refuses duplicate policy ids', () => {
    const r = buildRegistry([...standInDescriptors, standInPinsBlock]);
    expect(isLeft(r) && r.left.message).toContain('duplicate policy id "pins-block"');
  });

  it('describes what is wrong with a malformed descriptor', () => {
    expect(descriptorProblems(null)).toEqual(['expected a PolicyDescriptor object, got null']);
    const p = descriptorProblems({ id: 'Bad Id', axis: 'nope', title: '', create: 1 });
    expect(p.join('\n')).toMatch(/id: expected a kebab-case string/);
    expect(p.join('\n')).toMatch(/axis: expected one of refcount, sharedness/);
    expect(p.join('\n')).toMatch(/params: expected an io-ts codec/);
    expect(isLeft(buildRegistry([{ id: 'x' } as never]))).toBe(true);
  });

  it('discovers plug-in packages in given directories and reports unusable ones without failing', async () => {
    const dirs = [
      pkg('good', { pagelab: { plugin: true } }, good('fixture-block')),
      pkg('not-a-plugin', {}, good('ignored')),
      pkg('empty', { pagelab: { plugin: true } }, 'export {};'),
      pkg('broken', { pagelab: { plugin: true } }, 'export const descriptor = { id: 7 };'),
      pkg('throws', { pagelab: { plugin: true } }, 'throw new Error("boom");'),
    ];
    const r = await discoverRegistry({ dirs });
    expect(isRight(r)).toBe(true);
    if (!isRight(r)) return;
    expect(r.right.descriptors.map((d) => d.id)).toEqual(['fixture-block']);
    expect(r.right.packageOf('fixture-block')).toBe('@fixture/good');
    const problems = r.right.problems.join('\n');
    expect(problems).toContain('@fixture/empty: declares "pagelab": {"plugin": true} but exports no `descriptor`');
    expect(problems).toContain('@fixture/broken: its descriptor is not a valid PolicyDescriptor');
    expect(problems).toContain('@fixture/throws: import failed: boom');
    expect(problems).not.toContain('not-a-plugin');
  });

  it('fails discovery when two packages claim one id', async () => {
    const dirs = [pkg('dup-a', { pagelab: { plugin: true } }, good('same-id')), pkg('dup-b', { pagelab: { plugin: true } }, good('same-id'))];
    const r = await discoverRegistry({ dirs });
    expect(isLeft(r) && r.left.message).toContain('duplicate policy id "same-id"');
    expect(isLeft(r) && r.left.message).toContain('@fixture/dup-b');
  });

  it('scans the workspace node_modules/@pagelab for plug-ins by default', async () => {
    const r = await discoverRegistry();
    expect(isRight(r)).toBe(true);
    if (!isRight(r)) return;
    // Whatever policy packages exist now, each plug-in package is either loaded or explained.
    const loaded = r.right.descriptors.map((d) => r.right.packageOf(d.id));
    for (const name of loaded) expect(name).toMatch(/^@pagelab\//);
    for (const p of r.right.problems) expect(p).toMatch(/^@pagelab\//);
  });
});
