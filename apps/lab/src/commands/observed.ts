/**
 * The record -> replay -> compare loop: when the log `compare` replays was
 * recorded (LOG.smaps.jsonl beside it), the model is replayed once more
 * under the preset closest to the running kernel, its AnonHugePages and
 * RssAnon+RssShmem are set beside the kernel's over the run, and the
 * prediction error is written (observed.json, observed.svg/.png, observed.md)
 * and printed.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { release } from 'node:os';
import { join, resolve } from 'node:path';
import { isLeft } from 'fp-ts/lib/Either.js';
import { decodeLogText, writeFileAtomic } from '@pagelab/events';
import { designFrom, PRESETS } from '@pagelab/engine';
import { closestPreset, predict, smapsPathFor, type ObservedSample, type Prediction } from '@pagelab/record';
import type { LabContext } from '../context.js';
import { formatBytes } from '../format.js';

/** The normal run's samples of a smaps file (the traced run had THP disabled, so its AnonHugePages are not the program's). */
export function normalSamples(text: string): ObservedSample[] {
  const out: ObservedSample[] = [];
  for (const line of text.split('\n').slice(1)) {
    if (line.trim() === '') continue;
    const s = JSON.parse(line) as { run?: string; seq?: number; tMs?: number; anonHugeBytes?: number; rssModelBytes?: number };
    if (s.run === 'normal' && typeof s.seq === 'number' && s.seq > 0)
      out.push({ seq: s.seq, tMs: s.tMs ?? 0, anonHugeBytes: s.anonHugeBytes ?? 0, rssModelBytes: s.rssModelBytes ?? 0 });
  }
  return out;
}

const ALIGNMENT_WORDS: Readonly<Record<string, string>> = {
  landmarks: 'the forks and exits both runs saw',
  'rss-dtw': "time-warping the normal run's Rss onto the traced run's (so the Rss error is optimistic; AnonHugePages was not used)",
  fraction: 'the fraction of the run elapsed (the coarsest)',
};

const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : 'n/a (nothing observed)');

export function observedLines(p: Prediction): string[] {
  return [
    `observed vs model (${p.design}, the preset nearest this kernel; ${p.anonHuge.samples} samples of the normal run):`,
    `  AnonHugePages: mean abs error ${formatBytes(p.anonHuge.meanAbsBytes)} (${pct(p.anonHuge.relative)} of the mean observed ${formatBytes(p.anonHuge.meanObservedBytes)}); steady samples ${pct(p.anonHugeSteady.relative)}`,
    `  RssAnon+RssShmem: mean abs error ${formatBytes(p.rss.meanAbsBytes)} (${pct(p.rss.relative)} of the mean observed ${formatBytes(p.rss.meanObservedBytes)}); steady samples ${pct(p.rssSteady.relative)}`,
  ];
}

/** Writes the observed-vs-predicted files into `dir` when `logArg` is a recorded log; returns the lines to print, or [] when it is not one. */
export async function observedSection(ctx: LabContext, logArg: string, dir: string): Promise<string[]> {
  const logPath = resolve(ctx.cwd, logArg);
  const smaps = smapsPathFor(logPath);
  if (!existsSync(logPath) || !existsSync(smaps)) return [];
  const smapsText = await readFile(smaps, 'utf8');
  const samples = normalSamples(smapsText);
  const alignment = (JSON.parse(smapsText.split('\n', 1)[0] ?? '{}') as { alignment?: string }).alignment ?? 'fraction';
  if (samples.length === 0) return ['observed vs model: the smaps file has no normal-run samples (recorded with --no-normal-run?)'];
  const decoded = decodeLogText(await readFile(logPath, 'utf8'), { name: logPath });
  if (isLeft(decoded)) return []; // compare has already reported a bad log
  const log = decoded.right;
  const registry = await ctx.loadRegistry();
  if (isLeft(registry)) return [];
  const preset = closestPreset(
    release(),
    PRESETS.map((p) => p.name),
  );
  const design = preset === undefined ? undefined : designFrom(preset, registry.right);
  if (!design || isLeft(design)) return [];
  const p = predict({ header: log.header, events: log.events.map((e) => e.event) }, design.right, samples);
  const { observedChartSvg, svgToPng } = await import('@pagelab/analysis');
  const svg = observedChartSvg(p.points, p.design);
  await writeFileAtomic(
    join(dir, 'observed.json'),
    `${JSON.stringify({ design: p.design, kernel: release(), alignment, anonHuge: p.anonHuge, rss: p.rss, anonHugeSteady: p.anonHugeSteady, rssSteady: p.rssSteady, points: p.points }, null, 1)}\n`,
  );
  await writeFileAtomic(join(dir, 'observed.svg'), svg);
  await writeFileAtomic(join(dir, 'observed.png'), svgToPng(svg));
  const lines = [...observedLines(p), `  samples lined up by ${ALIGNMENT_WORDS[alignment] ?? alignment}`];
  await writeFileAtomic(
    join(dir, 'observed.md'),
    `# Observed vs predicted\n\n${lines.map((l) => l.trim()).join('\n\n')}\n\n![observed vs model](observed.png)\n\nSteady samples are those whose observed value equals both neighbours'.\n`,
  );
  return [...lines, `  wrote observed.json, observed.svg, observed.png, observed.md`];
}
