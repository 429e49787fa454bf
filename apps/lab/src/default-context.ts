/** The real world for the commands: the process's streams and the installed packages. */
import { commandLineOf, type Analysis, type LabContext } from './context.js';

export function defaultContext(args: readonly string[]): LabContext {
  return {
    cwd: process.cwd(),
    stdout: (s) => void process.stdout.write(s),
    stderr: (s) => void process.stderr.write(s),
    isTTY: process.stderr.isTTY === true,
    commandLine: commandLineOf(args),
    // PAGELAB_PLUGIN_DIRS: extra policy package directories (colon-separated), besides node_modules/@pagelab.
    loadRegistry: async () =>
      (await import('@pagelab/engine')).discoverRegistry({ extraDirs: (process.env['PAGELAB_PLUGIN_DIRS'] ?? '').split(':').filter((d) => d !== '') }),
    loadScenarios: async () => (await import('@pagelab/workloads')).scenarios,
    loadAnalysis: async () => (await import('@pagelab/analysis')) as Analysis,
  };
}
