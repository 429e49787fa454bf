/** The named race scenarios, in the order `pagelab races` lists them. */
import type { RaceScenario } from '../steps.js';
import { pageTailFixed, pageTailReuse, pageTailUnfixed, pageTailWord } from './pagetail.js';
import { seed001Rechecked, seed001Speculative } from './seed001.js';
import { seed002Fixed, seed002NoWmb, seed002Unfixed } from './seed002.js';

export const RACE_SCENARIOS: readonly RaceScenario[] = [
  seed002Unfixed,
  seed002Fixed,
  seed002NoWmb,
  seed001Speculative,
  seed001Rechecked,
  pageTailUnfixed,
  pageTailFixed,
  pageTailReuse,
  pageTailWord,
];

export const findRaceScenario = (name: string): RaceScenario | undefined => RACE_SCENARIOS.find((s) => s.name === name);
