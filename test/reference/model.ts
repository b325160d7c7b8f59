/**
 * An independent, deliberately naive implementation of docs/math.md §§1–3 for small dense
 * problems, used only by the tests to check the native core.
 *
 * It is written straight from the formulas and shares nothing with the native code: the softmax
 * Jacobian J = diag(s) − s sᵀ is formed as a matrix, ∇ℓ(z) = J g is a matrix–vector product, and
 * ∇²ℓ(z) = J diag(e) J + Σ_k g_k ∇²s_k builds every ∇²s_k entry by entry from
 *
 *     ∂²s_k / ∂z_i ∂z_j = s_k (δ_ki − s_i)(δ_kj − s_j) − s_k s_i (δ_ij − s_j)
 *
 * instead of using the closed diagonal-plus-rank-2 form. Costs are O(n³): keep n small (or ask for
 * no Hessian). erf is implemented here too (Node.js has none).
 */

export type RefModel = 'softmax-unit' | 'softmax' | 'relu-softmax';
export type RefUnit = 'identity' | 'relu' | 'sigmoid' | 'tanh' | 'softplus' | 'exp' | 'gelu';

/** One value for all rows, or one per row. */
export type RefParameter = number | ArrayLike<number>;

export interface RefProblem {
  rows: number;
  cols: number;
  /** C, dense row-major, rows × cols. */
  C: ArrayLike<number>;
  b: ArrayLike<number>;
  model: RefModel;
  unit?: RefUnit;
  scale?: RefParameter;
  bias?: RefParameter;
  w?: RefParameter;
  ridge?: number;
}

function at(p: RefParameter | undefined, i: number, fallback: number): number {
  if (p === undefined) return fallback;
  if (typeof p === 'number') return p;
  return p.length === 1 ? p[0] : p[i];
}

// ---------------------------------------------------------------------------------------------
// erf / erfc

const TWO_OVER_SQRT_PI = 1.1283791670955125739;
const ONE_OVER_SQRT_PI = 0.56418958354775628695;

/** erf(x) for |x| ≤ 2 from the all-positive series erf(x) = 2/√π e^{−x²} Σ 2ⁿ x^{2n+1} / (2n+1)!!. */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (Math.abs(term) <= 1e-18 * Math.abs(sum)) break;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
}

/** erfc(x) for x ≥ 1.5 from the continued fraction e^{−x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated backwards. */
function erfcContinuedFraction(x: number): number {
  let f = x;
  for (let k = 600; k >= 1; k--) f = x + k / 2 / f;
  return (ONE_OVER_SQRT_PI * Math.exp(-x * x)) / f;
}

const SERIES_LIMIT = 1.5;

export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax <= SERIES_LIMIT) return erfSeries(x);
  const value = 1 - erfcContinuedFraction(ax);
  return x < 0 ? -value : value;
}

export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x > SERIES_LIMIT) return erfcContinuedFraction(x);
  if (x < -SERIES_LIMIT) return 2 - erfcContinuedFraction(-x);
  return 1 - erfSeries(x);
}

// ---------------------------------------------------------------------------------------------
// The units: [φ(v), φ′(v), φ″(v)]

export function unit(name: RefUnit, v: number): [number, number, number] {
  switch (name) {
    case 'identity':
      return [v, 1, 0];
    case 'relu':
      return v > 0 ? [v, 1, 0] : [0, 0, 0];
    case 'sigmoid': {
      // σ(v) and σ(−v) = 1 − σ(v), each from a non-overflowing exponential.
      const sig = (u: number) => (u >= 0 ? 1 / (1 + Math.exp(-u)) : Math.exp(u) / (1 + Math.exp(u)));
      const s = sig(v);
      const d1 = s * sig(-v);
      // σ″ = σ′ (1 − 2σ) = −σ′ tanh(v/2)
      return [s, d1, -d1 * Math.tanh(v / 2)];
    }
    case 'tanh': {
      const c = Math.cosh(v); // Infinity past |v| ≈ 710: then 1/c² = 0, as it should
      const sech2 = 1 / (c * c);
      return [Math.tanh(v), sech2, -2 * Math.tanh(v) * sech2];
    }
    case 'softplus': {
      // log(1 + eᵛ) = max(v, 0) + log(1 + e^{−|v|}); φ′ = σ(v); φ″ = σ(v) σ(−v)
      const value = Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
      const sp = v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));
      const sm = v >= 0 ? Math.exp(-v) / (1 + Math.exp(-v)) : 1 / (1 + Math.exp(v));
      return [value, sp, sp * sm];
    }
    case 'exp': {
      const e = Math.exp(v);
      return [e, e, e];
    }
    case 'gelu': {
      // φ(v) = v Φ(v), Φ(v) = ½ erfc(−v/√2), ϕ = Φ′ = e^{−v²/2}/√(2π), ϕ′ = −v ϕ
      const cdf = 0.5 * erfc(-v / Math.SQRT2);
      const pdf = Math.exp(-0.5 * v * v) / Math.sqrt(2 * Math.PI);
      // φ′ = Φ + v ϕ; φ″ = ϕ + ϕ + v ϕ′ = 2ϕ − v² ϕ
      return [v * cdf, cdf + v * pdf, 2 * pdf - v * v * pdf];
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The softmax and its derivatives, as explicit matrices

export function softmax(z: ArrayLike<number>): number[] {
  let m = -Infinity;
  for (let i = 0; i < z.length; i++) m = Math.max(m, z[i]);
  const e = Array.from(z, (zi) => Math.exp(zi - m));
  const total = e.reduce((a, b) => a + b, 0);
  return e.map((ei) => ei / total);
}

/** J = ∂s/∂z = diag(s) − s sᵀ. */
export function softmaxJacobian(s: number[]): number[][] {
  const n = s.length;
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? s[i] : 0) - s[i] * s[j]));
}

/** ∇²s_k: the matrix ∂²s_k / ∂z_i ∂z_j, entry by entry. */
export function softmaxSecond(s: number[], k: number): number[][] {
  const n = s.length;
  const kd = (a: number, b: number) => (a === b ? 1 : 0);
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => s[k] * (kd(k, i) - s[i]) * (kd(k, j) - s[j]) - s[k] * s[i] * (kd(i, j) - s[j])),
  );
}

export interface RowSpace {
  /** ℓ(z) (no regulariser) */
  loss: number;
  /** ∇ℓ(z) */
  grad: number[];
  /** ∇²ℓ(z), n × n (omitted when not asked for) */
  hess?: number[][];
  /** s = softmax of the first layer's input (z, or ReLU(z) for relu-softmax), unmasked */
  s: number[];
  /** the second layer's output φ(a∘s + c) */
  y: number[];
}

/** ℓ(z), ∇ℓ(z) and optionally ∇²ℓ(z) for the problem's model (docs/math.md §§2–3). */
export function rowSpace(p: RefProblem, z: ArrayLike<number>, withHessian = true): RowSpace {
  const n = z.length;
  const model = p.model;
  const unitName: RefUnit = model === 'softmax' ? 'identity' : (p.unit ?? 'identity');
  const scale = model === 'softmax' ? 1 : p.scale;
  const bias = model === 'softmax' ? 0 : p.bias;
  const t = model === 'relu-softmax' ? Array.from(z, (zi) => Math.max(zi, 0)) : Array.from(z);
  const mask = Array.from(z, (zi) => (model === 'relu-softmax' ? (zi > 0 ? 1 : 0) : 1));

  const s = softmax(t);
  const y: number[] = [];
  const g: number[] = []; // ∂ℓ/∂s
  const e: number[] = []; // ∂²ℓ/∂s_i² (ℓ is separable in s, so this is the whole Hessian in s)
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const a = at(scale, i, 1);
    const c = at(bias, i, 0);
    const [phi, d1, d2] = unit(unitName, a * s[i] + c);
    const r = phi - p.b[i];
    y.push(phi);
    loss += 0.5 * r * r;
    // ℓ_i(s_i) = ½(φ(a s_i + c) − b_i)²: first derivative a φ′ r, second a²(φ′² + r φ″)
    g.push(a * d1 * r);
    e.push(a * a * (d1 * d1 + r * d2));
  }

  const J = softmaxJacobian(s);
  // ∇ℓ(t) = Jᵀ g (J is symmetric; use the transpose anyway, as the chain rule says)
  const gradT = Array.from({ length: n }, (_, i) => {
    let sum = 0;
    for (let k = 0; k < n; k++) sum += J[k][i] * g[k];
    return sum;
  });
  const grad = gradT.map((gi, i) => mask[i] * gi);

  let hess: number[][] | undefined;
  if (withHessian) {
    // Jᵀ diag(e) J
    const H = Array.from({ length: n }, (_, i) =>
      Array.from({ length: n }, (_, j) => {
        let sum = 0;
        for (let k = 0; k < n; k++) sum += J[k][i] * e[k] * J[k][j];
        return sum;
      }),
    );
    // + Σ_k g_k ∇²s_k
    for (let k = 0; k < n; k++) {
      if (g[k] === 0) continue;
      const Hk = softmaxSecond(s, k);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) H[i][j] += g[k] * Hk[i][j];
    }
    // P ∇²ℓ(t) P (P = I except for relu-softmax)
    hess = H.map((row, i) => row.map((h, j) => mask[i] * h * mask[j]));
  }
  return { loss, grad, hess, s, y };
}

export interface RefEvaluation {
  z: number[];
  /** L(x) */
  loss: number;
  /** ∇L(x) */
  gradient: number[];
  /** ∇²L(x), d × d */
  hessian?: number[][];
  /** ∇ℓ(z) + w²∘z */
  gradZ: number[];
  /** ∇²ℓ(z) (without the w² diagonal), n × n */
  hessZ?: number[][];
  row: RowSpace;
}

/** L(x) = ℓ(Cx) + ½‖W C x‖² + ½ λ‖x‖², its gradient and (optionally) its Hessian (docs/math.md §1). */
export function evaluate(p: RefProblem, x: ArrayLike<number>, withHessian = true): RefEvaluation {
  const n = p.rows;
  const d = p.cols;
  const C = (i: number, j: number) => p.C[i * d + j];
  const lambda = p.ridge ?? 0;
  const z = Array.from({ length: n }, (_, i) => {
    let sum = 0;
    for (let j = 0; j < d; j++) sum += C(i, j) * x[j];
    return sum;
  });
  const row = rowSpace(p, z, withHessian);
  const w2 = Array.from({ length: n }, (_, i) => at(p.w, i, 0) ** 2);

  let loss = row.loss;
  for (let i = 0; i < n; i++) loss += 0.5 * w2[i] * z[i] * z[i];
  for (let j = 0; j < d; j++) loss += 0.5 * lambda * x[j] * x[j];

  const gradZ = row.grad.map((gi, i) => gi + w2[i] * z[i]);
  const gradient = Array.from({ length: d }, (_, j) => {
    let sum = lambda * x[j];
    for (let i = 0; i < n; i++) sum += C(i, j) * gradZ[i];
    return sum;
  });

  let hessian: number[][] | undefined;
  if (row.hess) {
    const Hz = row.hess;
    // (∇²ℓ + diag(w²)) C, n × d
    const HC = Array.from({ length: n }, (_, i) =>
      Array.from({ length: d }, (_, j) => {
        let sum = w2[i] * C(i, j);
        for (let k = 0; k < n; k++) sum += Hz[i][k] * C(k, j);
        return sum;
      }),
    );
    hessian = Array.from({ length: d }, (_, j) =>
      Array.from({ length: d }, (_, l) => {
        let sum = j === l ? lambda : 0;
        for (let i = 0; i < n; i++) sum += C(i, j) * HC[i][l];
        return sum;
      }),
    );
  }
  return { z, loss, gradient, hessian, gradZ, hessZ: row.hess, row };
}

/** The model's prediction φ(a∘softmax(first-layer input) + c). */
export function predict(p: RefProblem, x: ArrayLike<number>): number[] {
  const d = p.cols;
  const z = Array.from({ length: p.rows }, (_, i) => {
    let sum = 0;
    for (let j = 0; j < d; j++) sum += p.C[i * d + j] * x[j];
    return sum;
  });
  return rowSpace(p, z, false).y;
}
