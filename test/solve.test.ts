// The solver against docs/math.md §§4–5: convergence rates, stopping, damping, determinism,
// the trace, and the asynchronous API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AbortError, generatePlanted, InputError, METHODS, plantedProblem, Problem, solve, solveSync, SolveResult,
} from '../src';

const planted = plantedProblem({ rows: 3000, cols: 20, density: 1, seed: 11 });
const { problem, xStar } = planted;

function distance(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += (a[j] - b[j]) ** 2;
  return Math.sqrt(s);
}

function near(x: Float64Array, scale: number, seed: number): Float64Array {
  // A deterministic perturbation of x* (xorshift), to start inside the local region.
  let state = seed >>> 0 || 1;
  return x.map((v) => {
    state ^= state << 13; state ^= state >>> 17; state ^= state << 5;
    return v + scale * (((state >>> 0) / 2 ** 32) - 0.5);
  });
}

test('exact Newton converges quadratically near x*', () => {
  const r = solveSync(problem, { method: 'newton', x0: near(xStar, 0.2, 1), xStar, tol: 0, atol: 1e-13, maxIter: 20 });
  assert.equal(r.converged, true, r.message);
  const e = r.trace.map((t) => t.distance as number);
  let checked = 0;
  for (let t = 0; t + 1 < e.length; t++) {
    if (e[t] < 0.05 && e[t + 1] > 1e-12) {
      assert.ok(e[t + 1] <= 20 * e[t] ** 2, `e[${t + 1}] = ${e[t + 1]} is not O(e[${t}]²) with e[${t}] = ${e[t]}`);
      checked++;
    }
  }
  assert.ok(checked >= 2, `too few steps in the quadratic regime: ${e}`);
  assert.ok(r.iterations <= 6, `exact Newton took ${r.iterations} iterations`);
});

test('approx-newton with leverage sampling reaches ‖∇L‖ ≤ 1e-10 at a linear rate set by ε₀', () => {
  // n large enough that the ε₀ = 0.2 sketch (≈ 3000 rows at d = 20) is a real subsample.
  const tall = plantedProblem({ rows: 15000, cols: 20, density: 1, seed: 12 });
  const rates: Record<string, number> = {};
  for (const eps0 of [0.5, 0.2]) {
    const r = solveSync(tall.problem, { method: 'approx-newton', sketch: 'leverage', eps0, xStar: tall.xStar, tol: 0, atol: 1e-10, maxIter: 60, seed: 3 });
    assert.equal(r.stopReason, 'absoluteTolerance', r.message);
    assert.ok(r.gradNorm <= 1e-10);
    // The stated bound: 30 iterations at ε₀ = 0.5 from the default start (the local rate is ≈ 0.4 or better).
    assert.ok(r.iterations <= 30, `${r.iterations} iterations at eps0 ${eps0}`);
    const e = r.trace.map((t) => t.distance as number);
    const local = [];
    for (let t = 2; t + 1 < e.length; t++) if (e[t + 1] > 1e-12) local.push(e[t + 1] / e[t]);
    rates[eps0] = Math.max(...local);
    assert.ok(r.trace.slice(1).every((row) => row.sketch === 'leverage' && row.sketchRows > 0 && row.sketchRows < tall.problem.rows));
  }
  assert.ok(rates[0.5] <= 0.6, `observed linear rate ${rates[0.5]} at eps0 0.5`);
  assert.ok(rates[0.2] <= 0.3, `observed linear rate ${rates[0.2]} at eps0 0.2`);
  assert.ok(rates[0.2] < rates[0.5], 'a smaller ε₀ must give a faster rate');
});

test('newton-pcg keeps exact Newton\'s iteration count', () => {
  const exact = solveSync(problem, { method: 'newton', tol: 1e-12 });
  const pcg = solveSync(problem, { method: 'newton-pcg', tol: 1e-12 });
  assert.equal(pcg.converged, true);
  assert.ok(pcg.iterations <= exact.iterations + 1, `pcg ${pcg.iterations} vs newton ${exact.iterations}`);
  // CG runs where the preconditioner is a sketch; with the exact product (`auto` chose `none` here)
  // the factor solves the Newton system itself and CG is skipped.
  assert.ok(pcg.trace.slice(1).every((row) => (row.sketch === 'none' ? row.innerIterations === 0 : row.innerIterations >= 1)));
  const sketched = solveSync(problem, { method: 'newton-pcg', sketch: 'countsketch', tol: 1e-12 });
  assert.equal(sketched.converged, true);
  assert.ok(sketched.trace.slice(1).every((row) => row.innerIterations >= 1));
  assert.ok(distance(sketched.x, exact.x) < 1e-8);
  assert.ok(distance(pcg.x, exact.x) < 1e-8);
});

test('every method reaches the same minimiser', () => {
  const reference = solveSync(problem, { method: 'newton', tol: 1e-12 }).x;
  assert.ok(distance(reference, xStar) < 1e-9, 'noise-free planted x* is the minimiser');
  for (const method of METHODS) {
    for (const sketch of method === 'approx-newton' ? (['leverage', 'countsketch', 'osnap', 'uniform'] as const) : (['auto'] as const)) {
      const r = solveSync(problem, { method, sketch, tol: 1e-10, maxIter: 2000 });
      assert.equal(r.converged, true, `${method}/${sketch}: ${r.stopReason} ${r.message}`);
      assert.ok(distance(r.x, reference) < 1e-6, `${method}/${sketch} ended ${distance(r.x, reference)} from the reference`);
    }
  }
});

test('the trace has every field docs/math.md §5 lists, consistent with the result', () => {
  const r = solveSync(problem, { method: 'approx-newton', xStar, tol: 1e-9 });
  assert.equal(r.trace.length, r.iterations + 1);
  assert.equal(r.trace.at(-1)!.loss, r.loss);
  assert.equal(r.trace.at(-1)!.gradNorm, r.gradNorm);
  for (const [t, row] of r.trace.entries()) {
    assert.equal(row.iteration, t);
    for (const key of ['loss', 'gradNorm', 'step', 'mu', 'sketchRows', 'secondsSparse', 'secondsSketch', 'secondsDense', 'seconds', 'innerIterations', 'backtracks'] as const) {
      assert.ok(Number.isFinite(row[key]), `${key} in row ${t}`);
    }
    assert.equal(typeof row.sketch, 'string');
    assert.ok(['none', 'exact', 'sketched'].includes(row.negativePart));
    assert.ok(typeof row.distance === 'number');
    if (t > 0) {
      assert.ok(row.step > 0 && row.step <= 1);
      assert.ok(typeof row.decrement === 'number' && row.decrement > 0);
      assert.ok(row.loss <= r.trace[t - 1].loss * (1 + 1e-14) + 1e-300, 'the line search never raises the loss');
      assert.ok(row.seconds >= row.secondsSketch);
    }
  }
  assert.ok(r.seconds > 0);
  assert.equal(solveSync(problem, { method: 'lbfgs' }).trace[1].decrement, null);
});

test('stop reasons: relative and absolute tolerance, max iterations', () => {
  const relative = solveSync(problem, { tol: 1e-6 });
  assert.equal(relative.stopReason, 'relativeTolerance');
  assert.ok(relative.gradNorm <= 1e-6 * relative.trace[0].gradNorm);
  const absolute = solveSync(problem, { tol: 0, atol: 1e-9 });
  assert.equal(absolute.stopReason, 'absoluteTolerance');
  const capped = solveSync(problem, { method: 'gd', tol: 0, maxIter: 3 });
  assert.deepEqual([capped.stopReason, capped.converged, capped.iterations], ['maxIterations', false, 3]);
  const none = solveSync(problem, { maxIter: 0 });
  assert.deepEqual([none.iterations, none.trace.length], [0, 1]);
  const decrement = solveSync(problem, { method: 'newton', tol: 0, decrementTol: 1e-12 });
  assert.equal(decrement.stopReason, 'newtonDecrement');
});

test('an indefinite Hessian is damped and the solve still converges', () => {
  // Noisy targets and w = 0: D has negative entries and, away from the minimiser, ∇²L is indefinite.
  const p = generatePlanted({ rows: 300, cols: 10, density: 1, seed: 2, noise: 1, unit: 'tanh', radius: 3 });
  const noisy = new Problem(p.C, p.b, p.model);
  const x0 = p.xStar.map((v) => -2 * v);
  for (const method of ['newton', 'approx-newton', 'newton-pcg'] as const) {
    const r = solveSync(noisy, { method, x0, tol: 1e-9, maxIter: 200 });
    assert.equal(r.converged, true, `${method}: ${r.stopReason} ${r.message}`);
    assert.ok(r.trace.some((row) => row.mu > 0), `${method} never damped`);
    assert.ok(r.trace.some((row) => row.negativePart !== 'none'), `${method} saw no negative D`);
  }
  // Without damping there is no factor at the start: prove the start really is indefinite.
  const h = noisy.hessian(x0);
  const d = noisy.cols;
  let indefinite = false;
  for (let j = 0; j < d && !indefinite; j++) indefinite = h[j * d + j] <= 0;
  if (!indefinite) {
    // Cholesky in TypeScript: fails iff the matrix is not positive definite.
    const l = Float64Array.from(h);
    outer: for (let j = 0; j < d; j++) {
      for (let k = 0; k < j; k++) l[j * d + j] -= l[j * d + k] ** 2;
      if (!(l[j * d + j] > 0)) { indefinite = true; break outer; }
      l[j * d + j] = Math.sqrt(l[j * d + j]);
      for (let i = j + 1; i < d; i++) {
        for (let k = 0; k < j; k++) l[i * d + j] -= l[i * d + k] * l[j * d + k];
        l[i * d + j] /= l[j * d + j];
      }
    }
  }
  assert.ok(indefinite, 'the test problem must start where ∇²L is indefinite');
});

test('an overflowing start ends with stopReason overflow, not NaN', () => {
  const p = generatePlanted({ rows: 2000, cols: 5, density: 1, seed: 5, unit: 'exp', radius: 1, scale: 1 });
  const huge = new Problem(p.C, p.b, { unit: 'exp', scale: 1e6 });
  const r = solveSync(huge, { method: 'newton' });
  assert.equal(r.stopReason, 'overflow');
  assert.equal(r.converged, false);
  assert.match(r.message, /overflow/);
  assert.ok(!Number.isNaN(r.loss) && !Number.isNaN(r.gradNorm));
});

test('the same seed gives bit-identical results; another seed another sketch', () => {
  const run = (seed: number): SolveResult => solveSync(problem, { method: 'approx-newton', sketch: 'countsketch', seed, tol: 1e-10 });
  const a = run(7), b = run(7), c = run(8);
  assert.deepEqual(Array.from(a.x), Array.from(b.x));
  assert.deepEqual(a.trace.map((t) => t.loss), b.trace.map((t) => t.loss));
  assert.notDeepEqual(a.trace.map((t) => t.loss), c.trace.map((t) => t.loss));
  // The default start is seeded too.
  assert.notDeepEqual(solveSync(problem, { maxIter: 0, seed: 1 }).x, solveSync(problem, { maxIter: 0, seed: 2 }).x);
});

test('relu-softmax starts off zero, where its gradient vanishes', () => {
  const p = generatePlanted({ rows: 400, cols: 6, density: 1, seed: 9, model: 'relu-softmax', radius: 2 });
  const relu = new Problem(p.C, p.b, p.model);
  assert.ok(relu.gradient(new Float64Array(6)).every((g) => g === 0));
  const r = solveSync(relu, { maxIter: 0 });
  assert.ok(r.x.some((v) => v !== 0));
  assert.ok(r.gradNorm > 0);
});

test('bad options are InputErrors naming the option', () => {
  const cases: [object, string][] = [
    [{ method: 'bfgs' }, 'method'], [{ sketch: 'gaussian' }, 'sketch'], [{ tol: -1 }, 'tol'], [{ tol: NaN }, 'tol'],
    [{ atol: 'x' }, 'atol'], [{ maxIter: 1.5 }, 'maxIter'], [{ maxIter: -1 }, 'maxIter'], [{ seed: -3 }, 'seed'],
    [{ sketchRows: -1 }, 'sketchRows'], [{ eps0: 1.5 }, 'eps0'], [{ eps0: 0 }, 'eps0'], [{ x0: [1, 2] }, 'x0'],
    [{ x0: new Float64Array(20).fill(NaN) }, 'x0'], [{ xStar: new Float64Array(3) }, 'xStar'],
    [{ maxIters: 5 }, 'options.maxIters'], [{ osnapNonzeros: 9, sketchRows: 4 }, 'osnapNonzeros'],
    [{ threads: 0 }, 'threads'],
  ];
  for (const [options, field] of cases) {
    assert.throws(() => solveSync(problem, options as never), (e: unknown) => e instanceof InputError && e.field === field, JSON.stringify(options));
  }
});

test('solve runs off the main thread: timers keep firing, onIteration sees every row', async () => {
  const big = plantedProblem({ rows: 20000, cols: 120, density: 1, seed: 4 }).problem;
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const rows: number[] = [];
  const started = Date.now();
  const r = await solve(big, { method: 'gd', tol: 0, maxIter: 150, onIteration: (row) => rows.push(row.iteration) });
  clearInterval(timer);
  const elapsed = Date.now() - started;
  assert.deepEqual(rows, r.trace.map((t) => t.iteration));
  assert.ok(elapsed < 50 || ticks >= elapsed / 20, `only ${ticks} timer ticks in ${elapsed} ms: the event loop was blocked`);
});

test('an AbortSignal stops a running solve with an AbortError and leaves the problem usable', async () => {
  const controller = new AbortController();
  const pending = solve(problem, {
    method: 'gd', tol: 0, maxIter: 1_000_000, signal: controller.signal,
    onIteration: (row) => { if (row.iteration === 5) controller.abort(); },
  });
  await assert.rejects(pending, AbortError);
  await assert.rejects(solve(problem, { signal: AbortSignal.abort() }), AbortError);
  const after = await solve(problem, { tol: 1e-9 });
  assert.equal(after.converged, true);
});

test('an exception in onIteration rejects the solve', async () => {
  await assert.rejects(solve(problem, { onIteration: () => { throw new Error('from the callback'); } }), /from the callback/);
});

test('conditioning: columns decay geometrically; Newton is unaffected, gradient descent slows down', () => {
  const p = generatePlanted({ rows: 4000, cols: 30, density: 1, seed: 13, conditioning: 100 });
  const norms = new Float64Array(30);
  for (let p2 = 0; p2 < p.C.values.length; p2++) norms[p.C.indices[p2]] += p.C.values[p2] ** 2;
  const ratio = Math.sqrt(norms[0] / norms[29]);
  assert.ok(ratio > 70 && ratio < 140, `first/last column norm ${ratio}, expected about 100`);
  const problem = new Problem(p.C, p.b, p.model);
  const newton = solveSync(problem, { method: 'newton', tol: 1e-10 });
  const gd = solveSync(problem, { method: 'gd', tol: 1e-10, maxIter: 200 });
  assert.equal(newton.converged, true);
  assert.ok(newton.iterations <= 8, `newton took ${newton.iterations}`);
  assert.equal(gd.converged, false, 'gradient descent should need more than 200 iterations at conditioning 100');
  assert.throws(() => generatePlanted({ rows: 10, cols: 3, conditioning: 0.5 }), (e: unknown) => e instanceof InputError && e.field === 'conditioning');
});
