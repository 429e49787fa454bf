/**
 * The architecture's dependency rules are enforced by `nx lint`
 * (@nx/enforce-module-boundaries with the projects' scope tags). These tests
 * lint code that breaks a rule, as if it sat in a real project, and expect
 * the rule to fire; and lint the same import where it is allowed.
 */
import { ESLint } from 'eslint';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');

async function boundaryErrors(projectDir: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root });
  const [res] = await eslint.lintText(code, { filePath: join(root, projectDir, 'src/__boundary_probe.ts') });
  return (res?.messages ?? []).filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
}

describe('module boundaries', () => {
  beforeAll(() => {
    // The rule reads Nx's cached project graph; make sure it exists (a fresh clone has none).
    execFileSync(join(root, 'node_modules/.bin/nx'), ['show', 'projects'], { cwd: root, env: { ...process.env, NX_DAEMON: 'false' }, stdio: 'ignore' });
  });

  it('a policy importing another policy fails lint', async () => {
    const errs = await boundaryErrors(
      'packages/policy-refcount-head',
      "import { descriptor } from '@pagelab/policy-refcount-tail';\nexport const x = descriptor;\n",
    );
    expect(errs.length).toBeGreaterThan(0);
    expect(errs.join('\n')).toMatch(/scope:policy/);
  });

  it('a policy importing an app fails lint', async () => {
    const errs = await boundaryErrors('packages/policy-sharedness-likely', "import * as lab from '@pagelab/lab';\nexport const x = lab;\n");
    expect(errs.length).toBeGreaterThan(0);
  });

  it('kernel-core importing the engine fails lint', async () => {
    const errs = await boundaryErrors('packages/kernel-core', "import * as e from '@pagelab/engine';\nexport const x = e;\n");
    expect(errs.length).toBeGreaterThan(0);
  });

  it('a policy importing kernel-core passes lint', async () => {
    const errs = await boundaryErrors('packages/policy-refcount-head', "import { site } from '@pagelab/kernel-core';\nexport const x = site;\n");
    expect(errs).toEqual([]);
  });
});
