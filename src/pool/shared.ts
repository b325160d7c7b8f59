/**
 * A Problem's data in shared memory, placed there once for all workers of every pool.
 *
 * The first time a Problem goes to a pool, each of its arrays (C, b, scale, bias, w) is copied into
 * a SharedArrayBuffer — once: the copy is cached per Problem (a WeakMap, so it goes when the Problem
 * goes). Every task for that Problem then sends the same shared arrays, which a worker receives
 * without any copy (structured clone shares a SharedArrayBuffer's memory), and the worker caches the
 * NativeProblem it validates over them under the spec's id (worker.ts). Arrays that already live in
 * a SharedArrayBuffer are used as they are, without a copy.
 *
 * The copy is a snapshot: a Problem's arrays must not change after it was built (they were
 * validated then), and through a pool a change would not be seen.
 */
import type { NativeProblemSpec } from '../addon';
import type { Problem } from '../problem';

/** What a worker needs to rebuild a Problem: its spec over shared arrays, and an id to cache it by. */
export interface SharedProblem {
  /** Unique in this process; a worker's cache key. */
  readonly id: number;
  readonly spec: NativeProblemSpec;
  /** Bytes copied into shared memory for this Problem (0 when all its arrays were shared already). */
  readonly copiedBytes: number;
}

const cache = new WeakMap<Problem, SharedProblem>();
let nextId = 1;

function share<T extends Float64Array | Int32Array>(array: T, counter: { bytes: number }): T {
  if (array.buffer instanceof SharedArrayBuffer) return array;
  const Constructor = array.constructor as new (buffer: SharedArrayBuffer) => T;
  const copy = new Constructor(new SharedArrayBuffer(array.byteLength));
  copy.set(array as never);
  counter.bytes += array.byteLength;
  return copy;
}

/** The Problem's shared spec: built (and its arrays copied) on the first call, cached afterwards. */
export function sharedProblem(problem: Problem): SharedProblem {
  const cached = cache.get(problem);
  if (cached) return cached;
  const counter = { bytes: 0 };
  const spec = problem.spec();
  const shared: NativeProblemSpec = {
    ...spec,
    ...(spec.data
      ? { data: share(spec.data, counter) }
      : { indptr: share(spec.indptr!, counter), indices: share(spec.indices!, counter), values: share(spec.values!, counter) }),
    target: share(spec.target, counter),
    scale: share(spec.scale, counter),
    bias: share(spec.bias, counter),
    weight: share(spec.weight, counter),
  };
  const entry: SharedProblem = Object.freeze({ id: nextId++, spec: Object.freeze(shared), copiedBytes: counter.bytes });
  cache.set(problem, entry);
  return entry;
}
