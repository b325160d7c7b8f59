/**
 * The types every layer shares, and the names they are built from. This module imports nothing:
 * any module may depend on it without creating a cycle (test/layering.test.ts checks that the
 * import graph of src/ has none). The name lists equal the native addon's (`native().names`,
 * checked by test/options.test.ts); docs/math.md explains what each name means.
 */

/** The methods (docs/math.md §4): default `newton-pcg`. */
export const METHODS = ['newton-pcg', 'approx-newton', 'newton', 'gd', 'lbfgs'] as const;
/** The sketches of Cᵀ diag(D) C (docs/math.md §4): default `auto`. */
export const SKETCHES = ['auto', 'none', 'leverage', 'countsketch', 'osnap', 'uniform'] as const;
/** Why a solve stopped (docs/math.md §5); the first three mean converged. */
export const STOP_REASONS = [
  'relativeTolerance', 'absoluteTolerance', 'newtonDecrement', 'maxIterations', 'lineSearchFailed', 'indefinite', 'overflow', 'cancelled',
  // ∇L is exactly 0 at the start while L > 0: a flat, saturated region (docs/reliability.md).
  'saturated',
] as const;
/** The models (docs/math.md §2). */
export const MODELS = ['softmax-unit', 'softmax', 'relu-softmax'] as const;
/** The second layer's units φ (docs/math.md §2). */
export const UNITS = ['identity', 'relu', 'sigmoid', 'tanh', 'softplus', 'exp', 'gelu'] as const;
/** How a sketch handled negative entries of D (docs/math.md §4). */
export const NEGATIVE_PARTS = ['none', 'exact', 'sketched'] as const;

export type MethodName = (typeof METHODS)[number];
export type SketchName = (typeof SKETCHES)[number];
export type StopReason = (typeof STOP_REASONS)[number];
export type ModelName = (typeof MODELS)[number];
export type UnitName = (typeof UNITS)[number];
export type NegativePart = (typeof NEGATIVE_PARTS)[number];

/** Row t describes x_t and the step from x_{t−1} to it (row 0 is the start point). */
export interface TraceRow {
  iteration: number;
  loss: number;
  gradNorm: number;
  /** ‖x_t − x*‖ when xStar was given, else null. */
  distance: number | null;
  /** The accepted line-search step length (1 in the local regime). */
  step: number;
  backtracks: number;
  /** Damping μ added to the Hessian approximation (0: none needed). */
  mu: number;
  /** Newton decrement √(gᵀH̃⁻¹g) at x_{t−1}; null for gd and lbfgs. */
  decrement: number | null;
  /** The sketch actually drawn (`auto` resolved; `none` for the exact product and first-order methods). */
  sketch: Exclude<SketchName, 'auto'>;
  sketchRows: number;
  /** How negative entries of D were handled. */
  negativePart: NegativePart;
  /** newton-pcg: CG steps. */
  innerIterations: number;
  /** Seconds in passes over C and per-row work. */
  secondsSparse: number;
  /** Seconds forming M̃ (or the exact Cᵀ diag(D) C). */
  secondsSketch: number;
  /** Seconds in d × d work: rank-2 terms, Cholesky, solves. */
  secondsDense: number;
  seconds: number;
}

/** The trace's fields in their documented order (the CSV columns of `--out-trace`), listed once. */
export const TRACE_FIELDS = [
  'iteration', 'loss', 'gradNorm', 'distance', 'step', 'backtracks', 'mu', 'decrement', 'sketch', 'sketchRows',
  'negativePart', 'innerIterations', 'secondsSparse', 'secondsSketch', 'secondsDense', 'seconds',
] as const satisfies readonly (keyof TraceRow)[];
// Compile-time: every TraceRow field is listed (a field added to the interface and not here fails to build).
type Missing = Exclude<keyof TraceRow, (typeof TRACE_FIELDS)[number]>;
const everyTraceField: [Missing] extends [never] ? true : Missing = true;
void everyTraceField;

/** What the native solver returns. */
export interface SolveResult {
  x: Float64Array;
  loss: number;
  gradNorm: number;
  iterations: number;
  converged: boolean;
  stopReason: StopReason;
  /** Detail for the stop reason (empty when converged). */
  message: string;
  /** Wall time of the solve itself. */
  seconds: number;
  trace: TraceRow[];
  /** With `starts`: every start's result (seed, start point, summary, trace), in start order. */
  starts?: StartResult[];
  /** With `starts`: the index of the winning start, whose fields the top level repeats. */
  best?: number;
  /** What is wrong with the data for this model, when something is (targets it cannot output:
   *  src/model/hygiene.ts). Absent when there is nothing to say. */
  warnings?: string[];
}

/** One start of a multi-start solve (src/pool/multistart.ts). */
export interface StartResult extends SolveResult {
  /** The start's seed: its start point (without x0) and its sketches come from it. */
  seed: number;
  /** The start point when it was drawn around options.x0; null for the default start of `seed`. */
  x0: Float64Array | null;
}

/** What solve() accepts of a worker pool: a SolverPool (src/pool/pool.ts). */
export interface PoolHandle {
  readonly closed: boolean;
}

/** The options of solve() and solveSync(); names, defaults, ranges and help: src/options.ts. */
export interface SolveOptions {
  /** Default `newton-pcg`: exact Newton's iteration count at the sketch's cost per iteration. */
  method?: MethodName;
  /** The Hessian sketch for approx-newton and the preconditioner of newton-pcg. Default `auto`: exact
   *  when that is cheaper than leverage sampling counting its scoring passes, else `leverage`
   *  (the rule: docs/math.md §4). */
  sketch?: SketchName;
  /** k, the sketch's rows; 0 (default) derives k from eps0. */
  sketchRows?: number;
  /** Target spectral error ε₀ of the sketch when sketchRows is 0, in (0, 1) (default 0.5). */
  eps0?: number;
  /** Non-zeros per row of OSNAP (default 4). */
  osnapNonzeros?: number;
  /** Relative gradient tolerance: stop when ‖∇L(x)‖ ≤ tol·‖∇L(x₀)‖ (default 1e-8). */
  tol?: number;
  /** Absolute gradient tolerance: stop when ‖∇L(x)‖ ≤ atol (default 0: off). */
  atol?: number;
  /** Stop when half the squared Newton decrement ½gᵀH̃⁻¹g ≤ decrementTol (default 0: off). */
  decrementTol?: number;
  /** Iterations at most (default 100). */
  maxIter?: number;
  /** newton-pcg: CG steps per Newton iteration at most (default 200). */
  maxInner?: number;
  /** lbfgs: stored corrections (default 10). */
  lbfgsMemory?: number;
  /** Seeds the start point (when x0 is not given) and every sketch. Default 0. */
  seed?: number;
  /** Start point; default a small seeded random vector (‖x₀‖ ≈ 0.1), never exactly 0. */
  x0?: Float64Array | number[];
  /** A known minimiser: the trace then records ‖x_t − x*‖. */
  xStar?: Float64Array | number[];
  /** Threads for every native pass of the solve: z = Cx and the per-row work, the Cᵀ passes, the
   *  Gram, the sketches and the d × d BLAS-3 work (BLAS itself runs single-threaded inside them).
   *  Default: the cores available; in a pool, its threadsPerWorker, which is also the most it
   *  allows. The result is identical bit for bit for every value (range: src/options.ts). */
  threads?: number;
  /** Called with each trace row as the solve runs, and the index of the start it belongs to
   *  (0 without `starts`). solve only. */
  onIteration?: (row: TraceRow, start: number) => void;
  /** Aborting stops the solve within one iteration; the promise rejects with an AbortError. */
  signal?: AbortSignal;
  /** The memory cap in bytes (default: half the machine's memory). A solve whose estimated footprint
   *  (native/core/footprint.cc, docs/reliability.md) is larger is refused with an InputError naming this option. */
  maxMemoryBytes?: number;
  /** Multi-start: K independently seeded starts run in parallel in a worker pool; the result is the
   *  converged start with the smallest final loss (the smallest overall when none converged), with `starts` (every start) and `best` (its index). The distribution of the
   *  starts: src/pool/multistart.ts and the README. solve only. */
  starts?: number;
  /** The worker pool to run in (a SolverPool). Default without it: libuv's thread pool for one
   *  start, and a shared default pool (created when first needed) for `starts`. solve only. */
  pool?: PoolHandle;
}

/** The options as the native solver takes them: every field present, validated (src/options.ts). */
export interface NativeSolveOptions {
  method: MethodName;
  sketch: SketchName;
  sketchRows: number;
  eps0: number;
  osnapNonzeros: number;
  tol: number;
  atol: number;
  decrementTol: number;
  maxIter: number;
  maxInner: number;
  lbfgsMemory: number;
  seed: number;
  threads: number;
  x0?: Float64Array;
  xStar?: Float64Array;
}

/** The Hessian at a point as docs/math.md §3 structures it: ∇²ℓ(z) = diag(δ) + U S Uᵀ. */
export interface HessianPieces {
  loss: number;
  /** z = Cx */
  z: Float64Array;
  /** ∇ℓ(z) + w²∘z: the gradient in row space (∇L = Cᵀ gradZ + λx). */
  gradZ: Float64Array;
  delta: Float64Array;
  /** D = δ + w² */
  D: Float64Array;
  /** The two columns of U: u0 = s and u1 = q (masked by 1[z > 0] for relu-softmax). */
  u0: Float64Array;
  u1: Float64Array;
  /** S, 2 × 2 row-major: [σ, −1, −1, 0] with σ = γ + 2α. */
  S: Float64Array;
}

/** An estimate of a solve's peak memory (native/core/footprint.cc). */
export interface Footprint {
  /** The estimate, in bytes. */
  bytes: number;
  /** The estimate's parts, in bytes, largest first. */
  parts: [string, number][];
}
