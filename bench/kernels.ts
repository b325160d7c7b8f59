/**
 * Section 2: the kernels one by one with benchmark.js — Cx, Cᵀr, each sketch, SYRK, Cholesky and
 * loss + gradient — at several sizes. Each call goes through the addon (benchKernel, or the
 * problem's own evaluate), so the figures include the call's small fixed cost.
 */
// benchmark.js ships no types; the little used here is declared below.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const Benchmark = require('benchmark') as BenchmarkStatic;
import { benchAddon, fmt, load, log, newSection, planted, Planted, Section, Settings, table } from './common';

interface BenchmarkStats { mean: number; rme: number; sample: number[] }
interface BenchmarkInstance { stats: BenchmarkStats; hz: number; run(options?: object): void; error?: unknown }
interface BenchmarkStatic { new (name: string, fn: () => void, options?: object): BenchmarkInstance }

function measure(name: string, fn: () => void, maxTime: number): { mean: number; rme: number; samples: number } {
  const bench = new Benchmark(name, fn, { maxTime, minSamples: 5, initCount: 1 });
  bench.run({ async: false });
  if (bench.error) throw bench.error;
  return { mean: bench.stats.mean, rme: bench.stats.rme, samples: bench.stats.sample.length };
}

export function runKernels(settings: Settings): Section {
  const section = newSection('2. Kernels (benchmark.js)');
  section.markdown.push(`Load at start: ${load()}.`);
  const maxTime = settings.full ? 2 : 0.3;
  const addon = benchAddon();
  const sizes: [string, Parameters<typeof planted>[1]][] = settings.full
    ? [
        ['sparse n=1e5 d=100 (10/row)', { rows: 100_000, cols: 100, density: 0.1, seed: 21 }],
        ['sparse n=1e6 d=200 (20/row)', { rows: 1_000_000, cols: 200, density: 0.1, seed: 22 }],
        ['dense n=2e4 d=100', { rows: 20_000, cols: 100, density: 1, seed: 23 }],
        ['dense n=1e5 d=200', { rows: 100_000, cols: 200, density: 1, seed: 24 }],
      ]
    : [
        ['sparse n=1e5 d=100 (10/row)', { rows: 100_000, cols: 100, density: 0.1, seed: 21 }],
        ['sparse n=2.5e5 d=200 (20/row)', { rows: 250_000, cols: 200, density: 0.1, seed: 22 }],
        ['dense n=2e4 d=100', { rows: 20_000, cols: 100, density: 1, seed: 23 }],
      ];
  const rows: (string | number)[][] = [];
  for (const [name, options] of sizes) {
    log(`kernels: ${name}`);
    const p: Planted = planted(name, { ...options, conditioning: 100 });
    const { problem } = p;
    const n = problem.rows, d = problem.cols;
    const x = new Float64Array(p.xStar), z = new Float64Array(n), r = new Float64Array(n).fill(1 / n), g = new Float64Array(d);
    const D = problem.pieces(x).D.map(Math.abs);
    const m = new Float64Array(d * d);
    const k = Math.min(n, Math.ceil(3 * d * Math.log(d + 1) / 0.25));
    const cases: [string, () => void, number][] = [
      ['Cx', () => addon.benchKernel('multiply', { problem: problem.handle, input: x, output: z }), problem.nnz],
      ['Cᵀr', () => addon.benchKernel('multiplyTransposed', { problem: problem.handle, input: r, output: g }), problem.nnz],
      ['loss + gradient', () => problem.evaluate(x), problem.nnz],
    ];
    for (const kind of ['leverage', 'countsketch', 'osnap', 'uniform', 'none']) {
      cases.push([`sketch ${kind} (k=${kind === 'none' ? n : k})`, () => addon.benchKernel('sketch', { problem: problem.handle, D, kind, rows: k, seed: 1, m }), problem.nnz]);
    }
    for (const [label, fn, work] of cases) {
      const s = measure(`${name} ${label}`, fn, maxTime);
      rows.push([name, label, fmt(s.mean * 1e3), `±${s.rme.toFixed(1)}%`, s.samples, fmt(work / s.mean / 1e9)]);
      section.figures[`${name} ${label} ms`] = s.mean * 1e3;
    }
  }
  rows.push(['', '', '', '', '', '']);
  for (const [d, k] of (settings.full ? [[100, 5000], [200, 12720], [500, 5000], [1000, 10000]] : [[100, 5000], [200, 12720], [500, 5000]]) as [number, number][]) {
    const a = new Float64Array(k * d).map((_, i) => Math.sin(i));
    const m = new Float64Array(d * d);
    const s = measure(`syrk ${k}×${d}`, () => addon.benchKernel('syrk', { d, k, a, m }), maxTime);
    rows.push([`A: ${k} × ${d}`, 'SYRK AᵀA', fmt(s.mean * 1e3), `±${s.rme.toFixed(1)}%`, s.samples, `${fmt((k * d * d) / s.mean / 1e9)} GFLOP/s`]);
    section.figures[`syrk ${k}x${d} ms`] = s.mean * 1e3;
  }
  for (const d of settings.full ? [100, 200, 500, 1000, 2000] : [100, 200, 500, 1000]) {
    const spd = new Float64Array(d * d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) spd[i * d + j] = (i === j ? d : 0) + 1 / (1 + i + j);
    const work = new Float64Array(d * d);
    const s = measure(`cholesky ${d}`, () => addon.benchKernel('cholesky', { d, spd, work }), maxTime);
    rows.push([`${d} × ${d}`, 'Cholesky (copy + dpotrf)', fmt(s.mean * 1e3), `±${s.rme.toFixed(1)}%`, s.samples, `${fmt(d ** 3 / 3 / s.mean / 1e9)} GFLOP/s`]);
    section.figures[`cholesky ${d} ms`] = s.mean * 1e3;
  }
  section.markdown.push(
    `benchmark.js, \`maxTime\` ${maxTime} s per kernel, mean with its relative margin of error (99% level); the last column is G stored entries per second ` +
      '(sketches: of C, for one sketch) or GFLOP/s. Sketches run on |D| at x* (k from ε₀ = 0.5: k = ⌈3 d ln(d+1)/ε₀²⌉); `none` is the exact Cᵀ diag(D) C.\n\n' +
      table(['data', 'kernel', 'mean ms', '± rme', 'samples', 'G nnz/s or GFLOP/s'], rows),
  );
  section.markdown.push(`Load at end: ${load()}.`);
  return section;
}
