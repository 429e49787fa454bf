import { defineConfig } from 'vitest/config';

// Root config: every project in one process, one closing summary line for CI.
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'tools/repo-checks'],
    reporters: ['default', './tools/plain-summary-reporter.ts'],
  },
});
