// @pagelab/lab: the `pagelab` command line. The commands are functions of a
// LabContext that return exit codes; main.ts is the process entry point.
export { runCli, buildProgram } from './program.js';
export { defaultContext } from './default-context.js';
export { CliError, EXIT_OK, EXIT_CHECK_FAILED, EXIT_BAD_INPUT, commandLineOf, type LabContext, type Analysis } from './context.js';
export { validateCommand } from './commands/validate.js';
export { runCommand, type RunArgs } from './commands/run.js';
export { compareCommand, splitDesigns, headlineTable, type CompareArgs } from './commands/compare.js';
export { reportCommand } from './commands/report.js';
export { scenariosCommand } from './commands/scenarios.js';
export { policiesCommand, policiesText } from './commands/policies.js';
export { loadLog, parseParams, type LoadedLog } from './log-source.js';
