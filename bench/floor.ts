/**
 * Section 1: the machine's floor, measured by the suite itself — BLAS-3 and LAPACK rates (dgemm,
 * dsyrk at the sketch's shape, dpotrf) timed natively, and the CSR pass rates (Cx, Cᵀr) — and the
 * floor of one approx-newton iteration built from those rates, for the ratio "measured / floor".
 */
import type { Problem } from '../src';
import { benchAddon, blasThreads, fmt, median } from './common';

export interface KernelRate {
  kernel: string;
  shape: string;
  threads: number;
  seconds: number;
  gflops: number;
}

/** Median seconds of `reps` native runs of a BLAS/LAPACK kernel. */
export function timeBlas(kernel: 'dgemm' | 'strassen' | 'dsyrk' | 'dpotrf', n: number, reps: number, extra: { k?: number; cutoff?: number } = {}): { seconds: number; relativeError: number } {
  const out = benchAddon().benchKernel('time', { kernel, n, reps, ...extra }) as { seconds: Float64Array; relativeError: number };
  // The first run pays for page faults and thread start-up: drop it when there are enough.
  const s = [...out.seconds];
  return { seconds: median(s.length > 2 ? s.slice(1) : s), relativeError: out.relativeError };
}

export function flops(kernel: string, n: number, k = 0): number {
  if (kernel === 'dgemm' || kernel === 'strassen') return 2 * n ** 3;
  if (kernel === 'dsyrk') return k * n * n; // n(n+1)/2 dot products of length k, 2 flops each
  if (kernel === 'dpotrf') return n ** 3 / 3;
  return NaN;
}

export function rate(kernel: 'dgemm' | 'dsyrk' | 'dpotrf', n: number, reps: number, k = 0): KernelRate {
  const { seconds } = timeBlas(kernel, n, reps, { k });
  return {
    kernel,
    shape: kernel === 'dsyrk' ? `${k} × ${n}` : `${n} × ${n}`,
    threads: blasThreads(),
    seconds,
    gflops: flops(kernel, n, k) / seconds / 1e9,
  };
}

export interface PassRate {
  pass: 'multiply' | 'multiplyTransposed';
  seconds: number;
  nnzPerSecond: number;
  bytesPerSecond: number;
}

/** Bytes a CSR pass must move: values and column indices per stored entry, indptr and the row vector per row. */
export function passBytes(problem: Problem): number {
  const dense = 'data' in problem.C;
  return dense ? problem.nnz * 8 + problem.rows * 8 : problem.nnz * 12 + problem.rows * 12;
}

export function passRate(problem: Problem, pass: 'multiply' | 'multiplyTransposed', reps: number): PassRate {
  const s = [...(benchAddon().benchKernel('timeSparse', { problem: problem.handle, pass, reps }) as Float64Array)];
  const seconds = median(s.length > 2 ? s.slice(1) : s);
  return { pass, seconds, nnzPerSecond: problem.nnz / seconds, bytesPerSecond: passBytes(problem) / seconds };
}

/** The floor of one approx-newton iteration on `problem` with a sketch of k rows, from rates measured now. */
export interface IterationFloor {
  passes: number;
  passSeconds: number;
  scoringSeconds: number;
  syrkSeconds: number;
  choleskySeconds: number;
  total: number;
  detail: string;
}

// Per iteration approx-newton makes 5 passes over C: C p for the line search (the trial points then
// move along z − t·Cp), Cᵀ(∇ℓ + w²z) for the gradient, Cᵀs and Cᵀq for the rank-2 term, and the
// sketch's one pass (CountSketch buckets, or leverage's embedding).
export const PASSES_PER_ITERATION = 5;

export function iterationFloor(problem: Problem, sketch: 'leverage' | 'countsketch' | 'osnap', k: number, reps: number, dgemmGflops: number): IterationFloor {
  const d = problem.cols;
  const forward = passRate(problem, 'multiply', reps), backward = passRate(problem, 'multiplyTransposed', reps);
  const passSeconds = (forward.seconds + 2 * backward.seconds) / 3 * PASSES_PER_ITERATION; // 1 forward : 4 backward, weighed evenly
  const syrk = timeBlas('dsyrk', d, Math.max(3, reps), { k: Math.min(k, problem.rows) }).seconds;
  const chol = timeBlas('dpotrf', d, Math.max(5, reps)).seconds;
  let scoringSeconds = 0;
  if (sketch === 'leverage') {
    // t probe columns per stored entry (2t flops) at the dgemm rate, plus the QR of the (4d + d) × d
    // embedding (2·5d·d² − ⅔d³ flops) at the same rate: the best the scoring could do.
    const t = Math.min(d, Math.ceil(4 * Math.log(problem.rows)) + 4);
    scoringSeconds = (2 * t * problem.nnz + 2 * 5 * d * d * d - (2 / 3) * d ** 3) / (dgemmGflops * 1e9);
  }
  const total = passSeconds + scoringSeconds + syrk + chol;
  return {
    passes: PASSES_PER_ITERATION,
    passSeconds,
    scoringSeconds,
    syrkSeconds: syrk,
    choleskySeconds: chol,
    total,
    detail: `${PASSES_PER_ITERATION} passes ${fmt(passSeconds * 1e3)} ms` + (scoringSeconds ? ` + scoring ${fmt(scoringSeconds * 1e3)} ms` : '') + ` + SYRK ${Math.min(k, problem.rows)}×${d} ${fmt(syrk * 1e3)} ms + Cholesky ${fmt(chol * 1e3)} ms`,
  };
}

// ---------------------------------------------------------------------------------------------
// The section.
import { iterationTime, load, log, newSection, planted, Section, Settings, table } from './common';
import { solveSync } from '../src';

export interface FloorSummary {
  dgemmGflops: number;
  ratios: { problem: string; sketch: string; ratio: number }[];
}

export function runFloor(settings: Settings): { section: Section; summary: FloorSummary } {
  const section = newSection('1. The machine floor');
  const reps = settings.full ? 7 : 5;
  const defaultThreads = blasThreads();
  section.markdown.push(`Load at start: ${load()}. OpenBLAS threads by default: ${defaultThreads}.`);
  const rates: KernelRate[] = [];
  const dgemmSizes = settings.full ? [1000, 2000, 4000] : [1000, 2000];
  const syrkShapes: [number, number][] = settings.full ? [[200, 12720], [500, 5000], [1000, 10000], [2000, 20000]] : [[200, 12720], [500, 5000], [1000, 10000]];
  const potrfSizes = settings.full ? [200, 1000, 2000, 4000] : [200, 1000, 2000];
  for (const threads of [1, defaultThreads].filter((t, i, a) => a.indexOf(t) === i)) {
    blasThreads(threads);
    log(`floor: BLAS at ${threads} thread(s)`);
    for (const n of dgemmSizes) rates.push(rate('dgemm', n, reps));
    for (const [d, k] of syrkShapes) rates.push(rate('dsyrk', d, reps, k));
    for (const n of potrfSizes) rates.push(rate('dpotrf', n, reps));
  }
  blasThreads(defaultThreads);
  section.markdown.push(
    'BLAS-3 and LAPACK, timed natively (`benchKernel("time")`, median of ' + reps + ' runs after a warm-up run):\n\n' +
      table(['kernel', 'shape', 'BLAS threads', 'ms', 'GFLOP/s'], rates.map((r) => [r.kernel, r.shape, r.threads, r.seconds * 1e3, r.gflops])),
  );
  const dgemmGflops = Math.max(...rates.filter((r) => r.kernel === 'dgemm' && r.threads === defaultThreads).map((r) => r.gflops));
  for (const r of rates) section.figures[`${r.kernel} ${r.shape} ${r.threads}t GFLOP/s`] = r.gflops;

  const nSparse = settings.full ? 1_000_000 : 250_000, nDense = settings.full ? 100_000 : 25_000;
  log('floor: generating the pass-rate problems');
  const problems = [
    planted(`sparse rows: n=${nSparse}, d=200, 20 nnz/row`, { rows: nSparse, cols: 200, density: 0.1, seed: 11, conditioning: 100 }),
    planted(`dense rows: n=${nDense}, d=200`, { rows: nDense, cols: 200, density: 1, seed: 12, conditioning: 100 }),
  ];
  const passRows: (string | number)[][] = [];
  for (const p of problems) {
    for (const pass of ['multiply', 'multiplyTransposed'] as const) {
      const r = passRate(p.problem, pass, reps * 2);
      passRows.push([p.name, pass === 'multiply' ? 'Cx' : 'Cᵀr', p.problem.nnz, r.seconds * 1e3, r.nnzPerSecond / 1e9, r.bytesPerSecond / 1e9]);
      section.figures[`${p.name} ${pass} Gnnz/s`] = r.nnzPerSecond / 1e9;
    }
  }
  section.markdown.push(
    'CSR passes (one thread; bytes counted: 8 + 4 per stored entry, 12 per row):\n\n' +
      table(['matrix', 'pass', 'nnz', 'ms', 'G nnz/s', 'GB/s'], passRows),
  );

  const ratioRows: (string | number)[][] = [];
  const summary: FloorSummary = { dgemmGflops, ratios: [] };
  for (const p of problems) {
    for (const sketch of ['leverage', 'countsketch'] as const) {
      log(`floor: approx-newton (${sketch}) on ${p.name}`);
      const result = solveSync(p.problem, { method: 'approx-newton', sketch, tol: 1e-8, maxIter: settings.full ? 12 : 8, seed: 1 });
      const it = iterationTime(result);
      const k = result.trace[1]?.sketchRows ?? 0;
      const floor = iterationFloor(p.problem, sketch, k, reps, dgemmGflops);
      const ratio = it.total / floor.total;
      summary.ratios.push({ problem: p.name, sketch, ratio });
      ratioRows.push([p.name, sketch, k, it.total * 1e3, `${fmt(it.sparse * 1e3)} / ${fmt(it.sketch * 1e3)} / ${fmt(it.dense * 1e3)}`, floor.total * 1e3, floor.detail, ratio.toFixed(2)]);
      section.figures[`iteration/floor ${p.name} ${sketch}`] = ratio;
    }
  }
  section.markdown.push(
    'One approx-newton iteration against its floor, both measured now. The floor is ' +
      `${PASSES_PER_ITERATION} passes over C at the rate just measured on that matrix (Cp; Cᵀ of the row gradient; CᵀU, two; the sketch's own pass), ` +
      "the k × d SYRK and the d × d Cholesky at the rates just measured, and for leverage the scoring's 2·t flops per stored entry " +
      '(t = ⌈4 ln n⌉ + 4 probes) and the embedding QR at the best dgemm rate. Iteration time: median over the trace\'s iterations; split as the trace records it ' +
      '(sparse passes and per-row work / forming M̃ / d × d).\n\n' +
      table(['problem', 'sketch', 'k', 'iteration ms', 'sparse / sketch / dense ms', 'floor ms', 'floor =', 'ratio'], ratioRows),
  );
  section.markdown.push(`Load at end: ${load()}.`);
  return { section, summary };
}
