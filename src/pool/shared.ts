/**
 * A Problem's data in shared memory: the memory the Problem owns, and what every pool's workers read.
 *
 * A Problem copies each of its arrays (C, b, scale, bias, w) into a SharedArrayBuffer when it is
 * built ({@link shareArray}, called by src/problem.ts): a SharedArrayBuffer cannot be detached or
 * transferred, so no line of JavaScript can free memory that a running native solve reads
 * (docs/reliability.md, "Problem data"). Arrays that already live in a SharedArrayBuffer are used as
 * they are, without a copy. The pool then sends those same arrays: a worker receives them without
 * any copy (structured clone shares a SharedArrayBuffer's memory), and caches the NativeProblem it
 * validates over them under the spec's id (worker.ts). {@link sharedProblem} still copies whatever
 * is not shared yet, for a spec built some other way.
 */
import type { NativeProblemSpec } from '../addon';

/** What this module needs of a Problem (src/problem.ts imports this module: no import back). */
export interface SpecSource {
  spec(): NativeProblemSpec;
}

/** What a worker needs to rebuild a Problem: its spec over shared arrays, and an id to cache it by. */
export interface SharedProblem {
  /** Unique in this process; a worker's cache key. */
  readonly id: number;
  readonly spec: NativeProblemSpec;
  /** Bytes copied into shared memory for this Problem (0 when all its arrays were shared already,
   *  as a Problem's own arrays are). */
  readonly copiedBytes: number;
}

const cache = new WeakMap<SpecSource, SharedProblem>();
let nextId = 1;

/** The array itself when its memory is a SharedArrayBuffer, else a copy in a new SharedArrayBuffer. */
export function shareArray<T extends Float64Array | Int32Array>(array: T): T {
  return share(array, { bytes: 0 });
}

function share<T extends Float64Array | Int32Array>(array: T, counter: { bytes: number }): T {
  if (array.buffer instanceof SharedArrayBuffer) return array;
  const Constructor = array.constructor as new (buffer: SharedArrayBuffer) => T;
  const copy = new Constructor(new SharedArrayBuffer(array.byteLength));
  copy.set(array as never);
  counter.bytes += array.byteLength;
  return copy;
}

/** The Problem's shared spec: built (and its arrays copied) on the first call, cached afterwards. */
export function sharedProblem(problem: SpecSource): SharedProblem {
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
