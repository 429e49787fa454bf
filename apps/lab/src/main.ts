#!/usr/bin/env node
// Entry point of the `pagelab` command (see bin/pagelab.js).
import { defaultContext } from './default-context.js';
import { runCli } from './program.js';
import { cleanupPending } from './run-dir.js';

// SIGINT (Ctrl-C), SIGTERM (kill, timeouts, systemd) and SIGHUP (a closed terminal) all end a run the same way:
// the half-built run directory goes, and the exit code is the shell's 128 + signal number.
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
for (const [signal, code] of Object.entries(SIGNAL_EXIT)) {
  process.on(signal, () => {
    cleanupPending();
    process.exit(code);
  });
}

const args = process.argv.slice(2);
process.exitCode = await runCli(args, defaultContext(args));
