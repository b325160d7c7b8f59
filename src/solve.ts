/**
 * Training: the approximate Newton method of the paper and its baselines (docs/math.md §§4–5).
 *
 * `solve` runs in native code on libuv's thread pool and never blocks the event loop; with
 * `starts` or `pool` it runs in a worker pool instead (src/pool/), K starts in parallel.
 * `solveSync` runs on the calling thread, for scripts. Not converging is a result
 * (`converged: false` with a `stopReason`), not an exception; bad options are an InputError naming
 * the option. Every option's default, range and meaning: the schema in src/options.ts.
 */
import { AbortError, fromNative, InputError } from './errors';
import { targetWarnings } from './model/hygiene';
import { native } from './native';
import { solveInPool } from './pool/pool';
import type { Problem } from './problem';
import { resolveSolveOptions } from './resolve';
import { trackRunning } from './teardown';
import type { SolveOptions, SolveResult, TraceRow } from './types';

export { METHODS, SKETCHES, STOP_REASONS } from './types';
export type { MethodName, NativeSolveOptions, SketchName, SolveOptions, SolveResult, StopReason, TraceRow } from './types';
export { MAX_STARTS } from './options';
export { resolveSolveOptions } from './resolve';

/** The result with the data's warnings attached (computed before the solve: O(n)). */
function withWarnings(result: SolveResult, warnings: string[]): SolveResult {
  if (warnings.length > 0) result.warnings = warnings;
  return result;
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
    const result: SolveResult = await native().solve(problem.handle, resolved, onRow, cancel);
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
    const result: SolveResult = native().solveSync(problem.handle, resolved, onRow, cancel);
    if (result.stopReason === 'cancelled' && signal?.aborted) throw new AbortError('the solve was aborted');
    return withWarnings(result, targetWarnings(problem));
  } catch (error) {
    if (error instanceof AbortError) throw error;
    return fromNative(error);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
