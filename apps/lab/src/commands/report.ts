/** `pagelab report RUN_DIR`: the analysis report of a comparison (or of a single run). */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { stableStringify, writeFileAtomic } from '@pagelab/events';
import { CliError, guarded, type LabContext } from '../context.js';
import { writeReportFor } from './compare.js';

/** A single run directory gets a one-design compare.json so the report can read it. */
async function ensureManifest(ctx: LabContext, dir: string, arg: string): Promise<void> {
  if (existsSync(join(dir, 'compare.json'))) return;
  const summaryPath = join(dir, 'summary.json');
  if (!existsSync(summaryPath)) {
    throw new CliError(`${arg}: expected a run directory from \`pagelab compare\` (with compare.json) or \`pagelab run\` (with summary.json)`);
  }
  let s: { pagelab?: string; workload?: unknown; logSha256?: string; design?: { name?: string } };
  try {
    s = JSON.parse(await readFile(summaryPath, 'utf8')) as typeof s;
  } catch (e) {
    throw new CliError(`${summaryPath}: cannot read it as JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const manifest = { pagelab: s.pagelab, workload: s.workload, logSha256: s.logSha256, command: ctx.commandLine, designs: [{ name: s.design?.name ?? 'design', dir: '.' }] };
  await writeFileAtomic(join(dir, 'compare.json'), `${JSON.stringify(JSON.parse(stableStringify(manifest)), null, 2)}\n`);
}

export function reportCommand(ctx: LabContext, runDir: string): Promise<number> {
  return guarded(ctx, async () => {
    const dir = resolve(ctx.cwd, runDir);
    if (!existsSync(dir)) throw new CliError(`${runDir}: no such run directory`);
    await ensureManifest(ctx, dir, runDir);
    return writeReportFor(ctx, dir);
  });
}
