/**
 * Section 5: against SciPy on identical planted data. Each problem is written once as a LIBSVM file
 * (and its start point as text); softnewton reads it with readLibsvm and bench/scipy_baseline.py
 * reads it with NumPy. Both start from the same x₀ and stop at the same absolute gradient
 * tolerance, tol·‖∇L(x₀)‖. Only the solve is timed on either side (not the file reading).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generatePlanted, Problem, readLibsvm, solveSync, SolveOptions, writeLibsvm, toDense } from '../src';
import { fmt, iterationTime, load, log, median, newSection, Section, Settings, table } from './common';

export const PYTHON = '/usr/bin/python3';

interface ScipyRun { method: string; seconds: number; iterations: number; status: string; gradNorm: number; loss: number }
interface ScipyOut { scipy: string; numpy: string; representation: string; loss0: number; gradNorm0: number; readSeconds: number; runs: ScipyRun[] }

export interface Row { problem: string; side: 'softnewton' | 'scipy'; method: string; seconds: number; iterations: number; inner: number; converged: boolean; perIteration: number }

export interface ScipySummary {
  rows: Row[];
  /** Per problem: fastest SciPy seconds, fastest softnewton seconds (both converged). */
  speedup: { problem: string; scipy: string; scipySeconds: number; ours: string; oursSeconds: number; ratio: number }[];
  pcg: { problem: string; pcgIterations: number; newtonIterations: number; pcgPerIteration: number; approxPerIteration: number }[];
}

const OURS: [string, SolveOptions][] = [
  ['approx-newton (leverage)', { method: 'approx-newton', sketch: 'leverage' }],
  ['approx-newton (countsketch)', { method: 'approx-newton', sketch: 'countsketch' }],
  ['newton-pcg (auto, the default)', { method: 'newton-pcg' }],
  ['newton-pcg (leverage)', { method: 'newton-pcg', sketch: 'leverage' }],
  ['newton', { method: 'newton' }],
  ['lbfgs', { method: 'lbfgs', maxIter: 20000 }],
];

export type ScipyProblem = [string, Parameters<typeof generatePlanted>[0]];

export async function runScipy(settings: Settings, only?: ScipyProblem[], title = '5. Against SciPy'): Promise<{ section: Section; summary: ScipySummary }> {
  const section = newSection(title);
  section.markdown.push(`Load at start: ${load()}.`);
  const tolRel = 1e-10;
  // Solves quicker than this are repeated to three on both sides and the median kept.
  const QUICK_SECONDS = 2;
  const problems: ScipyProblem[] = only ?? (settings.full
    ? [
        ['sparse rows n=1e6 d=200 (20/row, nnz 2e7)', { rows: 1_000_000, cols: 200, density: 0.1, seed: 51, conditioning: 100 }],
        ['dense rows n=1e5 d=200 (nnz 2e7)', { rows: 100_000, cols: 200, density: 1, seed: 52, conditioning: 100 }],
      ]
    : [
        ['sparse rows n=1e5 d=100 (10/row, nnz 1e6)', { rows: 100_000, cols: 100, density: 0.1, seed: 51, conditioning: 100 }],
        ['dense rows n=2e4 d=100 (nnz 2e6)', { rows: 20_000, cols: 100, density: 1, seed: 52, conditioning: 100 }],
      ]);
  const repeats = settings.full ? 3 : 3;
  const timeout = settings.full ? 300 : 60;
  const summary: ScipySummary = { rows: [], speedup: [], pcg: [] };
  const notes: string[] = [];
  let versions = '';
  for (const [name, options] of problems) {
    const slug = name.replace(/[^a-z0-9]+/gi, '-').replace(/-+$/, '');
    const dataFile = path.join(settings.outDir, `${slug}.svm`), x0File = path.join(settings.outDir, `${slug}.x0.txt`);
    log(`scipy: writing ${dataFile}`);
    {
      const g = generatePlanted(options);
      await writeLibsvm(dataFile, g.C, g.b);
    }
    // softnewton side: read the file, as SciPy does.
    const read = await readLibsvm(dataFile, { cols: options.cols });
    const dense = read.C.indptr[read.C.rows] >= 0.5 * read.C.rows * read.C.cols;
    const problem = new Problem(dense ? toDense(read.C) : read.C, read.b, { scale: 'n' });
    const x0 = solveSync(problem, { maxIter: 0, seed: 1 }).x; // the default start of seed 1
    fs.writeFileSync(x0File, Array.from(x0, (v) => String(v)).join('\n') + '\n');
    const { loss: loss0, gradient } = problem.evaluate(x0);
    const g0 = Math.hypot(...gradient);
    const atol = tolRel * g0;

    const rows: Row[] = [];
    for (const [label, o] of OURS) {
      log(`scipy: softnewton ${label} on ${name}`);
      const times: number[] = [];
      let result;
      // lbfgs takes thousands of iterations on the ill-conditioned problems: one run there, and
      // three (as every other method, and SciPy's side) when the first is quick.
      for (let r = 0; r < (label === 'lbfgs' && times[0] >= QUICK_SECONDS ? 1 : repeats); r++) {
        result = solveSync(problem, { ...o, x0, tol: 0, atol, seed: 1 });
        times.push(result.seconds);
      }
      const inner = result!.trace.reduce((s, t) => s + t.innerIterations, 0);
      rows.push({ problem: name, side: 'softnewton', method: label, seconds: median(times), iterations: result!.iterations, inner, converged: result!.converged, perIteration: iterationTime(result!).total });
    }
    log(`scipy: SciPy on ${name}`);
    const stdout = execFileSync(PYTHON, [path.join(__dirname, '..', '..', 'bench', 'scipy_baseline.py'), '--data', dataFile, '--cols', String(options.cols), '--x0', x0File, '--tol', String(atol), '--timeout', String(timeout), '--quick', String(QUICK_SECONDS)], { encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'] });
    const py = JSON.parse(stdout) as ScipyOut;
    versions = `SciPy ${py.scipy}, NumPy ${py.numpy} (Debian, ${PYTHON})`;
    notes.push(`${name}: SciPy reads it as a ${py.representation}; loss at x₀ softnewton ${loss0.toPrecision(12)}, SciPy ${py.loss0.toPrecision(12)} (relative difference ${fmt(Math.abs(py.loss0 - loss0) / Math.abs(loss0))}); ‖∇L(x₀)‖ ${g0.toPrecision(8)} vs ${py.gradNorm0.toPrecision(8)}; tolerance ${atol.toExponential(3)}; softnewton reads it as ${dense ? 'dense rows (converted from the CSR read)' : 'CSR'}.`);
    for (const r of py.runs) {
      rows.push({ problem: name, side: 'scipy', method: r.method, seconds: r.seconds, iterations: r.iterations, inner: 0, converged: r.status === 'converged', perIteration: r.seconds / Math.max(1, r.iterations) });
    }
    summary.rows.push(...rows);
    const best = (side: string) => rows.filter((r) => r.side === side && r.converged).sort((a, b) => a.seconds - b.seconds)[0];
    const s = best('scipy'), o = best('softnewton');
    if (s && o) summary.speedup.push({ problem: name, scipy: s.method, scipySeconds: s.seconds, ours: o.method, oursSeconds: o.seconds, ratio: s.seconds / o.seconds });
    const pcg = rows.find((r) => r.method === 'newton-pcg (leverage)')!, newton = rows.find((r) => r.method === 'newton')!, approx = rows.find((r) => r.method === 'approx-newton (leverage)')!;
    summary.pcg.push({ problem: name, pcgIterations: pcg.iterations, newtonIterations: newton.iterations, pcgPerIteration: pcg.perIteration, approxPerIteration: approx.perIteration });
    fs.rmSync(dataFile, { force: true });
  }
  section.markdown.push(
    `Time and iterations to ‖∇L‖ ≤ ${tolRel}·‖∇L(x₀)‖ from the same x₀, on the same LIBSVM files (softmax-unit, identity unit, a = n). ` +
      `softnewton: median of ${repeats} solves (lbfgs: 1 when it takes ${QUICK_SECONDS} s or more), its own wall time of the solve; SciPy: scipy.optimize.minimize timed around the call, median of 3 runs when the first takes under ${QUICK_SECONDS} s, ` +
      `stopped at the first iterate meeting the tolerance (checked in the callback from the gradient the method evaluated there), or after ${timeout} s. ` +
      `SciPy methods get the NumPy loss, gradient and Hessian of bench/scipy_baseline.py (trust-exact: the full Hessian; Newton-CG: Hessian–vector products; L-BFGS-B: gradient only). ${versions}.\n\n` +
      notes.map((n) => `- ${n}`).join('\n') + '\n\n' +
      table(['problem', 'side', 'method', 'seconds', 'iterations', 'CG steps', 'per iteration ms', 'reached tol'], summary.rows.map((r) => [r.problem, r.side, r.method, r.seconds, r.iterations, r.inner || '—', r.perIteration * 1e3, r.converged ? 'yes' : 'no'])),
  );
  section.markdown.push(
    table(['problem', 'fastest SciPy', 's', 'fastest softnewton', 's', 'speed-up'], summary.speedup.map((s) => [s.problem, s.scipy, s.scipySeconds, s.ours, s.oursSeconds, `${s.ratio.toFixed(1)}×`])),
  );
  for (const s of summary.speedup) section.figures[`speed-up vs SciPy ${s.problem}`] = s.ratio;
  section.markdown.push(`Load at end: ${load()}.`);
  return { section, summary };
}
