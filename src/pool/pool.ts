/**
 * SolverPool: solves in piscina worker threads, each with its own instance of the native addon.
 *
 * The thread rule. A worker runs one solve at a time on its own thread, and every native pass of
 * that solve splits across `threads` threads (which defaults to `threadsPerWorker` and may not
 * exceed it); BLAS runs single-threaded inside them (docs/performance.md). So a pool keeps at most
 *
 *     workers × threadsPerWorker ≤ cores
 *
 * threads busy, and refuses options that break it. Defaults: workers = cores, and
 * threadsPerWorker = ⌊cores / workers⌋ (1 with the default workers). Solves outside a pool (solve()
 * without `starts` or `pool`) run on libuv's thread pool with `threads` defaulting to the cores:
 * they count against the same cores.
 *
 * Cancellation is cooperative: an aborted task raises a flag in shared memory that the native loop
 * reads each iteration (and the sketch inside its long row passes); a task still queued is rejected
 * at once and skipped when a worker reaches it. A worker is never terminated to stop a solve, so the
 * pool stays whole. A worker that dies is replaced by piscina; its task fails with a WorkerError.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import type Piscina from 'piscina';
import { AbortError, fromNative, InputError, SoftnewtonError } from '../errors';
import { native } from '../native';
import type { Problem } from '../problem';
import { resolveSolveOptions } from '../resolve';
import type { NativeSolveOptions, PoolHandle, SolveOptions, SolveResult, TraceRow } from '../types';
import { invalid, requireInteger } from '../validate';
import { solveStarts } from './multistart';
import { sharedProblem } from './shared';
import { CANCEL, SolveReply, SolveTask, STARTED } from './task';

export interface PoolOptions {
  /** Worker threads (default: the number of cores). */
  workers?: number;
  /** Threads per worker for every native pass of its solve: workers × this ≤ cores (default ⌊cores / workers⌋). */
  threadsPerWorker?: number;
  /** @deprecated the earlier name of threadsPerWorker. */
  blasThreadsPerWorker?: number;
  /** Tasks allowed to wait for a worker before solve() rejects (default: no limit). */
  maxQueue?: number;
}

export interface PoolStats {
  workers: number;
  threadsPerWorker: number;
  /** Tasks waiting for a worker. */
  queued: number;
  /** Tasks submitted and not yet finished (queued or running). */
  pending: number;
  /** Tasks finished, successfully or not. */
  completed: number;
  /** Times a worker validated a problem (a worker's cache miss): once per problem and worker at best. */
  problemsBuilt: number;
}

/** A solve failed inside a pool worker for a reason other than its input: the worker died, or a bug. */
export class WorkerError extends SoftnewtonError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message);
    if (options && 'cause' in options) Object.defineProperty(this, 'cause', { value: options.cause, enumerable: false });
  }
}

/** The hooks of one task: how the caller observes and stops it. */
export interface TaskHooks {
  signal?: AbortSignal;
  onIteration?: (row: TraceRow) => void;
}

const WORKER_FILE = path.resolve(__dirname, 'worker.js');

export function cores(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/** One task in flight: its control block in shared memory, and how to stop it. */
class Flight {
  readonly control = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
  /** Why we stopped it (an AbortError, the callback's exception), when we did. */
  stopError: unknown = undefined;
  stopped = false;
  /** Settles the caller's promise early (the task was still queued). */
  earlyReject: ((error: unknown) => void) | undefined;
  /** Resolves when piscina is done with the task, whatever the caller saw. */
  done!: Promise<void>;

  stop(error: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.stopError = error;
    Atomics.store(this.control, CANCEL, 1);
    // Not started yet: the worker will skip it, so there is nothing to wait for. (If the worker
    // takes it at this very moment, it sees the flag first thing and returns at once.)
    if (Atomics.load(this.control, STARTED) === 0) this.earlyReject?.(error);
  }
}

export class SolverPool implements PoolHandle {
  readonly workers: number;
  readonly threadsPerWorker: number;
  readonly cores: number;
  readonly maxQueue: number;
  private readonly piscina: Piscina;
  private readonly flights = new Set<Flight>();
  private state: 'open' | 'closing' | 'closed' = 'open';
  private ending: Promise<void> | undefined;
  private built = 0;
  private finished = 0;

  constructor(options: PoolOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new InputError('options', 'expected an object');
    for (const key of Object.keys(options)) {
      if (!['workers', 'threadsPerWorker', 'blasThreadsPerWorker', 'maxQueue'].includes(key)) {
        throw new InputError(`options.${key}`, 'unknown option; known options are workers, threadsPerWorker, maxQueue');
      }
    }
    this.cores = cores();
    this.workers = requireInteger('workers', options.workers ?? this.cores, 1, this.cores);
    const fair = Math.max(1, Math.floor(this.cores / this.workers));
    // `blasThreadsPerWorker` is the option's earlier name (BLAS now runs inside the solve's own threads).
    const field = options.threadsPerWorker === undefined && options.blasThreadsPerWorker !== undefined ? 'blasThreadsPerWorker' : 'threadsPerWorker';
    this.threadsPerWorker = requireInteger(field, options.threadsPerWorker ?? options.blasThreadsPerWorker ?? fair, 1, 1024);
    if (this.workers * this.threadsPerWorker > this.cores) {
      throw new InputError(
        field,
        `workers × threadsPerWorker = ${this.workers} × ${this.threadsPerWorker} exceeds the ${this.cores} cores; use at most ${fair}`,
      );
    }
    const maxQueue = options.maxQueue === undefined ? Infinity : requireInteger('maxQueue', options.maxQueue, 0);
    this.maxQueue = maxQueue;
    native(); // load the addon here first: a missing build is reported in the caller's thread
    // Required here, not at the top: loading piscina costs ~50 ms that solves without a pool (and
    // every CLI start) need not pay.
    const { Piscina } = require('piscina') as typeof import('piscina');
    this.piscina = new Piscina({
      filename: WORKER_FILE,
      minThreads: this.workers,
      maxThreads: this.workers,
      maxQueue,
      concurrentTasksPerWorker: 1,
    });
    // A worker that dies between tasks is reported here; piscina replaces it. Nothing to do.
    this.piscina.on('error', () => undefined);
  }

  /** The worker threads (for monitoring). */
  get threads(): readonly Worker[] {
    return this.piscina.threads;
  }

  get closed(): boolean {
    return this.state !== 'open';
  }

  stats(): PoolStats {
    return {
      workers: this.workers,
      threadsPerWorker: this.threadsPerWorker,
      queued: this.piscina.queueSize,
      pending: this.flights.size,
      completed: this.finished,
      problemsBuilt: this.built,
    };
  }

  /**
   * Solves in this pool: one start, or with `starts: K` K starts in parallel (see solve()). The
   * options are solve()'s; `threads` defaults to threadsPerWorker here.
   */
  async solve(problem: Problem, options: SolveOptions = {}): Promise<SolveResult> {
    const withPool = { ...options, pool: this };
    return solveInPool(problem, withPool, resolveSolveOptions(problem, withPool));
  }

  /** The sketch threads a task gets when the caller did not say. */
  defaultThreads(): number {
    return this.threadsPerWorker;
  }

  /** Checks what only the pool can check: open, and `threads` within the rule. */
  check(options: NativeSolveOptions): void {
    if (this.state !== 'open') throw new InputError('pool', 'the pool is closed');
    if (options.threads > this.threadsPerWorker) {
      throw new InputError(
        'threads',
        `at most ${this.threadsPerWorker} in this pool (threadsPerWorker: each of its ${this.workers} workers may use that many cores), received ${options.threads}`,
      );
    }
  }

  /** Runs one solve (one start) in a worker. `options` are resolved and checked. */
  run(problem: Problem, options: NativeSolveOptions, hooks: TaskHooks = {}): Promise<SolveResult> {
    this.check(options);
    const { signal, onIteration } = hooks;
    if (signal?.aborted) return Promise.reject(new AbortError());
    const shared = sharedProblem(problem);
    const flight = new Flight();
    const channel = onIteration ? new MessageChannel() : undefined;
    const task: SolveTask = { problem: { id: shared.id, spec: shared.spec }, options, control: flight.control, port: channel?.port2 };

    return new Promise<SolveResult>((resolve, reject) => {
      let settled = false;
      let reply: SolveReply | undefined;
      let rowsDone = channel === undefined;
      const settle = (error: unknown, result?: SolveResult) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        if (error !== undefined) reject(error);
        else resolve(result!);
      };
      flight.earlyReject = (error) => settle(error);
      const onAbort = () => flight.stop(new AbortError('the solve was aborted'));
      signal?.addEventListener('abort', onAbort, { once: true });

      const finish = () => {
        if (reply === undefined || !rowsDone) return;
        const result = reply.result;
        if (flight.stopError !== undefined && !(flight.stopError instanceof AbortError)) settle(flight.stopError);
        else if (result === null) settle(flight.stopError ?? new AbortError());
        // The point a cancelled solve reached rides on its AbortError (multi-start keeps the best, multistart.ts).
        else if (flight.stopError !== undefined && result.stopReason === 'cancelled') settle(Object.assign(flight.stopError, { result }));
        else settle(undefined, result);
      };
      if (channel) {
        channel.port1.on('message', (message: TraceRow | { done: true }) => {
          if ('done' in message) {
            rowsDone = true;
            channel.port1.close();
            finish();
            return;
          }
          if (settled || flight.stopped) return;
          try {
            onIteration!(message);
          } catch (error) {
            // The solve stops; the caller gets this exception (something, even if `undefined` was thrown).
            flight.stop(error ?? new Error(`onIteration threw ${String(error)}`));
          }
        });
      }

      this.flights.add(flight);
      flight.done = this.piscina.run(task, { transferList: channel ? [channel.port2] : [] }).then(
        (value: SolveReply) => {
          if (value.built) this.built++;
          reply = value;
          finish();
        },
        (error: unknown) => {
          channel?.port1.close();
          if (flight.stopped) settle(flight.stopError);
          else settle(workerFailure(error, this.maxQueue));
        },
      ).finally(() => {
        this.finished++;
        this.flights.delete(flight);
      });
    });
  }

  /** Stops taking solves, lets the queued and running ones finish, then ends the workers. */
  close(): Promise<void> {
    return this.end(false);
  }

  /**
   * Stops taking solves, cancels the queued and running ones (their promises reject with an
   * AbortError; running ones stop within one iteration), then ends the workers.
   */
  destroy(): Promise<void> {
    return this.end(true);
  }

  private end(cancel: boolean): Promise<void> {
    if (cancel) for (const flight of this.flights) flight.stop(new AbortError('the solver pool was destroyed'));
    if (this.ending) return this.ending;
    this.state = 'closing';
    this.ending = (async () => {
      while (this.flights.size > 0) await Promise.allSettled([...this.flights].map((f) => f.done));
      await this.piscina.destroy();
      this.state = 'closed';
    })();
    return this.ending;
  }
}

/** The error a caller sees when a worker failed: an InputError for bad input, else a WorkerError. */
function workerFailure(error: unknown, maxQueue: number): unknown {
  if (error instanceof SoftnewtonError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/^(Task queue is at limit|No task queue available)/.test(message)) {
    return new WorkerError(`the pool's queue is full (maxQueue ${maxQueue}, every worker busy): try again when a solve finishes`, { cause: error });
  }
  try {
    fromNative(error); // "field: message" TypeErrors and RangeErrors from the addon → InputError, NumericalError
  } catch (mapped) {
    if (mapped instanceof SoftnewtonError) return mapped;
  }
  if (/worker exited|Terminating worker thread|terminated/i.test(message)) {
    return new WorkerError(`the pool worker running this solve stopped (${message}); the pool replaces it, other solves go on`, { cause: error });
  }
  return new WorkerError(`the solve failed in a pool worker: ${message}`, { cause: error });
}

export function createPool(options: PoolOptions = {}): SolverPool {
  return new SolverPool(options);
}

// ---------------------------------------------------------------------------------------------
// The shared default pool: created on first use, destroyed after DEFAULT_POOL_IDLE_MS without work
// (so its memory and the OpenBLAS setting are given back), created again when needed. Its idle
// workers never keep the process alive.

export const DEFAULT_POOL_IDLE_MS = 5000;
let defaultPool: SolverPool | undefined;
let defaultUsers = 0;
let defaultTimer: NodeJS.Timeout | undefined;

/** Runs `work` with the default pool, creating it if needed. */
export async function withDefaultPool<T>(work: (pool: SolverPool) => Promise<T>): Promise<T> {
  if (defaultTimer) clearTimeout(defaultTimer);
  defaultTimer = undefined;
  if (!defaultPool || defaultPool.closed) defaultPool = new SolverPool();
  const pool = defaultPool;
  defaultUsers++;
  try {
    return await work(pool);
  } finally {
    defaultUsers--;
    if (defaultUsers === 0 && pool === defaultPool) {
      defaultTimer = setTimeout(() => {
        defaultTimer = undefined;
        if (defaultUsers === 0 && defaultPool === pool) {
          defaultPool = undefined;
          void pool.destroy();
        }
      }, DEFAULT_POOL_IDLE_MS).unref();
    }
  }
}

/**
 * One start, or `starts` starts, in `options.pool` or the shared default pool; `resolved` are the
 * options resolveSolveOptions made of `options`. solve() and SolverPool.solve() both end here.
 */
export function solveInPool(problem: Problem, options: SolveOptions, resolved: NativeSolveOptions): Promise<SolveResult> {
  if (options.pool !== undefined && !(options.pool instanceof SolverPool)) throw invalid('pool', 'a SolverPool', options.pool);
  const { signal, onIteration, starts } = options;
  const run = (pool: SolverPool): Promise<SolveResult> => {
    const inPool = options.threads === undefined ? { ...resolved, threads: pool.defaultThreads() } : resolved;
    pool.check(inPool);
    if (starts === undefined) return pool.run(problem, inPool, { signal, onIteration: onIteration && ((row) => onIteration(row, 0)) });
    return solveStarts(pool, problem, inPool, starts, { signal, onIteration });
  };
  return options.pool ? run(options.pool as SolverPool) : withDefaultPool(run);
}

/** The default pool's stats, or undefined while there is none. */
export function defaultPoolStats(): PoolStats | undefined {
  return defaultPool?.stats();
}

/** Ends the default pool now (if there is one): for programs that want their threads back at once. */
export async function closeDefaultPool(): Promise<void> {
  if (defaultTimer) clearTimeout(defaultTimer);
  defaultTimer = undefined;
  const pool = defaultPool;
  defaultPool = undefined;
  if (pool) await pool.destroy();
}
