import type { Table } from './sections.js';

export const cellText = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, '<br>');

export function tableMd(t: Table): string[] {
  const lines = [`### ${t.title}`, '', t.intro, ''];
  lines.push(`| ${cellText(t.headTitle)} | ${t.columns.map(cellText).join(' | ')} |`);
  lines.push(`|---|${t.columns.map(() => (t.wrap ? '---' : '---:')).join('|')}|`);
  for (const r of t.rows) lines.push(`| ${cellText(r.head)} | ${r.cells.map((c, i) => cellText(r.warn?.includes(i) ? `**${c}**` : c)).join(' | ')} |`);
  if (t.note) lines.push('', t.note);
  lines.push('');
  return lines;
}
