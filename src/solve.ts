/**
 * Training: the approximate Newton method of the paper and its baselines (MATH.md sections 4–5).
 *
 * `solve` runs in native code on libuv's thread pool and never blocks the event loop; with
 * `starts` or `pool` it runs in a worker pool instead (src/pool/), K starts in parallel.
 * `solveSync` runs on the calling thread, for scripts. Not converging is a result
 * (`converged: false` with a `stopReason`), not an exception; bad options are an InputError naming
 * the option.
 */
import { AbortError, fromNative, InputError } from './errors';
import { checkSolveMemory } from './limits';
import { native } from './native';
import { solveStarts, StartResult } from './pool/multistart';
import { trackRunning } from './teardown';
import { SolverPool, withDefaultPool } from './pool/pool';
import type { Problem } from './problem';
import { targetWarnings } from './model/hygiene';
import { invalid, requireChoice, requireInteger, requireNumber, requireVector } from './validate';

export const METHODS = ['newton-pcg', 'approx-newton', 'newton', 'gd', 'lbfgs'] as const;
export const SKETCHES = ['auto', 'none', 'leverage', 'countsketch', 'osnap', 'uniform'] as const;
export type MethodName = (typeof METHODS)[number];
export type SketchName = (typeof SKETCHES)[number];
export type StopReason =
  | 'relativeTolerance'
  | 'absoluteTolerance'
  | 'newtonDecrement'
  | 'maxIterations'
  | 'lineSearchFailed'
  | 'indefinite'
  | 'overflow'
  | 'cancelled'
  /** ∇L is exactly 0 at the start while L > 0: a flat, saturated region (docs/reliability.md). */
  | 'saturated';

export interface SolveOptions {
  /** Default `newton-pcg`: exact Newton's iteration count at the sketch's cost per iteration. */
  method?: MethodName;
  /** The Hessian sketch for approx-newton and the preconditioner of newton-pcg. Default `auto`:
   *  exact when Σ nnz(row)² ≤ k·d² (sparse rows), else `leverage`. */
  sketch?: SketchName;
  /** k, the sketch's rows; 0 (default) derives k from eps0. */
  sketchRows?: number;
  /** Target spectral error ε₀ of the sketch when sketchRows is 0 (default 0.5). */
  eps0?: number;
  /** Non-zeros per row of OSNAP (default 4). */
  osnapNonzeros?: number;
  /** Relative gradient tolerance: stop when ‖∇L(x)‖ ≤ tol·‖∇L(x₀)‖ (default 1e-8). */
  tol?: number;
  /** Absolute gradient tolerance: stop when ‖∇L(x)‖ ≤ atol (default 0: off). */
  atol?: number;
  /** Stop when half the squared Newton decrement ½gᵀH̃⁻¹g ≤ decrementTol (default 0: off). */
  decrementTol?: number;
  /** Default 100. */
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
   *  Default: the cores available (`os.availableParallelism()`); in a pool, its threadsPerWorker,
   *  which is also the most it allows. The result is identical bit for bit for every value. */
  threads?: number;
  /** Called with each trace row as the solve runs, and the index of the start it belongs to
   *  (0 without `starts`). solve only. */
  onIteration?: (row: TraceRow, start: number) => void;
  /** Aborting stops the solve within one iteration; the promise rejects with an AbortError. */
  signal?: AbortSignal;
  /** The memory cap in bytes (default: half the machine's memory). A solve whose estimated footprint
   *  (src/limits.ts, docs/reliability.md) is larger is refused with an InputError naming this option. */
  maxMemoryBytes?: number;
  /** Multi-start: K independently seeded starts run in parallel in a worker pool; the result is the
   *  converged start with the smallest final loss (the smallest overall when none converged), with `starts` (every start) and `best` (its index). The
   *  distribution of the starts: src/pool/multistart.ts and the README. solve only. */
  starts?: number;
  /** The worker pool to run in (a SolverPool). Default without it: libuv's thread pool for one
   *  start, and a shared default pool (created when first needed) for `starts`. solve only. */
  pool?: SolverPool;
}

/** Row t describes x_t and the step from x_{t−1} to it (row 0 is the start point). */
export interface TraceRow {
  iteration: number;
  loss: number;
  gradNorm: number;
  /** ‖x_t − x*‖ when xStar was given, else null. */
  distance: number | null;
  step: number;
  backtracks: number;
  /** Damping μ added to the Hessian approximation (0: none needed). */
  mu: number;
  /** Newton decrement √(gᵀH̃⁻¹g) at x_{t−1}; null for gd and lbfgs. */
  decrement: number | null;
  sketch: string;
  sketchRows: number;
  /** How negative entries of D were handled: none, exact or sketched. */
  negativePart: string;
  innerIterations: number;
  secondsSparse: number;
  secondsSketch: number;
  secondsDense: number;
  seconds: number;
}

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

/** The result with the data's warnings attached (computed before the solve: O(n)). */
function withWarnings(result: SolveResult, warnings: string[]): SolveResult {
  if (warnings.length > 0) result.warnings = warnings;
  return result;
}

const KNOWN_OPTIONS = new Set([
  'method', 'sketch', 'sketchRows', 'eps0', 'osnapNonzeros', 'tol', 'atol', 'decrementTol', 'maxIter',
  'maxInner', 'lbfgsMemory', 'seed', 'x0', 'xStar', 'threads', 'onIteration', 'signal', 'starts', 'pool',
  'maxMemoryBytes',
]);

/** Most starts one call may ask for. */
export const MAX_STARTS = 1024;

/** The options as the native solver takes them: every field present, validated. */
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

export function resolveSolveOptions(problem: Problem, options: SolveOptions = {}): NativeSolveOptions {
  if (typeof options !== 'object' || options === null) throw invalid('options', 'an object', options);
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) throw new InputError(`options.${key}`, `unknown option; known options are ${[...KNOWN_OPTIONS].join(', ')}`);
  }
  const o = options;
  const sketchRows = requireInteger('sketchRows', o.sketchRows ?? 0, 0, 2 ** 31 - 1);
  const osnapNonzeros = requireInteger('osnapNonzeros', o.osnapNonzeros ?? 4, 1, 64);
  // Only where it matters: OSNAP needs s ≤ k; the default s = 4 must not refuse sketchRows 1–3 for other sketches.
  if (sketchRows > 0 && osnapNonzeros > sketchRows && (o.sketch === 'osnap' || o.osnapNonzeros !== undefined)) {
    throw new InputError('osnapNonzeros', `must not exceed sketchRows (${sketchRows})`);
  }
  if (o.onIteration !== undefined && typeof o.onIteration !== 'function') throw invalid('onIteration', 'a function', o.onIteration);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw invalid('signal', 'an AbortSignal', o.signal);
  const resolved: NativeSolveOptions = {
    method: requireChoice('method', o.method ?? 'newton-pcg', METHODS),
    sketch: requireChoice('sketch', o.sketch ?? 'auto', SKETCHES),
    sketchRows,
    eps0: requireNumber('eps0', o.eps0 ?? 0.5, { min: 0, max: 0.999, exclusiveMin: true }),
    osnapNonzeros,
    tol: requireNumber('tol', o.tol ?? 1e-8, { min: 0 }),
    atol: requireNumber('atol', o.atol ?? 0, { min: 0 }),
    decrementTol: requireNumber('decrementTol', o.decrementTol ?? 0, { min: 0 }),
    maxIter: requireInteger('maxIter', o.maxIter ?? 100, 0, 1_000_000),
    maxInner: requireInteger('maxInner', o.maxInner ?? 200, 1, 100_000),
    lbfgsMemory: requireInteger('lbfgsMemory', o.lbfgsMemory ?? 10, 1, 1000),
    seed: requireInteger('seed', o.seed ?? 0, 0),
    threads: requireInteger('threads', o.threads ?? native().threads(), 1, 256),
    x0: o.x0 === undefined ? undefined : requireVector('x0', o.x0, problem.cols),
    xStar: o.xStar === undefined ? undefined : requireVector('xStar', o.xStar, problem.cols),
  };
  // The memory cap (src/limits.ts): refused here, before native code allocates anything.
  checkSolveMemory(problem, resolved, o.maxMemoryBytes, (o as { starts?: unknown }).starts);
  return resolved;
}

export async function solve(problem: Problem, options: SolveOptions = {}): Promise<SolveResult> {
  const resolved = resolveSolveOptions(problem, options);
  const warnings = targetWarnings(problem);
  if (options.starts !== undefined || options.pool !== undefined) return withWarnings(await solveInPool(problem, options, resolved), warnings);
  const { signal, onIteration } = options;
  if (signal?.aborted) throw new AbortError();
  const cancel = new Int32Array(new SharedArrayBuffer(4));
  const onAbort = () => Atomics.store(cancel, 0, 1);
  signal?.addEventListener('abort', onAbort, { once: true });
  const untrack = trackRunning(cancel);
  try {
    const onRow = onIteration && ((row: TraceRow) => onIteration(row, 0));
    const result = (await native().solve(problem.handle, resolved, onRow, cancel)) as SolveResult;
    // The point reached is kept on the error (`result`, stopReason "cancelled"): the CLI writes it on SIGINT.
    if (result.stopReason === 'cancelled' && signal?.aborted) throw Object.assign(new AbortError('the solve was aborted'), { result });
    return withWarnings(result, warnings);
  } catch (error) {
    if (error instanceof AbortError) throw error;
    if (signal?.aborted) throw new AbortError('the solve was aborted');
    return fromNative(error);
  } finally {
    untrack();
    signal?.removeEventListener('abort', onAbort);
  }
}

/** One start, or `starts` starts, in `options.pool` or the shared default pool. */
function solveInPool(problem: Problem, options: SolveOptions, resolved: NativeSolveOptions): Promise<SolveResult> {
  const starts = options.starts === undefined ? undefined : requireInteger('starts', options.starts, 1, MAX_STARTS);
  if (options.pool !== undefined && !(options.pool instanceof SolverPool)) throw invalid('pool', 'a SolverPool', options.pool);
  const { signal, onIteration } = options;
  const run = (pool: SolverPool): Promise<SolveResult> => {
    const inPool = options.threads === undefined ? { ...resolved, threads: pool.defaultThreads() } : resolved;
    pool.check(inPool);
    if (starts === undefined) return pool.run(problem, inPool, { signal, onIteration: onIteration && ((row) => onIteration(row, 0)) });
    return solveStarts(pool, problem, inPool, starts, { signal, onIteration });
  };
  return options.pool ? run(options.pool) : withDefaultPool(run);
}

/** One solve on the calling thread. `onIteration` is called with each trace row as it is recorded.
 *  `signal` is honoured: an already aborted signal throws an AbortError, and an abort during the
 *  call stops the solve within one iteration with an AbortError. Since the event loop does not run
 *  during the call, such an abort can only come from inside `onIteration` (a timer such as
 *  AbortSignal.timeout fires after the call). */
export function solveSync(problem: Problem, options: Omit<SolveOptions, 'starts' | 'pool'> = {}): SolveResult {
  for (const field of ['starts', 'pool'] as const) {
    // `?.`: a null or non-object `options` must reach resolveSolveOptions' InputError, not a TypeError here.
    if ((options as SolveOptions | null)?.[field] !== undefined) throw new InputError(field, `solveSync runs one start on the calling thread and takes no ${field}; use solve()`);
  }
  const resolved = resolveSolveOptions(problem, options);
  const { signal, onIteration } = options;
  if (signal?.aborted) throw new AbortError();
  const cancel = new Int32Array(new SharedArrayBuffer(4));
  const onAbort = () => Atomics.store(cancel, 0, 1);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const onRow = onIteration && ((row: TraceRow) => onIteration(row, 0));
    const result = native().solveSync(problem.handle, resolved, onRow, cancel) as SolveResult;
    if (result.stopReason === 'cancelled' && signal?.aborted) throw new AbortError('the solve was aborted');
    return withWarnings(result, targetWarnings(problem));
  } catch (error) {
    if (error instanceof AbortError) throw error;
    return fromNative(error);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
