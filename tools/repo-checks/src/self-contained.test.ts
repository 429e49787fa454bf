/**
 * The project explains itself: a clone without the workplace's shared
 * folder has everything a reader needs. No file points outside the
 * repository for kernel facts or seed threads (they are in docs/kernel/),
 * none talks about "the issue", and every source tag used in code, tests or
 * docs (T313, ML-DH-mmid, B58, ...) is defined in docs/kernel/glossary.md.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Tracked and new (not ignored) text files of the repository. */
function repoFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' });
  return out
    .split('\n')
    .filter((f) => /\.(ts|md|json|sh|js|c|h)$|__tmpl__$/.test(f))
    .filter((f) => !/(^|\/)(node_modules|dist|fixtures|recorded)\//.test(f) && f !== 'package-lock.json');
}

const read = (f: string) => {
  try {
    return readFileSync(join(root, f), 'utf8');
  } catch {
    return ''; // listed but deleted in the work tree
  }
};

// This file names the patterns it forbids; it is the one exception.
const SELF = 'tools/repo-checks/src/self-contained.test.ts';

export function outsideReferences(files: readonly string[], text: (f: string) => string): string[] {
  const bad: string[] = [];
  const pattern =
    /\.\.\/shared\b|\/work\/shared\b|shared\/(design|seeds|repro|data)\b|\bsemantics\.md\b|\b(the|this|that|an?) [\w-]+ issue\b|\bissue #?\d+\b|\bissue's\b/i;
  for (const f of files) {
    if (f === SELF) continue;
    text(f)
      .split('\n')
      .forEach((line, i) => {
        if (pattern.test(line)) bad.push(`${f}:${i + 1}: ${line.trim().slice(0, 100)}`);
      });
  }
  return bad;
}

/** Source tags: kernel trees (T313, T612), mailing-list sources (ML-XX-name), design ids (B58, C610, C615). */
const TAG = /\b(T(?:313|44|49|61|612|615|618)|ML-[A-Z]{2,3}-[a-z0-9]+|B45|B58|C610|C615)\b/g;

export function undefinedTags(files: readonly string[], text: (f: string) => string, glossary: string): string[] {
  const defined = new Set(glossary.match(TAG) ?? []);
  const missing = new Map<string, string>();
  for (const f of files) {
    if (f === SELF) continue;
    for (const tag of text(f).match(TAG) ?? []) if (!defined.has(tag) && !missing.has(tag)) missing.set(tag, f);
  }
  return [...missing].map(([tag, f]) => `${tag} (first used in ${f})`);
}

describe('the project is self-contained', () => {
  const files = repoFiles();

  it('no file points at the workplace shared folder or talks about "the issue"', () => {
    expect(outsideReferences(files, read)).toEqual([]);
  });

  it('every source tag used anywhere is defined in docs/kernel/glossary.md', () => {
    expect(undefinedTags(files, read, read('docs/kernel/glossary.md'))).toEqual([]);
  });

  it('the checks see what they look for', () => {
    const text = (f: string) => (f === 'a.ts' ? '// see ../shared/design/x.md\n// the kernel-core issue says\n// T999 T313\n// facts in semantics.md\n' : '');
    expect(outsideReferences(['a.ts'], text)).toHaveLength(3);
    expect(undefinedTags(['a.ts'], text, 'T44')).toEqual(['T313 (first used in a.ts)']);
  });
});
