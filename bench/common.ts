/**
 * What every section of the suite shares: the run's settings (quick or full), timing and
 * statistics, planted problems, the machine's load, and the collected results that run.ts turns
 * into REPORT.md.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { generatePlanted, PlantedOptions, Problem, solveSync, SolveOptions, SolveResult } from '../src';
import { native, NativeAddon, useAddon } from '../src/native';
import type { PlotSpec } from './plots';

/**
 * The bench-only addon (bench/setup.sh builds it; never shipped): the package's API plus
 * benchKernel. A bench process uses it for everything, because benchKernel accepts only a
 * NativeProblem made by its own addon. Same sources and flags as the shipped addon.
 */
export const BENCH_ADDON = path.resolve(__dirname, '..', '..', 'build', 'Release', 'bench', 'softnewton_bench.node');
let benchModule: NativeAddon;
try {
  benchModule = require(BENCH_ADDON) as NativeAddon;
} catch (error) {
  throw new Error(`the bench-only addon ${BENCH_ADDON} did not load (run bash bench/setup.sh): ${(error as Error).message}`);
}
useAddon(benchModule);

export interface Settings {
  full: boolean;
  /** bench/out: generated data and raw results (not committed). */
  outDir: string;
  /** bench/: REPORT.md and the SVG plots. */
  reportDir: string;
}

/** One section's contribution to the report: markdown, plots, and headline figures for the summary. */
export interface Section {
  title: string;
  markdown: string[];
  /** file name → the chart, rendered to SVG by run.ts */
  plots: Record<string, PlotSpec>;
  /** Headline numbers (also in results.json). */
  figures: Record<string, number | string | boolean | null>;
  /** Other files the section renders itself (file name → contents), written beside REPORT.md. */
  extraFiles?: Record<string, string>;
  seconds: number;
}

export function newSection(title: string): Section {
  return { title, markdown: [], plots: {}, figures: {}, seconds: 0 };
}

import { median } from '../src/numeric';

export { median };

export function now(): number {
  return performance.now() / 1000;
}

/** Least-squares slope of log y against log x: the fitted exponent of y ∝ x^e. */
export function fitExponent(x: number[], y: number[]): number {
  const lx = x.map(Math.log), ly = y.map(Math.log);
  const mx = lx.reduce((a, b) => a + b, 0) / lx.length, my = ly.reduce((a, b) => a + b, 0) / ly.length;
  let sxy = 0, sxx = 0;
  for (let i = 0; i < lx.length; i++) {
    sxy += (lx[i] - mx) * (ly[i] - my);
    sxx += (lx[i] - mx) ** 2;
  }
  return sxy / sxx;
}

/** Planted problem with its model options, plus its generation options for the report. */
export interface Planted {
  name: string;
  problem: Problem;
  xStar: Float64Array;
  options: PlantedOptions;
}

export function planted(name: string, options: PlantedOptions): Planted {
  const p = generatePlanted(options);
  return { name, problem: new Problem(p.C, p.b, p.model), xStar: p.xStar, options };
}

/** Median of `repeats` solves (the last result is returned, with the median wall time). */
export function timedSolve(problem: Problem, options: SolveOptions, repeats: number): { result: SolveResult; seconds: number; all: number[] } {
  const all: number[] = [];
  let result!: SolveResult;
  for (let r = 0; r < repeats; r++) {
    result = solveSync(problem, options);
    all.push(result.seconds);
  }
  return { result, seconds: median(all), all };
}

/** Median seconds of one iteration from a trace (rows ≥ 1), and its split. */
export function iterationTime(result: SolveResult): { total: number; sparse: number; sketch: number; dense: number } {
  const rows = result.trace.slice(1);
  if (rows.length === 0) return { total: NaN, sparse: NaN, sketch: NaN, dense: NaN };
  return {
    total: median(rows.map((r) => r.seconds)),
    sparse: median(rows.map((r) => r.secondsSparse)),
    sketch: median(rows.map((r) => r.secondsSketch)),
    dense: median(rows.map((r) => r.secondsDense)),
  };
}

/** The fastest iteration over one or more solves (rows ≥ 1), with its split: on a shared machine the
 *  least disturbed iteration estimates the cost of the work best when iterations do the same work. */
export function fastestIteration(results: SolveResult[]): { total: number; sparse: number; sketch: number; dense: number } {
  const rows = results.flatMap((r) => r.trace.slice(1));
  if (rows.length === 0) return { total: NaN, sparse: NaN, sketch: NaN, dense: NaN };
  const best = rows.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  return { total: best.seconds, sparse: best.secondsSparse, sketch: best.secondsSketch, dense: best.secondsDense };
}

/** The machine's state, recorded at the start and end of each section. */
export function load(): string {
  const [one, five] = os.loadavg();
  return `load average ${one.toFixed(2)} (1 min), ${five.toFixed(2)} (5 min) on ${os.cpus().length} cores`;
}

export function blasThreads(threads?: number): number {
  return native().blasThreads(threads);
}

export interface BenchAddon {
  benchKernel(op: string, options: object): unknown;
}

export function benchAddon(): BenchAddon {
  return native() as unknown as BenchAddon;
}

export function fmt(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e5 || a < 1e-3) return x.toExponential(2);
  return x.toPrecision(digits);
}

export function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.map((c) => (typeof c === 'number' ? fmt(c) : c)).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}
