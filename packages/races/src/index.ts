export * from './steps.js';
export { compile, ScenarioError, DEADLOCK } from './program.js';
export { explore, type Exploration, type ExploreOptions, type Reduction, type TraceStep, type Violation } from './explore.js';
export { RACE_SCENARIOS, findRaceScenario } from './scenarios/index.js';
export * as page from './kernel/page.js';
export { formatValue, stepLine, explorationText, explorationJson, culpritOf } from './format.js';
export { toLitmus, hasLitmus } from './litmus.js';
export { racesReport, swimlaneSvg, type ReportFile } from './report.js';
