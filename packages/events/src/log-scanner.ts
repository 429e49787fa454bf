// The streaming core shared by the file and in-memory readers: bytes or text
// in, decoded lines out, with the sha256 of the bytes computed on the way.
import { createHash, type Hash } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { LineSplitter, type RawLine } from './line-splitter.js';
import { LogDecoder, type LineResult } from './decode-line.js';

export class LogScanner {
  private readonly splitter = new LineSplitter();
  private readonly decoder: LogDecoder;
  private readonly utf8 = new StringDecoder('utf8');
  private readonly hash: Hash = createHash('sha256');
  private raw: RawLine[] = [];
  private byteCount = 0;
  private digest: string | undefined;

  constructor(readonly file: string) {
    this.decoder = new LogDecoder(file);
  }

  /** Feed raw file bytes; returns the lines they complete, decoded. */
  pushBytes(chunk: Buffer): LineResult[] {
    this.hash.update(chunk);
    this.byteCount += chunk.length;
    return this.decode(this.splitter.push(this.utf8.write(chunk), this.reset()));
  }

  /** Feed text (in-memory logs); hashed as its UTF-8 bytes. */
  pushText(text: string): LineResult[] {
    this.hash.update(text, 'utf8');
    this.byteCount += Buffer.byteLength(text, 'utf8');
    return this.decode(this.splitter.push(text, this.reset()));
  }

  /** End of input: the last unterminated line, and the empty-log error if nothing came. */
  end(): LineResult[] {
    const out = this.reset();
    const rest = this.utf8.end();
    if (rest.length > 0) this.splitter.push(rest, out);
    const results = this.decode(this.splitter.end(out));
    const empty = this.decoder.end(this.splitter.lines);
    if (empty !== undefined) results.push(empty);
    this.digest = this.hash.digest('hex');
    return results;
  }

  /** Hex sha256 of every byte fed; available after `end()`. */
  get sha256(): string {
    if (this.digest === undefined) throw new Error('LogScanner.sha256 read before end()');
    return this.digest;
  }
  get bytes(): number {
    return this.byteCount;
  }
  get lines(): number {
    return this.splitter.lines;
  }
  get blankLines(): number {
    return this.splitter.blankLines;
  }

  private reset(): RawLine[] {
    this.raw.length = 0;
    return this.raw;
  }

  private decode(lines: readonly RawLine[]): LineResult[] {
    const out: LineResult[] = new Array<LineResult>(lines.length);
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i] as RawLine;
      out[i] = this.decoder.line(l.line, l.text);
    }
    return out;
  }
}
