// @ts-check
// `npx nx g @pagelab/policy-gen:policy <axis> <name>`: a new policy package,
// packages/policy-<axis-short>-<name>, with its descriptor, a factory that
// starts from the axis's kernel-core reference behaviour, the axis's
// conformance test, and a README. The registry finds it without other edits.
const { formatFiles, generateFiles, installPackagesTask, names, updateJson } = require('@nx/devkit');
const path = require('node:path');

/**
 * The axis table and what it gives a new package (policyPackageOf: package
 * name, interface, reference policy, conformance suite), read from
 * kernel-core's src/axes.ts through tsx, so a new axis needs no edit here.
 * @returns {Promise<{AXIS_TABLE: Record<string, unknown>, policyPackageOf: (table: Record<string, unknown>, axis: string, name: string) => {pkg: string, iface: string, reference: string, conformance: string}}>}
 */
async function axesModule() {
  const { tsImport } = await import('tsx/esm/api');
  return tsImport(path.join(__dirname, '../../../packages/kernel-core/src/axes.ts'), __filename);
}

/** @param {import('@nx/devkit').Tree} tree @param {{axis: string, name: string, title?: string, models?: string}} opts */
module.exports = async function policyGenerator(tree, opts) {
  const axes = await axesModule();
  const { pkg, iface, reference, conformance } = axes.policyPackageOf(axes.AXIS_TABLE, opts.axis, opts.name);
  const n = names(opts.name);
  if (n.fileName !== opts.name) throw new Error(`name "${opts.name}": expected kebab-case, e.g. ${n.fileName}`);
  const root = `packages/${pkg}`;
  if (tree.exists(root)) throw new Error(`${root} already exists`);
  generateFiles(tree, path.join(__dirname, 'files'), root, {
    ...n,
    pkg,
    axis: opts.axis,
    iface,
    reference,
    conformance,
    title: opts.title || `${n.fileName} (${opts.axis})`,
    models: opts.models || 'describe the seed thread or kernel version it models',
    tmpl: '',
  });
  updateJson(tree, 'tsconfig.json', (j) => ({ ...j, references: [...(j.references ?? []), { path: `./${root}` }] }));
  await formatFiles(tree);
  // npm install links the new workspace package and records it in package-lock.json (npm ci needs it there).
  return () => installPackagesTask(tree, true);
};
