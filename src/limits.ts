/**
 * The memory cap: a solve whose estimated footprint exceeds `maxMemoryBytes` is refused before any
 * native memory is allocated, with an InputError naming `maxMemoryBytes` and the largest parts of
 * the estimate, instead of failing half-way (a `std::bad_alloc` deep in a sketch, or the operating
 * system's out-of-memory killer taking the whole process).
 *
 * The estimate counts what the native solver allocates for one solve, in 8-byte words
 * (docs/reliability.md explains each term). With n rows, d columns, k sketch rows:
 *
 * - every method: two points (x, z = Cx, five per-row terms, ∇L, CᵀU): 12n + 8d; the model's
 *   scratch and the line search's C·p: 2n; the result and its trace: 64 words per iteration;
 * - approx-newton, newton, newton-pcg: the d × d Hessian approximation and its Cholesky factor,
 *   2d²; newton-pcg's CG vectors, n + 4d; and the sketch:
 *   - `none` (and `newton`): the Gram's row blocks, 2 · 256 · d;
 *   - `leverage`: the embedding and its LQ, (max(4d, 2d + 20) + d) · d; the score map, 2 d·t
 *     (t ≤ d probe columns); per-row scores and probabilities, 5n; the samples, 5k; the Gram blocks;
 *   - `countsketch` / `osnap`: the k × d embedding Π D^{1/2} C, k·d (the largest term when k is large);
 *   - `uniform`: 2n + 5k and the Gram blocks;
 *   - `auto`: the larger of `none` and `leverage`;
 * - lbfgs: liblbfgs's 2m vectors of d and its work vectors, (2m + 5) · d.
 *
 * The problem's own arrays (C, b, the parameters) are not counted: they exist before the solve.
 * With `starts`, up to min(starts, available cores) solves run at once, each with this footprint.
 */
import * as os from 'node:os';
import { InputError } from './errors';
import { native } from './native';
import { requireNumber } from './validate';

/** The share of the machine's memory (or of the process's constrained memory) a solve may use by default. */
export const DEFAULT_MEMORY_FRACTION = 0.5;

/** The default cap: half of the physical memory, or of the memory the process is constrained to (cgroups). */
export function defaultMaxMemoryBytes(): number {
  let total = os.totalmem();
  const constrained = (process as unknown as { constrainedMemory?: () => number | undefined }).constrainedMemory?.();
  if (typeof constrained === 'number' && constrained > 0 && constrained < total) total = constrained;
  return Math.floor(DEFAULT_MEMORY_FRACTION * total);
}

/** What the estimate needs to know about a solve (the resolved options of `resolveSolveOptions`). */
export interface FootprintOptions {
  method: string;
  sketch: string;
  sketchRows: number;
  eps0: number;
  osnapNonzeros: number;
  maxIter: number;
  lbfgsMemory: number;
}

export interface Footprint {
  /** The estimate, in bytes. */
  bytes: number;
  /** The estimate's parts, in bytes, largest first. */
  parts: [string, number][];
}

const WORD = 8;
const GRAM_BLOCK_ROWS = 256;
const TRACE_WORDS_PER_ITERATION = 64;

/** The estimated peak memory of one native solve of an n × d problem (see the module comment). */
export function estimateSolveFootprint(problem: { rows: number; cols: number }, o: FootprintOptions): Footprint {
  const n = problem.rows;
  const d = problem.cols;
  const parts: Record<string, number> = {};
  parts['per-row vectors (two points, model scratch, line search)'] = 14 * n + 8 * d;
  parts['result and trace'] = (o.maxIter + 1) * TRACE_WORDS_PER_ITERATION + 3 * d;
  if (o.method === 'lbfgs') {
    parts['L-BFGS history'] = (2 * o.lbfgsMemory + 5) * d;
  } else if (o.method !== 'gd') {
    parts['d × d Hessian approximation and its Cholesky factor'] = 2 * d * d;
    if (o.method === 'newton-pcg') parts['CG vectors'] = n + 4 * d;
    const kind = o.method === 'newton' ? 'none' : o.sketch;
    const k = Math.max(o.sketchRows > 0 ? o.sketchRows : derivedSketchRows(n, d, o.eps0), kind === 'osnap' ? o.osnapNonzeros : 1);
    const gramBlocks = 2 * GRAM_BLOCK_ROWS * d;
    const embedding = (Math.max(4 * d, 2 * d + 20) + d) * d;
    const probes = Math.min(d, Math.ceil(4 * Math.log(Math.max(n, 2))) + 4);
    const leverage = embedding + 2 * d * probes + 5 * n + 5 * k + gramBlocks;
    const sketchWords: Record<string, [string, number]> = {
      none: ['exact Gram row blocks', gramBlocks + n],
      leverage: ['leverage sketch (embedding, scores, samples)', leverage],
      countsketch: [`k × d sketch buffer (k = ${k})`, k * d + n],
      osnap: [`k × d sketch buffer (k = ${k})`, k * d + n],
      uniform: ['uniform samples', 2 * n + 5 * k + gramBlocks],
      auto: ['sketch (auto: exact or leverage, whichever is larger)', Math.max(gramBlocks + n, leverage)],
    };
    const [name, words] = sketchWords[kind] ?? sketchWords.auto;
    parts[name] = words;
  }
  const sorted = Object.entries(parts)
    .map(([name, words]): [string, number] => [name, words * WORD])
    .sort((a, b) => b[1] - a[1]);
  return { bytes: sorted.reduce((s, [, bytes]) => s + bytes, 0), parts: sorted };
}

/** k derived from ε₀ as the native solver derives it (capped at n). */
function derivedSketchRows(n: number, d: number, eps0: number): number {
  try {
    return native().sketchRowsForEpsilon(n, d, eps0);
  } catch {
    return Math.max(1, Math.min(n, Math.ceil((3 * d * Math.log(d + 1)) / (eps0 * eps0))));
  }
}

/** 12345678 → "11.8 MiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** The `maxMemoryBytes` option: a positive number of bytes, default {@link defaultMaxMemoryBytes}. */
export function resolveMaxMemory(value: unknown, field = 'maxMemoryBytes'): number {
  return value === undefined ? defaultMaxMemoryBytes() : requireNumber(field, value, { min: 0, exclusiveMin: true });
}

/**
 * Throws an InputError naming `maxMemoryBytes` when the solve (or, with `starts`, the solves that run
 * at once) would need more than `maxMemoryBytes` (default: half the machine's memory).
 */
export function checkSolveMemory(
  problem: { rows: number; cols: number },
  options: FootprintOptions,
  maxMemoryBytes: unknown,
  starts?: unknown,
): Footprint {
  const limit = resolveMaxMemory(maxMemoryBytes);
  // With starts, as many solves run at once as the pool has workers: at most one per core.
  const concurrent = Number.isSafeInteger(starts) && (starts as number) > 1 ? Math.min(starts as number, os.availableParallelism()) : 1;
  const one = estimateSolveFootprint(problem, options);
  const total = one.bytes * concurrent;
  if (total > limit) {
    const largest = one.parts.slice(0, 2).map(([name, bytes]) => `${name} ${formatBytes(bytes)}`).join(', ');
    throw new InputError(
      'maxMemoryBytes',
      `the solve would need about ${formatBytes(total)}${concurrent > 1 ? ` (${concurrent} concurrent starts × ${formatBytes(one.bytes)})` : ''} ` +
        `for ${problem.rows} × ${problem.cols} with method ${options.method}` +
        `${options.method === 'gd' || options.method === 'lbfgs' ? '' : ` and sketch ${options.method === 'newton' ? 'none' : options.sketch}`} ` +
        `(largest parts: ${largest}), more than the limit of ${formatBytes(limit)}; ` +
        'raise the limit (maxMemoryBytes; --max-memory on the command line) if the machine has the memory, or use fewer sketch rows, another sketch, or lbfgs',
    );
  }
  return one;
}

/**
 * Problem.hessian(x) returns the dense d × d Hessian: refused like a solve when it (plus a point's
 * per-row vectors) would exceed `maxMemoryBytes` (default: half the machine's memory).
 */
export function checkHessianMemory(problem: { rows: number; cols: number }, maxMemoryBytes?: unknown): void {
  const limit = resolveMaxMemory(maxMemoryBytes);
  const bytes = WORD * (problem.cols * problem.cols + 8 * problem.rows + 2 * GRAM_BLOCK_ROWS * problem.cols);
  if (bytes > limit) {
    throw new InputError('maxMemoryBytes', `the dense ${problem.cols} × ${problem.cols} Hessian would need about ${formatBytes(bytes)}, more than the limit of ${formatBytes(limit)}; use hessianVector(x, v) instead`);
  }
}
