/**
 * The one page every report is written as: title, lede, a headline table
 * (one row per design, optionally in groups), the run alerts under it, a
 * method note, sections of charts and tables, and the provenance. The
 * comparison, the replicated comparison and the sweep each build a `Page`;
 * `pageHtml` and `pageMarkdown` write it as report.html (self-contained)
 * and report.md (PNG charts beside it).
 */
import { escapeXml } from '../charts/format.js';
import { CSS, sectionHtml, swatch, tableHtml } from './html.js';
import { cellText, tableMd } from './markdown.js';
import type { ProvenanceItem } from './provenance.js';
import type { Section, Table } from './sections.js';

export interface HeadlineCellView {
  text: string;
  /** the change against the baseline, or "baseline" */
  deltaText: string;
  /** the CSS class of the delta: better/worse coloured, the rest neutral */
  verdict: string;
  note?: string;
}

export interface HeadlineRowView {
  design: string;
  /** the design's colour slot */
  index: number;
  /** under the design's name (e.g. "n = 5 seeds") */
  note?: string;
  cells: HeadlineCellView[];
}

export interface HeadlineTableView {
  columns: readonly string[];
  /** rows in groups; a group without a label is a plain run of rows */
  groups: ReadonlyArray<{ label?: string; rows: ReadonlyArray<HeadlineRowView> }>;
}

export interface Page {
  title: string;
  lede: string;
  headline: HeadlineTableView;
  /**
   * What happened in a run that its metrics do not show and a reader must not
   * miss (faults that found no memory, device writes a process did not see),
   * one sentence each; written right under the headline.
   */
  alerts: readonly string[];
  /** the note under the headline: how to read the deltas */
  method: string;
  sections: readonly Section[];
  provenance: { items: readonly ProvenanceItem[]; perDesign?: Table };
  /** chart id -> PNG path relative to the report (Markdown); default charts/<id>.png */
  pngs?: ReadonlyMap<string, string>;
  /** extra CSS for this kind of page */
  css?: string;
}

function headlineHtml(h: HeadlineTableView): string {
  const head = h.columns.map((c) => `<th scope="col">${escapeXml(c)}</th>`).join('');
  const rows = h.groups.flatMap((g) => [
    ...(g.label !== undefined ? [`<tr class="group"><th colspan="${h.columns.length + 1}" scope="rowgroup">${escapeXml(g.label)}</th></tr>`] : []),
    ...g.rows.map((row) => {
      const cells = row.cells
        .map(
          (c) =>
            `<td>${escapeXml(c.text)}<span class="delta ${c.verdict}">${escapeXml(c.deltaText)}</span>${c.note ? `<span class="note">${escapeXml(c.note)}</span>` : ''}</td>`,
        )
        .join('');
      const note = row.note ? `<span class="note">${escapeXml(row.note)}</span>` : '';
      const group = g.label !== undefined ? ` data-group="${escapeXml(g.label)}"` : '';
      return `<tr data-design="${escapeXml(row.design)}"${group}><th scope="row">${swatch(row.index)}${escapeXml(row.design)}${note}</th>${cells}</tr>`;
    }),
  ]);
  return `<table id="headline">\n<thead><tr><th scope="col">design</th>${head}</tr></thead>\n<tbody>\n${rows.join('\n')}\n</tbody>\n</table>`;
}

function alertsHtml(alerts: readonly string[]): string {
  return alerts.length === 0
    ? ''
    : `<ul id="headline-alerts" class="alerts">\n${alerts.map((a) => `<li class="warn">${escapeXml(a)}</li>`).join('\n')}\n</ul>\n`;
}

export function pageHtml(p: Page): string {
  const prov = p.provenance.items
    .map((i) => {
      const cls = i.label === 'warning' ? ' class="warn"' : '';
      return `<dt${cls}>${escapeXml(i.label)}</dt><dd${cls}>${escapeXml(i.value)}</dd>`;
    })
    .join('\n');
  const perDesign = p.provenance.perDesign !== undefined && p.provenance.perDesign.rows.length > 0 ? `${tableHtml(p.provenance.perDesign)}\n` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(p.title)}</title>
<style>${CSS}${p.css ?? ''}</style>
</head>
<body>
<h1>${escapeXml(p.title)}</h1>
<p class="lede">${escapeXml(p.lede)}</p>
<h2>Headline</h2>
${headlineHtml(p.headline)}
${alertsHtml(p.alerts)}<p class="lede" style="font-size:.85rem">${escapeXml(p.method)}</p>
${p.sections.map(sectionHtml).join('\n')}
<section id="provenance">
<h2>Provenance</h2>
<dl class="prov">
${prov}
</dl>
${perDesign}</section>
</body>
</html>
`;
}

export function pageMarkdown(p: Page): string {
  const grouped = p.headline.groups.some((g) => g.label !== undefined);
  const lines: string[] = [`# ${p.title}`, '', p.lede, '', '## Headline', ''];
  lines.push(`|${grouped ? ' group |' : ''} design | ${p.headline.columns.map(cellText).join(' | ')} |`);
  lines.push(`|${grouped ? '---|' : ''}---|${p.headline.columns.map(() => '---:').join('|')}|`);
  for (const g of p.headline.groups)
    for (const row of g.rows) {
      const cells = row.cells.map((c) => cellText(`${c.text} (${c.deltaText})${c.note ? `, ${c.note}` : ''}`));
      const design = cellText(row.note ? `${row.design} (${row.note})` : row.design);
      lines.push(`|${grouped ? ` ${cellText(g.label ?? '')} |` : ''} ${design} | ${cells.join(' | ')} |`);
    }
  lines.push('');
  if (p.alerts.length > 0)
    lines.push(
      ...p.alerts
        .map((a) => `> **Warning:** ${a}`)
        .flatMap((l) => [l, '>'])
        .slice(0, -1),
      '',
    );
  lines.push(p.method, '');
  for (const s of p.sections) {
    lines.push(`## ${s.title}`, '');
    for (const b of s.blocks) {
      if (b.kind === 'chart')
        lines.push(`### ${b.chart.title}`, '', `![${b.chart.title}](${p.pngs?.get(b.chart.id) ?? `charts/${b.chart.id}.png`})`, '', b.chart.caption, '');
      else if (b.kind === 'table') lines.push(...tableMd(b.table));
      else lines.push(b.text, '');
    }
  }
  lines.push('## Provenance', '');
  for (const i of p.provenance.items) lines.push(`- **${i.label}**: \`${i.value.replace(/`/g, "'").replace(/\n/g, '; ')}\``);
  lines.push('');
  if (p.provenance.perDesign !== undefined && p.provenance.perDesign.rows.length > 0) lines.push(...tableMd(p.provenance.perDesign));
  return lines.join('\n') + '\n';
}
