/**
 * certify (src/certify.ts, `softnewton certify`): positive definiteness reported correctly on a
 * problem built to be PD (noise-free planted, at the solution) and on one built not to be (noisy
 * targets, w = 0, at a point where ∇²L is indefinite), checked against an independent Jacobi
 * eigenvalue routine; the weights it reports; the diagonal-plus-rank-2 eigenvalue against a dense
 * one; the observed rate; option errors; and the command's output and exit codes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { certify, observedRate, smallestEigenvalueDiagonalPlusRank2 } from '../src/certify';
import { EXIT } from '../src/cli/common';
import { InputError } from '../src/errors';
import { writeLibsvm } from '../src/io/libsvm';
import { CsrMatrix, toDense } from '../src/matrix';
import { generatePlanted, plantedProblem } from '../src/planted';
import { Problem } from '../src/problem';
import type { TraceRow } from '../src/solve';

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'softnewton-certify-'));
process.on('exit', () => fs.rmSync(workDir, { recursive: true, force: true }));
const MAIN = path.resolve(__dirname, '..', 'src', 'cli', 'main.js');

/** Eigenvalues of a symmetric row-major n × n matrix by cyclic Jacobi rotations: independent of LAPACK. */
function jacobiEigenvalues(m: ArrayLike<number>, n: number): number[] {
  const a = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (m[i * n + j] + m[j * n + i]) / 2));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += a[i][j] ** 2;
    if (off < 1e-30 * a.reduce((s, row, i) => s + row[i] ** 2, 1e-300)) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (a[p][q] === 0) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k][p], akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p][k], aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
      }
    }
  }
  return a.map((row, i) => row[i]).sort((x, y) => x - y);
}

/** The rows of C as a dense array, for C = given planted CSR. */
function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < v.length; k++) s += v[k] * v[k];
  return Math.sqrt(s);
}

// ---------------------------------------------------------------------------------------------
// Built to be positive definite

test('a noise-free planted problem is certified positive definite at the solution, with a consistent rate', async () => {
  const { problem, xStar } = plantedProblem({ rows: 3000, cols: 8, density: 1, seed: 21 });
  const c = await certify(problem, { seed: 3 });
  assert.equal(c.point.source, 'solution');
  assert.ok(c.point.distanceToReference! < 1e-8, `‖x − x*‖ = ${c.point.distanceToReference}`);
  // x* is the exact minimiser here: the reference (exact Newton's solution) is x*.
  assert.ok(norm(c.point.x.map((v, j) => v - xStar[j])) < 1e-8);

  const eig = jacobiEigenvalues(problem.hessian(c.point.x), problem.cols);
  assert.equal(c.hessian.definiteness, 'positiveDefinite');
  assert.ok(eig[0] > 0, 'independently positive definite');
  assert.ok(Math.abs(c.hessian.minEigenvalue - eig[0]) <= 1e-9 * eig[eig.length - 1], `${c.hessian.minEigenvalue} vs ${eig[0]}`);
  assert.ok(Math.abs(c.hessian.maxEigenvalue - eig[eig.length - 1]) <= 1e-9 * eig[eig.length - 1]);
  assert.equal(c.hessian.negativeEigenvalues, 0);
  assert.ok(Math.abs(c.hessian.condition! - eig[eig.length - 1] / eig[0]) < 1e-6 * c.hessian.condition!);

  // The sketch: leverage at k from ε₀ = 0.5 measures an error below 1; κ is near 1 at a noise-free optimum (docs/math.md §4).
  assert.equal(c.sketch.kind, 'leverage');
  assert.equal(c.sketch.relativeTo, 'signed');
  assert.ok(c.sketch.epsilon! > 0 && c.sketch.epsilon! < 1, `ε = ${c.sketch.epsilon}`);
  assert.ok(c.sketch.epsilonMean! <= c.sketch.epsilon!);
  assert.ok(c.rate.kappa! > 0.5 && c.rate.kappa! < 2, `κ = ${c.rate.kappa}`);
  // The observed linear rate is below 1 and within what the sketch predicts.
  assert.ok(c.rate.observed! > 0 && c.rate.observed! < 1, `rate ${c.rate.observed}`);
  assert.equal(c.rate.verdict, 'consistent', c.rate.note);
  assert.ok(c.rate.window![1] >= c.rate.window![0]);
  assert.ok(Math.abs(Math.log(c.rate.observedFromGradient! / c.rate.observed!)) < 1, 'gradient and distance rates agree roughly');
  // Exact Newton converges quadratically.
  assert.ok(c.rate.quadratic.observed !== null && c.rate.quadratic.observed < 100, `quadratic ${c.rate.quadratic.observed}`);

  // Standing assumptions: the norms, independently.
  const dense = toDense(problem.C);
  const d = problem.cols;
  const gram = new Float64Array(d * d);
  for (let i = 0; i < dense.rows; i++) for (let j = 0; j < d; j++) for (let k = 0; k < d; k++) gram[j * d + k] += dense.data[i * d + j] * dense.data[i * d + k];
  const gramEig = jacobiEigenvalues(gram, d);
  assert.ok(Math.abs(c.assumptions.normC - Math.sqrt(gramEig[d - 1])) < 1e-9 * c.assumptions.normC);
  assert.ok(Math.abs(c.assumptions.sigmaMinC - Math.sqrt(gramEig[0])) < 1e-7 * c.assumptions.normC);
  assert.equal(c.assumptions.fullColumnRank, true);
  assert.ok(Math.abs(c.assumptions.normB - norm(problem.b)) < 1e-12 * norm(problem.b));
  assert.ok(Math.abs(c.assumptions.normX - norm(c.point.x)) < 1e-14);
  assert.equal(c.assumptions.R, Math.max(c.assumptions.normC, c.assumptions.normX));
  // Noise-free at x*: ∇²ℓ = J diag(e) J ⪰ 0 with the null vector 1, so no weight is needed.
  assert.equal(c.assumptions.negativeRows, 0);
  assert.equal(c.assumptions.weightForNonnegativeD, 0);
  assert.equal(c.assumptions.minCurvature, 0);
  assert.equal(c.assumptions.weightForPsdCurvature, 0);
  assert.ok(c.assumptions.localRadius! > 0);
  assert.ok(c.assumptions.goodStart !== null);

  // The Lipschitz estimate: positive, reproducible for a seed, and its pairs counted.
  assert.ok(c.lipschitz.estimate! > 0 && c.lipschitz.estimate! >= c.lipschitz.median!);
  assert.equal(c.lipschitz.pairs, 15);
  const again = await certify(problem, { seed: 3, solve: false, x: c.point.x });
  assert.equal(again.lipschitz.estimate, c.lipschitz.estimate, 'same seed, same estimate');
  assert.equal(again.rate.verdict, 'unmeasured');
  assert.equal(again.runs.length, 0);
});

test('a sampled Lipschitz ratio bounds the change of the Hessian between two nearby points', async () => {
  // The estimate is a maximum over sampled pairs: a pair drawn independently at the same radius
  // must not exceed it by much (it is a sample, not a bound, so allow a margin).
  const { problem, xStar } = plantedProblem({ rows: 800, cols: 5, density: 1, seed: 2, unit: 'tanh' });
  const c = await certify(problem, { x: xStar, solve: false, samples: 12, radius: 0.05 });
  const y = xStar.map((v, j) => v + (j % 2 ? 0.03 : -0.04));
  const diff = problem.hessian(y).map((h, p) => h - problem.hessian(xStar)[p]);
  const ratio = Math.max(...jacobiEigenvalues(diff, 5).map(Math.abs)) / norm(y.map((v, j) => v - xStar[j]));
  assert.ok(ratio <= 3 * c.lipschitz.estimate!, `independent ratio ${ratio} vs estimate ${c.lipschitz.estimate}`);
  assert.ok(ratio >= c.lipschitz.estimate! / 20, `independent ratio ${ratio} vs estimate ${c.lipschitz.estimate}`);
});

// ---------------------------------------------------------------------------------------------
// Built not to be

test('noisy targets, w = 0, at an indefinite point: certified indefinite, with the weights that would fix it', async () => {
  const planted = generatePlanted({ rows: 500, cols: 8, density: 1, seed: 4, noise: 2, unit: 'sigmoid' });
  const problem = new Problem(planted.C, planted.b, planted.model);
  const x = planted.xStar.map((v) => -v);
  const c = await certify(problem, { x, solve: false });
  const eig = jacobiEigenvalues(problem.hessian(x), 8);
  assert.ok(eig[0] < -0.1, `independently indefinite: λ_min = ${eig[0]}`);
  assert.equal(c.hessian.definiteness, 'indefinite');
  assert.ok(Math.abs(c.hessian.minEigenvalue - eig[0]) < 1e-9 * Math.abs(eig[7]));
  assert.equal(c.hessian.negativeEigenvalues, eig.filter((v) => v < -1e-9).length);
  assert.equal(c.hessian.condition, null);
  assert.equal(c.rate.kappa, null, 'κ needs a positive definite Hessian');
  // D = δ + w² has negative entries: the sketch is measured against Cᵀ|D|C.
  assert.ok(c.assumptions.negativeRows > 0);
  assert.equal(c.sketch.relativeTo, 'absolute');
  const { delta } = problem.pieces(x);
  assert.equal(c.assumptions.negativeRows, delta.filter((v) => v < 0).length);
  assert.ok(Math.abs(c.assumptions.weightForNonnegativeD - Math.sqrt(-Math.min(...delta))) < 1e-12);
  assert.equal(c.assumptions.goodStart, null);
  assert.equal(c.assumptions.localRadius, null);

  // The weight it reports makes ∇²ℓ + w²I ⪰ 0, so any larger w makes ∇²L positive definite (C has full column rank).
  const w = c.assumptions.weightForPsdCurvature;
  assert.ok(w > 0);
  const fixed = new Problem(planted.C, planted.b, { ...planted.model, w: 1.01 * w });
  assert.ok(jacobiEigenvalues(fixed.hessian(x), 8)[0] > 0, 'w just above the reported weight: positive definite');
  const fixedCertificate = await certify(fixed, { x, solve: false });
  assert.equal(fixedCertificate.hessian.definiteness, 'positiveDefinite');
  assert.equal(fixedCertificate.assumptions.weightForPsdCurvature, w, 'δ does not depend on w');
});

test('a matrix without full column rank gives a singular Hessian (to rounding), and certify says so', async () => {
  const planted = generatePlanted({ rows: 400, cols: 4, density: 1, seed: 9 });
  // Column 3 repeats column 0: C(e₀ − e₃) = 0 exactly, so ∇²L(e₀ − e₃) = 0.
  const dense = toDense(planted.C);
  for (let i = 0; i < dense.rows; i++) dense.data[i * 4 + 3] = dense.data[i * 4];
  const problem = new Problem(dense, planted.b, planted.model);
  const c = await certify(problem, { x: planted.xStar, solve: false });
  assert.equal(c.assumptions.fullColumnRank, false);
  assert.equal(c.hessian.definiteness, 'singular');
  assert.ok(Math.abs(c.hessian.minEigenvalue) <= c.hessian.tolerance);
});

// ---------------------------------------------------------------------------------------------
// The pieces

test('the smallest eigenvalue of diag(δ) + U S Uᵀ matches a dense eigen-decomposition', () => {
  let state = 7;
  const next = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  for (let trial = 0; trial < 12; trial++) {
    const n = 5 + trial * 3;
    const delta = Array.from({ length: n }, () => next() * (trial % 3 === 0 ? 0.01 : 1));
    const u0 = Array.from({ length: n }, () => next());
    const u1 = Array.from({ length: n }, () => next());
    const sigma = next() * 3;
    const S = [sigma, -1, -1, 0];
    const dense = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        dense[i * n + j] = (i === j ? delta[i] : 0) + sigma * u0[i] * u0[j] - u0[i] * u1[j] - u1[i] * u0[j];
      }
    }
    const expected = jacobiEigenvalues(dense, n)[0];
    const got = smallestEigenvalueDiagonalPlusRank2(delta, u0, u1, S);
    assert.ok(Math.abs(got - expected) < 1e-9 * (1 + Math.abs(expected)), `trial ${trial}: ${got} vs ${expected}`);
  }
});

test('observedRate: the geometric mean of the last full-step ratios above the floor', () => {
  const row = (iteration: number, distance: number | null, step = 1): TraceRow =>
    ({ iteration, distance, step, gradNorm: distance ?? 1 } as TraceRow);
  const trace = [row(0, 1, 0), row(1, 0.5, 0.25), row(2, 0.2), row(3, 0.04), row(4, 0.008), row(5, 1e-13)];
  // Ratios with full steps and both errors above 1e-12: 0.2/0.5, 0.04/0.2, 0.008/0.04 (the last one is below the floor).
  const r = observedRate(trace, (t) => t.distance, 1e-12, 2);
  assert.ok(Math.abs(r!.rate - 0.2) < 1e-12);
  assert.deepEqual([r!.first, r!.last], [3, 4]);
  const all = observedRate(trace, (t) => t.distance, 1e-12, 10);
  assert.ok(Math.abs(all!.rate - Math.cbrt(0.4 * 0.2 * 0.2)) < 1e-12);
  assert.equal(observedRate([row(0, 1), row(1, null)], (t) => t.distance, 0, 4), null);
});

test('options are checked: unknown keys, no solve without x, wrong lengths and kinds', async () => {
  const { problem, xStar } = plantedProblem({ rows: 100, cols: 3, density: 1, seed: 1 });
  const rejects = (options: object, field: string) =>
    assert.rejects(certify(problem, options as never), (e: unknown) => e instanceof InputError && e.field === field, JSON.stringify(options));
  await rejects({ sketchs: 'leverage' }, 'options.sketchs');
  await rejects({ solve: false }, 'solve');
  await rejects({ x: [1, 2] }, 'x');
  await rejects({ x: xStar, sketch: 'fast' }, 'sketch');
  await rejects({ x: xStar, compare: ['leverage', 'magic'] }, 'compare[1]');
  await rejects({ x: xStar, radius: 0 }, 'radius');
  await rejects({ x: xStar, samples: 0 }, 'samples');
});

// ---------------------------------------------------------------------------------------------
// The command

test('softnewton certify: the report, --json, --plot, and exit 0 (PD) or 1 (not PD)', async () => {
  const planted = generatePlanted({ rows: 600, cols: 6, density: 1, seed: 8 });
  await writeLibsvm(path.join(workDir, 'pd.svm'), planted.C, planted.b);
  const noisy = generatePlanted({ rows: 500, cols: 8, density: 1, seed: 4, noise: 2, unit: 'sigmoid' });
  await writeLibsvm(path.join(workDir, 'noisy.svm'), noisy.C as CsrMatrix, noisy.b);
  fs.writeFileSync(path.join(workDir, 'minus.json'), JSON.stringify(Array.from(noisy.xStar, (v) => -v)));
  const run = (...args: string[]) => spawnSync(process.execPath, [MAIN, 'certify', ...args], { cwd: workDir, encoding: 'utf8', timeout: 60_000 });

  const report = run('--data', 'pd.svm', '--cols', '6', '--scale', 'n', '--compare', 'uniform', '--plot', 'c.svg');
  assert.equal(report.status, EXIT.ok, report.stderr);
  for (const pattern of [/^Hessian ∇²L\(x\) +positive definite: λ_min = /m, /^Lipschitz of ∇²L M ≈ /m, /^sketch +leverage, k = \d+ rows: spectral error ε = /m,
    /^local rate +observed /m, /→ consistent with the prediction/, /^standing assumptions$/m, /full column rank/, /D = δ \+ w² ≥ 0 needs w ≥ 0/]) {
    assert.match(report.stdout, pattern);
  }
  const svg = fs.readFileSync(path.join(workDir, 'c.svg'), 'utf8');
  for (const label of ['none (exact Newton)', 'leverage', 'uniform', '‖x_t − x*‖']) assert.ok(svg.includes(label), label);

  const json = run('--data', 'noisy.svm', '--cols', '8', '--unit', 'sigmoid', '--scale', 'n', '--x', 'minus.json', '--no-solve', '--json');
  assert.equal(json.status, EXIT.notConverged, json.stderr);
  const c = JSON.parse(json.stdout);
  assert.equal(c.hessian.definiteness, 'indefinite');
  assert.equal(c.point.x.length, 8);
  assert.ok(c.assumptions.negativeRows > 0);
  assert.deepEqual(c.runs, []);

  const noX = run('--data', 'pd.svm', '--cols', '6', '--no-solve');
  assert.equal(noX.status, EXIT.userError);
  assert.match(noX.stderr, /^softnewton: --no-solve: without a solve there is no solution to certify: give --x\n$/);
  const badCompare = run('--data', 'pd.svm', '--cols', '6', '--compare', 'leverage,fast');
  assert.equal(badCompare.status, EXIT.userError);
  assert.match(badCompare.stderr, /^softnewton: --compare: expected one of auto, none, leverage, countsketch, osnap, uniform, received "fast"\n$/);
});

test('with an exact sketch the iteration is exact Newton: no linear rate is predicted, and the note says why', async () => {
  const { problem } = plantedProblem({ rows: 400, cols: 5, density: 1, seed: 12 });
  const c = await certify(problem, { sketch: 'none', samples: 2, sketchDraws: 1 });
  assert.equal(c.sketch.kind, 'none');
  assert.ok(c.sketch.epsilon! < 1e-12, `ε = ${c.sketch.epsilon}`);
  assert.equal(c.rate.verdict, 'noPrediction');
  assert.match(c.rate.note, /exact Newton: its convergence is quadratic/);
  assert.equal(c.runs.map((r) => r.label).join(','), 'newton,none');
});

test('too few sketch rows on noisy data: no contraction is predicted, and the verdict says so rather than "consistent"', async () => {
  const planted = generatePlanted({ rows: 2000, cols: 12, density: 0.5, seed: 5, unit: 'sigmoid', noise: 0.5 });
  const problem = new Problem(planted.C, planted.b, planted.model);
  const c = await certify(problem, { sketchRows: 60, samples: 2, maxIter: 40 });
  assert.ok(c.rate.epsilonKappa! >= 1, `εκ = ${c.rate.epsilonKappa}`);
  assert.equal(c.rate.bound, null);
  assert.equal(c.rate.verdict, 'noPrediction');
  assert.match(c.rate.note, /the theory promises no contraction \(more sketch rows would\)/);
  // With the default rows (from ε₀ = 0.5) the same data gets a prediction, and meets it.
  const enough = await certify(problem, { samples: 2 });
  assert.equal(enough.rate.verdict, 'consistent', enough.rate.note);
});

// ---------------------------------------------------------------------------------------------
// Telling the truth: capped k, different stationary points, the verdict and the exit code

test('k capped at n: the certificate says the sketch cannot be a (1 ± ε₀) approximation', async () => {
  // d = 13, ε₀ = 0.5 asks for k = ⌈3·13·ln 14/0.25⌉ = 412 rows; there are 60.
  const { problem } = plantedProblem({ rows: 60, cols: 13, density: 1, seed: 4 });
  const c = await certify(problem, { sketch: 'leverage', sketchDraws: 1, samples: 2 });
  assert.deepEqual(c.sketch.capped, { wanted: 412, rows: 60 });
  assert.equal(c.sketch.rows, 60);
  assert.match(c.rate.note, /k is capped at n = 60 \(ε₀ asks for k = 412\)/);
  const run = c.runs.find((r) => r.label === 'leverage')!;
  if (!run.converged) assert.ok(c.verdict.failures.some((f) => /did not converge.*capped at n = 60/.test(f)), c.verdict.failures.join('; '));
  // Given rows, or enough data, nothing is capped.
  assert.equal((await certify(problem, { sketch: 'leverage', sketchRows: 40, sketchDraws: 1, samples: 2 })).sketch.capped, null);
  const big = plantedProblem({ rows: 3000, cols: 4, density: 1, seed: 4 }).problem;
  assert.equal((await certify(big, { sketchDraws: 1, samples: 2 })).sketch.capped, null);
});

test('runs that end at different stationary points are compared by loss and gradient, not rated by rate, and the certificate fails', async () => {
  const { problem, xStar } = plantedProblem({ rows: 2000, cols: 5, density: 1, seed: 6 });
  const same = await certify(problem, { sketchDraws: 2, samples: 2 });
  assert.equal(same.stationary?.same, true);
  assert.equal(same.verdict.holds, true, same.verdict.failures.join('; '));
  // A reference that is not where approx-newton ends (nor a stationary point): another point, by loss.
  const elsewhere = xStar.map((v, j) => v + (j % 2 ? 0.5 : -0.5));
  const c = await certify(problem, { xStar: elsewhere, sketchDraws: 2, samples: 2 });
  assert.ok(c.stationary && !c.stationary.same);
  assert.equal(c.stationary.reference.source, 'given');
  assert.ok(c.stationary.solution.loss < c.stationary.reference.loss);
  assert.ok(c.stationary.reference.gradNorm > 1e3 * c.stationary.solution.gradNorm);
  assert.match(c.stationary.note, /approx-newton found the lower one/);
  assert.equal(c.rate.verdict, 'differentPoints');
  assert.equal(c.verdict.holds, false);
  assert.ok(c.verdict.failures.some((f) => /different stationary points/.test(f)));

  // The command: the report says so and the exit code follows the verdict.
  const data = path.join(workDir, 'stationary.svm');
  const far = path.join(workDir, 'far.json');
  const planted = generatePlanted({ rows: 2000, cols: 5, density: 1, seed: 6 });
  await writeLibsvm(data, planted.C, planted.b);
  fs.writeFileSync(far, JSON.stringify(Array.from(elsewhere)));
  const run = (...extra: string[]) => spawnSync(process.execPath, [MAIN, 'certify', '--data', data, '--cols', '5', '--scale', 'n', '--draws', '2', '--samples', '2', ...extra], { encoding: 'utf8' });
  const held = run();
  assert.equal(held.status, EXIT.ok, held.stderr);
  assert.match(held.stdout, /verdict +the certificate holds/);
  const failed = run('--xstar', far);
  assert.equal(failed.status, EXIT.certificateFails, failed.stderr);
  assert.match(failed.stdout, /stationary point DIFFERENT/);
  assert.match(failed.stdout, /NOT RATED/);
  assert.match(failed.stdout, /the certificate FAILS \(exit 1\): approx-newton and the given x\* ended at different stationary points/);
});

test('certify with 2·10⁵ per-row weights: no stack overflow (min and max by loops)', async () => {
  const n = 200000;
  const { problem: p, xStar } = plantedProblem({ rows: n, cols: 3, density: 1, seed: 8 });
  const w = new Float64Array(n).map((_, i) => 0.01 * (1 + (i % 7)));
  const problem = new Problem(p.C, p.b, { scale: p.scale, w });
  const c = await certify(problem, { x: xStar, solve: false, samples: 1, sketchDraws: 1 });
  assert.equal(c.assumptions.w.min, 0.01);
  assert.equal(c.assumptions.w.max, 0.07);
});
