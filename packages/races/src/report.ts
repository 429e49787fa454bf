/**
 * The race report: per violation, the shortest counterexample drawn as
 * swimlanes (one lane per CPU, time going down, one labelled box per step),
 * with the step where the assertion fails marked, and the other CPU's write
 * that caused it. The SVG is built as a string; report.html embeds it and
 * report.md links the same SVG files.
 */
import type { Exploration, Violation } from './explore.js';
import { culpritOf, formatValue } from './format.js';
import type { RaceScenario } from './steps.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const LANE = 400;
const ROW = 30;
const TOP = 56;
const LEFT = 44;

/** One violation's swimlanes. */
export function swimlaneSvg(scenario: RaceScenario, v: Violation): string {
  const cpus = scenario.cpus.length;
  const width = LEFT + cpus * LANE + 12;
  const height = TOP + v.steps.length * ROW + 24;
  const fail = v.steps.length - 1;
  const culprit = culpritOf(v.steps);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans Mono, monospace" font-size="11">`,
  );
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${LEFT}" y="16" font-size="12" font-weight="bold">${esc(v.assertion)}</text>`);
  scenario.cpus.forEach((p, c) => {
    const x = LEFT + c * LANE;
    out.push(`<rect x="${x + 2}" y="24" width="${LANE - 4}" height="${height - 30}" fill="${c % 2 ? '#f6f8fa' : '#fbfbfb'}" stroke="#d0d7de"/>`);
    out.push(`<text x="${x + 8}" y="42" font-weight="bold">CPU${c} ${esc(p.name)}</text>`);
  });
  v.steps.forEach((s, i) => {
    const y = TOP + i * ROW;
    const x = LEFT + s.cpu * LANE + 6;
    const mark = i === fail ? 'fail' : i === culprit ? 'culprit' : s.op.startsWith('smp_') ? 'barrier' : 'step';
    const fill = { fail: '#ffd7d5', culprit: '#fff1c2', barrier: '#e7f0ff', step: '#ffffff' }[mark];
    const stroke = { fail: '#cf222e', culprit: '#bf8700', barrier: '#54aeff', step: '#8c959f' }[mark];
    out.push(`<text x="${LEFT - 8}" y="${y + 17}" text-anchor="end" fill="#57606a">${i + 1}</text>`);
    out.push(`<line x1="${LEFT}" y1="${y + 13}" x2="${LEFT + cpus * LANE}" y2="${y + 13}" stroke="#eaeef2" stroke-dasharray="2,3"/>`);
    out.push(
      `<rect x="${x}" y="${y}" width="${LANE - 12}" height="${ROW - 6}" rx="3" fill="${fill}" stroke="${stroke}" stroke-width="${mark === 'step' ? 1 : 2}"/>`,
    );
    const target = s.word === null ? '' : ` ${s.word}=${formatValue(scenario, s.word, s.value)}`;
    out.push(`<text x="${x + 5}" y="${y + 11}">${esc(`${s.function}: ${s.op}${target}`.slice(0, 56))}</text>`);
    const tag = mark === 'fail' ? '  ✗ assertion fails' : mark === 'culprit' ? '  ← overwrites' : '';
    out.push(`<text x="${x + 5}" y="${y + 21}" fill="#57606a" font-size="9">${esc(`${s.what}${tag}`.slice(0, 70))}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

export interface ReportFile {
  readonly name: string;
  readonly text: string;
}

/** report.md, report.html and one SVG per violation, for the explorations of one scenario. */
export function racesReport(scenario: RaceScenario, runs: readonly Exploration[]): ReportFile[] {
  const files: ReportFile[] = [];
  const md: string[] = [`# ${scenario.name}`, '', scenario.title, '', `Source: ${scenario.source}`, ''];
  const html: string[] = [
    '<!doctype html><html><head><meta charset="utf-8">',
    `<title>${esc(scenario.name)}</title>`,
    '<style>body{font-family:system-ui,sans-serif;margin:24px;max-width:1100px}table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}code{background:#f6f8fa}</style>',
    '</head><body>',
    `<h1>${esc(scenario.name)}</h1><p>${esc(scenario.title)}</p><p><small>Source: ${esc(scenario.source)}</small></p>`,
  ];
  md.push('| memory model | interleavings | states | verdict |', '|---|---:|---:|---|');
  html.push('<table><tr><th>memory model</th><th>interleavings</th><th>states</th><th>verdict</th></tr>');
  for (const r of runs) {
    const verdict = r.violations.length ? `${r.violations.length} violation(s) reachable` : 'clean (exhaustive)';
    md.push(`| ${r.memoryModel} | ${r.interleavings.toLocaleString('en-US')} | ${r.states.toLocaleString('en-US')} | ${verdict} |`);
    html.push(
      `<tr><td>${r.memoryModel}</td><td>${r.interleavings.toLocaleString('en-US')}</td><td>${r.states.toLocaleString('en-US')}</td><td>${esc(verdict)}</td></tr>`,
    );
  }
  html.push('</table>');
  md.push('');
  for (const r of runs) {
    r.violations.forEach((v, k) => {
      const svgName = `${scenario.name}-${r.memoryModel}-${k + 1}.svg`;
      const svg = swimlaneSvg(scenario, v);
      files.push({ name: svgName, text: svg });
      md.push(
        `## ${r.memoryModel}: ${v.assertion}`,
        '',
        `Shortest counterexample, ${v.steps.length} steps; red: the assertion fails, yellow: the other CPU's write that broke it.`,
        '',
        `![swimlanes](${svgName})`,
        '',
      );
      md.push('| # | CPU | function | op | word | value |', '|---:|---|---|---|---|---|');
      v.steps.forEach((s, i) => md.push(`| ${i + 1} | CPU${s.cpu} | ${s.function} | ${s.op} | ${s.word ?? ''} | ${formatValue(scenario, s.word, s.value)} |`));
      md.push('');
      html.push(
        `<h2>${esc(r.memoryModel)}: ${esc(v.assertion)}</h2><p>Shortest counterexample, ${v.steps.length} steps; red: the assertion fails, yellow: the other CPU's write that broke it.</p>`,
        svg,
      );
    });
  }
  if (scenario.notes) {
    md.push(scenario.notes, '');
    html.push(`<p>${esc(scenario.notes)}</p>`);
  }
  html.push('</body></html>');
  files.push({ name: 'report.md', text: `${md.join('\n')}\n` }, { name: 'report.html', text: `${html.join('\n')}\n` });
  return files;
}
