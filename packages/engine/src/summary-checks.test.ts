import { describe, expect, it } from 'vitest';
import { lastValueFrom, toArray } from 'rxjs';
import { isLeft } from 'fp-ts/lib/Either.js';
import { Summary, type WorkloadEvent } from '@pagelab/events';
import { designFrom } from './design.js';
import { registryFrom } from './registry.js';
import { replay, summarize, summaryJson, type ReplayState } from './replay.js';
import { smallEvents, smallHeader, smallLog, standInDescriptors } from './testing/index.js';

const MiB = 1 << 20;

describe('summary.json expectations.checks', () => {
  it('records every expect check with the value the model found, passed or not, in log order', async () => {
    const d = designFrom('linux-6.10', registryFrom(standInDescriptors));
    if (isLeft(d)) throw new Error(d.left.message);
    const events: WorkloadEvent[] = [
      ...smallEvents,
      { type: 'expect', pid: 1, addr: 4 * MiB, len: 2 * MiB, anonHugeBytes: 2 * MiB, mapped: true, label: 'one wrong on purpose' },
    ];
    let state: ReplayState | undefined;
    await lastValueFrom(replay(smallLog(events), d.right, { onEnd: (s) => (state = s) }).pipe(toArray()));
    const s = summarize(state!, { design: d.right, header: smallHeader, logSha256: 'a'.repeat(64) });
    const last = s.expectations.checks.filter((c) => c.line === events.length + 1);
    expect(last.map((c) => c.check)).toEqual(['anonHugeBytes', 'mapped']);
    // Every check is listed, and the failed ones are exactly the failures.
    expect(s.expectations.checks.length).toBe(s.expectations.passed + s.expectations.failed);
    expect(s.expectations.checks.filter((c) => !c.passed).map((c) => [c.line, c.check, c.actual])).toEqual(
      s.expectations.failures.map((f) => [f.line, f.check, typeof f.actual === 'string' ? false : f.actual]),
    );
    expect(isLeft(Summary.decode(JSON.parse(summaryJson(s))))).toBe(false);
  });
});
