import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { closeSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openJsonlWriter, writeFileAtomic, writeJsonlFile } from './writer.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pagelab-events-writer-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('atomic JSONL writer', () => {
  test('nothing appears under the final name until close, and no temp file remains after it', async () => {
    const path = join(dir, 'obs.jsonl');
    const w = await openJsonlWriter(path, { bufferBytes: 16 });
    await w.writeLines(['{"a":1}', '{"b":2}']);
    await w.writeValue({ d: 1, c: [2, 1] });
    expect(existsSync(path)).toBe(false);
    expect(await readdir(dir)).toEqual([expect.stringMatching(/^\.obs\.jsonl\.\d+\.[0-9a-f]+\.tmp$/)]);
    await w.close();
    expect(await readFile(path, 'utf8')).toBe('{"a":1}\n{"b":2}\n{"c":[2,1],"d":1}\n');
    expect(await readdir(dir)).toEqual(['obs.jsonl']);
    expect(w.lines).toBe(3);
  });

  test('abort leaves nothing behind and keeps a previous file intact', async () => {
    const path = join(dir, 'obs.jsonl');
    await writeFile(path, 'old\n');
    const w = await openJsonlWriter(path, { bufferBytes: 1 });
    await w.writeLines(['{"new":true}']);
    await w.abort();
    await w.abort();
    expect(await readdir(dir)).toEqual(['obs.jsonl']);
    expect(await readFile(path, 'utf8')).toBe('old\n');
    await expect(w.writeLine('{}')).rejects.toThrow(/aborted/);
  });

  test('a line with a newline is refused and nothing of the batch is written', async () => {
    const w = await openJsonlWriter(join(dir, 'x.jsonl'));
    await expect(w.writeLines(['{}', 'a\nb'])).rejects.toThrow(/newline/);
    expect(w.lines).toBe(0);
    await w.abort();
    expect(await readdir(dir)).toEqual([]);
  });

  test('close replaces an existing file in one step', async () => {
    const path = join(dir, 'obs.jsonl');
    await writeFile(path, 'old\n');
    const w = await openJsonlWriter(path);
    await w.writeLine('new');
    expect(await readFile(path, 'utf8')).toBe('old\n');
    await w.close();
    expect(await readFile(path, 'utf8')).toBe('new\n');
    await expect(w.close()).rejects.toThrow(/closed/);
  });

  test('many small batches end up in order', async () => {
    const path = join(dir, 'many.jsonl');
    const w = await openJsonlWriter(path, { bufferBytes: 1000, fsync: false });
    const expected: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const batch = [JSON.stringify({ i }), JSON.stringify({ j: i })];
      expected.push(...batch);
      await w.writeLines(batch);
    }
    await w.close();
    expect(await readFile(path, 'utf8')).toBe(expected.map((l) => `${l}\n`).join(''));
  });

  test('writeJsonlFile writes an async iterable and aborts when it throws', async () => {
    const ok = join(dir, 'ok.jsonl');
    async function* values() {
      yield { b: 1, a: 2 };
      yield [1];
    }
    expect(await writeJsonlFile(ok, values(), { stringify: { leadingKeys: ['b'] } })).toBe(2);
    expect(await readFile(ok, 'utf8')).toBe('{"b":1,"a":2}\n[1]\n');
    async function* failing() {
      yield 1;
      throw new Error('generator failed');
    }
    await expect(writeJsonlFile(join(dir, 'bad.jsonl'), failing())).rejects.toThrow('generator failed');
    expect(await readdir(dir)).toEqual(['ok.jsonl']);
  });
});

describe('writeFileAtomic', () => {
  test('writes the data and leaves no temp file', async () => {
    const path = join(dir, 'summary.json');
    await writeFileAtomic(path, '{"a":1}\n');
    await writeFileAtomic(path, new TextEncoder().encode('{"a":2}\n'));
    expect(await readFile(path, 'utf8')).toBe('{"a":2}\n');
    expect(await readdir(dir)).toEqual(['summary.json']);
  });

  test('fails without leaving a temp file when the target cannot be replaced', async () => {
    const path = join(dir, 'adir');
    await writeFile(join(dir, 'keep'), '');
    await mkdir(join(path, 'child'), { recursive: true });
    await expect(writeFileAtomic(path, 'x')).rejects.toThrow();
    expect((await readdir(dir)).sort()).toEqual(['adir', 'keep']);
  });
});

describe('a write that fails mid-way (a full disk)', () => {
  test('is kept and reported by the write calls and close(), never thrown or left unhandled', async () => {
    const d = await mkdtemp(join(tmpdir(), 'pagelab-writer-fail-'));
    const w = await openJsonlWriter(join(d, 'x.jsonl'), { bufferBytes: 16 });
    // Closing the descriptor under the writer makes its next write fail with EBADF, as ENOSPC would.
    closeSync((w as unknown as { handle: { fd: number } }).handle.fd);
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    const lines = Array.from({ length: 100 }, (_, i) => `{"i":${i}}`);
    await expect(w.writeLines(lines)).rejects.toThrow(/EBADF/);
    await expect(w.close()).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 10));
    process.removeListener('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
    await rm(d, { recursive: true, force: true });
  });
});
