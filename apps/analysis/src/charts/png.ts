import { Resvg } from '@resvg/resvg-js';

/** Rasterises a standalone chart SVG at 2x for crisp text. */
export function svgToPng(svg: string, scale = 2): Buffer {
  const width = Number(/<svg[^>]*\swidth="(\d+(?:\.\d+)?)"/.exec(svg)?.[1] ?? 880);
  return new Resvg(svg, {
    fitTo: { mode: 'width', value: Math.round(width * scale) },
    font: { defaultFontFamily: 'DejaVu Sans', loadSystemFonts: true },
    background: 'white',
  })
    .render()
    .asPng();
}
