import type { LogHeader, WorkloadEvent } from '@pagelab/events';
import { checkKnown } from './builder.js';
import type { Scenario, ScenarioParamDoc } from './scenario.js';

type Params = Readonly<Record<string, number | string | boolean>>;

/** Declares a scenario; unknown parameters are refused before the generator runs. */
export function defineScenario(s: {
  name: string;
  title: string;
  source: string;
  expectation: string;
  designs: string[];
  params?: ScenarioParamDoc[];
  generate(p: Params): { header: LogHeader; events: WorkloadEvent[] };
}): Scenario {
  const params = s.params ?? [];
  return {
    name: s.name,
    title: s.title,
    source: s.source,
    expectation: s.expectation,
    designs: s.designs,
    params,
    generate(p = {}) {
      checkKnown(p, params.map((d) => d.name), s.name);
      const full: Record<string, number | string | boolean> = {};
      for (const d of params) full[d.name] = p[d.name] ?? d.default;
      return s.generate(full);
    },
  };
}
