import type { RenderedChart } from '../charts/data.js';
import { escapeXml } from '../charts/format.js';
import { designColor } from '../charts/style.js';
import { HEADLINE_COLUMNS, headlineNote, type HeadlineRow } from './headline.js';
import type { ProvenanceItem } from './provenance.js';

const CSS = `
:root { color-scheme: light; }
body { font-family: "DejaVu Sans", Verdana, system-ui, sans-serif; color: #1b1b1b; background: #fff; margin: 0 auto; max-width: 960px; padding: 24px 28px 48px; line-height: 1.45; }
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
.better { color: #1a7f37; } .worse { color: #b42318; } .same, .baseline { color: #666; }
.swatch { display: inline-block; width: .8em; height: .8em; border-radius: 2px; margin-right: .4em; vertical-align: -0.05em; }
figure { margin: 1rem 0 1.6rem; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { font-size: .9rem; color: #333; margin-top: .3rem; }
dl.prov { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; font-size: .85rem; }
dl.prov dt { font-weight: 600; color: #444; }
dl.prov dd { margin: 0; font-family: "DejaVu Sans Mono", monospace; word-break: break-all; }
.warn { color: #b42318; }
`;

/** Chart SVG for inline use in HTML: the HTML parser puts <svg> in the SVG namespace, so no xmlns URL is needed. */
function inlineSvg(svg: string): string {
  return svg.replace(/\sxmlns(:\w+)?="[^"]*"/g, '');
}

export interface HtmlInput {
  title: string;
  lede: string;
  rows: ReadonlyArray<HeadlineRow>;
  charts: ReadonlyArray<RenderedChart>;
  provenance: ReadonlyArray<ProvenanceItem>;
}

export function reportHtml(r: HtmlInput): string {
  const head = HEADLINE_COLUMNS.map((c) => `<th scope="col">${escapeXml(c.title)}</th>`).join('');
  const body = r.rows
    .map((row, i) => {
      const cells = HEADLINE_COLUMNS.map((c) => {
        const v = row[c.key];
        const note = headlineNote(row, c.key);
        return `<td>${escapeXml(v.text)}<span class="delta ${v.verdict}">${escapeXml(v.deltaText)}</span>${note ? `<span class="note">${escapeXml(note)}</span>` : ''}</td>`;
      }).join('');
      return `<tr data-design="${escapeXml(row.design)}"><th scope="row"><span class="swatch" style="background:${designColor(i)}"></span>${escapeXml(row.design)}</th>${cells}</tr>`;
    })
    .join('\n');
  const figures = r.charts
    .map((c) => `<figure id="chart-${c.id}" class="chart">\n${inlineSvg(c.svg)}\n<figcaption>${escapeXml(c.caption)}</figcaption>\n</figure>`)
    .join('\n');
  const prov = r.provenance
    .map((p) => `<dt${p.label === 'warning' ? ' class="warn"' : ''}>${escapeXml(p.label)}</dt><dd${p.label === 'warning' ? ' class="warn"' : ''}>${escapeXml(p.value)}</dd>`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(r.title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${escapeXml(r.title)}</h1>
<p class="lede">${escapeXml(r.lede)}</p>
<h2>Headline</h2>
<table id="headline">
<thead><tr><th scope="col">design</th>${head}</tr></thead>
<tbody>
${body}
</tbody>
</table>
<p class="lede" style="font-size:.85rem">Deltas are against the baseline (first) design; green is better, red is worse. Waste is allocated minus ideal 4 KiB memory; locked ops are atomic RMWs and lock acquisitions on page metadata.</p>
<h2>Charts</h2>
${figures}
<h2>Provenance</h2>
<dl class="prov">
${prov}
</dl>
</body>
</html>
`;
}
