/**
 * `softnewton demo`: generates the embedded default problem (a planted one whose columns are scaled
 * over two orders of magnitude, so that curvature matters), trains it with the default method, the
 * paper's approximate Newton, exact Newton and L-BFGS, and says what was solved and how well. On
 * this conditioning L-BFGS needs about 900 iterations; the demo gives it 150 to show the gap.
 */
import { Command } from 'commander';
import { plantedProblem } from '../planted';
import { solve, SolveOptions } from '../solve';
import { summaryLine, traceTable } from './report';

function distance(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += (a[j] - b[j]) ** 2;
  return Math.sqrt(s);
}

async function run(): Promise<void> {
  const rows = 20_000, cols = 100, conditioning = 100, lbfgsIterations = 150;
  const out = (text: string) => process.stdout.write(`${text}\n`);
  const started = Date.now();
  const { problem, xStar } = plantedProblem({ rows, cols, density: 1, seed: 2023, radius: 1, conditioning, unit: 'sigmoid' });
  out(`softnewton demo: a planted two-layer softmax regression problem (docs/math.md §6)`);
  out(`  C: ${rows} × ${cols}, dense rows (${problem.nnz} non-zeros), column scales from 1 down to 1/${conditioning}, x* uniform on the unit sphere`);
  out(`  model: softmax-unit, φ = sigmoid, scale a = n, b = φ(a∘softmax(Cx*)): x* is the exact minimiser`);
  out(`  generated in ${((Date.now() - started) / 1000).toFixed(2)} s\n`);
  const runs: [string, SolveOptions][] = [
    ['newton-pcg (default)', { method: 'newton-pcg' }],
    ['approx-newton, leverage sketch (the paper)', { method: 'approx-newton', sketch: 'leverage' }],
    ['newton (exact Hessian)', { method: 'newton' }],
    [`lbfgs (baseline, ${lbfgsIterations} iterations at most)`, { method: 'lbfgs', maxIter: lbfgsIterations }],
  ];
  const results = [];
  for (const [name, options] of runs) {
    const r = await solve(problem, { ...options, xStar, tol: 1e-10, seed: 1 });
    results.push(r);
    out(`${summaryLine(r, name)}; ‖x − x*‖ = ${distance(r.x, xStar).toExponential(2)}`);
  }
  out(`\nThe trace of the approximate Newton run (linear convergence at a rate set by the sketch's ε₀):\n`);
  out(traceTable(results[1].trace));
  // The second-order methods must converge; L-BFGS is not expected to within its budget here.
  const failed = results.slice(0, 3).filter((r) => !r.converged).length;
  const lbfgs = results[3];
  out(`\n${failed === 0 ? 'The three Newton-type methods recovered x*' : `${failed} Newton-type run(s) did not converge`}; ` +
    `L-BFGS ${lbfgs.converged ? 'converged too' : `reached ‖∇L‖ = ${lbfgs.gradNorm.toExponential(1)} in ${lbfgs.iterations} iterations (it needs about 900 here)`}; ` +
    `total ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  if (failed) process.exitCode = 1;
}

export function register(program: Command): void {
  program.command('demo').description('solve an embedded planted problem with several methods and report how well').action(run);
}
