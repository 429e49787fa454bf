import { Resvg } from '@resvg/resvg-js';
import { describe, expect, it } from 'vitest';
import { explore } from './explore.js';
import { racesReport, swimlaneSvg } from './report.js';
import { findRaceScenario } from './scenarios/index.js';
import { toLitmus } from './litmus.js';

const scenario = findRaceScenario('seed002-prep-compound-unfixed')!;
const sc = explore(scenario, { memoryModel: 'sc' });

describe('the swimlane report', () => {
  it('draws one lane per CPU and one row per step, and renders as an SVG', () => {
    const svg = swimlaneSvg(scenario, sc.violations[0]!);
    const png = new Resvg(svg, { font: { loadSystemFonts: false } }).render();
    expect(png.width).toBe(44 + 2 * 400 + 12);
    expect(png.height).toBe(56 + sc.violations[0]!.steps.length * 30 + 24);
    expect(svg).toContain('CPU0 put_compound_page');
    expect(svg).toContain('CPU1 prep_new_page');
  });
  it("marks the failing step and the other CPU's overwriting store", () => {
    const svg = swimlaneSvg(scenario, sc.violations[0]!);
    expect(svg.match(/assertion fails/g)).toHaveLength(1);
    expect(svg).toMatch(/prep_compound_page: store H\.flags=PG_head<\/text>\n<text[^>]*>__SetPageHead: store flags \| PG_head {2}← overwrites/);
  });
  it('writes report.md, report.html and one SVG per counterexample, deterministically', () => {
    const runs = [sc, explore(scenario, { memoryModel: 'weak' })];
    const a = racesReport(scenario, runs);
    const b = racesReport(scenario, [explore(scenario, { memoryModel: 'sc' }), explore(scenario, { memoryModel: 'weak' })]);
    expect(a.map((f) => f.name)).toEqual(['seed002-prep-compound-unfixed-sc-1.svg', 'seed002-prep-compound-unfixed-weak-1.svg', 'report.md', 'report.html']);
    expect(a).toEqual(b);
  });
});

describe('the litmus export', () => {
  it('asks the same question in the three orders of prep_new_page', () => {
    const order = (name: string) => toLitmus(findRaceScenario(name)!).split('P1(')[0]!.split('P0(')[1]!;
    expect(order('seed002-prep-compound-unfixed').indexOf('atomic_set(count, 1)')).toBeLessThan(
      order('seed002-prep-compound-unfixed').indexOf('atomic_set(flags'),
    );
    expect(order('seed002-prep-compound-fixed')).toMatch(/atomic_set\(flags[^\n]*\n\tsmp_wmb\(\);\n\tatomic_set\(count, 1\)/);
    expect(order('seed002-prep-compound-no-wmb')).not.toContain('smp_wmb');
    expect(() => toLitmus(findRaceScenario('seed001-speculative-lookup')!)).toThrow(/only the seed002 scenarios/);
  });
});
