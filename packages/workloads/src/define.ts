import type { LogHeader, WorkloadEvent } from '@pagelab/events';
import { checkKnown } from './builder.js';
import type { Scenario, ScenarioParamDoc, ScenarioStream } from './scenario.js';

type Params = Readonly<Record<string, number | string | boolean>>;

/** Declares a scenario; unknown parameters are refused before the generator runs. */
export function defineScenario(
  s: {
    name: string;
    title: string;
    source: string;
    expectation: string;
    designs: string[];
    params?: ScenarioParamDoc[];
  } & (
    | { generate(p: Params): { header: LogHeader; events: WorkloadEvent[] } }
    /** A lazy generator instead: generate() collects it; stream() hands it out. */
    | { stream(p: Params): ScenarioStream }
  ),
): Scenario {
  const params = s.params ?? [];
  const complete = (p: Params): Params => {
    checkKnown(
      p,
      params.map((d) => d.name),
      s.name,
    );
    const full: Record<string, number | string | boolean> = {};
    for (const d of params) full[d.name] = p[d.name] ?? d.default;
    return full;
  };
  const base = { name: s.name, title: s.title, source: s.source, expectation: s.expectation, designs: s.designs, params };
  if ('stream' in s) {
    const stream = s.stream;
    return {
      ...base,
      generate: (p = {}) => {
        const { header, events } = stream(complete(p));
        return { header, events: [...events] };
      },
      stream: (p = {}) => stream(complete(p)),
    };
  }
  const generate = s.generate;
  return { ...base, generate: (p = {}) => generate(complete(p)) };
}
