import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Resvg, renderAsync, type ResvgRenderOptions } from '@resvg/resvg-js';
import type { RenderedChart } from './data.js';

function options(svg: string, scale: number): ResvgRenderOptions {
  const width = Number(/<svg[^>]*\swidth="(\d+(?:\.\d+)?)"/.exec(svg)?.[1] ?? 880);
  return {
    fitTo: { mode: 'width', value: Math.round(width * scale) },
    font: { defaultFontFamily: 'DejaVu Sans', loadSystemFonts: true },
    background: 'white',
  };
}

/** Rasterises a standalone chart SVG at 2x for crisp text. */
export function svgToPng(svg: string, scale = 2): Buffer {
  return new Resvg(svg, options(svg, scale)).render().asPng();
}

/** The same PNG bytes as svgToPng, rasterised on libuv's thread pool, so several charts render on several cores. */
export async function svgToPngAsync(svg: string, scale = 2): Promise<Buffer> {
  return (await renderAsync(svg, options(svg, scale))).asPng();
}

/**
 * Writes each chart as `<dir>/<id>.svg` and `<id>.png`, rasterising them in
 * parallel (the slowest part of a report); returns the paths in chart order,
 * svg before png.
 */
export async function writeChartFiles(dir: string, charts: ReadonlyArray<RenderedChart>): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files = await Promise.all(
    charts.map(async (c) => {
      const svgPath = join(dir, `${c.id}.svg`);
      const pngPath = join(dir, `${c.id}.png`);
      await Promise.all([writeFile(svgPath, c.svg), svgToPngAsync(c.svg).then((png) => writeFile(pngPath, png))]);
      return [svgPath, pngPath];
    }),
  );
  return files.flat();
}
