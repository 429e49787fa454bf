// @ts-check
// `npx nx g @pagelab/policy-gen:policy <axis> <name>`: a new policy package,
// packages/policy-<axis-short>-<name>, with its descriptor, a factory that
// starts from the axis's kernel-core reference behaviour, the axis's
// conformance test, and a README. The registry finds it without other edits.
const { formatFiles, generateFiles, installPackagesTask, names, updateJson } = require('@nx/devkit');
const path = require('node:path');

const SHORT = { refcount: 'refcount', sharedness: 'sharedness', 'pinned-migration': 'pinned', 'shmem-truncate': 'shmem' };
const IFACE = { refcount: 'RefcountPolicy', sharedness: 'SharednessPolicy', 'pinned-migration': 'PinnedMigrationPolicy', 'shmem-truncate': 'ShmemTruncatePolicy' };
const REFERENCE = { refcount: 'refHeadRefcount', sharedness: 'refPreciseSharedness', 'pinned-migration': 'refPinsBlock', 'shmem-truncate': 'refSplitOnPunch' };
const CONFORMANCE = { refcount: 'runRefcountConformance', sharedness: 'runSharednessConformance', 'pinned-migration': 'runPinnedMigrationConformance', 'shmem-truncate': 'runShmemTruncateConformance' };

/** @param {import('@nx/devkit').Tree} tree @param {{axis: keyof typeof SHORT, name: string, title?: string, models?: string}} opts */
module.exports = async function policyGenerator(tree, opts) {
  if (!(opts.axis in SHORT)) throw new Error(`axis "${opts.axis}": expected one of ${Object.keys(SHORT).join(', ')}`);
  const n = names(opts.name);
  if (n.fileName !== opts.name) throw new Error(`name "${opts.name}": expected kebab-case, e.g. ${n.fileName}`);
  const pkg = `policy-${SHORT[opts.axis]}-${n.fileName}`;
  const root = `packages/${pkg}`;
  if (tree.exists(root)) throw new Error(`${root} already exists`);
  generateFiles(tree, path.join(__dirname, 'files'), root, {
    ...n,
    pkg,
    axis: opts.axis,
    iface: IFACE[opts.axis],
    reference: REFERENCE[opts.axis],
    conformance: CONFORMANCE[/** @type {'refcount'} */ (opts.axis)] ?? '',
    title: opts.title || `${n.fileName} (${opts.axis})`,
    models: opts.models || 'describe the seed thread or kernel version it models',
    tmpl: '',
  });
  updateJson(tree, 'tsconfig.json', (j) => ({ ...j, references: [...(j.references ?? []), { path: `./${root}` }] }));
  await formatFiles(tree);
  // npm install links the new workspace package and records it in package-lock.json (npm ci needs it there).
  return () => installPackagesTask(tree, true);
};
