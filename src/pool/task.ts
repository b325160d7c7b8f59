/**
 * What the main thread and a pool worker exchange for one solve (pool.ts sends, worker.ts runs).
 */
import type { MessagePort } from 'node:worker_threads';
import type { NativeProblemSpec } from '../addon';
import type { NativeSolveOptions, SolveResult } from '../types';

/** control[CANCEL] ≠ 0: stop (read by the native loop). control[STARTED] = 1: a worker took the task. */
export const CANCEL = 0;
export const STARTED = 1;

export interface SolveTask {
  problem: { id: number; spec: NativeProblemSpec };
  options: NativeSolveOptions;
  /** Int32Array over a SharedArrayBuffer, 2 entries: [CANCEL, STARTED]. */
  control: Int32Array;
  /** Where trace rows go, when the caller wants them; `{ done: true }` follows the last one. */
  port?: MessagePort;
}

export interface SolveReply {
  /** null when the task was cancelled before it started. */
  result: SolveResult | null;
  /** True when this task validated the problem (a cache miss in this worker). */
  built: boolean;
  threadId: number;
}
