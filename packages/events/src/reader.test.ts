import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import {
  LogError,
  decodeEvents,
  exampleEvents,
  exampleHeader,
  formatReport,
  openJsonlWriter,
  readHeader,
  readLog,
  scanLog,
  sha256File,
  validateLog,
  type LogItem,
  type WorkloadEvent,
} from './index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pagelab-events-reader-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const header = JSON.stringify(exampleHeader);
const events: WorkloadEvent[] = Object.values(exampleEvents);

async function logFile(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe('reading a log file', () => {
  test('a good log round-trips: header then every event, with line numbers', async () => {
    const path = join(dir, 'good.jsonl');
    const w = await openJsonlWriter(path);
    await w.writeLines([header]);
    await w.writeValues(events);
    await w.close();
    const items = await lastValueFrom(readLog(path).pipe(toArray()));
    expect(items[0]).toEqual({ kind: 'header', line: 1, header: exampleHeader });
    expect(items.slice(1)).toEqual(events.map((event, i) => ({ kind: 'event', line: i + 2, event })));
    const report = await validateLog(path);
    expect(report).toMatchObject({ ok: true, events: events.length, lines: events.length + 1, badLines: 0, errors: [] });
    expect(report.header).toEqual(exampleHeader);
    expect(report.eventsByType.spawn).toBe(1);
    expect(report.sha256).toBe(
      createHash('sha256')
        .update(await readFile(path))
        .digest('hex'),
    );
  });

  test('CRLF, blank lines and a last line without newline are read with true line numbers', async () => {
    const path = await logFile('crlf.jsonl', `\r\n${header}\r\n\r\n{"type":"spawn","pid":1}\r\n   \r\n{"type":"exit","pid":1}`);
    const items = await lastValueFrom(readLog(path).pipe(toArray()));
    expect(items.map((i) => i.line)).toEqual([2, 4, 6]);
    expect(await validateLog(path)).toMatchObject({ ok: true, lines: 6, blankLines: 3, events: 2 });
  });

  test('several bad lines among many good ones are each reported with line, path, expected and found values', async () => {
    const lines = [header];
    for (let i = 0; i < 1000; i++) lines.push(JSON.stringify({ type: 'touch', pid: 1, addr: i * 4096, len: 4096, write: true }));
    lines[100] = '{"type":"touch","pid":1,"addr":4097,"len":4096,"write":true}';
    lines[200] = '{"type":"munmap","pid":1,"addr":0,"len":4096,"lenght":4096}';
    lines[300] = '{"type":"touch", pid: 1}';
    lines[400] = '{"type":"spwan","pid":1}';
    lines[500] = '{"type":"touch","pid":0,"addr":0,"len":4096,"write":"yes"}';
    const path = await logFile('bad.jsonl', `${lines.join('\n')}\n`);
    const report = await validateLog(path);
    expect(report).toMatchObject({ ok: false, badLines: 5, omittedErrors: 0, events: 995 });
    expect(report.errors.map((e) => e.line)).toEqual([101, 201, 301, 401, 501]);
    const [aligned, typo, notJson, unknownType, twoIssues] = report.errors;
    expect(aligned?.message).toBe(`${path}:101: at $.addr: expected a multiple of 4096, got 4097`);
    expect(typo?.issues).toEqual([{ path: '$.lenght', expected: expect.stringContaining('no field "lenght"'), got: 4096 }]);
    expect(notJson).toMatchObject({ kind: 'json', line: 301 });
    expect(notJson?.message).toMatch(new RegExp(`^${path}:301: not valid JSON: .*property name`));
    expect(unknownType?.message).toMatch(/:401: at \$\.type: expected one of spawn, exit, fork, .*, expect, got "spwan"$/);
    expect(twoIssues?.message.split('\n')).toEqual([
      `${path}:501: at $.pid: expected a positive integer (pid), got 0`,
      `${path}:501: at $.write: expected a boolean (true or false), got "yes"`,
    ]);
    expect(formatReport(report).split('\n').at(-1)).toBe(`${path}: invalid: 5 bad lines in 1001 lines`);
  });

  test('past maxErrors the remaining bad lines are only counted', async () => {
    const lines = [header, ...Array.from({ length: 10 }, () => 'not json')];
    const path = await logFile('many-bad.jsonl', lines.join('\n'));
    const report = await validateLog(path, { maxErrors: 3 });
    expect(report).toMatchObject({ badLines: 10, omittedErrors: 7 });
    expect(report.errors.map((e) => e.line)).toEqual([2, 3, 4]);
    expect(formatReport(report)).toContain('... and 7 more bad lines');
  });

  test('an empty file and a file without header are reported', async () => {
    expect((await validateLog(await logFile('empty.jsonl', ''))).errors[0]?.message).toMatch(/:1: at \$: expected the log header .*, got an empty file$/);
    const noHeader = await validateLog(await logFile('nohdr.jsonl', '{"type":"spawn","pid":1}\n{"type":"spawn","pid":2}\n'));
    expect(noHeader).toMatchObject({ badLines: 1, events: 1 });
    expect(noHeader.errors[0]?.message).toMatch(/:1: at \$: expected the log header .* as the first line/);
  });

  test('a file of blank lines is reported at line 1, where the header was due', async () => {
    const r = await validateLog(await logFile('blank.jsonl', '\n\n\n'));
    expect(r.errors[0]?.message).toMatch(/blank\.jsonl:1: at \$: expected the log header .*, got 3 blank lines and nothing else$/);
  });

  test('a key twice in one object and invalid UTF-8 are refused with their line', async () => {
    const bytes = Buffer.concat([
      Buffer.from(`${header}\n{"type":"spawn","pid":1,"pid":2}\n{"type":"spawn","pid":3,"x":{"a":1,"b":{"a":2}}}\n{"type":"spawn","pid":`),
      Buffer.from([0xff]),
      Buffer.from('4}\n'),
    ]);
    const path = await logFile('dup.jsonl', '');
    await writeFile(path, bytes);
    const r = await validateLog(path);
    const msgs = r.errors.map((e) => e.message);
    expect(msgs[0]).toMatch(/dup\.jsonl:2: not valid JSON: the key "pid" appears twice in one object/);
    expect(msgs.some((m) => /dup\.jsonl:3: .*no field "x"/.test(m))).toBe(true);
    expect(msgs.some((m) => /dup\.jsonl:4: not valid JSON: invalid UTF-8 at character 23/.test(m))).toBe(true);
  });

  test('the strict reader errors with the formatted message at the first bad line', async () => {
    const path = await logFile('strict.jsonl', `${header}\n{"type":"spawn","pid":1}\n{"type":"spawn","pid":-1}\n{"type":"nope"}\n`);
    const seen: LogItem[] = [];
    const error = await new Promise<unknown>((resolve) => readLog(path).subscribe({ next: (i) => seen.push(i), error: resolve }));
    expect(seen).toHaveLength(2);
    expect(error).toBeInstanceOf(LogError);
    expect((error as LogError).message).toBe(`${path}:3: at $.pid: expected a positive integer (pid), got -1`);
    await expect(lastValueFrom(decodeEvents(path))).rejects.toThrow(/:3: at \$\.pid/);
  });

  test('scanLog gives every line as a value, bad ones as Left', async () => {
    const path = await logFile('scan.jsonl', `${header}\nnope\n{"type":"spawn","pid":1}\n`);
    const results = await lastValueFrom(scanLog(path).pipe(toArray()));
    expect(results.map((r) => (isLeft(r) ? `L${r.left.line}` : `R${r.right.line}`))).toEqual(['R1', 'L2', 'R3']);
  });

  test('readHeader reads the first line only', async () => {
    const path = await logFile('hdr.jsonl', `${header}\nnot json at all\n`);
    const h = await readHeader(path);
    expect(isRight(h) && h.right).toEqual(exampleHeader);
    const bad = await readHeader(await logFile('hdr-bad.jsonl', 'garbage\n'));
    expect(isLeft(bad) && bad.left.kind).toBe('json');
  });

  test('a missing file errors the stream', async () => {
    await expect(validateLog(join(dir, 'does-not-exist.jsonl'))).rejects.toThrow(/ENOENT/);
  });

  describe('a large generated log', () => {
    const N = 200_000;
    let path: string;
    beforeAll(async () => {
      path = join(dir, 'large.jsonl');
      const w = await openJsonlWriter(path, { fsync: false });
      await w.writeLines([header]);
      for (let i = 0; i < N; i += 1000) {
        const batch: WorkloadEvent[] = [];
        for (let j = i; j < i + 1000; j++)
          batch.push({ type: 'touch', pid: 1 + (j % 7), addr: (j % 4096) * 4096, len: 4096, write: j % 2 === 0, comment: 'é' });
        await w.writeValues(batch);
      }
      await w.close();
    }, 60_000);

    test('streams through validateLog with a sha256 equal to that of the file', async () => {
      const report = await validateLog(path);
      expect(report).toMatchObject({ ok: true, events: N, lines: N + 1 });
      expect(report.eventsByType).toEqual({ touch: N });
      expect(report.sha256).toBe(
        createHash('sha256')
          .update(await readFile(path))
          .digest('hex'),
      );
      expect(report.sha256).toBe(await sha256File(path));
    }, 60_000);

    test('decodeEvents emits every event in order, and stops reading when unsubscribed', async () => {
      let count = 0;
      let inOrder = true;
      await new Promise<void>((resolve, reject) =>
        decodeEvents(path).subscribe({
          next: (e) => {
            count++;
            inOrder &&= e.line === count + 1; // line 1 is the header
          },
          error: reject,
          complete: resolve,
        }),
      );
      expect(inOrder).toBe(true);
      expect(count).toBe(N);
      const firstTen = await lastValueFrom(decodeEvents(path).pipe(take(10), toArray()));
      expect(firstTen.map((e) => e.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      expect((await firstValueFrom(readLog(path))).kind).toBe('header');
    }, 60_000);
  });
});
