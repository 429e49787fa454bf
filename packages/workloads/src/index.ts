export type { Scenario, ScenarioParamDoc } from './scenario.js';
export { scenarios, findScenario } from './registry.js';
