// @ts-check
// `npx nx g @pagelab/policy-gen:policy <axis> <name>`: a new policy package,
// packages/policy-<axis-short>-<name>, with its descriptor, a factory that
// starts from the axis's kernel-core reference behaviour, the axis's
// conformance test, and a README. The registry finds it without other edits.
const { formatFiles, generateFiles, installPackagesTask, names, updateJson } = require('@nx/devkit');
const path = require('node:path');

/**
 * The axes, their short names, interfaces, reference policies and
 * conformance suites: read from kernel-core's AXIS_TABLE (src/axes.ts, through
 * tsx), so a new axis needs no edit here.
 * @returns {Promise<Record<string, {field: string, short: string, iface: string, reference: string, conformance: string, question: string}>>}
 */
async function axisTable() {
  const { tsImport } = await import('tsx/esm/api');
  const mod = await tsImport(path.join(__dirname, '../../../packages/kernel-core/src/axes.ts'), __filename);
  return mod.AXIS_TABLE;
}

/** @param {import('@nx/devkit').Tree} tree @param {{axis: string, name: string, title?: string, models?: string}} opts */
module.exports = async function policyGenerator(tree, opts) {
  const table = await axisTable();
  const entry = table[opts.axis];
  if (!entry) throw new Error(`axis "${opts.axis}": expected one of ${Object.keys(table).join(', ')}`);
  const n = names(opts.name);
  if (n.fileName !== opts.name) throw new Error(`name "${opts.name}": expected kebab-case, e.g. ${n.fileName}`);
  const pkg = `policy-${entry.short}-${n.fileName}`;
  const root = `packages/${pkg}`;
  if (tree.exists(root)) throw new Error(`${root} already exists`);
  generateFiles(tree, path.join(__dirname, 'files'), root, {
    ...n,
    pkg,
    axis: opts.axis,
    iface: entry.iface,
    reference: entry.reference,
    conformance: entry.conformance,
    title: opts.title || `${n.fileName} (${opts.axis})`,
    models: opts.models || 'describe the seed thread or kernel version it models',
    tmpl: '',
  });
  updateJson(tree, 'tsconfig.json', (j) => ({ ...j, references: [...(j.references ?? []), { path: `./${root}` }] }));
  await formatFiles(tree);
  // npm install links the new workspace package and records it in package-lock.json (npm ci needs it there).
  return () => installPackagesTask(tree, true);
};
