#!/usr/bin/env node
// The `pagelab` command. Runs the compiled app (dist/main.js) when it has been
// built and no workspace source file is newer than it; otherwise runs the
// TypeScript source through tsx with the `development` export condition, so
// the workspace packages resolve to their sources, `npx pagelab` works right
// after `npm ci`, and an edit is never shadowed by a stale build.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist', 'main.js');

// Newest modification time of any file under the source folders of the workspace projects.
function newestSource(workspace) {
  let newest = 0;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  for (const group of ['packages', 'apps']) {
    const g = join(workspace, group);
    if (!existsSync(g)) continue;
    for (const project of readdirSync(g)) {
      const src = join(g, project, 'src');
      if (existsSync(src)) walk(src);
    }
  }
  return newest;
}

const fresh = existsSync(dist) && statSync(dist).mtimeMs >= newestSource(join(root, '..', '..'));
if (fresh && !process.env.PAGELAB_FROM_SOURCE) {
  await import(pathToFileURL(dist).href);
} else {
  let tsx;
  try {
    tsx = import.meta.resolve('tsx');
  } catch {
    process.stderr.write('pagelab: the app is not built (apps/lab/dist/main.js is missing) and tsx is not installed to run it from source; run `npm ci` or `npx nx run @pagelab/lab:build`.\n');
    process.exit(2);
  }
  // Ctrl-C reaches the child too (same process group); wait for it to clean up and exit.
  process.on('SIGINT', () => {});
  const r = spawnSync(
    process.execPath,
    ['--conditions=development', '--import', tsx, join(root, 'src', 'main.ts'), ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  if (r.error) {
    process.stderr.write(`pagelab: could not start node: ${r.error.message}\n`);
    process.exit(2);
  }
  process.exit(r.status ?? (r.signal === 'SIGINT' ? 130 : 1));
}
