/**
 * The piscina task module: one solve per task, run synchronously on this worker's own thread.
 *
 * - The problem arrives as a spec over SharedArrayBuffers (shared.ts) and is validated into a
 *   NativeProblem once per worker: the NativeProblem is cached by the spec's id (least recently
 *   used first out, at most MAX_CACHED_PROBLEMS), so repeated tasks on a problem skip validation.
 * - The solve runs through the native solveSync on this thread: the worker thread is the one
 *   compute thread a pool budgets for (no hop to libuv's shared thread pool), and the task stays
 *   cancellable because the native loop reads `control[0]`, which the main thread raises.
 * - Trace rows go out on `port` as the native loop records them (a MessagePort delivers them to
 *   the main thread while this thread is still busy), followed by `{ done: true }`.
 * - The result's x is transferred, not copied (Piscina.move).
 * - OpenBLAS's thread count is not set here: it is process-wide, so one worker setting it would
 *   set it for every worker of every pool; pool.ts sets it from the main thread instead.
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { threadId } from 'node:worker_threads';
import { native, NativeProblem } from '../native';
import type { SolveResult } from '../types';
import { CANCEL, SolveReply, SolveTask, STARTED } from './task';

export const MAX_CACHED_PROBLEMS = 8;
const problems = new Map<number, NativeProblem>();
function problemFor(task: SolveTask): { problem: NativeProblem; built: boolean } {
  const { id, spec } = task.problem;
  const cached = problems.get(id);
  if (cached) {
    problems.delete(id); // re-insert: Map order is the recency order
    problems.set(id, cached);
    return { problem: cached, built: false };
  }
  const problem = new (native().NativeProblem)(spec);
  problems.set(id, problem);
  if (problems.size > MAX_CACHED_PROBLEMS) problems.delete(problems.keys().next().value as number);
  return { problem, built: true };
}

/** The task function piscina calls. */
export default function solveTask(task: SolveTask): unknown {
  const { control, port } = task;
  Atomics.store(control, STARTED, 1);
  try {
    // Aborted while queued: nothing to do (the caller has rejected already).
    if (Atomics.load(control, CANCEL) !== 0) return { result: null, built: false, threadId } satisfies SolveReply;
    const { problem, built } = problemFor(task);
    const onIteration = port ? (row: unknown) => port.postMessage(row) : undefined;
    const result: SolveResult = native().solveSync(problem, task.options, onIteration, control);
    const reply: SolveReply = { result, built, threadId };
    return move({
      get [transferableSymbol]() {
        return [result.x.buffer];
      },
      get [valueSymbol]() {
        return reply;
      },
    } as never);
  } finally {
    if (port) {
      port.postMessage({ done: true });
      port.close();
    }
  }
}
