// Incremental JSONL line splitting: text arrives in chunks of any size; only
// the unfinished last line is held. Line numbers count every physical line,
// blank ones included, so they match what an editor shows.

/** One non-blank line and its 1-based physical line number. */
export interface RawLine {
  readonly line: number;
  readonly text: string;
}

const BOM = '\uFEFF';
// Fast path: almost every line starts with '{'.
const isBlank = (s: string): boolean => s.length === 0 || (s.charCodeAt(0) !== 0x7b && s.trim().length === 0);

export class LineSplitter {
  private pending: string[] = [];
  private lineNo = 0;
  private blank = 0;

  /** Physical lines completed so far (after `end()`: all lines of the input). */
  get lines(): number {
    return this.lineNo;
  }
  get blankLines(): number {
    return this.blank;
  }

  /** The complete, non-blank lines that `chunk` finishes. */
  push(chunk: string, out: RawLine[] = []): RawLine[] {
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', start)) {
      let text = chunk.slice(start, nl);
      if (this.pending.length > 0) {
        this.pending.push(text);
        text = this.pending.join('');
        this.pending = [];
      }
      this.emit(text, out);
      start = nl + 1;
    }
    if (start < chunk.length) this.pending.push(chunk.slice(start));
    return out;
  }

  /** The final line when the input does not end with a newline. */
  end(out: RawLine[] = []): RawLine[] {
    if (this.pending.length > 0) {
      const text = this.pending.join('');
      this.pending = [];
      this.emit(text, out);
    }
    return out;
  }

  private emit(raw: string, out: RawLine[]): void {
    this.lineNo++;
    let text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (this.lineNo === 1 && text.startsWith(BOM)) text = text.slice(1);
    if (isBlank(text)) this.blank++;
    else out.push({ line: this.lineNo, text });
  }
}
