/** Colours and fonts shared by every chart, the HTML and the Markdown report. */

/**
 * One colour per design, by the design's position in compare.json (baseline
 * first). Okabe–Ito, which stays distinguishable under the common colour
 * vision deficiencies; saturated so they never look like a waste cause.
 */
export const DESIGN_PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#8C564B'] as const;

export function designColor(index: number): string {
  return DESIGN_PALETTE[index % DESIGN_PALETTE.length]!;
}

/** Waste causes get muted colours, so a cause is never mistaken for a design. */
export const CAUSE_COLORS: Record<string, string> = {
  'unmapped-in-thp': '#8da0cb',
  'truncated-retained': '#a6d854',
  'collapse-bloat': '#fc8d62',
  'duplicated-shared': '#e78ac3',
  'split-blocked': '#e5c494',
  unattributed: '#b3b3b3',
};
const EXTRA_CAUSE_COLORS = ['#66c2a5', '#ffd92f', '#bc80bd', '#80b1d3'];

export function causeColor(cause: string, extraIndex: number): string {
  return CAUSE_COLORS[cause] ?? EXTRA_CAUSE_COLORS[extraIndex % EXTRA_CAUSE_COLORS.length]!;
}

/**
 * Call sites in the stacked locked-ops chart: light (so black labels read on
 * them) and unlike the saturated design colours; "other" is grey.
 */
export const SITE_PALETTE = [
  '#8dd3c7',
  '#fdb462',
  '#bebada',
  '#fb8072',
  '#80b1d3',
  '#b3de69',
  '#fccde5',
  '#ffed6f',
  '#bc80bd',
  '#ccebc5',
  '#ffffb3',
  '#e5c494',
] as const;

/** DejaVu Sans is what resvg finds on these machines; browsers fall back to their sans-serif. */
export const FONT_FAMILY = 'DejaVu Sans, Verdana, sans-serif';
export const CHART_WIDTH = 880;
