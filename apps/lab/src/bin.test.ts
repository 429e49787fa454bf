import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/pagelab.js', import.meta.url));

describe('the bin launcher', () => {
  it('runs `pagelab --help` from the sources before any build', () => {
    const r = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8', env: { ...process.env, PAGELAB_FROM_SOURCE: '1' }, timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: pagelab');
    expect(r.stdout).toContain('compare [options] <LOG|SCENARIO>');
  });

  it('exits 2 with a message on bad input', () => {
    const r = spawnSync(process.execPath, [bin, 'validate', '/nonexistent/log.jsonl'], {
      encoding: 'utf8',
      env: { ...process.env, PAGELAB_FROM_SOURCE: '1' },
      timeout: 60_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('/nonexistent/log.jsonl: no such file');
  });
});
