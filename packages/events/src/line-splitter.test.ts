import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { LineSplitter, type RawLine } from './line-splitter.js';

function split(chunks: readonly string[]): { lines: RawLine[]; total: number; blank: number } {
  const s = new LineSplitter();
  const lines: RawLine[] = [];
  for (const c of chunks) s.push(c, lines);
  s.end(lines);
  return { lines, total: s.lines, blank: s.blankLines };
}

describe('line splitting', () => {
  test('CRLF endings are stripped', () => {
    expect(split(['a\r\nb\r\n']).lines).toEqual([
      { line: 1, text: 'a' },
      { line: 2, text: 'b' },
    ]);
  });

  test('a final line without newline is still a line', () => {
    expect(split(['a\nb']).lines).toEqual([
      { line: 1, text: 'a' },
      { line: 2, text: 'b' },
    ]);
  });

  test('blank lines are skipped but keep line numbers true', () => {
    const r = split(['\na\n  \r\n\nb\n']);
    expect(r.lines).toEqual([
      { line: 2, text: 'a' },
      { line: 5, text: 'b' },
    ]);
    expect(r).toMatchObject({ total: 5, blank: 3 });
  });

  test('a byte-order mark before the first line is dropped', () => {
    expect(split(['\uFEFF{"a":1}\n']).lines).toEqual([{ line: 1, text: '{"a":1}' }]);
  });

  test('lines split across chunks come out whole', () => {
    expect(split(['{"ty', 'pe":', '"x"}\n{', '}']).lines).toEqual([
      { line: 1, text: '{"type":"x"}' },
      { line: 2, text: '{}' },
    ]);
  });

  test('any chunking of a text gives the same lines', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', '\n', '\r\n', ' ', '{', '}')), fc.array(fc.nat(20)), (parts, cuts) => {
        const text = parts.join('');
        const chunks: string[] = [];
        let at = 0;
        for (const c of cuts) {
          chunks.push(text.slice(at, at + c));
          at += c;
        }
        chunks.push(text.slice(at));
        expect(split(chunks)).toEqual(split([text]));
      }),
    );
  });
});
