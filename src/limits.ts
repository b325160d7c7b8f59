/**
 * The memory cap: a solve whose estimated footprint exceeds `maxMemoryBytes` is refused before any
 * native memory is allocated, with an InputError naming `maxMemoryBytes` and the largest parts of
 * the estimate, instead of failing half-way (a `std::bad_alloc` deep in a sketch, or the operating
 * system's out-of-memory killer taking the whole process).
 *
 * The estimate is native: native/core/footprint.cc computes it from the solver's own allocations,
 * next to them, so that it follows the code (docs/reliability.md explains the terms).
 * test/footprint.test.ts holds it to the measured peak resident memory of real solves. The
 * problem's own arrays (C, b, the parameters) are not counted: they exist before the solve. With
 * `starts`, up to min(starts, available cores) solves run at once, each with this footprint.
 */
import * as os from 'node:os';
import type { NativeFootprintOptions, NativeProblem } from './addon';
import { fromNative, InputError } from './errors';
import { native } from './native';
import { checkOption, solveOption } from './options';
import type { Footprint } from './types';
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

/** What the estimate reads of a solve's options; omitted ones take their defaults (src/options.ts). */
export type FootprintOptions = Partial<NativeFootprintOptions>;

export type { Footprint } from './types';

/**
 * The estimated peak memory of one native solve (native/core/footprint.cc). `problem` is a Problem
 * (its non-zeros and the cost `auto` compares are then known) or just its shape.
 */
export function estimateSolveFootprint(
  problem: { rows: number; cols: number; nnz?: number; handle?: NativeProblem },
  options: FootprintOptions = {},
): Footprint {
  const o: NativeFootprintOptions = {
    method: checkOption(solveOption('method'), options.method) as NativeFootprintOptions['method'],
    sketch: checkOption(solveOption('sketch'), options.sketch) as NativeFootprintOptions['sketch'],
    sketchRows: checkOption(solveOption('sketchRows'), options.sketchRows) as number,
    eps0: checkOption(solveOption('eps0'), options.eps0) as number,
    osnapNonzeros: checkOption(solveOption('osnapNonzeros'), options.osnapNonzeros) as number,
    maxIter: checkOption(solveOption('maxIter'), options.maxIter) as number,
    lbfgsMemory: checkOption(solveOption('lbfgsMemory'), options.lbfgsMemory) as number,
    threads: checkOption(solveOption('threads'), options.threads) as number,
  };
  const shape = problem.handle ?? { rows: problem.rows, cols: problem.cols, nnz: problem.nnz };
  try {
    return native().footprint(shape, o);
  } catch (error) {
    return fromNative(error);
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
  problem: { rows: number; cols: number; nnz?: number; handle?: NativeProblem },
  options: NativeFootprintOptions,
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
  const bytes = native().hessianFootprint(problem.rows, problem.cols);
  if (bytes > limit) {
    throw new InputError('maxMemoryBytes', `the dense ${problem.cols} × ${problem.cols} Hessian would need about ${formatBytes(bytes)}, more than the limit of ${formatBytes(limit)}; use hessianVector(x, v) instead`);
  }
}
