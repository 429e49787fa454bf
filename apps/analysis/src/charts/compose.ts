import { parseHTML } from 'linkedom';
import { CHART_WIDTH, FONT_FAMILY } from './style.js';
import { escapeXml } from './format.js';

/** A DOM document for Plot to build SVG in, outside a browser. */
export function plotDocument(): Document {
  return parseHTML('<!doctype html><html><body></body></html>').document as unknown as Document;
}

export interface LegendItem {
  label: string;
  color: string;
  /** swatch drawn as a light fill with a coloured outline (e.g. "failed") */
  light?: boolean;
  /** swatch drawn as a dot (a point mark such as the waste peak) */
  dot?: boolean;
}

const LEGEND_ROW = 20;
const TITLE_H = 30;

/** Lays legend items out in rows that fit the width; returns SVG and its height. */
function legendSvg(title: string, items: ReadonlyArray<LegendItem>, y0: number, width: number): { svg: string; height: number } {
  if (items.length === 0) return { svg: '', height: 0 };
  const parts: string[] = [];
  let x = 12;
  let y = y0;
  const charW = 7.2; // DejaVu Sans 12px average advance
  if (title !== '') {
    parts.push(`<text x="${x}" y="${y + 10}" font-size="12" font-weight="bold" fill="#333">${escapeXml(title)}</text>`);
    x += title.length * charW + 14;
  }
  for (const it of items) {
    const w = 18 + it.label.length * charW + 18;
    if (x + w > width - 8 && x > 12) {
      x = 12;
      y += LEGEND_ROW;
    }
    const fill = it.light ? `fill="${it.color}" fill-opacity="0.25" stroke="${it.color}" stroke-width="1.5"` : `fill="${it.color}"`;
    parts.push(
      it.dot ? `<circle cx="${x + 6.5}" cy="${y + 6.5}" r="4.5" fill="${it.color}"/>` : `<rect x="${x}" y="${y}" width="13" height="13" rx="2" ${fill}/>`,
    );
    parts.push(`<text x="${x + 18}" y="${y + 11}" font-size="12" fill="#222">${escapeXml(it.label)}</text>`);
    x += w;
  }
  return { svg: `<g class="legend">${parts.join('')}</g>`, height: y - y0 + LEGEND_ROW };
}

/** Path coordinates to 0.1 px: invisible at any zoom a report is read at, and a third the bytes. */
function roundPaths(svg: string): string {
  return svg.replace(/ d="([^"]*)"/g, (_, d: string) => ` d="${d.replace(/(\.\d)\d+/g, '$1')}"`);
}

export interface ComposeOptions {
  title: string;
  legendTitle?: string;
  legend: ReadonlyArray<LegendItem>;
  plot: SVGSVGElement | HTMLElement;
  width?: number;
}

/**
 * One standalone SVG: title, legend (as SVG marks, so resvg's PNG keeps it),
 * then the Plot chart nested below them.
 */
export function composeSvg(o: ComposeOptions): string {
  const width = o.width ?? CHART_WIDTH;
  const svgEl = (o.plot.tagName.toLowerCase() === 'svg' ? o.plot : o.plot.querySelector('svg')) as SVGSVGElement | null;
  if (svgEl === null) throw new Error('Plot returned no <svg>');
  const legend = legendSvg(o.legendTitle ?? '', o.legend, TITLE_H + 4, width);
  const top = TITLE_H + 4 + legend.height + 6;
  const plotH = Number(svgEl.getAttribute('height') ?? 0);
  svgEl.setAttribute('x', '0');
  svgEl.setAttribute('y', String(top));
  svgEl.removeAttribute('xmlns');
  const height = Math.ceil(top + plotH + 4);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="${FONT_FAMILY}" role="img" aria-label="${escapeXml(o.title)}">` +
    `<rect width="${width}" height="${height}" fill="white"/>` +
    `<text x="12" y="22" font-size="16" font-weight="bold" fill="#111">${escapeXml(o.title)}</text>` +
    legend.svg +
    roundPaths(svgEl.outerHTML) +
    `</svg>`
  );
}
