import { balloonScenarios } from './balloon.js';
import { cowSelftestScenarios } from './cow_selftests.js';
import { hugeZeroScenarios } from './huge_zero.js';
import { khugepagedSelftestScenarios } from './khugepaged_selftests.js';
import { mixed } from './mixed.js';
import { pinnedScenarios } from './pinned_scenarios.js';
import { recordedScenarios } from './recorded.js';
import { refcountScenarios } from './refcount.js';
import { seed001Scenarios } from './seed001_shmem.js';
import { seed004Scenarios } from './seed004_pinned.js';
import type { Scenario } from './scenario.js';
import { sharednessScenarios } from './sharedness.js';
import { splitSelftestScenarios } from './split_selftests.js';

/** Every named workload, in the order `pagelab scenarios` lists them. */
export const scenarios: Scenario[] = [
  ...refcountScenarios,
  ...seed001Scenarios,
  ...balloonScenarios,
  ...seed004Scenarios,
  ...pinnedScenarios,
  ...sharednessScenarios,
  mixed,
  ...khugepagedSelftestScenarios,
  ...cowSelftestScenarios,
  ...splitSelftestScenarios,
  ...hugeZeroScenarios,
  ...recordedScenarios,
];

export function findScenario(name: string): Scenario | undefined {
  return scenarios.find((s) => s.name === name);
}
