/**
 * The native addon's type, complete, in one place: every function native/binding/addon.cc
 * registers, with the argument and result shapes its binding file checks and builds. Callers get
 * typed results without casts; src/native.ts loads the addon as this type. Type-only: it imports
 * nothing but src/types.ts.
 */
import type {
  Footprint, HessianPieces, MethodName, ModelName, NativeSolveOptions, NegativePart, SketchName, SolveResult, StopReason, TraceRow, UnitName,
} from './types';

/** A problem as the native layer builds it (native/binding/problem_handle.cc). */
export interface NativeProblemSpec {
  rows: number;
  cols: number;
  data?: Float64Array;
  indptr?: Int32Array;
  indices?: Int32Array;
  values?: Float64Array;
  target: Float64Array;
  model: ModelName;
  unit: UnitName;
  scale: Float64Array;
  bias: Float64Array;
  weight: Float64Array;
  ridge: number;
}

/** The validated native problem (native/binding/problem_handle.cc). */
export interface NativeProblem {
  evaluate(x: Float64Array): { loss: number; gradient: Float64Array };
  loss(x: Float64Array): number;
  pieces(x: Float64Array): HessianPieces;
  hessian(x: Float64Array): Float64Array;
  hessianVector(x: Float64Array, v: Float64Array): Float64Array;
  predict(x: Float64Array): Float64Array;
}

/** native/binding/sketch_binding.cc */
export interface NativeSketchOptions {
  /** A SketchName; typed as any string because the binding checks it (and tests send bad ones). */
  kind?: string;
  rows?: number;
  seed?: number;
  osnapNonzeros?: number;
  /** Threads for the row passes; the sketch is the same bit for bit for every value. */
  threads?: number;
  /** A cancel flag: non-zero makes the sketch throw ("cancelled: …") from inside its row passes. */
  cancel?: Int32Array;
}

export interface NativeSketchReport {
  kind: Exclude<SketchName, 'auto'>;
  rows: number;
  negativeRows: number;
  negativePart: NegativePart;
}

/** native/binding/generate.cc */
export interface NativePlantedOptions {
  rows: number;
  cols: number;
  density: number;
  radius: number;
  noise: number;
  seed: number;
  conditioning: number;
  model: ModelName;
  unit: UnitName;
  scale: Float64Array;
  bias: Float64Array;
}

export interface NativePlanted {
  indptr: Int32Array;
  indices: Int32Array;
  values: Float64Array;
  xStar: Float64Array;
  target: Float64Array;
}

/** The option ranges of native/core/limits.h (native/binding/limits_binding.cc). */
export interface NativeLimits {
  readonly osnapNonzerosMax: number;
  /** eps0 lies strictly between these two. */
  readonly eps0Above: number;
  readonly eps0Below: number;
  readonly sketchRowsMax: number;
  readonly threadsMax: number;
  readonly maxIterMax: number;
  readonly maxInnerMax: number;
  readonly lbfgsMemoryMax: number;
}

/** Every name the core accepts or reports: src/types.ts's lists must equal these. */
export interface NativeNames {
  readonly methods: readonly MethodName[];
  readonly sketches: readonly SketchName[];
  readonly stopReasons: readonly StopReason[];
  readonly models: readonly ModelName[];
  readonly units: readonly UnitName[];
  readonly negativeParts: readonly NegativePart[];
}

/** What the native solver returns: SolveResult without the multi-start fields. */
export type NativeSolveResult = Omit<SolveResult, 'starts' | 'best'>;

/** The footprint's inputs: the resolved options it reads. */
export type NativeFootprintOptions = Pick<NativeSolveOptions, 'method' | 'sketch' | 'sketchRows' | 'eps0' | 'osnapNonzeros' | 'maxIter' | 'lbfgsMemory' | 'threads'>;

/** What cpuFeatures() reports: the CPU's features and which dispatch clone runs (docs/install.md). */
export interface CpuFeatures {
  arch: 'x64' | 'other';
  avx2?: boolean;
  fma?: boolean;
  avx512f?: boolean;
  x86_64_v3?: boolean;
  x86_64_v4?: boolean;
  /** Whether the hot loops were compiled with runtime dispatch (native/core/dispatch.h). */
  dispatch: boolean;
  /** The clone of the dispatched loops this CPU runs; 'none' without dispatch. */
  clone: 'x86-64-v4' | 'x86-64-v3' | 'default' | 'none';
  /** The -march the rest of the addon was compiled for. */
  baseline: string;
  /** The kernel set OpenBLAS chose for this CPU at load time, e.g. 'Haswell' or 'SkylakeX'. */
  blasCore: string;
}

export interface NativeAddon {
  cpuFeatures(): CpuFeatures;
  NativeProblem: new (spec: NativeProblemSpec) => NativeProblem;
  generatePlanted(options: NativePlantedOptions): NativePlanted;
  /** The OpenBLAS thread count; with an argument, sets it (process-wide). */
  blasThreads(threads?: number): number;
  /** This thread's threads for synchronous Problem calls (default: the cores). */
  threads(threads?: number): number;
  sketchGram(problem: NativeProblem, x: Float64Array, options: NativeSketchOptions): { gram: Float64Array; report: NativeSketchReport };
  sketchSpectrum(
    problem: NativeProblem, x: Float64Array, options: NativeSketchOptions & { relativeTo?: 'signed' | 'absolute' },
  ): { minEig: number; maxEig: number; report: NativeSketchReport };
  /** k = ⌈3·d·ln(d+1)/ε₀²⌉ capped at `rows` (docs/math.md §4). */
  sketchRowsForEpsilon(rows: number, cols: number, epsilon: number): number;
  /** What `auto` weighs for newton-pcg, in dense entries streamed (docs/performance.md). */
  preconditionerCosts(problem: NativeProblem, rows?: number): { rows: number; exact: number; sketch: number; choice: string; pass: number; gram: number };
  /** The same prices for work given as numbers (a distributed solve's average rank). */
  pricePreconditioner(pass: number, gram: number, cols: number, rows: number): { exact: number; sketch: number; choice: string };
  /**
   * On libuv's thread pool; rows reach onIteration on the main thread as they are recorded. The
   * options are NativeSolveOptions, typed as any object because the binding checks every field.
   */
  solve(problem: NativeProblem, options: object, onIteration: ((row: TraceRow) => void) | undefined, cancel: Int32Array): Promise<NativeSolveResult>;
  /** On the calling thread; onIteration is called synchronously, cancel read like solve's. */
  solveSync(problem: NativeProblem, options: object, onIteration?: (row: TraceRow) => void, cancel?: Int32Array): NativeSolveResult;
  /** The eigenvalues of a symmetric d × d matrix, ascending (LAPACK dsyevd; native/binding/certify_binding.cc). */
  symmetricEigenvalues(m: Float64Array, d: number): Float64Array;
  /** The eigenvalues λ of a v = λ b v, ascending, b symmetric positive definite (dsygvd); a RangeError otherwise. */
  generalizedEigenvalues(a: Float64Array, b: Float64Array, d: number): Float64Array;
  /** Cᵀ diag(weights) C, d × d. */
  weightedGram(problem: NativeProblem, weights: Float64Array): Float64Array;
  readonly limits: NativeLimits;
  readonly names: NativeNames;
  /** The C++ SolverOptions defaults (core/solver/solver.h); src/options.ts's defaults must equal them. */
  readonly defaults: Readonly<Record<'method' | 'sketch' | 'sketchRows' | 'osnapNonzeros' | 'eps0' | 'tol' | 'atol' | 'decrementTol' | 'maxIter' | 'maxInner' | 'lbfgsMemory' | 'seed', string | number>>;
  /** The estimated peak memory of one solve (native/core/footprint.cc); a NativeProblem or its shape. */
  footprint(problem: NativeProblem | { rows: number; cols: number; nnz?: number }, options: NativeFootprintOptions): Footprint;
  /** Bytes of Problem.hessian(x). */
  hessianFootprint(rows: number, cols: number): number;
}
