/**
 * Section 4: iterations against the theory's O(log(1/ε)) — iterations to ‖∇L‖ ≤ ε·‖∇L(x₀)‖ for
 * ε = 1e-2 … 1e-12, per sketch and per k (through ε₀), and the observed linear rate against ε₀ and
 * against the sketch's spectral error measured at x*.
 */
import { SolveResult, solveSync } from '../src';
import { native } from '../src/native';
import { fmt, load, log, median, newSection, planted, Section, Settings, table } from './common';
import { linePlot } from './plots';

export const EPSILONS = [1e-2, 1e-4, 1e-6, 1e-8, 1e-10, 1e-12];

/** The first iteration whose relative gradient is ≤ ε, for each ε (null: never). */
export function iterationsTo(result: SolveResult, epsilons = EPSILONS): (number | null)[] {
  const g0 = result.trace[0].gradNorm;
  return epsilons.map((e) => result.trace.find((r) => r.gradNorm <= e * g0)?.iteration ?? null);
}

/** Geometric-mean ratio ‖∇L_{t+1}‖/‖∇L_t‖ over steps with relative gradient between 1e-3 and 1e-11 (full steps only). */
export function linearRate(result: SolveResult): number {
  const g0 = result.trace[0].gradNorm;
  const ratios: number[] = [];
  for (let t = 1; t < result.trace.length; t++) {
    const a = result.trace[t - 1].gradNorm / g0, b = result.trace[t].gradNorm / g0;
    if (a <= 1e-3 && b >= 1e-11 && result.trace[t].step === 1) ratios.push(b / a);
  }
  if (ratios.length === 0) return NaN;
  return Math.exp(ratios.reduce((s, r) => s + Math.log(r), 0) / ratios.length);
}

export interface IterationsSummary {
  /** Iterations to 1e-10 per method/sketch label (on this section's problem). */
  to1e10: Record<string, number | null>;
}

export function runIterations(settings: Settings): { section: Section; summary: IterationsSummary } {
  const section = newSection('4. Iterations against the theory');
  section.markdown.push(`Load at start: ${load()}.`);
  const n = settings.full ? 100_000 : 40_000, d = settings.full ? 200 : 100;
  const p = planted(`dense rows n=${n} d=${d}`, { rows: n, cols: d, density: 1, seed: 41, conditioning: 100 });
  log(`iterations: ${p.name}`);
  const maxIter = 300;
  const runs: [string, Parameters<typeof solveSync>[1]][] = [
    ['approx-newton leverage', { method: 'approx-newton', sketch: 'leverage' }],
    ['approx-newton countsketch', { method: 'approx-newton', sketch: 'countsketch' }],
    ['approx-newton osnap', { method: 'approx-newton', sketch: 'osnap' }],
    ['approx-newton uniform', { method: 'approx-newton', sketch: 'uniform' }],
    ['newton (exact)', { method: 'newton' }],
    ['newton-pcg leverage', { method: 'newton-pcg', sketch: 'leverage' }],
    ['lbfgs', { method: 'lbfgs', maxIter: 20000 }],
  ];
  const summary: IterationsSummary = { to1e10: {} };
  const rows: (string | number)[][] = [];
  const series: { name: string; points: [number, number][] }[] = [];
  for (const [label, options] of runs) {
    log(`iterations: ${label}`);
    const result = solveSync(p.problem, { maxIter, ...options, tol: 1e-12, seed: 1 });
    const its = iterationsTo(result);
    summary.to1e10[label] = its[4];
    const rate = linearRate(result);
    rows.push([label, ...its.map((v) => (v === null ? '—' : String(v))), fmt(rate), result.stopReason]);
    series.push({ name: label, points: EPSILONS.map((e, i) => [Math.log10(1 / e), its[i] ?? NaN] as [number, number]).filter((q) => Number.isFinite(q[1])) });
    section.figures[`${label} iterations to 1e-10`] = its[4];
  }
  section.markdown.push(
    `**Per sketch** on ${p.name} (conditioning 100, noise-free, ε₀ = 0.5; ‖∇L‖ relative to the start). Theory: a sketch with spectral error ε₀ gives ` +
      'a linear rate (ε accuracy in O(log(1/ε)) iterations: a straight line in the plot), exact Newton a quadratic one (the line flattens), L-BFGS superlinear at best.\n\n' +
      table(['method', ...EPSILONS.map((e) => `ε=${e.toExponential(0)}`), 'linear rate', 'stop'], rows),
  );
  section.plots['iterations-sketch.svg'] = linePlot({
    title: `Iterations to ‖∇L‖ ≤ ε·‖∇L(x₀)‖ (${p.name})`,
    xLabel: 'log10(1/ε)',
    yLabel: 'iterations',
    series: series.filter((s) => s.name !== 'lbfgs'),
  });

  // Per k: leverage with k from ε₀; measured spectral error at x* (median over 3 seeds).
  const addon = native();
  const eps0s = settings.full ? [0.9, 0.7, 0.5, 0.35, 0.25, 0.2] : [0.9, 0.7, 0.5, 0.35, 0.25];
  const rowsK: (string | number)[][] = [];
  const rateVsEps: [number, number][] = [], rateVsMeasured: [number, number][] = [];
  const kSeries: { name: string; points: [number, number][] }[] = [];
  for (const eps0 of eps0s) {
    const k = addon.sketchRowsForEpsilon(n, d, eps0);
    log(`iterations: leverage eps0=${eps0} k=${k}`);
    const measured = median([1, 2, 3].map((seed) => {
      const s = addon.sketchSpectrum(p.problem.handle, p.xStar, { kind: 'leverage', rows: k, seed });
      return Math.max(1 - s.minEig, s.maxEig - 1);
    }));
    const result = solveSync(p.problem, { method: 'approx-newton', sketch: 'leverage', eps0, maxIter, tol: 1e-12, seed: 1 });
    const its = iterationsTo(result);
    const rate = linearRate(result);
    rateVsEps.push([eps0, rate]);
    rateVsMeasured.push([measured, rate]);
    kSeries.push({ name: `k=${k} (ε₀=${eps0})`, points: EPSILONS.map((e, i) => [Math.log10(1 / e), its[i] ?? NaN] as [number, number]).filter((q) => Number.isFinite(q[1])) });
    rowsK.push([eps0, k, `${fmt(k / d)}d`, fmt(measured), ...its.map((v) => (v === null ? '—' : String(v))), fmt(rate), fmt(rate / measured)]);
    section.figures[`leverage eps0=${eps0} rate`] = rate;
    section.figures[`leverage eps0=${eps0} measured eps`] = measured;
  }
  section.markdown.push(
    '**Per k** (approx-newton, leverage; k = ⌈3 d ln(d+1)/ε₀²⌉ capped at n). "measured ε" is the sketch\'s spectral error at x*, max(1 − λ_min, λ_max − 1) of M̃ against M, ' +
      'median of 3 seeds. Theory: the linear rate is at most about ε (the local analysis gives ‖x_{t+1} − x*‖ ≤ ε‖x_t − x*‖ up to the Hessian\'s Lipschitz term).\n\n' +
      table(['ε₀', 'k', 'k/d', 'measured ε', ...EPSILONS.map((e) => `ε=${e.toExponential(0)}`), 'linear rate', 'rate / measured ε'], rowsK),
  );
  section.plots['iterations-k.svg'] = linePlot({ title: `approx-newton (leverage), iterations per k (${p.name})`, xLabel: 'log10(1/ε)', yLabel: 'iterations', series: kSeries });
  section.plots['rate-eps0.svg'] = linePlot({
    title: 'Observed linear rate against the sketch error',
    xLabel: 'ε',
    yLabel: 'linear rate of ‖∇L‖',
    logX: true,
    logY: true,
    series: [
      { name: 'vs target ε₀', points: rateVsEps },
      { name: 'vs measured ε', points: rateVsMeasured },
      { name: 'rate = ε', dashed: true, points: [[0.05, 0.05], [1, 1]] },
    ],
  });
  section.markdown.push('![iterations per sketch](iterations-sketch.svg) ![iterations per k](iterations-k.svg) ![rate vs ε₀](rate-eps0.svg)');
  section.markdown.push(`Load at end: ${load()}.`);
  return { section, summary };
}
