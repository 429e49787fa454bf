import { HEADLINE_COLUMNS, headlineNote, type HeadlineRow } from './headline.js';
import type { Provenance } from './provenance.js';
import type { Section, Table } from './sections.js';

export const cellText = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, '<br>');

export interface MarkdownInput {
  title: string;
  lede: string;
  rows: ReadonlyArray<HeadlineRow>;
  sections: ReadonlyArray<Section>;
  /** chart id -> PNG path relative to the run directory */
  pngs: ReadonlyMap<string, string>;
  provenance: Provenance;
}

export function tableMd(t: Table): string[] {
  const lines = [`### ${t.title}`, '', t.intro, ''];
  lines.push(`| ${cellText(t.headTitle)} | ${t.columns.map(cellText).join(' | ')} |`);
  lines.push(`|---|${t.columns.map(() => (t.wrap ? '---' : '---:')).join('|')}|`);
  for (const r of t.rows) lines.push(`| ${cellText(r.head)} | ${r.cells.map((c, i) => cellText(r.warn?.includes(i) ? `**${c}**` : c)).join(' | ')} |`);
  if (t.note) lines.push('', t.note);
  lines.push('');
  return lines;
}

export function reportMarkdown(r: MarkdownInput): string {
  const lines: string[] = [`# ${r.title}`, '', r.lede, '', '## Headline', ''];
  lines.push(`| design | ${HEADLINE_COLUMNS.map((c) => c.title).join(' | ')} |`);
  lines.push(`|---|${HEADLINE_COLUMNS.map(() => '---:').join('|')}|`);
  for (const row of r.rows) {
    const cells = HEADLINE_COLUMNS.map((c) => {
      const v = row[c.key];
      const note = headlineNote(row, c.key);
      return cellText(`${v.text} (${v.deltaText})${note ? `, ${note}` : ''}`);
    });
    lines.push(`| ${cellText(row.design)} | ${cells.join(' | ')} |`);
  }
  lines.push(
    '',
    'Deltas are against the baseline (first) design. "At end of run" is the waste still held after the last event, "peak" the most held at any point.',
    '',
  );
  for (const s of r.sections) {
    lines.push(`## ${s.title}`, '');
    for (const b of s.blocks) {
      if (b.kind === 'chart')
        lines.push(`### ${b.chart.title}`, '', `![${b.chart.title}](${r.pngs.get(b.chart.id) ?? `charts/${b.chart.id}.png`})`, '', b.chart.caption, '');
      else if (b.kind === 'table') lines.push(...tableMd(b.table));
      else lines.push(b.text, '');
    }
  }
  lines.push('## Provenance', '');
  for (const p of r.provenance.items) lines.push(`- **${p.label}**: \`${p.value.replace(/`/g, "'").replace(/\n/g, '; ')}\``);
  lines.push('');
  if (r.provenance.perDesign.rows.length > 0) lines.push(...tableMd(r.provenance.perDesign));
  return lines.join('\n') + '\n';
}
