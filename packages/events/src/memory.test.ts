import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import {
  decodeEventsText,
  decodeLogText,
  exampleEvents,
  exampleHeader,
  openJsonlWriter,
  readLogText,
  stableStringify,
  validateLog,
  validateLogText,
} from './index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pagelab-events-memory-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const lines = [stableStringify(exampleHeader), ...Object.values(exampleEvents).map((e) => stableStringify(e))];

describe('reading a log held in memory', () => {
  test('an array of lines reports exactly as the same log written to disk', async () => {
    const bad = [...lines.slice(0, 3), '{"type":"spawn","pid":1,"pdi":2}', '', ...lines.slice(3), 'oops'];
    const path = join(dir, 'scenario.jsonl');
    const w = await openJsonlWriter(path);
    await w.writeLines(bad);
    await w.close();
    const fromDisk = await validateLog(path);
    const fromMemory = validateLogText(bad, { name: path });
    expect(fromMemory).toEqual(fromDisk);
    expect(fromMemory.errors.map((e) => e.line)).toEqual([4, bad.length]);
  });

  test('a whole text and a lazy iterable of lines are accepted too', () => {
    const text = `${lines.join('\r\n')}\r\n`;
    expect(validateLogText(text)).toMatchObject({ ok: true, events: lines.length - 1, file: '<memory>' });
    function* gen() {
      yield* lines;
    }
    expect(validateLogText(gen(), { name: 'gen' })).toMatchObject({ ok: true, events: lines.length - 1, file: 'gen' });
  });

  test('decodeLogText gives the header and events, or the report of what is wrong', () => {
    const ok = decodeLogText(lines);
    expect(isRight(ok) && ok.right.header).toEqual(exampleHeader);
    expect(isRight(ok) && ok.right.events.map((e) => e.event)).toEqual(Object.values(exampleEvents));
    const bad = decodeLogText([...lines, '{"type":"exit"}'], { name: 's1' });
    expect(isLeft(bad) && bad.left.errors[0]?.message).toBe(
      `s1:${lines.length + 1}: at $.pid: expected a positive integer (pid), got nothing (the field is missing)`,
    );
  });

  test('the strict in-memory readers error at the first bad line', async () => {
    expect(await lastValueFrom(readLogText(lines).pipe(toArray()))).toHaveLength(lines.length);
    await expect(lastValueFrom(decodeEventsText([lines[0] ?? '', '{"type":"spawn","pid":1.5}'], { name: 'm' }))).rejects.toThrow(
      'm:2: at $.pid: expected a positive integer (pid), got 1.5',
    );
  });
});
