/**
 * The report's plots: each section describes its line charts as data (PlotSpec), and run.ts renders
 * them to SVG with the project's Vega-Lite charts (src/plot), so the report looks like the CLI's plots.
 */
import { lineChartSvg, LinePoint } from '../src/plot';

export interface Series {
  name: string;
  points: [number, number][];
  /** A reference line (e.g. slope 1, rate = ε): drawn as a series of its own, named as such. */
  dashed?: boolean;
}

export interface PlotSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  logX?: boolean;
  logY?: boolean;
  series: Series[];
}

export function linePlot(spec: PlotSpec): PlotSpec {
  return spec;
}

export async function renderPlot(spec: PlotSpec): Promise<string> {
  const points: LinePoint[] = spec.series.flatMap((s) => s.points.map(([x, y]) => ({ series: s.dashed ? `${s.name} (reference)` : s.name, x, y })));
  return lineChartSvg(points, { title: spec.title, xTitle: spec.xLabel, yTitle: spec.yLabel, logX: spec.logX, logY: spec.logY, seriesTitle: ' ', width: 460, height: 300 });
}
