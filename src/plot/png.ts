/**
 * PNG output for the charts: the SVG that Vega draws, rasterised by resvg (`@resvg/resvg-js`, the
 * Rust SVG renderer with prebuilt binaries on npm for Linux, macOS and Windows: no system library,
 * no canvas, no browser). Text uses the system's fonts (DejaVu Sans on Debian, which the charts name).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as ResvgModule from '@resvg/resvg-js';
import { InputError } from '../errors';
import { fileError, requireFileName } from '../io/text';
import { writeSvg } from './svg';

/** Pixels per SVG unit: 2 gives a sharp chart on high-density screens and in documents. */
export const PNG_ZOOM = 2;

/** SVG text → PNG bytes (white background, as the charts draw). */
export function svgToPng(svg: string, { zoom = PNG_ZOOM }: { zoom?: number } = {}): Buffer {
  // Loaded on first use: most runs draw no PNG.
  const { Resvg } = require('@resvg/resvg-js') as typeof ResvgModule;
  const renderer = new Resvg(svg, { fitTo: { mode: 'zoom', value: zoom }, background: 'white', font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } });
  return renderer.render().asPng();
}

/** Writes a chart as `.svg` or `.png` by the file's extension (temporary file, then rename). */
export async function writeChart(file: string, svg: string): Promise<void> {
  requireFileName(file);
  if (/\.svg$/i.test(file)) return writeSvg(file, svg);
  if (!/\.png$/i.test(file)) throw new InputError(file, 'expected a file name ending in .svg or .png');
  const png = svgToPng(svg);
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    await fs.promises.writeFile(temporary, png);
    await fs.promises.rename(temporary, file);
  } catch (error) {
    await fs.promises.rm(temporary, { force: true }).catch(() => undefined);
    throw fileError(file, 'write', error);
  }
}
