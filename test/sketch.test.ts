/**
 * The sketches of M = Cᵀ diag(D) C (docs/math.md §4), measured by their spectral error: the
 * extreme generalized eigenvalues λ of M̃ v = λ M v, so that (1 − ε)M ⪯ M̃ ⪯ (1 + ε)M with
 * ε = max(1 − λ_min, λ_max − 1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { generatePlanted, plantedProblem, solveSync, toCsr, toDense, Problem } from '../src/index';
import { native, NativeSketchOptions } from '../src/native';

const addon = native();
const GUARANTEED = ['leverage', 'countsketch', 'osnap'] as const;

function spectralError(problem: Problem, x: Float64Array, options: NativeSketchOptions & { relativeTo?: 'signed' | 'absolute' }) {
  const r = addon.sketchSpectrum(problem.handle, x, options);
  assert.ok(Number.isFinite(r.minEig) && Number.isFinite(r.maxEig), `eigenvalues must be finite: ${JSON.stringify(r)}`);
  return { error: Math.max(1 - r.minEig, r.maxEig - 1), report: r.report };
}

function bits(a: Float64Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

test('at the documented k every guaranteed sketch stays within ε₀, on sparse and dense rows', (t) => {
  const cases = [
    { name: 'density 1 (dense rows), d 30', ...plantedProblem({ rows: 4000, cols: 30, density: 1, seed: 11 }) },
    { name: 'CSR density 0.3, d 20', ...plantedProblem({ rows: 4000, cols: 20, density: 0.3, seed: 12 }) },
    // At ε₀ = 0.35, k·d ≥ 2²²: CountSketch/OSNAP gather each bucket's dense rows (countsketch.cc).
    { name: 'dense rows, d 250', ...plantedProblem({ rows: 40000, cols: 250, density: 1, seed: 13 }) },
  ];
  // The same data stored dense goes through the dense code paths (dgemm scoring, row copies).
  const sparse = cases[1];
  cases.push({ name: 'dense storage, d 20', problem: new Problem(toDense(sparse.problem.C), sparse.problem.b, sparse.problem.options()), xStar: sparse.xStar });
  // Non-negative entries (counts, tf-idf): the rows share a large common direction, which only the
  // random signs of CountSketch/OSNAP cancel. Targets are refitted so that x* is still exact.
  const positive = { ...(sparse.problem.C as { rows: number; cols: number; indptr: Int32Array; indices: Int32Array; values: Float64Array }) };
  positive.values = positive.values.map(Math.abs);
  const refit = new Problem(positive, sparse.problem.b, sparse.problem.options()).predict(sparse.xStar);
  cases.push({ name: 'non-negative CSR, d 20', problem: new Problem(positive, refit, sparse.problem.options()), xStar: sparse.xStar });
  for (const eps0 of [0.5, 0.35]) {
    for (const { name, problem, xStar } of cases) {
      const k = addon.sketchRowsForEpsilon(problem.rows, problem.cols, eps0);
      assert.ok(k > problem.cols && k < problem.rows, `k = ${k} must be a real sketch here`);
      for (const kind of GUARANTEED) {
        let worst = 0;
        for (let seed = 1; seed <= 4; seed++) {
          const { error, report } = spectralError(problem, xStar, { kind, rows: k, seed });
          assert.deepEqual(report, { kind, rows: k, negativeRows: 0, negativePart: 'none' });
          assert.ok(error <= eps0, `${kind} on ${name}, k = ${k}, seed ${seed}: spectral error ${error} > ε₀ = ${eps0}`);
          // A sketch that returned M exactly would be no sketch at all.
          assert.ok(error > 1e-3, `${kind} on ${name}: error ${error} is implausibly small for a sketch`);
          worst = Math.max(worst, error);
        }
        t.diagnostic(`ε₀ ${eps0} ${name} ${kind} k=${k}: worst spectral error ${worst.toFixed(3)}`);
      }
    }
  }
});

test('the spectral error shrinks like 1/√k', () => {
  const { problem, xStar } = plantedProblem({ rows: 6000, cols: 20, density: 1, seed: 13 });
  for (const kind of GUARANTEED) {
    const mean = (k: number) => {
      let sum = 0;
      for (let seed = 1; seed <= 3; seed++) sum += spectralError(problem, xStar, { kind, rows: k, seed }).error;
      return sum / 3;
    };
    const small = mean(10 * 20), large = mean(100 * 20);
    // √10 ≈ 3.2 in theory; 2 leaves room for the spread between seeds.
    assert.ok(large < small / 2, `${kind}: error at k = 100d (${large}) is not well below that at 10d (${small})`);
  }
});

test('uniform sampling fails on a coherent matrix where leverage sampling succeeds', (t) => {
  const rows = 4000, cols = 20, eps0 = 0.5;
  // Five rows carry weight w = 30 (D ≈ 900 against ≈ 1 elsewhere): each dominates its direction.
  const w = new Float64Array(rows);
  for (let h = 0; h < 5; h++) w[Math.floor((h + 0.5) * rows / 5)] = 30;
  // (plantedProblem types w as one number, so the per-row weights go through the Problem constructor.)
  const planted = generatePlanted({ rows, cols, density: 1, seed: 5 });
  const problem = new Problem(planted.C, planted.b, { ...planted.model, w });
  const xStar = planted.xStar;
  const k = addon.sketchRowsForEpsilon(rows, cols, eps0);
  const errors: Record<string, number[]> = { uniform: [], leverage: [], osnap: [] };
  for (let seed = 1; seed <= 5; seed++)
    for (const kind of Object.keys(errors)) errors[kind].push(spectralError(problem, xStar, { kind, rows: k, seed }).error);
  t.diagnostic(`k=${k}: ${JSON.stringify(Object.fromEntries(Object.entries(errors).map(([kind, e]) => [kind, e.map((v) => +v.toFixed(2))])))}`);
  // A dominant row is either missed (its direction collapses) or drawn with weight n/k ≈ 5.5 times
  // too large: uniform sampling cannot land near 1 on every seed.
  for (const error of errors.uniform) assert.ok(error > 2 * eps0 * 0.8, `uniform error ${error} should be far above ε₀`);
  for (const kind of ['leverage', 'osnap'])
    for (const error of errors[kind]) assert.ok(error <= eps0, `${kind} error ${error} > ε₀ on the coherent matrix`);

  // Heavy-tailed D: x* of radius √d makes z standard normal and D ∝ exp(2z) roughly log-normal.
  const heavy = plantedProblem({ rows, cols, density: 0.3, seed: 6, radius: Math.sqrt(cols) });
  let uniformFailures = 0;
  for (let seed = 1; seed <= 4; seed++) {
    const lev = spectralError(heavy.problem, heavy.xStar, { kind: 'leverage', rows: k, seed }).error;
    assert.ok(lev <= eps0, `leverage error ${lev} > ε₀ with heavy-tailed D (seed ${seed})`);
    if (spectralError(heavy.problem, heavy.xStar, { kind: 'uniform', rows: k, seed }).error > eps0) ++uniformFailures;
  }
  assert.ok(uniformFailures >= 3, `uniform sampling should fail with heavy-tailed D, failed ${uniformFailures} of 4`);
});

test('none is the exact product; auto picks none exactly when it is the cheaper, counting the scoring passes', () => {
  const { problem, xStar } = plantedProblem({ rows: 3000, cols: 25, density: 1, seed: 21 });
  const exact = addon.sketchSpectrum(problem.handle, xStar, { kind: 'none' });
  assert.ok(Math.abs(exact.minEig - 1) < 1e-10 && Math.abs(exact.maxEig - 1) < 1e-10, JSON.stringify(exact));
  assert.deepEqual(exact.report, { kind: 'none', rows: 3000, negativeRows: 0, negativePart: 'none' });
  // The gram agrees with the Hessian's Cᵀ diag(D) C, which the Problem forms independently.
  const hessian = problem.hessian(xStar);
  const gram = addon.sketchGram(problem.handle, xStar, { kind: 'none' }).gram;
  const pieces = problem.pieces(xStar);
  const d = problem.cols;
  // ∇²L = M + (CᵀU) S (CᵀU)ᵀ (λ = 0): rebuild the rank-2 term from the pieces and compare the rest.
  const a = new Float64Array(d), b = new Float64Array(d);
  const C = toCsr(problem.C);
  for (let i = 0; i < problem.rows; i++)
    for (let p = C.indptr[i]; p < C.indptr[i + 1]; p++) {
      a[C.indices[p]] += C.values[p] * pieces.u0[i];
      b[C.indices[p]] += C.values[p] * pieces.u1[i];
    }
  const sigma = pieces.S[0];
  let worst = 0, scale = 0;
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      const rank2 = sigma * a[i] * a[j] - (a[i] * b[j] + b[i] * a[j]);
      worst = Math.max(worst, Math.abs(hessian[i * d + j] - rank2 - gram[i * d + j]));
      scale = Math.max(scale, Math.abs(gram[i * d + j]));
    }
  assert.ok(worst < 1e-9 * scale, `none differs from the Hessian's Gram by ${worst} (scale ${scale})`);

  // Dense rows: the exact cost is n·d²; leverage's is 3·(k·d² + nnz·(t + 1)) for the sample's Gram,
  // the embedding and t = min(d, ⌈4 ln n⌉ + 4) probe columns. With d = 25 ≤ t, exact always wins.
  assert.equal(addon.sketchGram(problem.handle, xStar, { kind: 'auto', rows: 1 }).report.kind, 'none');
  // n = 30000, d = 200: t = 46, so auto switches at k* = (n·d²/3 − n·d·47)/d².
  const wide = plantedProblem({ rows: 30000, cols: 200, density: 1, seed: 23 });
  const t = Math.min(200, Math.ceil(4 * Math.log(30000)) + 4);
  const kStar = Math.floor((30000 * 200 * 200) / 3 / (200 * 200) - (30000 * 200 * (t + 1)) / (200 * 200));
  assert.equal(addon.sketchGram(wide.problem.handle, wide.xStar, { kind: 'auto', rows: kStar - 20 }).report.kind, 'leverage');
  assert.equal(addon.sketchGram(wide.problem.handle, wide.xStar, { kind: 'auto', rows: kStar + 20 }).report.kind, 'none');
  // Sparse rows (about 2 entries each) are cheap to form exactly even against a small k.
  const sparse = plantedProblem({ rows: 3000, cols: 25, density: 0.08, seed: 22 });
  assert.equal(addon.sketchGram(sparse.problem.handle, sparse.xStar, { kind: 'auto', rows: 300 }).report.kind, 'none');
});

test("newton-pcg's auto prices both solves as docs/performance.md states, and the solve takes its choice", () => {
  // The documented model, written out again here: a second source that must agree with the native one.
  const steps = (k: number, d: number) => 8.5 / (0.5 * Math.log10(Math.max(2, k / Math.max(1, d))));
  const model = (problem: Problem, k: number) => {
    const C = toCsr(problem.C), n = problem.rows, d = problem.cols, dense = 'data' in problem.C;
    const threshold = d < 4 ? 1 : Math.floor(d / 4) + 16;
    let gram = 0;
    for (let i = 0; i < n; i++) {
      const r = C.indptr[i + 1] - C.indptr[i];
      gram += dense || r >= threshold ? (d * d) / 25 : 2 * ((r * (r + 1)) / 2);
    }
    const pass = problem.nnz * (dense ? 1 : 1.4) + 40 * n, factor = (d * d * d) / 3 / 25;
    const exact = 2.5 * (gram + factor + 3 * pass);
    const sketch = 3 * 3 * pass + (1 + steps(k, d)) * pass + (k * d * d) / 25 + factor;
    return { exact, sketch, choice: exact <= 1.15 * sketch ? 'none' : 'countsketch' };
  };
  const cases = [
    plantedProblem({ rows: 3000, cols: 25, density: 0.08, seed: 22 }).problem, // short rows: scattered
    plantedProblem({ rows: 4000, cols: 60, density: 0.5, seed: 24 }).problem, // rows on both sides of d/4 + 16
    plantedProblem({ rows: 5000, cols: 1000, density: 1, seed: 25 }).problem, // dense, k = n: the sketch's Gram is exact Newton's once
  ];
  const choices: string[] = [];
  for (const problem of cases) {
    const costs = addon.preconditionerCosts(problem.handle);
    const k = costs.rows, d = problem.cols;
    assert.ok(k === problem.rows || (k % d === 0 && k / d >= 10 && k / d <= 40), `default k ${k} for n=${problem.rows} d=${d}`);
    const want = model(problem, k);
    assert.ok(Math.abs(costs.exact - want.exact) <= 1e-12 * want.exact, `exact ${costs.exact} vs ${want.exact}`);
    assert.ok(Math.abs(costs.sketch - want.sketch) <= 1e-12 * want.sketch, `sketch ${costs.sketch} vs ${want.sketch}`);
    assert.equal(costs.choice, want.choice);
    // The work it priced, priced again as numbers (what a distributed solve does), gives the same.
    assert.deepEqual(addon.pricePreconditioner(costs.pass, costs.gram, d, k), { exact: costs.exact, sketch: costs.sketch, choice: costs.choice });
    choices.push(costs.choice);
    if (problem.cols < 1000) assert.equal(solveSync(problem, { maxIter: 1 }).trace[1].sketch, costs.choice);
    // A given k is priced as given.
    const other = addon.preconditionerCosts(problem.handle, 2 * d);
    assert.equal(other.rows, 2 * d);
    assert.ok(Math.abs(other.sketch - model(problem, 2 * d).sketch) <= 1e-12 * other.sketch);
  }
  assert.deepEqual(choices, ['none', 'none', 'countsketch']);
  assert.throws(() => addon.preconditionerCosts(cases[0].handle, 0), /^TypeError: rows: /);
  for (const [args, field] of [
    [[-1, 0, 10, 10], 'pass'], [[NaN, 0, 10, 10], 'pass'], [[1, Infinity, 10, 10], 'gram'], [[1, 1, 0, 10], 'cols'],
    [[1, 1, 10, 0], 'rows'], [[1, 1, 10], 'rows'], [['1', 1, 10, 10], 'pass'],
  ] as [unknown[], string][]) {
    assert.throws(() => (addon.pricePreconditioner as (...a: unknown[]) => unknown)(...args), new RegExp(`^(Type|Range)?Error: ${field}: `), JSON.stringify(args));
  }
});

test('the same seed gives the same bits, another seed another sketch', () => {
  const { problem, xStar } = plantedProblem({ rows: 3000, cols: 20, density: 0.5, seed: 31 });
  const d = problem.cols;
  for (const kind of ['leverage', 'countsketch', 'osnap', 'uniform']) {
    const options = { kind, rows: 400, seed: 7, osnapNonzeros: 3 };
    const first = addon.sketchGram(problem.handle, xStar, options).gram;
    const again = addon.sketchGram(problem.handle, xStar, options).gram;
    const other = addon.sketchGram(problem.handle, xStar, { ...options, seed: 8 }).gram;
    assert.ok(bits(first).equals(bits(again)), `${kind}: same seed, different bits`);
    assert.ok(!bits(first).equals(bits(other)), `${kind}: seeds 7 and 8 gave the same sketch`);
    for (let i = 0; i < d; i++)
      for (let j = 0; j < i; j++) assert.equal(first[i * d + j], first[j * d + i], `${kind}: not symmetric`);
  }
});

test('negative entries of D are reported and handled exactly or sketched', (t) => {
  const rows = 4000, cols = 20, eps0 = 0.5;
  const k = addon.sketchRowsForEpsilon(rows, cols, eps0);
  // Noisy targets with w = 0: D = δ has negative entries where the residual is large and negative.
  for (const [noise, expected] of [[1, 'exact'], [2, 'sketched']] as const) {
    const { problem, xStar } = plantedProblem({ rows, cols, density: 1, seed: 41, noise });
    const D = problem.pieces(xStar).D;
    const negativeRows = D.reduce((count, v) => count + (v < 0 ? 1 : 0), 0);
    assert.ok(negativeRows > 0, 'the noisy problem should have negative D');
    // Dense rows: the exact D⁻ part costs negativeRows·d², the budget k·d².
    assert.equal(expected === 'exact', negativeRows <= k, `noise ${noise}: ${negativeRows} negative rows against k = ${k}`);
    for (const kind of [...GUARANTEED, 'uniform']) {
      for (let seed = 1; seed <= 3; seed++) {
        const { error, report } = spectralError(problem, xStar, { kind, rows: k, seed, relativeTo: 'absolute' });
        assert.deepEqual(report, { kind, rows: k, negativeRows, negativePart: expected });
        // With D⁻ exact or sketched, M̃ − M is bounded by ε Cᵀ|D|C (the κ of docs/math.md §4).
        if (kind !== 'uniform') assert.ok(error <= eps0, `${kind}, noise ${noise}, seed ${seed}: error ${error} against Cᵀ|D|C`);
      }
    }
    const exact = addon.sketchSpectrum(problem.handle, xStar, { kind: 'none', relativeTo: 'absolute' });
    assert.equal(exact.report.negativePart, 'exact');
    assert.ok(Math.abs(exact.minEig - 1) < 1e-10 && Math.abs(exact.maxEig - 1) < 1e-10);
    t.diagnostic(`noise ${noise}: ${negativeRows} negative rows, D⁻ ${expected} at k = ${k}`);
  }
  // With the exact D⁻ part, a smaller k that cannot afford it switches to sketching it.
  const { problem, xStar } = plantedProblem({ rows, cols, density: 1, seed: 41, noise: 1 });
  assert.equal(addon.sketchGram(problem.handle, xStar, { kind: 'leverage', rows: 200, seed: 1 }).report.negativePart, 'sketched');
});

test('degenerate data gives finite sketches: a zero column, zero D, fewer rows than columns', () => {
  const { problem, xStar } = plantedProblem({ rows: 2000, cols: 15, density: 0.5, seed: 51 });
  const C = problem.C as { rows: number; cols: number; indptr: Int32Array; indices: Int32Array; values: Float64Array };
  const values = C.values.slice();
  for (let p = 0; p < values.length; p++) if (C.indices[p] === 3) values[p] = 0;
  const deficient = new Problem({ ...C, values }, problem.b, problem.options());
  const d = C.cols;
  for (const kind of ['leverage', 'countsketch', 'osnap', 'uniform']) {
    const gram = addon.sketchGram(deficient.handle, xStar, { kind, rows: 300, seed: 1 }).gram;
    assert.ok(gram.every(Number.isFinite), `${kind}: non-finite entries with a zero column`);
    for (let j = 0; j < d; j++) assert.equal(gram[3 * d + j], 0, `${kind}: the zero column leaked`);
    assert.ok(gram[0] > 0);
  }
  assert.throws(() => addon.sketchSpectrum(deficient.handle, xStar, { kind: 'leverage', rows: 300 }),
    (e: Error) => e instanceof RangeError && /^x: M is not positive definite/.test(e.message));

  // relu with a large negative bias: φ′ = 0 on every row, so D = 0 and every sketch is exactly 0.
  const flat = new Problem(C, problem.b, { ...problem.options(), unit: 'relu', bias: -1e6 });
  for (const kind of ['leverage', 'countsketch', 'osnap', 'uniform']) {
    const gram = addon.sketchGram(flat.handle, xStar, { kind, rows: 50, seed: 1 }).gram;
    assert.ok(gram.every((v) => v === 0), `${kind}: D = 0 must give M̃ = 0`);
  }

  const wide = plantedProblem({ rows: 8, cols: 30, density: 1, seed: 52 });
  for (const kind of ['leverage', 'countsketch', 'osnap', 'uniform']) {
    const gram = addon.sketchGram(wide.problem.handle, wide.xStar, { kind, rows: 100, seed: 2 }).gram;
    assert.ok(gram.every(Number.isFinite), `${kind}: non-finite entries with n < d`);
  }
});

test('invalid options throw an error naming the field, never crash', () => {
  const { problem, xStar } = plantedProblem({ rows: 200, cols: 10, density: 1, seed: 61 });
  const h = problem.handle;
  const cases: [() => unknown, RegExp][] = [
    [() => addon.sketchGram(h, xStar, { kind: 'leverage', rows: 0 }), /^sketchRows: /],
    [() => addon.sketchGram(h, xStar, { kind: 'countsketch' }), /^sketchRows: /],
    [() => addon.sketchGram(h, xStar, { kind: 'auto', rows: 0 }), /^sketchRows: /],
    [() => addon.sketchGram(h, xStar, { kind: 'uniform', rows: 2 ** 31 }), /^sketchRows: /],
    [() => addon.sketchGram(h, xStar, { kind: 'leverage', rows: 1.5 }), /^rows: /],
    [() => addon.sketchGram(h, xStar, { kind: 'osnap', rows: 3, osnapNonzeros: 4 }), /^osnapNonzeros: /],
    [() => addon.sketchGram(h, xStar, { kind: 'osnap', rows: 30, osnapNonzeros: 0 }), /^osnapNonzeros: /],
    [() => addon.sketchGram(h, xStar, { kind: 'osnap', rows: 30, osnapNonzeros: -2 }), /^osnapNonzeros: /],
    [() => addon.sketchGram(h, xStar, { kind: 'fancy', rows: 30 }), /^kind: /],
    [() => addon.sketchSpectrum(h, xStar, { kind: 'leverage', rows: 30, relativeTo: 'other' as 'signed' }), /^relativeTo: /],
    [() => addon.sketchGram(h, new Float64Array(3), { kind: 'leverage', rows: 30 }), /^x: /],
    [() => addon.sketchGram({} as typeof h, xStar, { kind: 'leverage', rows: 30 }), /^problem: /],
    [() => addon.sketchRowsForEpsilon(100, 10, 0), /^epsilon: /],
    [() => addon.sketchRowsForEpsilon(100, 10, 1.5), /^epsilon: /],
  ];
  for (const [call, field] of cases) assert.throws(call, (e: Error) => e instanceof TypeError && field.test(e.message));
  // Options a kind does not use are not checked against it.
  assert.doesNotThrow(() => addon.sketchGram(h, xStar, { kind: 'none', rows: 0 }));
  assert.doesNotThrow(() => addon.sketchGram(h, xStar, { kind: 'countsketch', rows: 2, osnapNonzeros: 9 }));
  assert.equal(addon.sketchGram(h, xStar, { kind: 'osnap', rows: 4, osnapNonzeros: 4 }).report.rows, 4);
});

test('sketchRowsForEpsilon follows ⌈c·d·ln(d+1)/ε₀²⌉, capped at n', () => {
  const k1 = addon.sketchRowsForEpsilon(1e9, 50, 0.5);
  const k2 = addon.sketchRowsForEpsilon(1e9, 50, 0.25);
  // Quartering ε₀² multiplies k by 4 (up to the ceiling).
  assert.ok(Math.abs(k2 - 4 * k1) <= 4, `${k1} → ${k2}`);
  const c = k1 * 0.25 / (50 * Math.log(51));
  assert.ok(c > 1 && c < 10, `implied constant ${c}`);
  assert.equal(addon.sketchRowsForEpsilon(300, 50, 0.1), 300);
  assert.equal(addon.sketchRowsForEpsilon(0, 5, 0.5), 1);
});
