/**
 * Section 8: the `auto` rule (native/core/sketch/sketch.cc resolveAuto) checked against
 * measurement. auto picks the exact Cᵀ diag(D) C unless leverage sampling is estimated
 * kLeverageOverhead = 3× cheaper in flops (Σ nnz(row)² against k·d² + nnz·(t+1)). Here both are
 * timed on the same D, and the per-flop overhead of leverage that the constant stands for is measured.
 */
import { solveSync } from '../src';
import { native } from '../src/native';
import { benchAddon, fmt, load, log, median, newSection, now, planted, Section, Settings, table } from './common';

export interface AutoSummary {
  overhead: number[];
  /** auto's pick was the faster Gram */
  agreements: number;
  /** auto's pick gave the faster newton-pcg solve */
  solveAgreements: number;
  cases: number;
}

export function runAutoRule(settings: Settings): { section: Section; summary: AutoSummary } {
  const section = newSection('8. The `auto` rule against measurement');
  section.markdown.push(`Load at start: ${load()}.`);
  const cases: [string, Parameters<typeof planted>[1]][] = [
    ['dense n=2e4 d=100', { rows: 20_000, cols: 100, density: 1, seed: 81 }],
    ['dense n=1e5 d=100', { rows: 100_000, cols: 100, density: 1, seed: 82 }],
    ['dense n=5e4 d=200', { rows: 50_000, cols: 200, density: 1, seed: 83 }],
    ['dense n=2e5 d=200', { rows: 200_000, cols: 200, density: 1, seed: 84 }],
    ['sparse n=2e5 d=200 (20/row)', { rows: 200_000, cols: 200, density: 0.1, seed: 85 }],
    ['sparse n=2e5 d=200 (60/row)', { rows: 200_000, cols: 200, density: 0.3, seed: 86 }],
    ...(settings.full ? ([
      ['dense n=1e6 d=100', { rows: 1_000_000, cols: 100, density: 1, seed: 87 }],
      ['dense n=4e5 d=400', { rows: 400_000, cols: 400, density: 1, seed: 88 }],
    ] as [string, Parameters<typeof planted>[1]][]) : []),
  ];
  const addon = benchAddon();
  const rows: (string | number)[][] = [];
  const summary: AutoSummary = { overhead: [], agreements: 0, solveAgreements: 0, cases: 0 };
  for (const [name, options] of cases) {
    log(`auto: ${name}`);
    const p = planted(name, options);
    const { problem } = p;
    const n = problem.rows, d = problem.cols;
    const D = problem.pieces(p.xStar).D.map(Math.abs);
    const m = new Float64Array(d * d);
    const k = native().sketchRowsForEpsilon(n, d, 0.5);
    const time = (kind: string) => median(Array.from({ length: 3 }, () => {
      const t = now();
      addon.benchKernel('sketch', { problem: problem.handle, D, kind, rows: k, seed: 1, m });
      return now() - t;
    }));
    const exact = time('none'), leverage = time('leverage');
    const picked = addon.benchKernel('sketch', { problem: problem.handle, D, kind: 'auto', rows: k, seed: 1, m }) as string;
    let exactFlops = 0;
    const C = problem.C as { indptr?: Int32Array };
    if (C.indptr) for (let i = 0; i < n; i++) exactFlops += (C.indptr[i + 1] - C.indptr[i]) ** 2;
    else exactFlops = n * d * d;
    const t = Math.min(d, Math.ceil(4 * Math.log(Math.max(2, n))) + 4);
    const leverageFlops = k * d * d + problem.nnz * (t + 1);
    const overhead = (leverage / leverageFlops) / (exact / exactFlops);
    summary.overhead.push(overhead);
    const faster = leverage < exact ? 'leverage' : 'none';
    summary.cases++;
    if (picked === faster) summary.agreements++;
    // What the choice means for the default method: newton-pcg to 1e-10 preconditioned either way.
    const solveTime = (sketch: 'none' | 'leverage') => {
      const r = solveSync(problem, { method: 'newton-pcg', sketch, tol: 1e-10, seed: 1 });
      return { seconds: r.seconds, label: `${fmt(r.seconds)} (${r.iterations}/${r.trace.reduce((a, t) => a + t.innerIterations, 0)})` };
    };
    const solveNone = solveTime('none'), solveLeverage = solveTime('leverage');
    const fasterSolve = solveLeverage.seconds < solveNone.seconds ? 'leverage' : 'none';
    if (picked === fasterSolve) summary.solveAgreements++;
    rows.push([name, k, fmt(exactFlops / leverageFlops), exact * 1e3, leverage * 1e3, fmt(overhead), picked, faster, solveNone.label, solveLeverage.label, fasterSolve, picked === fasterSolve ? 'yes' : '**no**']);
  }
  section.figures['leverage per-flop overhead (median)'] = median(summary.overhead);
  section.markdown.push(
    'Exact Cᵀ diag(D) C (`none`) against a leverage sketch with k from ε₀ = 0.5, on |D| at x*, median of 3 each. ' +
      '"flop ratio" is Σ nnz(row)² / (k·d² + nnz·(t+1)); "overhead" is leverage\'s time per estimated flop over the exact product\'s — the quantity kLeverageOverhead = 3 stands for. ' +
      'Then what the choice costs the default method: newton-pcg to 1e-10 with the exact product as preconditioner and with the leverage sketch (seconds, outer iterations / CG steps).\n\n' +
      table(['data', 'k', 'flop ratio exact/leverage', 'exact Gram ms', 'leverage sketch ms', 'overhead', 'auto picks', 'faster Gram', 'newton-pcg exact s', 'newton-pcg leverage s', 'faster solve', 'auto right'], rows) +
      `\n\nMedian overhead **${fmt(median(summary.overhead))}** (range ${fmt(Math.min(...summary.overhead))} … ${fmt(Math.max(...summary.overhead))}); ` +
      `auto picked the faster Gram in ${summary.agreements} of ${summary.cases} cases and the faster newton-pcg solve in ${summary.solveAgreements} of ${summary.cases}.`,
  );
  section.markdown.push(`Load at end: ${load()}.`);
  return { section, summary };
}
