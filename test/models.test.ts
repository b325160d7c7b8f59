/**
 * Correctness of the models (docs/math.md §§1–3 and §7): the native loss, gradient and Hessian
 * against finite differences and against an independent TypeScript implementation
 * (test/reference/model.ts), the structured Hessian pieces, Hessian–vector products, the CSR and
 * dense paths, and the numerical traps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { NumericalError } from '../src/errors';
import { CsrMatrix, DenseMatrix, toDense } from '../src/matrix';
import { ModelName, ModelOptions, Problem, UnitName, UNITS } from '../src/problem';
import * as ref from './reference/model';

// ---------------------------------------------------------------------------------------------
// helpers

/** mulberry32: a small seeded generator, enough for test data. */
function rng(seed: number) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => {
    const u = uniform() || 1e-12;
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
  const int = (lo: number, hi: number) => lo + Math.floor(uniform() * (hi - lo + 1));
  const range = (lo: number, hi: number) => lo + (hi - lo) * uniform();
  return { uniform, normal, int, range };
}
type Rng = ReturnType<typeof rng>;

type Vec = ArrayLike<number>;

function maxAbs(a: Vec): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** Normwise relative error max|a − b| / max(max|b|, floor). */
function relErr(a: Vec, b: Vec, floor = 1e-300): number {
  assert.equal(a.length, b.length, 'length mismatch');
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    const di = Math.abs(a[i] - b[i]);
    if (Number.isNaN(di)) return Infinity;
    diff = Math.max(diff, di);
  }
  return diff / Math.max(maxAbs(b), floor);
}

function assertClose(actual: Vec | number, expected: Vec | number, tol: number, what: string, floor = 1e-300): void {
  const a = typeof actual === 'number' ? [actual] : actual;
  const e = typeof expected === 'number' ? [expected] : expected;
  const err = relErr(a, e, floor);
  assert.ok(err <= tol, `${what}: relative error ${err.toExponential(3)} > ${tol}`);
}

const flat = (m: number[][]): number[] => m.flat();

function allFinite(a: Vec): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}

/** A random n × d CSR matrix with the listed rows empty; also its dense copy. */
function randomMatrix(r: Rng, n: number, d: number, emptyRows: number[], density = 0.7): { csr: CsrMatrix; dense: DenseMatrix } {
  const indptr = new Int32Array(n + 1);
  const indices: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < n; i++) {
    if (!emptyRows.includes(i)) {
      const before = indices.length;
      for (let j = 0; j < d; j++) {
        if (r.uniform() < density) {
          indices.push(j);
          values.push(r.normal());
        }
      }
      if (indices.length === before) {
        indices.push(r.int(0, d - 1));
        values.push(r.normal());
      }
    }
    indptr[i + 1] = indices.length;
  }
  const csr: CsrMatrix = { rows: n, cols: d, indptr, indices: Int32Array.from(indices), values: Float64Array.from(values) };
  return { csr, dense: toDense(csr) };
}

function randomVector(r: Rng, n: number, sd = 1): Float64Array {
  return Float64Array.from({ length: n }, () => sd * r.normal());
}

// Each unit's second-layer range: v = a s + c with a = k n puts a∘s around k, so these choices put v
// where the unit bends (and below zero for relu).
const UNIT_RANGE: Record<UnitName, { k: number; c: number }> = {
  identity: { k: 1, c: 0.3 },
  relu: { k: 1, c: -0.8 },
  sigmoid: { k: 3, c: -3 },
  tanh: { k: 2, c: -2 },
  softplus: { k: 2, c: -2 },
  exp: { k: 1, c: -1 },
  gelu: { k: 3, c: -3 },
};

interface Case {
  name: string;
  problem: Problem;
  dense: Problem;
  reference: ref.RefProblem;
  x: Float64Array;
  C: CsrMatrix;
}

/** A seeded random problem for one model × unit × (scalar | vector) parameters. */
function makeCase(model: ModelName, unit: UnitName, mode: 'scalar' | 'vector', seed: number): Case {
  const r = rng(seed);
  const n = r.int(6, 12);
  const d = r.int(3, 5);
  const empty = [r.int(0, n - 1)];
  const { csr, dense } = randomMatrix(r, n, d, empty);
  const { k, c } = UNIT_RANGE[unit];
  const layered = model !== 'softmax';
  const scale = !layered ? undefined : mode === 'scalar' ? k * n : Float64Array.from({ length: n }, () => k * n * r.range(0.5, 1.5));
  const bias = !layered ? undefined : mode === 'scalar' ? c : Float64Array.from({ length: n }, () => c + r.range(-0.5, 0.5));
  const w = mode === 'scalar' ? 0.2 : Float64Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 0 : r.range(0, 0.4)));
  const ridge = mode === 'scalar' ? 0.1 : 0;
  const reference: ref.RefProblem = {
    rows: n, cols: d, C: dense.data, b: new Float64Array(n), model, unit: layered ? unit : undefined, scale, bias, w, ridge,
  };
  // Targets: the model's output at another point, plus noise (so residuals are not zero and φ″ counts).
  const y = ref.predict(reference, randomVector(r, d, 1.2));
  const b = Float64Array.from(y, (yi) => yi + 0.3 * r.normal());
  reference.b = b;

  // A point whose z and v stay away from the kinks (ReLU before the softmax, the relu unit), so that
  // central differences with step 1e-5 never straddle one.
  let x = randomVector(r, d, 1.2);
  for (let attempt = 0; attempt < 200; attempt++) {
    const e = ref.evaluate(reference, x, false);
    const zOk = model !== 'relu-softmax' || e.z.every((zi, i) => empty.includes(i) || Math.abs(zi) > 1e-2);
    const mixed = model !== 'relu-softmax' || (e.z.some((zi) => zi > 0) && e.z.some((zi) => zi < 0));
    const s = e.row.s;
    const vOk = unit !== 'relu' || !layered || s.every((si, i) => Math.abs(si * (typeof scale === 'number' ? scale : scale![i]) + (typeof bias === 'number' ? bias : bias![i])) > 2e-2);
    const vMixed = unit !== 'relu' || !layered || e.row.y.some((yi) => yi === 0);
    if (zOk && mixed && vOk && vMixed) break;
    assert.ok(attempt < 199, 'could not find a point away from the kinks');
    x = randomVector(r, d, 1.2);
  }
  const options: ModelOptions = { model, w, ridge };
  if (layered) Object.assign(options, { unit, scale, bias });
  return {
    name: `${model}/${layered ? unit : '-'}/${mode}`,
    problem: new Problem(csr, b, options),
    dense: new Problem(dense, b, options),
    reference,
    x,
    C: csr,
  };
}

function allCases(): Case[] {
  const cases: Case[] = [];
  let seed = 1000;
  for (const mode of ['scalar', 'vector'] as const) {
    for (const model of ['softmax-unit', 'relu-softmax'] as const) {
      for (const unit of UNITS) cases.push(makeCase(model, unit, mode, seed++));
    }
    cases.push(makeCase('softmax', 'identity', mode, seed++));
  }
  return cases;
}

const CASES = allCases();

function step(xj: number): number {
  return 1e-5 * Math.max(1, Math.abs(xj));
}

/** Central differences of `loss`: the gradient. */
function fdGradient(loss: (x: Float64Array) => number, x: Float64Array): Float64Array {
  const g = new Float64Array(x.length);
  for (let j = 0; j < x.length; j++) {
    const h = step(x[j]);
    const xp = Float64Array.from(x);
    const xm = Float64Array.from(x);
    xp[j] += h;
    xm[j] -= h;
    g[j] = (loss(xp) - loss(xm)) / (xp[j] - xm[j]);
  }
  return g;
}

/** Central differences of `gradient`: the Hessian, d × d row-major. */
function fdHessian(gradient: (x: Float64Array) => ArrayLike<number>, x: Float64Array): Float64Array {
  const d = x.length;
  const H = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    const h = step(x[j]);
    const xp = Float64Array.from(x);
    const xm = Float64Array.from(x);
    xp[j] += h;
    xm[j] -= h;
    const gp = gradient(xp);
    const gm = gradient(xm);
    for (let i = 0; i < d; i++) H[i * d + j] = (gp[i] - gm[i]) / (xp[j] - xm[j]);
  }
  return H;
}

function matVec(H: Vec, v: Vec): Float64Array {
  const d = v.length;
  return Float64Array.from({ length: d }, (_, i) => {
    let s = 0;
    for (let j = 0; j < d; j++) s += H[i * d + j] * v[j];
    return s;
  });
}

// ---------------------------------------------------------------------------------------------
// the reference implementation checks itself

test('reference: erf matches known values', () => {
  // Values from Abramowitz & Stegun / the definition; erf(−x) = −erf(x).
  assertClose(ref.erf(0.5), 0.5204998778130465377, 1e-15, 'erf(0.5)');
  assertClose(ref.erf(1), 0.8427007929497148693, 1e-15, 'erf(1)');
  assertClose(ref.erf(2), 0.9953222650189527342, 1e-15, 'erf(2)');
  assertClose(ref.erf(-1), -0.8427007929497148693, 1e-15, 'erf(-1)');
  assertClose(ref.erfc(3), 2.209049699858544137e-5, 1e-13, 'erfc(3)');
  assertClose(ref.erfc(5), 1.5374597944280348502e-12, 1e-13, 'erfc(5)');
  assertClose(ref.erfc(-2), 1.9953222650189527342, 1e-15, 'erfc(-2)');
  assert.equal(ref.erf(0), 0);
  // the derivative of erf is 2/√π e^{−x²}
  for (const x of [-2.5, -1.5, -0.3, 0.7, 1.5, 1.6, 3.2]) {
    const h = 1e-5;
    const fd = (ref.erf(x + h) - ref.erf(x - h)) / (2 * h);
    assertClose(fd, (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x), 1e-8, `erf'(${x})`, 1e-2);
  }
});

test('reference: every unit φ′ and φ″ match central differences of φ and φ′', () => {
  for (const u of UNITS) {
    for (const v of [-4.3, -1.7, -0.4, 0.35, 1.2, 2.9, 5.5]) {
      const h = 1e-5 * Math.max(1, Math.abs(v));
      const [, d1, d2] = ref.unit(u, v);
      const fd1 = (ref.unit(u, v + h)[0] - ref.unit(u, v - h)[0]) / (2 * h);
      const fd2 = (ref.unit(u, v + h)[1] - ref.unit(u, v - h)[1]) / (2 * h);
      assertClose(d1, fd1, 1e-7, `${u} φ′(${v})`, 1e-6);
      assertClose(d2, fd2, 1e-7, `${u} φ″(${v})`, 1e-6);
    }
  }
  // the definitions themselves at a few points
  assertClose(ref.unit('gelu', 1)[0], 1 * 0.8413447460685429486, 1e-15, 'gelu(1) = Φ(1)');
  assertClose(ref.unit('softplus', 0)[0], Math.LN2, 1e-15, 'softplus(0)');
  assertClose(ref.unit('sigmoid', 0)[0], 0.5, 0, 'sigmoid(0)');
});

test('reference: gradient and Hessian match its own finite differences', () => {
  for (const c of CASES.filter((_, i) => i % 3 === 0)) {
    const e = ref.evaluate(c.reference, c.x);
    const H = flat(e.hessian!);
    assertClose(fdGradient((x) => ref.evaluate(c.reference, x, false).loss, c.x), e.gradient, 1e-6, `${c.name} ref gradient`, maxAbs(e.gradient));
    assertClose(fdHessian((x) => ref.evaluate(c.reference, x, false).gradient, c.x), H, 1e-6, `${c.name} ref ∇²L`, maxAbs(H));
  }
});

// ---------------------------------------------------------------------------------------------
// native against finite differences and against the reference

test('gradient = central differences of the loss, every model × unit × parameter form', () => {
  assert.equal(CASES.length, 30);
  for (const c of CASES) {
    const g = c.problem.gradient(c.x);
    assert.ok(maxAbs(g) > 1e-8, `${c.name}: degenerate test point (zero gradient)`);
    assertClose(fdGradient((x) => c.problem.loss(x), c.x), g, 1e-6, `${c.name} gradient vs finite differences`, 1e-8);
  }
});

test('Hessian = central differences of the gradient, every model × unit × parameter form', () => {
  for (const c of CASES) {
    const H = c.problem.hessian(c.x);
    assertClose(fdHessian((x) => c.problem.gradient(x), c.x), H, 1e-6, `${c.name} Hessian vs finite differences`, 1e-8);
    // and it is symmetric
    const d = c.x.length;
    for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) assert.equal(H[i * d + j], H[j * d + i], `${c.name} H symmetric`);
  }
});

test('loss, gradient and Hessian equal the independent reference implementation', () => {
  for (const c of CASES) {
    const e = ref.evaluate(c.reference, c.x);
    const { loss, gradient } = c.problem.evaluate(c.x);
    assertClose(loss, e.loss, 1e-9, `${c.name} loss`);
    assertClose(gradient, e.gradient, 1e-9, `${c.name} gradient`);
    assertClose(c.problem.hessian(c.x), flat(e.hessian!), 1e-9, `${c.name} Hessian`);
    assertClose(c.problem.predict(c.x), e.row.y, 1e-12, `${c.name} predict`);
  }
});

test('structured pieces reassemble to the Hessian and match the reference in row space', () => {
  for (const c of CASES) {
    const P = c.problem.pieces(c.x);
    const { rows: n, cols: d } = c.C;
    const C = toDense(c.C).data;
    const e = ref.evaluate(c.reference, c.x);
    assertClose(P.loss, e.loss, 1e-9, `${c.name} pieces.loss`);
    assertClose(P.z, e.z, 1e-12, `${c.name} pieces.z`);
    assertClose(P.gradZ, e.gradZ, 1e-9, `${c.name} pieces.gradZ`);
    // D = δ + w²
    const w2 = Float64Array.from({ length: n }, (_, i) => {
      const w = c.problem.w;
      return (w.length === 1 ? w[0] : w[i]) ** 2;
    });
    assertClose(P.D, Float64Array.from(P.delta, (di, i) => di + w2[i]), 1e-15, `${c.name} D = δ + w²`, 1);
    assert.deepEqual(Array.from(P.S.slice(1)), [-1, -1, 0], `${c.name} S off-diagonal`);
    // ∇²ℓ(z) = diag(δ) + U S Uᵀ, entry by entry, against the reference's explicit Hessian
    const U = (i: number) => [P.u0[i], P.u1[i]];
    const rowHess = (i: number, k: number) => {
      const [a0, a1] = U(i);
      const [b0, b1] = U(k);
      return (i === k ? P.delta[i] : 0) + a0 * (P.S[0] * b0 + P.S[1] * b1) + a1 * (P.S[2] * b0 + P.S[3] * b1);
    };
    const Hz = Array.from({ length: n * n }, (_, t) => rowHess(Math.floor(t / n), t % n));
    assertClose(Hz, flat(e.hessZ!), 1e-9, `${c.name} diag(δ) + U S Uᵀ vs reference ∇²ℓ`);
    // u0 = P s
    const mask = e.z.map((zi) => (c.reference.model === 'relu-softmax' ? (zi > 0 ? 1 : 0) : 1));
    assertClose(P.u0, e.row.s.map((si, i) => mask[i] * si), 1e-12, `${c.name} u0 = P s`);
    // Cᵀ (diag(D) + U S Uᵀ) C + λ I
    const H = new Float64Array(d * d);
    for (let j = 0; j < d; j++) {
      for (let l = 0; l < d; l++) {
        let sum = j === l ? c.problem.ridge : 0;
        for (let i = 0; i < n; i++) {
          if (C[i * d + j] === 0) continue;
          // diag(D) + U S Uᵀ = rowHess − diag(δ) + diag(D)
          for (let k = 0; k < n; k++) sum += C[i * d + j] * (rowHess(i, k) + (i === k ? P.D[i] - P.delta[i] : 0)) * C[k * d + l];
        }
        H[j * d + l] = sum;
      }
    }
    assertClose(H, c.problem.hessian(c.x), 1e-11, `${c.name} reassembled Hessian`);
  }
});

test('hessianVector(x, v) = hessian(x) v', () => {
  const r = rng(77);
  for (const c of CASES) {
    const H = c.problem.hessian(c.x);
    for (let t = 0; t < 2; t++) {
      const v = randomVector(r, c.x.length);
      assertClose(c.problem.hessianVector(c.x, v), matVec(H, v), 1e-11, `${c.name} Hv`);
      assertClose(c.dense.hessianVector(c.x, v), matVec(H, v), 1e-11, `${c.name} Hv (dense)`);
    }
  }
});

test('CSR and dense paths agree (with empty rows)', () => {
  for (const c of CASES) {
    assert.ok(Array.from({ length: c.C.rows }, (_, i) => c.C.indptr[i + 1] - c.C.indptr[i]).some((k) => k === 0), 'has an empty row');
    const a = c.problem.evaluate(c.x);
    const b = c.dense.evaluate(c.x);
    assertClose(a.loss, b.loss, 1e-13, `${c.name} loss csr/dense`);
    assertClose(a.gradient, b.gradient, 1e-12, `${c.name} gradient csr/dense`);
    assertClose(c.problem.hessian(c.x), c.dense.hessian(c.x), 1e-12, `${c.name} Hessian csr/dense`);
    const pa = c.problem.pieces(c.x);
    const pb = c.dense.pieces(c.x);
    assertClose(pa.D, pb.D, 1e-12, `${c.name} D csr/dense`);
    assertClose(pa.u1, pb.u1, 1e-12, `${c.name} u1 csr/dense`);
  }
});

test('relu-softmax at x = 0 has gradient exactly 0 (the false stationary point); softmax-unit does not', () => {
  for (const c of CASES.filter((k) => k.reference.model === 'relu-softmax')) {
    const zero = new Float64Array(c.x.length);
    const g = c.problem.gradient(zero);
    assert.ok(g.every((gj) => gj === 0), `${c.name}: gradient at 0 is ${Array.from(g)}`);
  }
  const contrast = CASES.find((k) => k.reference.model === 'softmax-unit' && k.reference.unit === 'identity')!;
  assert.ok(maxAbs(contrast.problem.gradient(new Float64Array(contrast.x.length))) > 1e-6, 'softmax-unit gradient at 0 is not 0');
});

// ---------------------------------------------------------------------------------------------
// numerical traps (docs/math.md §7)

test('softmax stability: z with entries ±1e4 gives finite, correct loss and gradient', () => {
  const r = rng(5);
  const n = 8;
  const d = 3;
  // column 0 is all ones: adding t to x₀ adds t to every z_i, which the softmax does not see
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    data[i * d] = 1;
    data[i * d + 1] = r.normal();
    data[i * d + 2] = r.normal();
  }
  const C = { rows: n, cols: d, data };
  const b = Float64Array.from({ length: n }, () => r.range(0, 2));
  for (const unit of ['identity', 'tanh', 'gelu'] as const) {
    const options: ModelOptions = { unit, scale: n, bias: -0.5 };
    const p = new Problem(C, b, options);
    const x = Float64Array.of(0, 0.7, -0.4);
    const base = p.evaluate(x);
    for (const shift of [1e4, -1e4]) {
      const shifted = p.evaluate(Float64Array.of(shift, 0.7, -0.4));
      assert.ok(Number.isFinite(shifted.loss) && allFinite(shifted.gradient), `${unit} shift ${shift}: finite`);
      assertClose(shifted.loss, base.loss, 1e-10, `${unit}: loss invariant under z + ${shift}`);
      // the gradient's column-0 entry is Σ_i ∇ℓ_i = 0 (Jᵀ1 = 0); the others are invariant
      assertClose(shifted.gradient, base.gradient, 1e-9, `${unit}: gradient invariant under z + ${shift}`, 1e-3);
      assertClose(p.hessian(Float64Array.of(shift, 0.7, -0.4)), p.hessian(x), 1e-8, `${unit}: Hessian invariant`, 1e-3);
    }
    // z mixing +1e4 and −1e4: against the reference (a softmax of essentially one-hot rows)
    const spread = new Float64Array(n * d);
    for (let i = 0; i < n; i++) spread[i * d + (i % d)] = i % 2 === 0 ? 1 : -1;
    const q = new Problem({ rows: n, cols: d, data: spread }, b, options);
    const xs = Float64Array.of(1e4, 1e4 - 3, 2.5);
    const e = ref.evaluate({ rows: n, cols: d, C: spread, b, model: 'softmax-unit', ...options, unit } as ref.RefProblem, xs);
    const got = q.evaluate(xs);
    assert.ok(Number.isFinite(got.loss) && allFinite(got.gradient) && allFinite(q.hessian(xs)), `${unit}: ±1e4 finite`);
    assertClose(got.loss, e.loss, 1e-12, `${unit} ±1e4 loss`);
    assertClose(got.gradient, e.gradient, 1e-9, `${unit} ±1e4 gradient`, 1e-12);
  }
  // relu-softmax too: ReLU(−1e4) = 0 and softmax of {1e4, 0, …}
  const p = new Problem(C, b, { model: 'relu-softmax', scale: n });
  const got = p.evaluate(Float64Array.of(0, 1e4, -1e4));
  assert.ok(Number.isFinite(got.loss) && allFinite(got.gradient));
  const e = ref.evaluate({ rows: n, cols: d, C: data, b, model: 'relu-softmax', scale: n }, Float64Array.of(0, 1e4, -1e4), false);
  assertClose(got.loss, e.loss, 1e-12, 'relu-softmax ±1e4 loss');
  assertClose(got.gradient, e.gradient, 1e-9, 'relu-softmax ±1e4 gradient', 1e-12);
});

test('a = n makes sigmoid and tanh saturate: everything finite, no NaN, still correct', () => {
  const r = rng(11);
  const n = 1000;
  const d = 4;
  const { csr, dense } = randomMatrix(r, n, d, [0, 17, 999], 0.8);
  // one row stands out (C[r][0] = 6 against N(0, 1) elsewhere), so its s is close to 1 and
  // v = n s ≈ 1000: σ′ and tanh′ underflow to 0
  const x = Float64Array.of(9, -0.2, 0.15, 0.05);
  let standout = -1;
  for (let i = 1; i < n && standout < 0; i++) if (csr.indptr[i + 1] > csr.indptr[i] && csr.indices[csr.indptr[i]] === 0) standout = i;
  assert.ok(standout > 0);
  csr.values[csr.indptr[standout]] = 6;
  const denseData = toDense(csr).data;
  assert.notEqual(dense.data[standout * d], 6, 'dense copy taken before the change');
  const b = Float64Array.from({ length: n }, () => r.range(-1, 1));
  for (const unit of ['sigmoid', 'tanh'] as const) {
    const options: ModelOptions = { unit, scale: 'n', bias: -0.5, w: 0.01 };
    const p = new Problem(csr, b, options);
    const P = p.pieces(x);
    const vMax = Math.max(...Array.from(P.u0, (s) => n * s - 0.5));
    assert.ok(vMax > 800, `${unit}: v reaches ${vMax}, saturated`);
    const [, d1] = ref.unit(unit, vMax);
    assert.equal(d1, 0, `${unit}: φ′ underflows to 0 at v = ${vMax}`);
    const { loss, gradient } = p.evaluate(x);
    const H = p.hessian(x);
    for (const [name, v] of Object.entries({ gradient, H, D: P.D, u1: P.u1, delta: P.delta, S: P.S, hv: p.hessianVector(x, Float64Array.of(1, 2, 3, 4)) })) {
      assert.ok(allFinite(v), `${unit}: ${name} finite`);
    }
    assert.ok(Number.isFinite(loss));
    const e = ref.evaluate({ rows: n, cols: d, C: denseData, b, model: 'softmax-unit', unit, scale: n, bias: -0.5, w: 0.01 }, x, false);
    assertClose(loss, e.loss, 1e-10, `${unit} saturated loss vs reference`);
    assertClose(gradient, e.gradient, 1e-9, `${unit} saturated gradient vs reference`);
    assertClose(fdHessian((y) => p.gradient(y), x), H, 1e-6, `${unit} saturated Hessian vs finite differences`, 1e-8);
  }
});

test('exp unit: v up to ~100 is finite and correct; v ≳ 709 throws NumericalError', () => {
  const n = 6;
  const d = 2;
  const data = Float64Array.from({ length: n * d }, (_, t) => (t === 0 ? 1 : t % d === 1 ? 0.1 * (t % 5) : 0));
  const C = { rows: n, cols: d, data };
  const b = Float64Array.from({ length: n }, (_, i) => i);
  // z₀ = x₀ = 3 gives s₀ ≈ 0.8, so v₀ ≈ 80 with a = 100: e^v ≈ 1e35, the loss ≈ 1e69 (finite)
  const x = Float64Array.of(3, 0.3);
  const finite = new Problem(C, b, { unit: 'exp', scale: 100 });
  const e = ref.evaluate({ rows: n, cols: d, C: data, b, model: 'softmax-unit', unit: 'exp', scale: 100 }, x);
  assertClose(finite.loss(x), e.loss, 1e-9, 'exp v≈100 loss');
  assertClose(finite.gradient(x), e.gradient, 1e-9, 'exp v≈100 gradient', 1e-300);
  assertClose(finite.hessian(x), flat(e.hessian!), 1e-9, 'exp v≈100 Hessian');
  assert.ok(e.loss > 1e60 && Number.isFinite(e.loss));

  // z₀ = 40 dominates: s₀ = 1 and v₀ = a, past exp's range (or, at 720, past the squared residual's)
  const far = Float64Array.of(40, 0.3);
  for (const a of [720, 1000, 1e6]) {
    const p = new Problem(C, b, { unit: 'exp', scale: a });
    const calls: Record<string, () => unknown> = {
      loss: () => p.loss(far),
      evaluate: () => p.evaluate(far),
      gradient: () => p.gradient(far),
      hessian: () => p.hessian(far),
      hessianVector: () => p.hessianVector(far, Float64Array.of(1, 1)),
      pieces: () => p.pieces(far),
    };
    for (const [name, call] of Object.entries(calls)) {
      assert.throws(call, (err: unknown) => {
        assert.ok(err instanceof NumericalError, `${name} at a = ${a}: expected NumericalError, got ${String(err)}`);
        assert.match((err as Error).message, /overflow/, `${name}: the message says what happened`);
        assert.doesNotMatch((err as Error).message, /NaN/);
        return true;
      });
    }
  }
});

test('rows of C with no entries are legal, including a matrix with no entries at all', () => {
  const n = 5;
  const d = 3;
  const b = Float64Array.of(0.1, 0.3, 0.2, 0.2, 0.2);
  const x = Float64Array.of(0.5, -1, 2);
  // rows 0 and 4 empty
  const csr: CsrMatrix = {
    rows: n, cols: d,
    indptr: Int32Array.of(0, 0, 2, 3, 5, 5),
    indices: Int32Array.of(0, 2, 1, 0, 1),
    values: Float64Array.of(1, -2, 0.5, 3, 1),
  };
  const p = new Problem(csr, b, { scale: 2, w: 0.3 });
  const pieces = p.pieces(x);
  assert.equal(pieces.z[0], 0);
  assert.equal(pieces.z[4], 0);
  const e = ref.evaluate({ rows: n, cols: d, C: toDense(csr).data, b, model: 'softmax-unit', scale: 2, w: 0.3 }, x);
  assertClose(p.loss(x), e.loss, 1e-12, 'empty rows: loss');
  assertClose(p.gradient(x), e.gradient, 1e-12, 'empty rows: gradient');
  assertClose(p.hessian(x), flat(e.hessian!), 1e-12, 'empty rows: Hessian');

  // every row empty: z = 0, s uniform, ∇L = λx
  const none: CsrMatrix = { rows: n, cols: d, indptr: new Int32Array(n + 1), indices: new Int32Array(0), values: new Float64Array(0) };
  const q = new Problem(none, b, { scale: 1, ridge: 0.5 });
  const expected = b.reduce((sum, bi) => sum + 0.5 * (1 / n - bi) ** 2, 0) + 0.25 * (0.25 + 1 + 4);
  assertClose(q.loss(x), expected, 1e-14, 'no entries: loss');
  assertClose(q.gradient(x), Float64Array.from(x, (xj) => 0.5 * xj), 1e-14, 'no entries: gradient = λx');
  assertClose(q.hessian(x), [0.5, 0, 0, 0, 0.5, 0, 0, 0, 0.5], 1e-14, 'no entries: Hessian = λI');
});
