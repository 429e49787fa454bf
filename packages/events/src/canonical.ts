// The canonical bytes of a workload log, and their sha256, computed from
// values without writing or parsing any text back: a generated log's
// provenance names the file the atomic writer would produce from the same
// values (header line, then one line per event, each followed by '\n').
//
// Canonical lines: the header with sorted keys, each event with `type` first
// and the other keys sorted (stableStringify's rules). Most events are flat
// objects whose keys the generators already write in that order; for them
// JSON.stringify gives the same bytes at a fraction of the cost, so the
// order is checked (one pass over the keys, no allocation) and anything
// else (nested values, another key order) goes through stableStringify.
import { createHash, type Hash } from 'node:crypto';
import { stableStringify } from './stable-stringify.js';

const EVENT_KEYS = { leadingKeys: ['type'] } as const;

/** An event's line in a log file: `type` first, the other keys sorted, no whitespace. */
export function canonicalEventLine(event: object): string {
  const e = event as Record<string, unknown>;
  let prev: string | undefined;
  for (const k in e) {
    const v = e[k];
    if (typeof v === 'object' && v !== null) return stableStringify(e, EVENT_KEYS);
    if (prev === undefined) {
      if (k !== 'type') return stableStringify(e, EVENT_KEYS);
      prev = '';
    } else if (prev === '' || k > prev) prev = k;
    else return stableStringify(e, EVENT_KEYS);
  }
  return JSON.stringify(e);
}

/** The header's line in a log file: keys sorted. */
export function canonicalHeaderLine(header: object): string {
  return stableStringify(header);
}

/** Characters gathered before one hash update: few native calls, no whole-log string. */
const CHUNK_CHARS = 1 << 16;

/**
 * sha256 of a log's canonical bytes, fed one value at a time: the header
 * first, then each event. Holds at most one chunk of text.
 */
export class LogDigest {
  private readonly hash: Hash = createHash('sha256');
  private parts: string[] = [];
  private chars = 0;
  private count = 0;

  constructor(header: object) {
    this.line(canonicalHeaderLine(header));
  }

  /** Adds one event's line; returns the number of events so far. */
  add(event: object): number {
    this.line(canonicalEventLine(event));
    return ++this.count;
  }

  get events(): number {
    return this.count;
  }

  /** The hex digest (the digest of the file `writeLines` would write). Call once. */
  finish(): string {
    this.flush();
    return this.hash.digest('hex');
  }

  private line(s: string): void {
    this.parts.push(s);
    this.chars += s.length + 1;
    if (this.chars >= CHUNK_CHARS) this.flush();
  }

  private flush(): void {
    if (this.parts.length === 0) return;
    this.parts.push('');
    this.hash.update(this.parts.join('\n'), 'utf8');
    this.parts = [];
    this.chars = 0;
  }
}
