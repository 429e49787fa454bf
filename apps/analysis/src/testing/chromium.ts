/**
 * Debian's chromium driven through playwright-core for the report browser
 * tests (never a downloaded browser; tools/ensure-chromium.sh installs it):
 * a fresh profile per suite, closed and removed after it.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';

export const CHROMIUM = '/usr/bin/chromium';
/** where the tests leave their full-page screenshots, to be looked at */
export const ARTIFACTS = resolve(import.meta.dirname, '../../../../test-artifacts');
/** headless, offline, nothing from the network or the profile */
export const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
];

/** Set PAGELAB_SKIP_BROWSER=1 to skip on a machine without Chromium; otherwise a missing browser fails loudly. */
export const SKIP_BROWSER = process.env['PAGELAB_SKIP_BROWSER'] === '1';

/** Launches Chromium before the suite's tests and closes it after; the getter gives the running browser. */
export function useChromium(): () => BrowserContext {
  let browser: BrowserContext | undefined;
  let profile: string | undefined;
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} not found: apt-get install -y --no-install-recommends chromium (or set PAGELAB_SKIP_BROWSER=1)`);
    }
    // a fresh profile each run; playwright takes it as userDataDir rather than a --user-data-dir flag
    profile = mkdtempSync(join(tmpdir(), 'pagelab-chromium-'));
    browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
  });
  return () => {
    if (browser === undefined) throw new Error('Chromium is not running (beforeAll failed)');
    return browser;
  };
}
