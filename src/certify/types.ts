/**
 * The certificate's shape: one field per section (src/certify/ has one module per section), and
 * the verdict that sets `softnewton certify`'s exit code.
 */
import type { NegativePart, SketchName, StopReason, TraceRow } from '../types';

export interface CertifyOptions {
  /** The point to certify; default: the solution of approximate Newton with `sketch`. */
  x?: Float64Array | number[];
  /** A known minimiser for ‖x_t − x*‖; default: the solution of exact Newton (docs/math.md §6). */
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
  stopReason: StopReason;
  iterations: number;
  /** The final loss and ‖∇L‖ of the run. */
  loss: number;
  gradNorm: number;
  trace: TraceRow[];
}

/** Where the approx-newton run ended against exact Newton's (or the given x*): one stationary point or two. */
export interface StationaryComparison {
  /** False when the two ended at different stationary points (their losses differ beyond rounding). */
  same: boolean;
  /** The approx-newton run's end. */
  solution: { loss: number; gradNorm: number; converged: boolean };
  /** The reference's end: exact Newton's run, or options.xStar evaluated. */
  reference: { loss: number; gradNorm: number; converged: boolean; source: 'newton' | 'given' };
  /** ‖x − x*‖ between the two ends. */
  distance: number;
  /** Which is lower, and what that means; empty when they agree. */
  note: string;
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
    negativePart: NegativePart;
    /** Why epsilon is null. */
    note: string;
    /**
     * When k derived from ε₀ was capped at n: the k ε₀ asks for. The sketch then has n rows (a draw
     * with replacement for leverage and uniform), which promises no (1 ± ε₀) approximation. Null otherwise.
     */
    capped: { wanted: number; rows: number } | null;
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
     * `unmeasured`: no observed rate (no solve, or no full-step iterations above the rounding floor);
     * `differentPoints`: approx-newton and the reference ended at different stationary points, so
     * ‖x_t − x*‖ measures no rate: `stationary` compares them by loss and gradient instead.
     */
    verdict: 'consistent' | 'slower' | 'noPrediction' | 'unmeasured' | 'differentPoints';
    note: string;
    /** Exact Newton: max e_t / e_{t−1}² over its full steps, against M / (2 λ_min) (Newton's local quadratic bound; null unless the point is the solution). */
    quadratic: { observed: number | null; predicted: number | null };
  };
  /** The approx-newton run against the reference, when both exist. */
  stationary: StationaryComparison | null;
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
    /** √max(0, −min δ): the uniform weight that makes D ≥ 0 at x (docs/math.md §6). */
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
  /**
   * Whether the certificate holds, and if not why: ∇²L not positive definite at x, the approx-newton
   * run not converged, the runs at different stationary points, or a rate slower than predicted.
   * `softnewton certify` exits 0 when it holds, 1 when it does not.
   */
  verdict: { holds: boolean; failures: string[] };
  runs: CertifyRun[];
  seconds: number;
}
