/** `--seeds 1..10`, `--seeds 1,4,9`, or both (`1..3,7`): the seeds of a replicated comparison, in order, each once. */
import { CliError } from './context.js';

/** The most replicates one comparison takes (each seed replays every design). */
export const MAX_SEEDS = 1000;

export function parseSeeds(text: string): number[] {
  const out: number[] = [];
  const seen = new Set<number>();
  const bad = (why: string) =>
    new CliError(`--seeds "${text}": ${why}; expected seeds as integers >= 0, a range or a list, e.g. --seeds 1..10 or --seeds 1,4,9`);
  const int = (s: string): number => {
    if (!/^\d+$/.test(s)) throw bad(`"${s}" is not an integer >= 0`);
    const n = Number(s);
    if (!Number.isSafeInteger(n) || n > 2 ** 31 - 1) throw bad(`"${s}" is out of range (at most ${2 ** 31 - 1})`);
    return n;
  };
  for (const piece of text.split(',')) {
    const p = piece.trim();
    if (p === '') throw bad('an empty item');
    const range = /^(\S+?)\.\.(\S+)$/.exec(p);
    const [from, to] = range ? [int(range[1]!), int(range[2]!)] : [int(p), int(p)];
    if (to < from) throw bad(`the range ${p} runs backwards`);
    if (to - from + 1 + out.length > MAX_SEEDS) throw bad(`more than ${MAX_SEEDS} seeds`);
    for (let s = from; s <= to; s++) {
      if (seen.has(s)) throw bad(`seed ${s} is given twice`);
      seen.add(s);
      out.push(s);
    }
  }
  return out;
}
