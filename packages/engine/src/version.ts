/** The pagelab version written into observation logs, summaries and provenance. */
import { readFileSync } from 'node:fs';

function readVersion(): string {
  try {
    // src/ and dist/ both sit one level below the package root.
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export const PAGELAB_VERSION: string = readVersion();
