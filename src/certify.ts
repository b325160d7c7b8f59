/**
 * A certificate: the theory's assumptions and predictions (MATH.md sections 3–6) measured on the
 * data, at one point (default: the solution of a solve).
 *
 * - **Definiteness**: the spectrum of ∇²L(x) (LAPACK `dsyevd`): positive definite, singular to
 *   rounding, or indefinite.
 * - **Hessian Lipschitz constant**: max ‖∇²L(y) − ∇²L(y′)‖₂ / ‖y − y′‖ over seeded random points on
 *   the sphere of radius r around x (pairs (x, y_k) and (y_k, y_{k+1})). A lower bound on the constant
 *   over that ball, an estimate of it.
 * - **Sketch**: the spectral error ε of the chosen sketch at x, measured against the exact
 *   M = Cᵀ diag(D) C (or Cᵀ|D|C when D has negative entries) over several seeds.
 * - **Rate**: the observed linear rate of the last iterations of approximate Newton against the
 *   rate MATH.md section 4 predicts from ε and κ = λ_max(∇²L⁻¹ Cᵀ|D|C): a (1 ± ε) sketch of M is a
 *   (1 ± εκ) sketch of ∇²L, whose step contracts the error by at most εκ/(1 − εκ); and, sharper,
 *   the contraction max|1 − 1/μ| over the eigenvalues μ of ∇²L⁻¹H̃ for sketches H̃ drawn at x.
 * - **Standing assumptions**: ‖x‖, ‖C‖₂, σ_min(C) (full column rank), ‖b‖, the weight w that makes
 *   D = δ + w² ≥ 0 (MATH.md section 6), a weight sufficient for positive definiteness at x, and the
 *   good-start condition ‖x₀ − x*‖·M ≤ 0.1·λ_min of the (l, M)-good framework the paper's proof uses.
 *
 * Costs: one d × d Hessian and eigen-decomposition per sampled point, O(n d² + d³) each, so
 * certificates are for d up to a few thousand.
 */
import { InputError, NumericalError } from './errors';
import { native, NativeAddon, NativeProblem } from './native';
import type { Problem } from './problem';
import { SKETCHES, SketchName, solve, SolveResult, TraceRow } from './solve';
import { invalid, requireChoice, requireInteger, requireNumber, requireVector } from './validate';

/** The native helpers certificates use (native/binding/certify_binding.cc). */
interface CertifyAddon extends NativeAddon {
  symmetricEigenvalues(m: Float64Array, d: number): Float64Array;
  generalizedEigenvalues(a: Float64Array, b: Float64Array, d: number): Float64Array;
  weightedGram(problem: NativeProblem, weights: Float64Array): Float64Array;
}

function addon(): CertifyAddon {
  return native() as CertifyAddon;
}

export interface CertifyOptions {
  /** The point to certify; default: the solution of approximate Newton with `sketch`. */
  x?: Float64Array | number[];
  /** A known minimiser for ‖x_t − x*‖; default: the solution of exact Newton (MATH.md section 6). */
  xStar?: Float64Array | number[];
  /** The sketch to measure and to solve with (default `leverage`, the paper's). */
  sketch?: SketchName;
  /** Rows k of the sketch; 0 (default) derives k from eps0 as the solver does. */
  sketchRows?: number;
  /** Target spectral error ε₀ when sketchRows is 0 (default 0.5). */
  eps0?: number;
  /** Seeds the solves' start, the sketches and the Lipschitz sample (default 0). */
  seed?: number;
  /** How many sketch draws ε is measured over (default 5). */
  sketchDraws?: number;
  /** Points sampled around x for the Lipschitz estimate (default 8: 15 pairs). */
  samples?: number;
  /** Radius of the sphere they are drawn on (default 0.1·max(1, ‖x‖)). */
  radius?: number;
  /** Run the solves (default true; needed when x is not given): the rate and the runs come from them. */
  solve?: boolean;
  /** Further sketches to solve with, one run each, for comparison (and one line each in a plot). */
  compare?: SketchName[];
  /** Start point of the solves (default: the solver's seeded start). */
  x0?: Float64Array | number[];
  /** Relative tolerance of the solves (default 1e-10). */
  tol?: number;
  /** Iterations at most per solve (default 100). */
  maxIter?: number;
  /** Trailing full-step iterations the observed rate is averaged over (default 4). */
  rateWindow?: number;
}

export type Definiteness = 'positiveDefinite' | 'singular' | 'indefinite';

/** One solve made by certify: `label` is the sketch (or `newton` for the exact reference). */
export interface CertifyRun {
  label: string;
  method: 'approx-newton' | 'newton';
  sketch: SketchName;
  converged: boolean;
  stopReason: SolveResult['stopReason'];
  iterations: number;
  trace: TraceRow[];
}

export interface Certificate {
  point: {
    /** `given` (options.x) or `solution` (of the approx-newton run). */
    source: 'given' | 'solution';
    x: Float64Array;
    loss: number;
    gradNorm: number;
    /** ‖x − x*‖ to the reference (options.xStar or exact Newton's solution), when there is one. */
    distanceToReference: number | null;
  };
  hessian: {
    minEigenvalue: number;
    maxEigenvalue: number;
    /** λ_max / λ_min when positive definite, else null. */
    condition: number | null;
    definiteness: Definiteness;
    /** |λ| below this counts as zero: 10·d·ε_machine·max|λ|. */
    tolerance: number;
    /** Eigenvalues below −tolerance. */
    negativeEigenvalues: number;
  };
  lipschitz: {
    /** The largest ratio sampled: max ‖∇²L(y) − ∇²L(y′)‖₂ / ‖y − y′‖. Null if no pair could be evaluated. */
    estimate: number | null;
    median: number | null;
    pairs: number;
    radius: number;
    /** Sample points where the model could not be evaluated (an overflow), skipped. */
    skipped: number;
  };
  sketch: {
    requested: SketchName;
    /** The sketch actually drawn (`auto` resolved). */
    kind: string;
    rows: number;
    draws: number;
    /** The largest spectral error over the draws: max(1 − μ_min, μ_max − 1) of M̃ against M; null when not measurable. */
    epsilon: number | null;
    epsilonMean: number | null;
    /** `signed`: against M = Cᵀ diag(D) C (D ≥ 0); `absolute`: against Cᵀ|D|C (D has negative entries). */
    relativeTo: 'signed' | 'absolute';
    negativePart: string;
    /** Why epsilon is null. */
    note: string;
  };
  rate: {
    /** The observed linear rate: geometric mean of ‖x_t − x*‖ / ‖x_{t−1} − x*‖ over the window; null when not measurable. */
    observed: number | null;
    /** The same from ‖∇L‖ ratios. */
    observedFromGradient: number | null;
    /** The iterations [first, last] whose ratios were averaged. */
    window: [number, number] | null;
    epsilon: number | null;
    /** κ = λ_max(∇²L⁻¹ Cᵀ|D|C); null when ∇²L is not positive definite. */
    kappa: number | null;
    /** εκ: the relative error of the sketched Hessian H̃ against ∇²L. */
    epsilonKappa: number | null;
    /** εκ / (1 − εκ): the contraction a (1 ± εκ) sketch guarantees; null when εκ ≥ 1. */
    bound: number | null;
    /** Mean over the draws of max|1 − 1/μ|, μ the eigenvalues of ∇²L⁻¹H̃ at x: the linearised contraction. */
    linearised: number | null;
    /**
     * `consistent`: observed ≤ 1.1·max(bound, linearised) over those below 1; `slower`: above it; `noPrediction`:
     * observed but no contraction predicted (∇²L not positive definite at the solution, εκ ≥ 1 and drawn sketches that do not contract,
     * or an exact sketch, whose iteration is exact Newton and converges quadratically);
     * `unmeasured`: no observed rate (no solve, or no full-step iterations above the rounding floor).
     */
    verdict: 'consistent' | 'slower' | 'noPrediction' | 'unmeasured';
    note: string;
    /** Exact Newton: max e_t / e_{t−1}² over its full steps, against M / (2 λ_min) (Newton's local quadratic bound; null unless the point is the solution). */
    quadratic: { observed: number | null; predicted: number | null };
  };
  assumptions: {
    normX: number;
    normC: number;
    sigmaMinC: number;
    fullColumnRank: boolean;
    normB: number;
    /** max(‖C‖₂, ‖x‖): the norm bound R the analysis assumes for both. */
    R: number;
    ridge: number;
    /** The given weights' range. */
    w: { min: number; max: number };
    /** min δ at x: D = δ + w² has a negative entry wherever w_i² < −δ_i. */
    minDelta: number;
    /** √max(0, −min δ): the uniform weight that makes D ≥ 0 at x (MATH.md section 6). */
    weightForNonnegativeD: number;
    /** Rows where D = δ + w² < 0 with the given weights. */
    negativeRows: number;
    /** λ_min(∇²ℓ(z)) at x: the smallest eigenvalue of the n × n diag(δ) + U S Uᵀ. */
    minCurvature: number;
    /** √max(0, −λ_min(∇²ℓ)): the smallest uniform w with ∇²ℓ + w²I ⪰ 0 at x; any w above it makes ∇²L positive definite when C has full column rank. */
    weightForPsdCurvature: number;
    /** ‖x₀ − x*‖ of the approx-newton run and whether ‖x₀ − x*‖·M ≤ 0.1·λ_min (the good-start condition); null unless the point is the solution. */
    goodStart: { distance: number; holds: boolean } | null;
    /** 2λ_min / (3M): Newton converges quadratically from inside this ball around x* (Nesterov, Thm 1.2.5); null unless the point is the solution. */
    localRadius: number | null;
  };
  runs: CertifyRun[];
  seconds: number;
}

const KNOWN_OPTIONS = new Set([
  'x', 'xStar', 'sketch', 'sketchRows', 'eps0', 'seed', 'sketchDraws', 'samples', 'radius', 'solve', 'compare', 'x0', 'tol', 'maxIter', 'rateWindow',
]);

function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < v.length; k++) s += v[k] * v[k];
  return Math.sqrt(s);
}

function distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += (a[k] - b[k]) ** 2;
  return Math.sqrt(s);
}

/** mulberry32: a small seeded generator, enough to draw sample directions reproducibly. */
function random(seed: number): () => number {
  let state = (seed ^ 0x9e3779b9) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A direction uniform on the unit sphere (normalised Gaussian, Box–Muller). */
function direction(d: number, next: () => number): Float64Array {
  const u = new Float64Array(d);
  for (let j = 0; j < d; j += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - next()));
    const t = 2 * Math.PI * next();
    u[j] = r * Math.cos(t);
    if (j + 1 < d) u[j + 1] = r * Math.sin(t);
  }
  const n = norm(u);
  for (let j = 0; j < d; j++) u[j] /= n;
  return u;
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** ‖A − B‖₂ of two symmetric d × d matrices: the largest |eigenvalue| of their difference. */
function spectralDistance(a: Float64Array, b: Float64Array, d: number): number {
  const diff = new Float64Array(d * d);
  for (let p = 0; p < d * d; p++) diff[p] = a[p] - b[p];
  const eig = addon().symmetricEigenvalues(diff, d);
  return Math.max(Math.abs(eig[0]), Math.abs(eig[d - 1]));
}

/**
 * The geometric mean of the last `window` ratios e_t / e_{t−1} of trace rows taken with a full step
 * (the local regime) while both errors are above the rounding floor. Returns the rate and the
 * iterations it spans.
 */
export function observedRate(
  trace: readonly TraceRow[],
  value: (row: TraceRow) => number | null,
  floor: number,
  window: number,
): { rate: number; first: number; last: number } | null {
  const ratios: { t: number; r: number }[] = [];
  for (let t = 1; t < trace.length; t++) {
    const before = value(trace[t - 1]);
    const after = value(trace[t]);
    if (before === null || after === null || !(before > floor) || !(after > floor) || trace[t].step !== 1) continue;
    ratios.push({ t: trace[t].iteration, r: after / before });
  }
  const used = ratios.slice(-window);
  if (used.length === 0) return null;
  const rate = Math.exp(used.reduce((s, { r }) => s + Math.log(r), 0) / used.length);
  return { rate, first: used[0].t, last: used[used.length - 1].t };
}

/** The number of negative eigenvalues of the symmetric 2 × 2 matrix [[a, b], [b, c]]. */
function negatives2(a: number, b: number, c: number): number {
  const det = a * c - b * b;
  if (det < 0) return 1;
  if (det > 0) return a + c < 0 ? 2 : 0;
  return a + c < 0 ? 1 : 0;
}

/**
 * The smallest eigenvalue of the n × n matrix diag(δ) + U S Uᵀ (U = [u0, u1], S symmetric 2 × 2
 * and invertible) in O(n) per step, without forming it: bisection on λ, counting the eigenvalues
 * below λ by Haynsworth's inertia additivity on [[Δ − λI, U], [Uᵀ, −S⁻¹]]:
 *
 *     #neg(Δ − λI + U S Uᵀ) = #neg(Δ − λI) + #neg(−S⁻¹ − Uᵀ(Δ − λI)⁻¹U) − #neg(−S⁻¹).
 *
 * Weyl's inequalities bracket it: min δ + λ_min(U S Uᵀ) ≤ λ_min ≤ min δ + λ_max(U S Uᵀ).
 */
export function smallestEigenvalueDiagonalPlusRank2(
  delta: ArrayLike<number>, u0: ArrayLike<number>, u1: ArrayLike<number>, S: ArrayLike<number>,
): number {
  const n = delta.length;
  let minDelta = Infinity;
  let g00 = 0, g01 = 0, g11 = 0;
  for (let i = 0; i < n; i++) {
    minDelta = Math.min(minDelta, delta[i]);
    g00 += u0[i] * u0[i];
    g01 += u0[i] * u1[i];
    g11 += u1[i] * u1[i];
  }
  const s00 = S[0], s01 = (S[1] + S[2]) / 2, s11 = S[3];
  // The non-zero eigenvalues of U S Uᵀ are those of S G, G = UᵀU (similar to the symmetric G^½ S G^½).
  const tr = s00 * g00 + 2 * s01 * g01 + s11 * g11;
  const det = (s00 * s11 - s01 * s01) * (g00 * g11 - g01 * g01);
  const root = Math.sqrt(Math.max(0, tr * tr - 4 * det));
  const rank2Min = Math.min(0, (tr - root) / 2);
  const rank2Max = Math.max(0, (tr + root) / 2);
  const detS = s00 * s11 - s01 * s01;
  if (detS === 0 || !Number.isFinite(detS)) return minDelta + rank2Min; // no inverse: Weyl's bound
  // −S⁻¹ = −adj(S)/det(S)
  const m00 = -s11 / detS, m01 = s01 / detS, m11 = -s00 / detS;
  const negativesOfMinusSInverse = negatives2(m00, m01, m11);
  const below = (lambda: number): number => {
    let count = 0, h00 = 0, h01 = 0, h11 = 0;
    for (let i = 0; i < n; i++) {
      const gap = delta[i] - lambda;
      if (gap < 0) count++;
      const inv = 1 / gap;
      h00 += u0[i] * u0[i] * inv;
      h01 += u0[i] * u1[i] * inv;
      h11 += u1[i] * u1[i] * inv;
    }
    return count + negatives2(m00 - h00, m01 - h01, m11 - h11) - negativesOfMinusSInverse;
  };
  const scale = Math.max(Math.abs(minDelta), rank2Max - rank2Min, Number.MIN_VALUE);
  let lo = minDelta + rank2Min - 1e-9 * scale;
  let hi = minDelta + rank2Max + 1e-9 * scale;
  for (let step = 0; step < 200 && hi - lo > 1e-13 * scale; step++) {
    const mid = (lo + hi) / 2;
    if (below(mid) >= 1) hi = mid;
    else lo = mid;
  }
  const lambda = (lo + hi) / 2;
  return Math.abs(lambda) <= 1e-11 * scale ? 0 : lambda; // zero to rounding (noise-free data: J 1 = 0)
}

function checkOptions(problem: Problem, options: CertifyOptions) {
  if (typeof options !== 'object' || options === null) throw invalid('options', 'an object', options);
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) throw new InputError(`options.${key}`, `unknown option; known options are ${[...KNOWN_OPTIONS].join(', ')}`);
  }
  const d = problem.cols;
  const o = options;
  const compare = o.compare ?? [];
  if (!Array.isArray(compare)) throw invalid('compare', 'an array of sketch names', compare);
  const runSolves = o.solve ?? true;
  if (typeof runSolves !== 'boolean') throw invalid('solve', 'true or false', runSolves);
  if (!runSolves && o.x === undefined) throw new InputError('solve', 'without a solve there is no solution to certify: give x');
  return {
    x: o.x === undefined ? undefined : requireVector('x', o.x, d),
    xStar: o.xStar === undefined ? undefined : requireVector('xStar', o.xStar, d),
    sketch: requireChoice('sketch', o.sketch ?? 'leverage', SKETCHES),
    sketchRows: requireInteger('sketchRows', o.sketchRows ?? 0, 0, 2 ** 31 - 1),
    eps0: requireNumber('eps0', o.eps0 ?? 0.5, { min: 0, max: 0.999, exclusiveMin: true }),
    seed: requireInteger('seed', o.seed ?? 0, 0),
    draws: requireInteger('sketchDraws', o.sketchDraws ?? 5, 1, 1000),
    samples: requireInteger('samples', o.samples ?? 8, 1, 1000),
    radius: o.radius === undefined ? undefined : requireNumber('radius', o.radius, { min: 0, exclusiveMin: true }),
    solve: runSolves,
    compare: compare.map((s, k) => requireChoice(`compare[${k}]`, s, SKETCHES)),
    x0: o.x0 === undefined ? undefined : requireVector('x0', o.x0, d),
    tol: requireNumber('tol', o.tol ?? 1e-10, { min: 0 }),
    maxIter: requireInteger('maxIter', o.maxIter ?? 100, 1, 1_000_000),
    window: requireInteger('rateWindow', o.rateWindow ?? 4, 1, 1000),
  };
}

function toRun(label: string, method: CertifyRun['method'], sketch: SketchName, r: SolveResult): CertifyRun {
  return { label, method, sketch, converged: r.converged, stopReason: r.stopReason, iterations: r.iterations, trace: r.trace };
}

interface HessianSpectrum {
  H: Float64Array;
  min: number;
  max: number;
  tolerance: number;
  definiteness: Definiteness;
  negatives: number;
}

/** ∇²L(x) and its spectrum; |λ| ≤ 10·d·ε_machine·max|λ| counts as zero. */
function hessianSpectrum(problem: Problem, x: Float64Array): HessianSpectrum {
  const d = problem.cols;
  const H = problem.hessian(x);
  const eig = addon().symmetricEigenvalues(H, d);
  const min = eig[0];
  const max = eig[d - 1];
  const tolerance = 10 * d * Number.EPSILON * Math.max(Math.abs(min), Math.abs(max));
  const definiteness: Definiteness = min > tolerance ? 'positiveDefinite' : min >= -tolerance ? 'singular' : 'indefinite';
  return { H, min, max, tolerance, definiteness, negatives: eig.filter((v) => v < -tolerance).length };
}

interface SketchMeasure {
  kind: string;
  negativePart: string;
  relativeTo: 'signed' | 'absolute';
  /** One per draw, or empty with a note when not measurable. */
  epsilons: number[];
  /** max|1 − 1/μ| per draw, μ the eigenvalues of ∇²L⁻¹H̃ (only when ∇²L is positive definite). */
  contractions: number[];
  kappa: number | null;
  note: string;
}

/**
 * The sketch at x over `draws` seeds: its spectral error against M = Cᵀ diag(D) C (against Cᵀ|D|C
 * when D has negative entries), the contraction of the step it gives, and κ = λ_max(∇²L⁻¹ Cᵀ|D|C).
 */
function measureSketch(
  problem: Problem, x: Float64Array, spectrum: HessianSpectrum, D: Float64Array,
  o: { sketch: SketchName; rows: number; seed: number; draws: number },
): SketchMeasure {
  const a = addon();
  const d = problem.cols;
  const relativeTo = D.some((v) => v < 0) ? 'absolute' : 'signed';
  const out: SketchMeasure = { kind: o.sketch, negativePart: 'none', relativeTo, epsilons: [], contractions: [], kappa: null, note: '' };
  const pd = spectrum.definiteness === 'positiveDefinite';
  const M = pd ? a.weightedGram(problem.handle, D) : undefined;
  for (let s = 0; s < o.draws; s++) {
    const options = { kind: o.sketch, rows: o.rows, seed: o.seed + s };
    try {
      const measured = a.sketchSpectrum(problem.handle, x, { ...options, relativeTo });
      out.kind = measured.report.kind;
      out.negativePart = measured.report.negativePart;
      out.epsilons.push(Math.max(1 - measured.minEig, measured.maxEig - 1, 0));
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      out.epsilons = [];
      out.note = `not measurable: ${error.message.replace(/^x: /, '')}`;
      break;
    }
    if (M) {
      // H̃ − ∇²L = M̃ − M (MATH.md section 4): the sketched Hessian of this draw, against the exact one.
      const approx = a.sketchGram(problem.handle, x, options).gram;
      const Htilde = spectrum.H.map((h, p) => h + approx[p] - M[p]);
      const mu = a.generalizedEigenvalues(Htilde, spectrum.H, d);
      out.contractions.push(mu[0] > 0 ? Math.max(Math.abs(1 - 1 / mu[0]), Math.abs(1 - 1 / mu[d - 1])) : Infinity);
    }
  }
  if (pd) {
    const k = a.generalizedEigenvalues(a.weightedGram(problem.handle, D.map(Math.abs)), spectrum.H, d);
    out.kappa = k[d - 1];
  }
  return out;
}

const mean = (v: number[]): number => v.reduce((s, x) => s + x, 0) / v.length;

/** Certifies `problem` at options.x, or at the solution of approximate Newton with options.sketch. See the module comment. */
export async function certify(problem: Problem, options: CertifyOptions = {}): Promise<Certificate> {
  const started = performance.now();
  const o = checkOptions(problem, options);
  const a = addon();
  const d = problem.cols;
  const n = problem.rows;
  const sketchRows = o.sketchRows > 0 ? o.sketchRows : Math.min(n, a.sketchRowsForEpsilon(n, d, o.eps0));

  // 1. The solves: exact Newton (the reference x* unless one is given), then the chosen sketch and the others.
  const runs: CertifyRun[] = [];
  let reference = o.xStar;
  let solution: SolveResult | undefined;
  if (o.solve) {
    const common = { seed: o.seed, x0: o.x0, tol: o.tol, maxIter: o.maxIter };
    let exact = await solve(problem, { ...common, method: 'newton', xStar: o.xStar });
    if (!reference && exact.converged) {
      reference = exact.x;
      // The same (deterministic) run again, now recording ‖x_t − x*‖ against its own solution.
      exact = await solve(problem, { ...common, method: 'newton', xStar: reference });
    }
    runs.push(toRun('newton', 'newton', 'none', exact));
    for (const sketch of [o.sketch, ...o.compare.filter((s) => s !== o.sketch)]) {
      const method = sketch === 'none' ? 'newton' : 'approx-newton';
      const r = await solve(problem, { ...common, method, sketch, sketchRows, xStar: reference });
      runs.push(toRun(sketch, method, sketch, r));
      if (sketch === o.sketch) solution = r;
    }
  }
  const x = o.x ?? solution!.x;
  const { loss, gradient } = problem.evaluate(x);

  // 2. Definiteness at x.
  const spectrum = hessianSpectrum(problem, x);
  const { H, min: minEigenvalue, max: maxEigenvalue, definiteness } = spectrum;

  // 3. The Hessian's Lipschitz constant from seeded pairs near x.
  const radius = o.radius ?? 0.1 * Math.max(1, norm(x));
  const next = random(o.seed + 1);
  // Pairs (x, y_k) and (y_{k−1}, y_k): only the previous point's Hessian is kept (each is d × d).
  const ratios: number[] = [];
  let previous: { y: Float64Array; H: Float64Array } | undefined;
  let skipped = 0;
  for (let k = 0; k < o.samples; k++) {
    const u = direction(d, next);
    const y = x.map((v, j) => v + radius * u[j]);
    let Hy: Float64Array;
    try {
      Hy = problem.hessian(y);
    } catch (error) {
      if (!(error instanceof NumericalError)) throw error;
      skipped++;
      continue;
    }
    ratios.push(spectralDistance(Hy, H, d) / distance(y, x));
    if (previous) ratios.push(spectralDistance(Hy, previous.H, d) / distance(y, previous.y));
    previous = { y, H: Hy };
  }
  const lipschitzEstimate = ratios.length ? Math.max(...ratios) : null;

  // 4. The sketch at x; and, for the rate, at the solution the observed iterations approach.
  const pieces = problem.pieces(x);
  const sketchOptions = { sketch: o.sketch, rows: sketchRows, seed: o.seed, draws: o.draws };
  const atPoint = measureSketch(problem, x, spectrum, pieces.D, sketchOptions);
  let atSolution = atPoint;
  if (solution && o.x) {
    try {
      atSolution = measureSketch(problem, solution.x, hessianSpectrum(problem, solution.x), problem.pieces(solution.x).D, sketchOptions);
    } catch (error) {
      // A solve that ended where the model overflows (stopReason overflow) has no rate to predict.
      if (!(error instanceof NumericalError)) throw error;
      atSolution = { ...atPoint, epsilons: [], contractions: [], kappa: null, note: `not measurable at the solve's last point: ${error.message}` };
    }
  }
  const epsilon = atPoint.epsilons.length ? Math.max(...atPoint.epsilons) : null;
  const epsilonMean = atPoint.epsilons.length ? mean(atPoint.epsilons) : null;

  // 5. The predicted rates (at the solution) and the observed ones.
  const rateEpsilon = atSolution.epsilons.length ? Math.max(...atSolution.epsilons) : null;
  const kappa = atSolution.kappa;
  const epsilonKappa = rateEpsilon !== null && kappa !== null ? rateEpsilon * kappa : null;
  const bound = epsilonKappa !== null && epsilonKappa < 1 ? epsilonKappa / (1 - epsilonKappa) : null;
  // A draw whose H̃ is not positive definite has no contraction (the solver damps it): then no linearised rate.
  const contractionsFinite = atSolution.contractions.every(Number.isFinite);
  const linearised = atSolution.contractions.length && contractionsFinite ? mean(atSolution.contractions) : null;
  let observed: number | null = null;
  let observedFromGradient: number | null = null;
  let window: [number, number] | null = null;
  let rateNote = '';
  if (solution) {
    const trace = solution.trace;
    const scale = Math.max(1, reference ? norm(reference) : norm(x));
    const byDistance = observedRate(trace, (r) => r.distance, 1e-11 * scale, o.window);
    const byGradient = observedRate(trace, (r) => r.gradNorm, 1e-13 * Math.max(trace[0].gradNorm, Number.MIN_VALUE), o.window);
    if (byDistance) {
      observed = byDistance.rate;
      window = [byDistance.first, byDistance.last];
    }
    if (byGradient) observedFromGradient = byGradient.rate;
    if (!reference) rateNote = 'no reference solution (exact Newton did not converge and no xStar was given)';
    else if (!byDistance) rateNote = 'no full-step iterations above the rounding floor to measure';
  } else {
    rateNote = 'no solve was run';
  }
  // Only a contraction (< 1) is a prediction of convergence; a factor ≥ 1 promises nothing.
  const predicted = [bound, linearised].filter((v): v is number => v !== null && v < 1);
  let verdict: Certificate['rate']['verdict'];
  const exactSketch = atSolution.kind === 'none';
  if (observed === null) verdict = 'unmeasured';
  else if (predicted.length === 0 || exactSketch) verdict = 'noPrediction';
  else verdict = observed <= 1.1 * Math.max(...predicted) ? 'consistent' : 'slower';
  if (verdict === 'noPrediction' && exactSketch) {
    rateNote = 'the sketch is exact (none), so the iteration is exact Newton: its convergence is quadratic, not linear (see the exact Newton line)';
  } else if (verdict === 'noPrediction') {
    rateNote = kappa === null
      ? '∇²L is not positive definite at the solution: κ and the predicted rate are undefined'
      : rateEpsilon === null
        ? `the sketch's error could not be measured at the solution (${atSolution.note})`
        : `εκ = ${(rateEpsilon * kappa).toPrecision(3)}${rateEpsilon * kappa >= 1 ? ' ≥ 1' : ''} and the drawn sketches ${contractionsFinite ? `contract by ${linearised === null ? '-' : linearised.toPrecision(3)} ≥ 1` : 'include an indefinite H̃'}: the theory promises no contraction (more sketch rows would)`;
  }
  let quadraticObserved: number | null = null;
  const exactRun = runs.find((r) => r.label === 'newton');
  if (exactRun && reference) {
    // Only steps in the local regime (full steps) whose errors are both above the rounding floor.
    const floor = 1e-11 * Math.max(1, norm(reference));
    for (let t = 1; t < exactRun.trace.length; t++) {
      const before = exactRun.trace[t - 1].distance;
      const after = exactRun.trace[t].distance;
      if (before === null || after === null || !(after > floor) || !(before > floor) || exactRun.trace[t].step !== 1) continue;
      quadraticObserved = Math.max(quadraticObserved ?? 0, after / (before * before));
    }
  }
  // The local constants of x* (l = λ_min there, M near it) are known when the point is the solution.
  const atMinimiser = !o.x && definiteness === 'positiveDefinite' && lipschitzEstimate !== null && lipschitzEstimate > 0;
  const quadraticPredicted = atMinimiser ? lipschitzEstimate / (2 * minEigenvalue) : null;
  let negativeRows = 0;
  for (let i = 0; i < n; i++) if (pieces.D[i] < 0) negativeRows++;

  // 6. The standing assumptions.
  const gram = a.weightedGram(problem.handle, new Float64Array(n).fill(1));
  const gramEig = a.symmetricEigenvalues(gram, d);
  const normC = Math.sqrt(Math.max(0, gramEig[d - 1]));
  const sigmaMinC = Math.sqrt(Math.max(0, gramEig[0]));
  const fullColumnRank = gramEig[0] > 10 * d * Number.EPSILON * gramEig[d - 1];
  let minDelta = Infinity;
  for (let i = 0; i < n; i++) minDelta = Math.min(minDelta, pieces.delta[i]);
  const curvatureMin = smallestEigenvalueDiagonalPlusRank2(pieces.delta, pieces.u0, pieces.u1, pieces.S);
  const wMin = Math.min(...problem.w);
  const wMax = Math.max(...problem.w);
  const approxRun = runs.find((r) => r.label === o.sketch);
  const startDistance = approxRun?.trace[0]?.distance ?? null;
  const goodStart = startDistance !== null && atMinimiser
    ? { distance: startDistance, holds: startDistance * lipschitzEstimate! <= 0.1 * minEigenvalue }
    : null;

  return {
    point: {
      source: o.x ? 'given' : 'solution',
      x: Float64Array.from(x),
      loss,
      gradNorm: norm(gradient),
      distanceToReference: reference ? distance(x, reference) : null,
    },
    hessian: {
      minEigenvalue, maxEigenvalue, tolerance: spectrum.tolerance, negativeEigenvalues: spectrum.negatives, definiteness,
      condition: definiteness === 'positiveDefinite' ? maxEigenvalue / minEigenvalue : null,
    },
    lipschitz: { estimate: lipschitzEstimate, median: median(ratios), pairs: ratios.length, radius, skipped },
    sketch: {
      requested: o.sketch, kind: atPoint.kind, rows: atPoint.kind === 'none' ? 0 : sketchRows, draws: o.draws, epsilon, epsilonMean,
      relativeTo: atPoint.relativeTo, negativePart: atPoint.negativePart, note: atPoint.note,
    },
    rate: {
      observed, observedFromGradient, window, epsilon: rateEpsilon, kappa, epsilonKappa, bound, linearised, verdict, note: rateNote,
      quadratic: { observed: quadraticObserved, predicted: quadraticPredicted },
    },
    assumptions: {
      normX: norm(x), normC, sigmaMinC, fullColumnRank, normB: norm(problem.b), R: Math.max(normC, norm(x)), ridge: problem.ridge,
      w: { min: wMin, max: wMax }, minDelta,
      weightForNonnegativeD: Math.sqrt(Math.max(0, -minDelta)),
      negativeRows,
      minCurvature: curvatureMin,
      weightForPsdCurvature: Math.sqrt(Math.max(0, -curvatureMin)),
      goodStart,
      localRadius: atMinimiser ? (2 * minEigenvalue) / (3 * lipschitzEstimate!) : null,
    },
    runs,
    seconds: (performance.now() - started) / 1000,
  };
}
