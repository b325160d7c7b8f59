/**
 * Charts as SVG text, rendered headlessly: a Vega-Lite specification is compiled to Vega and drawn
 * by Vega's SVG renderer, which needs no canvas and no browser (text widths are estimated).
 *
 * Vega and Vega-Lite 5 are used (not 6): their CommonJS builds load in this CommonJS package on
 * every Node 20 release, where version 6 is ESM-only (and Vega-Lite 6.5 needs Node 22).
 */
import type * as Vega from 'vega';
import type * as VegaLite from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { InputError } from '../errors';
import { fileError, outputTarget, requireFileName } from '../io/text';
import * as fs from 'node:fs';
import * as path from 'node:path';

export type ChartSpec = TopLevelSpec;

/** Shared look: white background, readable fonts, no chart border. */
export const CHART_CONFIG = {
  background: 'white',
  font: 'DejaVu Sans, Helvetica, Arial, sans-serif',
  view: { stroke: '#bbbbbb' },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e6e6e6' },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 260 },
  title: { fontSize: 14, subtitleFontSize: 11, subtitleColor: '#555555', anchor: 'start' },
} as const;

/** Renders a Vega-Lite specification to SVG text. */
export async function renderSvg(spec: ChartSpec): Promise<string> {
  // Loaded on first use: Vega takes about half a second to load, which every CLI run would pay.
  const vega = require('vega') as typeof Vega;
  const vegaLite = require('vega-lite') as typeof VegaLite;
  const compiled = vegaLite.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Writes SVG text to `file` (temporary file, then rename: never a half-written chart). */
export async function writeSvg(file: string, svg: string): Promise<void> {
  requireFileName(file);
  if (!/\.svg$/i.test(file)) throw new InputError(file, 'expected a file name ending in .svg');
  const target = await outputTarget(file); // a symbolic link: write its target, keep the link
  const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`);
  try {
    await fs.promises.writeFile(temporary, svg);
    await fs.promises.rename(temporary, target);
  } catch (error) {
    await fs.promises.rm(temporary, { force: true }).catch(() => undefined);
    throw fileError(file, 'write', error);
  }
}

export interface LinePoint {
  /** The series (one line and one legend entry each). */
  series: string;
  x: number;
  y: number;
}

export interface LineChartOptions {
  title?: string;
  subtitle?: string;
  xTitle: string;
  yTitle: string;
  seriesTitle?: string;
  logX?: boolean;
  logY?: boolean;
  width?: number;
  height?: number;
}

/**
 * One panel of lines with points, one line per series; log axes drop non-positive values (they
 * have no place on them). For scaling plots (bench) and anything else that is lines over x.
 */
export function lineChartSpec(points: readonly LinePoint[], o: LineChartOptions): ChartSpec {
  const values = points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!o.logX || p.x > 0) && (!o.logY || p.y > 0));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    config: CHART_CONFIG,
    ...(o.title ? { title: { text: o.title, ...(o.subtitle ? { subtitle: o.subtitle } : {}) } } : {}),
    width: o.width ?? 420,
    height: o.height ?? 300,
    data: { values: values.map((p) => ({ ...p })) },
    mark: { type: 'line', point: { size: 28 }, strokeWidth: 1.6 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: o.xTitle, scale: o.logX ? { type: 'log' } : { zero: false } },
      y: { field: 'y', type: 'quantitative', title: o.yTitle, scale: o.logY ? { type: 'log' } : { zero: false }, ...(o.logY ? { axis: { format: '.0e' } } : {}) },
      color: { field: 'series', type: 'nominal', title: o.seriesTitle ?? 'series', sort: null },
    },
  };
}

export async function lineChartSvg(points: readonly LinePoint[], options: LineChartOptions): Promise<string> {
  return renderSvg(lineChartSpec(points, options));
}
