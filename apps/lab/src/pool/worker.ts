/**
 * The pool worker (piscina): runs one cell per call with the installed
 * policies and scenarios. Progress bars stay in the main thread; a worker
 * writes only its run directory.
 */
import type { CellResult, CellTask } from './cell.js';
import { runCell } from './cell.js';
import { commandLineOf, type LabContext } from '../context.js';
import { defaultContext } from '../default-context.js';

let ctx: LabContext | undefined;

export default async function run(task: CellTask & { readonly commandLine: string }): Promise<CellResult> {
  ctx ??= { ...defaultContext([]), isTTY: false, stdout: () => {}, stderr: () => {}, commandLine: task.commandLine || commandLineOf([]) };
  return runCell({ ...ctx, commandLine: task.commandLine }, task);
}
