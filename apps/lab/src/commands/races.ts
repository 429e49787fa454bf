/**
 * `pagelab races`: lists the race scenarios; `pagelab races NAME` explores
 * one over every interleaving and exits 1 when an assertion can fail.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RaceScenario } from '@pagelab/races';
import { CliError, EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_OK, guarded, type LabContext } from '../context.js';

export interface RacesOptions {
  readonly name?: string;
  readonly memoryModel?: string;
  readonly reduction?: string;
  readonly json?: boolean;
  readonly litmus?: boolean;
  readonly report?: string;
  readonly force?: boolean;
  /** A module whose exports (default, `scenario` or `scenarios`) are race scenarios in the step language. */
  readonly file?: string;
}

const MODELS = ['sc', 'weak'] as const;
const REDUCTIONS = ['sleep-sets', 'none'] as const;

export function racesCommand(ctx: LabContext, o: RacesOptions): Promise<number> {
  return guarded(ctx, async () => {
    const races = await import('@pagelab/races');
    const list = o.file === undefined ? races.RACE_SCENARIOS : await scenariosFrom(resolve(ctx.cwd, o.file));
    if (o.file !== undefined && o.name === undefined && list.length === 1) return racesCommand(ctx, { ...o, name: list[0]!.name });
    if (o.name === undefined && o.json) {
      const rows = list.map((s) => ({
        name: s.name,
        title: s.title,
        cpus: s.cpus.map((p) => p.name),
        expect: s.expect,
        source: s.source,
        litmus: races.hasLitmus(s),
      }));
      ctx.stdout(`${JSON.stringify(rows, null, 2)}\n`);
      return EXIT_OK;
    }
    if (o.name === undefined) {
      const out: string[] = ['Race scenarios (pagelab races NAME [--memory-model sc|weak]):', ''];
      for (const s of list) {
        out.push(`${s.name} — ${s.title}`);
        out.push(`  CPUs:    ${s.cpus.map((p, i) => `CPU${i} ${p.name}`).join(', ')}`);
        out.push(`  verdict: ${s.expect ? `sc ${s.expect.sc}, weak ${s.expect.weak}` : 'not stated'}${races.hasLitmus(s) ? '   (--litmus available)' : ''}`);
        out.push(`  source:  ${s.source}`);
        out.push('');
      }
      ctx.stdout(out.join('\n'));
      return EXIT_OK;
    }
    const scenario = list.find((s) => s.name === o.name);
    if (!scenario) throw new CliError(`unknown race scenario '${o.name}'; expected one of: ${list.map((s) => s.name).join(', ')}`);
    try {
      races.compile(scenario);
    } catch (e) {
      throw new CliError(e instanceof Error ? e.message : String(e));
    }
    const memoryModel = o.memoryModel ?? 'sc';
    if (!(MODELS as readonly string[]).includes(memoryModel)) throw new CliError(`--memory-model: expected sc or weak, got '${memoryModel}'`);
    const reduction = o.reduction ?? 'sleep-sets';
    if (!(REDUCTIONS as readonly string[]).includes(reduction)) throw new CliError(`--reduction: expected sleep-sets or none, got '${reduction}'`);
    if (o.litmus) {
      if (!races.hasLitmus(scenario)) throw new CliError(`no litmus export for '${scenario.name}': only the seed002 scenarios have one`);
      ctx.stdout(races.toLitmus(scenario));
      return EXIT_OK;
    }
    const run = (m: (typeof MODELS)[number]) => races.explore(scenario, { memoryModel: m, reduction: reduction as (typeof REDUCTIONS)[number] });
    const r = run(memoryModel as (typeof MODELS)[number]);
    if (o.report !== undefined) {
      const dir = resolve(ctx.cwd, o.report);
      const runs = MODELS.map((m) => (m === r.memoryModel ? r : run(m)));
      await writeReportDir(dir, races.racesReport(scenario, runs), o.force ?? false);
      if (!o.json) ctx.stderr(`report: ${join(dir, 'report.html')} and report.md\n`);
    }
    ctx.stdout(o.json ? `${JSON.stringify(races.explorationJson(r), null, 2)}\n` : races.explorationText(scenario, r));
    return r.violations.length > 0 ? EXIT_CHECK_FAILED : EXIT_OK;
  });
}

/** Race scenarios exported by a module: its default export, `scenario`, or `scenarios` (one or an array each). */
async function scenariosFrom(file: string): Promise<RaceScenario[]> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (e) {
    throw new CliError(`--file ${file}: cannot load it as a module (${e instanceof Error ? e.message : String(e)})`);
  }
  const found = [mod.default, mod.scenario, mod.scenarios].flatMap((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]));
  const bad = found.find(
    (s) =>
      typeof s !== 'object' ||
      s === null ||
      typeof (s as RaceScenario).name !== 'string' ||
      !Array.isArray((s as RaceScenario).cpus) ||
      !Array.isArray((s as RaceScenario).words),
  );
  if (found.length === 0 || bad !== undefined) {
    throw new CliError(
      `--file ${file}: expected a default export, 'scenario' or 'scenarios' holding race scenarios ({name, title, source, words, cpus}), got ${found.length === 0 ? 'none' : JSON.stringify(bad)?.slice(0, 80)}`,
    );
  }
  return found as RaceScenario[];
}

/** Writes the files into a temporary sibling directory and renames it, so a failure leaves nothing half-written. */
async function writeReportDir(dir: string, files: readonly { name: string; text: string }[], force: boolean): Promise<void> {
  const tmp = join(dirname(dir), `.${dir.split('/').pop()}.tmp-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    for (const f of files) await writeFile(join(tmp, f.name), f.text);
    if (force) await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOTEMPTY' || e.code === 'EEXIST') throw new CliError(`--report: '${dir}' exists; add --force to replace it`, EXIT_BAD_INPUT);
      throw e;
    });
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}
