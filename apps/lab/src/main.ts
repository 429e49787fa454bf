#!/usr/bin/env node
// Entry point of the `pagelab` command (see bin/pagelab.js).
import { defaultContext } from './default-context.js';
import { runCli } from './program.js';
import { cleanupPending } from './run-dir.js';

process.on('SIGINT', () => {
  cleanupPending();
  process.exit(130);
});

const args = process.argv.slice(2);
process.exitCode = await runCli(args, defaultContext(args));
