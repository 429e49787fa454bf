import { khugepagedSelftestScenarios } from './khugepaged_selftests.js';
import { mixed } from './mixed.js';
import { refcountScenarios } from './refcount.js';
import type { Scenario } from './scenario.js';
import { sharednessScenarios } from './sharedness.js';

/** Every named workload, in the order `pagelab scenarios` lists them. */
export const scenarios: Scenario[] = [...refcountScenarios, ...sharednessScenarios, mixed, ...khugepagedSelftestScenarios];

export function findScenario(name: string): Scenario | undefined {
  return scenarios.find((s) => s.name === name);
}
