/**
 * What a command needs from the outside world, so that commands are plain
 * async functions returning an exit code and tests can hand in their own.
 */
import type { Either } from 'fp-ts/lib/Either.js';
import type { Registry, RegistryError } from '@pagelab/engine';
import type { Scenario } from '@pagelab/workloads';

/** Exit codes: 0 ok, 1 a check failed (`run --check`), 2 bad input or an error. */
export const EXIT_OK = 0;
export const EXIT_CHECK_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

export interface Analysis {
  writeReport(runDir: string, opts?: { command?: string }): Promise<unknown>;
}

export interface LabContext {
  /** Relative paths (LOG, --out, the default runs/ directory) are resolved from here. */
  readonly cwd: string;
  /** Writes text to standard output (callers add newlines). */
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Standard error is a terminal: show a progress bar. */
  readonly isTTY: boolean;
  /** The command line as typed, recorded in provenance.json and compare.json. */
  readonly commandLine: string;
  readonly loadRegistry: () => Promise<Either<RegistryError, Registry>>;
  readonly loadScenarios: () => Promise<readonly Scenario[]>;
  readonly loadAnalysis: () => Promise<Analysis>;
}

/** An error meant for the person at the terminal: one paragraph, and the exit code to leave with. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_BAD_INPUT,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Runs a command body, turning a CliError (or any error) into a message and an exit code. */
export async function guarded(ctx: LabContext, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof CliError) {
      ctx.stderr(`pagelab: ${e.message}\n`);
      return e.exitCode;
    }
    const msg = e instanceof Error ? e.message : String(e);
    ctx.stderr(`pagelab: ${msg}\n`);
    return EXIT_BAD_INPUT;
  }
}

/** The command line, quoted for a shell where needed. */
export function commandLineOf(args: readonly string[]): string {
  const q = (a: string) => (/^[\w./:=,@%+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return ['pagelab', ...args.map(q)].join(' ');
}
