import { HEADLINE_COLUMNS, headlineNote, type HeadlineRow } from './headline.js';
import type { ProvenanceItem } from './provenance.js';

const cellText = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export interface MarkdownInput {
  title: string;
  lede: string;
  rows: ReadonlyArray<HeadlineRow>;
  /** charts with the PNG path relative to the run directory */
  charts: ReadonlyArray<{ title: string; caption: string; png: string }>;
  provenance: ReadonlyArray<ProvenanceItem>;
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
  lines.push('', 'Deltas are against the baseline (first) design.', '', '## Charts', '');
  for (const c of r.charts) lines.push(`### ${c.title}`, '', `![${c.title}](${c.png})`, '', c.caption, '');
  lines.push('## Provenance', '');
  for (const p of r.provenance) lines.push(`- **${p.label}**: \`${p.value.replace(/`/g, "'")}\``);
  return lines.join('\n') + '\n';
}
