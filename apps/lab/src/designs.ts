/** DESIGN arguments resolved against the installed policies, errors as one paragraph. */
import { isLeft } from 'fp-ts/lib/Either.js';
import { designFrom, type Design, type Registry } from '@pagelab/engine';
import { CliError, type LabContext } from './context.js';

export async function loadRegistry(ctx: LabContext): Promise<Registry> {
  const r = await ctx.loadRegistry();
  if (isLeft(r)) throw new CliError(`cannot load the policy plug-ins: ${r.left.message}`);
  return r.right;
}

export async function loadDesigns(ctx: LabContext, texts: readonly string[]): Promise<Design[]> {
  const registry = await loadRegistry(ctx);
  const out: Design[] = [];
  for (const text of texts) {
    const d = designFrom(text, registry);
    if (isLeft(d)) throw new CliError(d.left.message);
    out.push(d.right);
  }
  return out;
}

/**
 * The default sampling period: about 1,000 samples per run, and a sample
 * after every event of a short log, so a peak that lasts a few events (waste
 * held while a pin is up) is not missed between samples.
 */
export function autoSampleEvery(events: number): number {
  return Math.max(1, Math.ceil(events / 1000));
}

/** --sample-every: a positive integer. */
export function sampleEveryOf(v: string | number | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new CliError(`--sample-every "${String(v)}": expected a positive integer (events between metric samples), e.g. --sample-every 500`);
  return n;
}
