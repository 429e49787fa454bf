import { escapeXml } from '../charts/format.js';
import { designColor } from '../charts/style.js';
import type { Section, Table } from './sections.js';

export const CSS = `
:root { color-scheme: light; }
body { font-family: "DejaVu Sans", Verdana, system-ui, sans-serif; color: #1b1b1b; background: #fff; margin: 0 auto; max-width: 1100px; padding: 24px 28px 48px; line-height: 1.45; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.15rem; margin: 2rem 0 .6rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
p.lede { color: #444; margin: 0 0 1rem; }
table { border-collapse: collapse; font-size: .9rem; width: 100%; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 6px 8px; text-align: right; vertical-align: top; }
thead th { background: #f6f6f6; font-weight: 600; }
tbody th { font-weight: 600; white-space: nowrap; }
td { white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
td .delta { display: block; font-size: .8rem; }
td .note { display: block; font-size: .75rem; color: #666; }
.better { color: #1a7f37; } .worse { color: #b42318; } .same, .baseline, .unknown, .nsd { color: #666; }
.swatch { display: inline-block; width: .8em; height: .8em; border-radius: 2px; margin-right: .4em; vertical-align: -0.05em; }
figure { margin: 1rem 0 1.6rem; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { font-size: .9rem; color: #333; margin-top: .3rem; }
dl.prov { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; font-size: .85rem; }
dl.prov dt { font-weight: 600; color: #444; }
dl.prov dd { margin: 0; font-family: "DejaVu Sans Mono", monospace; word-break: break-all; }
h3 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
p.intro { font-size: .9rem; color: #333; margin: .2rem 0 .6rem; }
p.note { font-size: .8rem; color: #555; margin: .3rem 0 1.2rem; }
table.data td { font-variant-numeric: tabular-nums; white-space: normal; }
table.data thead th { font-size: .8rem; white-space: normal; vertical-align: bottom; }
table.wrap thead th { text-align: left; }
dl.prov dd { white-space: pre-line; }
table.wrap td { white-space: pre-line; word-break: break-word; text-align: left; font-family: "DejaVu Sans Mono", monospace; font-size: .78rem; }
table.wrap tbody th { font-size: .8rem; }
td.warn { color: #b42318; font-weight: 600; }
table.data td.text { white-space: nowrap; text-align: left; }
.warn { color: #b42318; }
th .note { display: block; font-weight: normal; font-size: .75rem; color: #666; }
tr.group th { background: #fafafa; font-family: "DejaVu Sans Mono", monospace; font-size: .8rem; text-align: left; }
ul.alerts { margin: .6rem 0; padding-left: 1.2rem; font-size: .9rem; }
ul.alerts li { margin: .2rem 0; font-weight: 600; }
`;

/** Chart SVG for inline use in HTML: the HTML parser puts <svg> in the SVG namespace, so no xmlns URL is needed. */
export function inlineSvg(svg: string): string {
  return svg.replace(/\sxmlns(:\w+)?="[^"]*"/g, '');
}

export function swatch(index: number | undefined): string {
  return index === undefined ? '' : `<span class="swatch" style="background:${designColor(index)}"></span>`;
}

export function tableHtml(t: Table): string {
  const head = `<tr><th scope="col">${escapeXml(t.headTitle)}</th>${t.columns.map((c) => `<th scope="col">${escapeXml(c)}</th>`).join('')}</tr>`;
  const body = t.rows
    .map((r) => {
      const cls = (c: string, i: number): string => [r.warn?.includes(i) ? 'warn' : '', !t.wrap && /^[A-Za-z]/.test(c) ? 'text' : ''].filter(Boolean).join(' ');
      const cells = r.cells.map((c, i) => `<td${cls(c, i) ? ` class="${cls(c, i)}"` : ''}>${escapeXml(c)}</td>`).join('');
      return `<tr${r.design !== undefined ? ` data-design="${escapeXml(r.design)}"` : ''}><th scope="row">${swatch(r.index)}${escapeXml(r.head)}</th>${cells}</tr>`;
    })
    .join('\n');
  return (
    `<div class="table" id="table-${t.id}">\n<h3>${escapeXml(t.title)}</h3>\n<p class="intro">${escapeXml(t.intro)}</p>\n` +
    `<table id="${t.id}" class="data${t.wrap ? ' wrap' : ''}">\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>\n` +
    (t.note ? `<p class="note">${escapeXml(t.note)}</p>\n` : '') +
    `</div>`
  );
}

export function sectionHtml(s: Section): string {
  const blocks = s.blocks.map((b) =>
    b.kind === 'chart'
      ? `<figure id="chart-${b.chart.id}" class="chart">\n${inlineSvg(b.chart.svg)}\n<figcaption>${escapeXml(b.chart.caption)}</figcaption>\n</figure>`
      : b.kind === 'table'
        ? tableHtml(b.table)
        : `<p class="intro">${escapeXml(b.text)}</p>`,
  );
  return `<section id="${s.id}">\n<h2>${escapeXml(s.title)}</h2>\n${blocks.join('\n')}\n</section>`;
}
