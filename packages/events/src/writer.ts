// Atomic file output: everything is written to a temp file in the target's
// directory and renamed over the final name on close(), so a reader never
// sees a half-written file under that name; abort() (or any failure) removes
// the temp file.
import { writeSync } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { stableStringify, type StableStringifyOptions } from './stable-stringify.js';

export { stableStringify, type StableStringifyOptions };

export interface AtomicWriterOptions {
  /** fsync the temp file before the rename (default true). */
  readonly fsync?: boolean;
  /** Buffered characters (about bytes) before a write to disk is issued. Default 1 MiB. */
  readonly bufferBytes?: number;
  /** Key order for writeValue(s); see stableStringify. */
  readonly stringify?: StableStringifyOptions;
}

export interface JsonlWriter {
  /** The final path, which appears only on close(). */
  readonly path: string;
  /** Where the bytes go until close(). */
  readonly tempPath: string;
  /** Lines written so far. */
  readonly lines: number;
  /** Append lines; each gets a trailing '\n'. A line must not contain '\n'. */
  writeLines(lines: readonly string[]): Promise<void>;
  writeLine(line: string): Promise<void>;
  /** Append values serialised with stableStringify, one per line. */
  writeValues(values: readonly unknown[]): Promise<void>;
  writeValue(value: unknown): Promise<void>;
  /** Flush, fsync, close and rename onto `path`. */
  close(): Promise<void>;
  /** Close and remove the temp file; `path` is left as it was. Safe to call after a failure or twice. */
  abort(): Promise<void>;
}

/** A hidden sibling of `path`, unique per call. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Open an atomic JSONL writer. Lines are buffered and written in order, in
 * large writes. Await each write call: it resolves at once unless the buffer
 * was flushed (backpressure), and rejects if a disk write failed; close()
 * rejects too, after removing the temp file.
 */
export async function openJsonlWriter(path: string, options: AtomicWriterOptions = {}): Promise<JsonlWriter> {
  const tempPath = tempPathFor(path);
  const handle = await open(tempPath, 'wx');
  return new AtomicJsonlWriter(path, tempPath, handle, options);
}

type State = 'open' | 'closed' | 'aborted';

class AtomicJsonlWriter implements JsonlWriter {
  private buffer: string[] = [];
  private bufferedChars = 0;
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown;
  private state: State = 'open';
  private count = 0;
  private readonly limit: number;

  constructor(
    readonly path: string,
    readonly tempPath: string,
    private readonly handle: FileHandle,
    private readonly options: AtomicWriterOptions,
  ) {
    this.limit = options.bufferBytes ?? 1 << 20;
  }

  get lines(): number {
    return this.count;
  }

  writeLines(lines: readonly string[]): Promise<void> {
    if (this.state !== 'open') return Promise.reject(this.notOpen());
    for (const line of lines) {
      if (line.includes('\n')) return Promise.reject(new Error(`JsonlWriter(${this.path}): a line must not contain a newline`));
    }
    // Flushed whenever the buffer fills, so one call with millions of lines never builds one huge string.
    for (const line of lines) {
      this.buffer.push(line, '\n');
      this.bufferedChars += line.length + 1;
      if (this.bufferedChars >= this.limit) this.writeOut();
    }
    this.count += lines.length;
    return this.settled();
  }

  writeLine(line: string): Promise<void> {
    return this.writeLines([line]);
  }

  writeValues(values: readonly unknown[]): Promise<void> {
    let lines: string[];
    try {
      lines = values.map((v) => stableStringify(v, this.options.stringify));
    } catch (e) {
      return Promise.reject(e);
    }
    return this.writeLines(lines);
  }

  writeValue(value: unknown): Promise<void> {
    return this.writeValues([value]);
  }

  async close(): Promise<void> {
    if (this.state !== 'open') throw this.notOpen();
    this.state = 'closed';
    try {
      await this.flush();
      if (this.options.fsync ?? true) await this.handle.sync();
      await this.handle.close();
      await rename(this.tempPath, this.path);
    } catch (e) {
      await this.discard();
      throw e;
    }
  }

  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    this.buffer = [];
    await this.chain;
    await this.discard();
  }

  private notOpen(): Error {
    return new Error(`JsonlWriter(${this.path}) is ${this.state}`);
  }

  /** Resolves when the writes queued so far are done; rejects if one failed. */
  private settled(): Promise<void> {
    return this.chain.then(() => {
      if (this.failure !== undefined) throw this.failure;
    });
  }

  /**
   * Writes the buffered text now, synchronously: a producer that never
   * awaits (a replay pushing batches) still holds at most one buffer of
   * text, and a full disk is seen at the write that hit it. Failures are
   * kept and re-raised by settled() and close().
   */
  private flush(): Promise<void> {
    this.writeOut();
    return this.settled();
  }

  /** The synchronous part of flush(): a failure is kept, never thrown (settled() and close() report it). */
  private writeOut(): void {
    if (this.buffer.length > 0) {
      const text = this.buffer.join('');
      this.buffer = [];
      this.bufferedChars = 0;
      if (this.failure === undefined) {
        try {
          const bytes = Buffer.from(text, 'utf8');
          for (let off = 0; off < bytes.length;) off += writeSync(this.handle.fd, bytes, off, bytes.length - off);
        } catch (e) {
          this.failure = e;
        }
      }
    }
  }

  private async discard(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await rm(this.tempPath, { force: true });
  }
}

/** Write `data` to `path` atomically (temp file in the same directory, fsync, rename). */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: { readonly fsync?: boolean } = {}): Promise<void> {
  const tempPath = tempPathFor(path);
  const handle = await open(tempPath, 'wx');
  try {
    await handle.writeFile(data);
    if (options.fsync ?? true) await handle.sync();
    await handle.close();
    await rename(tempPath, path);
  } catch (e) {
    await handle.close().catch(() => undefined);
    await rm(tempPath, { force: true });
    throw e;
  }
}

/** Write all values (sync or async iterable) as JSONL, atomically; returns the number of lines. */
export async function writeJsonlFile(
  path: string,
  values: Iterable<unknown> | AsyncIterable<unknown>,
  options: AtomicWriterOptions & { readonly batch?: number } = {},
): Promise<number> {
  const writer = await openJsonlWriter(path, options);
  const size = options.batch ?? 1024;
  try {
    let batch: unknown[] = [];
    for await (const v of values) {
      batch.push(v);
      if (batch.length >= size) {
        await writer.writeValues(batch);
        batch = [];
      }
    }
    await writer.writeValues(batch);
    await writer.close();
    return writer.lines;
  } catch (e) {
    await writer.abort();
    throw e;
  }
}
