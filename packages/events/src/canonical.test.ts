import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { LogDigest, canonicalEventLine } from './canonical.js';
import { exampleEvents, exampleHeader } from './examples.js';
import { validateLogText } from './memory.js';
import { stableStringify } from './stable-stringify.js';

const viaStable = (e: unknown) => stableStringify(e, { leadingKeys: ['type'] });

describe('canonical log bytes without a text round trip', () => {
  test('an event line is the stableStringify line whatever order its keys were written in', () => {
    const flat = fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.integer(), fc.double(), fc.string(), fc.boolean(), fc.constant(undefined)));
    fc.assert(
      fc.property(flat, fc.jsonValue(), fc.boolean(), (rest, nested, typeFirst) => {
        const withNested = { ...rest, deep: nested };
        const e = typeFirst ? { type: 'touch', ...rest } : { ...rest, type: 'touch' };
        expect(canonicalEventLine(e)).toBe(viaStable(e));
        expect(canonicalEventLine(withNested)).toBe(viaStable(withNested));
      }),
      { numRuns: 300 },
    );
  });

  test('the digest is the sha256 of the file the writer would produce, as the validator computes it', () => {
    const header = exampleHeader;
    const events = Object.values(exampleEvents);
    const lines = [stableStringify(header), ...events.map(viaStable)];
    const d = new LogDigest(header);
    for (const e of events) d.add(e);
    const sha = d.finish();
    expect(sha).toBe(
      createHash('sha256')
        .update(lines.map((l) => `${l}\n`).join(''))
        .digest('hex'),
    );
    expect(sha).toBe(validateLogText(lines).sha256);
    expect(d.events).toBe(events.length);
  });

  test('a log longer than one hash chunk digests the same as in one piece', () => {
    const header = exampleHeader;
    const d = new LogDigest(header);
    const whole = createHash('sha256').update(`${stableStringify(header)}\n`);
    for (let i = 0; i < 5000; i++) {
      const e = { type: 'touch', pid: 1, addr: 4096 * i, len: 4096, write: i % 2 === 0, comment: 'é ✓' };
      d.add(e);
      whole.update(`${viaStable(e)}\n`);
    }
    expect(d.finish()).toBe(whole.digest('hex'));
  });
});
