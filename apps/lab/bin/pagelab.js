#!/usr/bin/env node
// The `pagelab` command. Runs the compiled app (dist/main.js) when it has been
// built and no workspace source file is newer than it; otherwise runs the
// TypeScript source through tsx with the `development` export condition, so
// the workspace packages resolve to their sources, `npx pagelab` works right
// after `npm ci`, and an edit is never shadowed by a stale build.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { spawn } from 'node:child_process';
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

// The CLI loads the policy plug-ins at run time (they are no dependency of the app): a built app without built
// plug-ins fails every run with "policy ... is not installed". Built means every workspace project has its dist/.
function everyProjectBuilt(workspace) {
  for (const group of ['packages', 'apps']) {
    const g = join(workspace, group);
    if (!existsSync(g)) continue;
    for (const project of readdirSync(g)) {
      const dir = join(g, project);
      if (existsSync(join(dir, 'src')) && existsSync(join(dir, 'tsconfig.json')) && !existsSync(join(dir, 'dist'))) return false;
    }
  }
  return true;
}

const workspace = join(root, '..', '..');
const fresh = existsSync(dist) && statSync(dist).mtimeMs >= newestSource(workspace) && everyProjectBuilt(workspace);
if (fresh && !process.env.PAGELAB_FROM_SOURCE) {
  await import(pathToFileURL(dist).href);
} else {
  let tsx;
  try {
    tsx = import.meta.resolve('tsx');
  } catch {
    process.stderr.write('pagelab: the app and its policy plug-ins are not built and tsx is not installed to run them from source; run `npm ci`, or build everything the CLI loads with `npx nx run-many -t build`.\n');
    process.exit(2);
  }
  const child = spawn(
    process.execPath,
    ['--conditions=development', '--import', tsx, join(root, 'src', 'main.ts'), ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  // A signal sent to this launcher alone (kill PID, a timeout, a closed terminal) is passed on, so the child removes
  // its half-built run directory and exits as it would have; Ctrl-C reaches both (same process group), which is harmless.
  const EXIT = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
  for (const signal of Object.keys(EXIT)) process.on(signal, () => child.kill(signal));
  child.on('error', (e) => {
    process.stderr.write(`pagelab: could not start node: ${e.message}\n`);
    process.exit(2);
  });
  child.on('exit', (code, signal) => process.exit(code ?? EXIT[signal] ?? 1));
}
