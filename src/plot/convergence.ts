/**
 * The convergence chart of one or more solves: ‖∇L(x_t)‖ and ‖x_t − x*‖ against the iteration t on
 * log scales, side by side, one line per run (a start of a multi-start solve, or a sketch).
 * Linear convergence is a straight line down; quadratic convergence bends ever more steeply.
 */
import type { TraceRow } from '../solve';
import { InputError } from '../errors';
import { CHART_CONFIG, ChartSpec, renderSvg } from './svg';
import { writeChart } from './png';

export interface ConvergenceRun {
  /** The legend entry: `start 2`, `leverage`, … */
  label: string;
  trace: readonly Pick<TraceRow, 'iteration' | 'gradNorm' | 'distance'>[];
}

export interface ConvergenceOptions {
  title?: string;
  /** A second line under the title (data, model, method). */
  subtitle?: string;
  /** The legend's title (default `run`). */
  legend?: string;
}

const GRADIENT = '‖∇L(x_t)‖';
const DISTANCE = '‖x_t − x*‖';

/** The Vega-Lite specification of the chart (exported for tests and for callers who render it elsewhere). */
export function convergenceSpec(runs: readonly ConvergenceRun[], options: ConvergenceOptions = {}): ChartSpec {
  if (!Array.isArray(runs) || runs.length === 0) throw new InputError('runs', 'expected at least one run to plot');
  const values: { run: string; iteration: number; quantity: string; value: number }[] = [];
  let omitted = 0;
  let distances = 0;
  for (const { label, trace } of runs) {
    for (const row of trace) {
      for (const [quantity, value] of [[GRADIENT, row.gradNorm], [DISTANCE, row.distance]] as const) {
        if (value === null || value === undefined) continue;
        if (quantity === DISTANCE) distances++;
        // A log scale has no place for 0 (an exact solution) or for a non-finite value.
        if (!(value > 0 && Number.isFinite(value))) {
          omitted++;
          continue;
        }
        values.push({ run: label, iteration: row.iteration, quantity, value });
      }
    }
  }
  const notes = [
    options.subtitle,
    distances === 0 ? 'x* unknown: no distance panel (give x* to draw it)' : undefined,
    omitted > 0 ? `${omitted} zero value${omitted > 1 ? 's' : ''} omitted (no place on a log scale)` : undefined,
  ].filter((s): s is string => Boolean(s));
  const panel = (quantity: string) => ({
    width: 360,
    height: 280,
    transform: [{ filter: { field: 'quantity', equal: quantity } }],
    // Translucent, so that runs which coincide (starts close together) blend rather than hide one another.
    mark: { type: 'line' as const, point: { size: 26 }, strokeWidth: 1.6, opacity: 0.75, clip: true },
    encoding: {
      x: { field: 'iteration', type: 'quantitative' as const, title: 'iteration t', axis: { tickMinStep: 1, format: 'd' } },
      y: { field: 'value', type: 'quantitative' as const, title: `${quantity} (log scale)`, scale: { type: 'log' as const }, axis: { format: '.0e' } },
      color: { field: 'run', type: 'nominal' as const, title: options.legend ?? 'run', sort: runs.map((r) => r.label) },
      tooltip: [{ field: 'run' }, { field: 'iteration' }, { field: 'value', format: '.3e' }],
    },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    config: CHART_CONFIG,
    title: { text: options.title ?? 'Convergence', ...(notes.length ? { subtitle: notes } : {}) },
    data: { values },
    hconcat: distances > 0 ? [panel(GRADIENT), panel(DISTANCE)] : [panel(GRADIENT)],
    resolve: { scale: { y: 'independent', color: 'shared' } },
  };
}

export async function convergenceSvg(runs: readonly ConvergenceRun[], options: ConvergenceOptions = {}): Promise<string> {
  return renderSvg(convergenceSpec(runs, options));
}

/** Renders the convergence chart and writes it to `file`: SVG (`.svg`) or PNG (`.png`, by resvg). */
export async function writeConvergencePlot(file: string, runs: readonly ConvergenceRun[], options: ConvergenceOptions = {}): Promise<void> {
  await writeChart(file, await convergenceSvg(runs, options));
}
