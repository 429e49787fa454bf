#!/usr/bin/env node
// Entry point of the `pagelab` command (see bin/pagelab.js).
import { defaultContext } from './default-context.js';
import { runCli } from './program.js';
import { cleanupPending } from './run-dir.js';
import { replayInterruptedAt } from './run-files.js';

// SIGINT (Ctrl-C), SIGTERM (kill, timeouts, systemd) and SIGHUP (a closed terminal) all end a run the same way:
// the half-built run directory goes, and the exit code is the shell's 128 + signal number. A replay yields to
// the event loop between slices of events (engine replay.ts), so this runs mid-replay, and says where it stopped.
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
for (const [signal, code] of Object.entries(SIGNAL_EXIT)) {
  process.on(signal, () => {
    const at = replayInterruptedAt();
    const removed = cleanupPending();
    if (at !== undefined || removed > 0) {
      process.stderr.write(`pagelab: ${signal}: stopped${at ? ` ${at}` : ''}; the unfinished run directory was removed\n`);
    }
    process.exit(code);
  });
}

const args = process.argv.slice(2);
process.exitCode = await runCli(args, defaultContext(args));
