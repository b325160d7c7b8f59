/**
 * The distributed solve: every rank runs the same solver on its block of rows, and every sum over
 * rows becomes a sum over ranks (an MPI_Allreduce of at most d² numbers per iteration;
 * docs/distributed.md). The result is the same object on every rank, with the shape of `solve`'s
 * plus `ranks` and the traffic.
 */
import * as os from 'node:os';
import { fromNative, InputError } from '../errors';
import { native } from '../native';
import { NativeSolveOptions, resolveSolveOptions, SolveOptions, SolveResult, TraceRow } from '../solve';
import { mpiAddon, MpiTraffic } from './addon';
import type { Shard } from './shard';

export interface DistributedSolveOptions extends Omit<SolveOptions, 'starts' | 'pool' | 'signal' | 'onIteration'> {
  /** Called on this rank with each trace row (the rows are the same on every rank). */
  onIteration?: (row: TraceRow) => void;
}

export interface DistributedSolveResult extends SolveResult {
  /** The number of ranks that solved together. */
  ranks: number;
  /** What this rank sent through MPI_Allreduce during the solve (docs/distributed.md). */
  communication: MpiTraffic & { bytesPerIteration: number };
}

/** Sketches whose sum over row blocks is a sketch of the whole (a block sketch); the others are refused. */
const SHARDABLE_SKETCHES = new Set(['auto', 'none', 'countsketch', 'osnap']);

/**
 * `auto` for a sharded problem. newton-pcg: one process's cost model (docs/performance.md), priced
 * for the average rank — the shards' pass and exact-Gram work summed over the ranks and divided by
 * R, so every rank makes the same choice. approx-newton: exact when the average rank's exact Gram,
 * Σ nnz(row)²/R, costs no more than a block CountSketch (one pass, nnz/R, and the k × d Gram,
 * k·d²); else CountSketch. Leverage sampling, what `auto` picks for approx-newton on one machine,
 * has no sound sharded form here.
 */
function resolveAutoSketch(shard: Shard, k: number, method: string): 'none' | 'countsketch' {
  if (method === 'newton-pcg') {
    const local = native().preconditionerCosts(shard.problem.handle, k);
    const [pass, gram] = shard.comm.sum(new Float64Array([local.pass, local.gram]));
    return native().pricePreconditioner(pass / shard.ranks, gram / shard.ranks, shard.cols, k).choice === 'none' ? 'none' : 'countsketch';
  }
  const C = shard.problem.C;
  let exact = 0;
  if ('data' in C) exact = C.rows * C.cols * C.cols;
  else for (let i = 0; i < C.rows; i++) exact += (C.indptr[i + 1] - C.indptr[i]) ** 2;
  const total = shard.comm.sum(new Float64Array([exact]))[0];
  const d = shard.cols;
  return total / shard.ranks <= k * d * d + shard.globalNnz / shard.ranks ? 'none' : 'countsketch';
}

/**
 * Collective: solves the problem whose rows the ranks' shards hold together. Every rank must call
 * it with the same options (checked: a difference is an InputError on every rank).
 */
export async function solveDistributed(shard: Shard, options: DistributedSolveOptions = {}): Promise<DistributedSolveResult> {
  const { comm } = shard;
  const given = options as SolveOptions;
  for (const key of ['starts', 'pool', 'signal'] as const) {
    if (given[key] !== undefined) {
      throw new InputError(key, key === 'starts'
        ? 'multi-start is not available in a distributed solve: run separate jobs with different seeds'
        : `not available in a distributed solve (every rank must stop at the same iteration)`);
    }
  }
  const { onIteration, ...rest } = options;
  if (onIteration !== undefined && typeof onIteration !== 'function') throw new InputError('onIteration', 'expected a function');
  let resolved: NativeSolveOptions;
  try {
    // Threads by default: this machine's cores shared by the ranks Open MPI started on it.
    const local = Number(process.env.OMPI_COMM_WORLD_LOCAL_SIZE ?? 1);
    const threads = rest.threads ?? Math.max(1, Math.floor(os.availableParallelism() / (Number.isInteger(local) && local > 0 ? local : 1)));
    resolved = resolveSolveOptions(shard.problem, { ...rest, threads });
    const usesSketch = resolved.method === 'approx-newton' || resolved.method === 'newton-pcg';
    if (usesSketch && !SHARDABLE_SKETCHES.has(resolved.sketch)) {
      throw new InputError('sketch', `${resolved.sketch} has no sound sharded form (its row sample would need the whole matrix's scores); a distributed solve takes none, countsketch, osnap or auto`);
    }
    if (resolved.sketchRows === 0) {
      // k from the whole problem's n (and nnz), as one process would derive it (the core's rules: newton-pcg's
      // sketch only preconditions CG; approx-newton's must reach the spectral error eps0), and the
      // same on every rank.
      const k = resolved.method === 'newton-pcg'
        ? mpiAddon().preconditionerRows(shard.globalRows, shard.cols, shard.globalNnz)
        : native().sketchRowsForEpsilon(shard.globalRows, shard.cols, resolved.eps0);
      resolved.sketchRows = Math.max(k, resolved.osnapNonzeros);
    }
  } catch (error) {
    // Options are the same on every rank (checked next) unless they are not: agree first either way.
    comm.agree(error);
    throw error;
  }
  comm.agree(undefined);
  // threads may differ between machines: the result is the same bits for every thread count.
  const { threads: _threads, ...compared } = resolved;
  comm.requireSame('options', { ...compared, rows: shard.globalRows, cols: shard.cols, model: shard.problem.options() });
  if (resolved.sketch === 'auto') resolved.sketch = resolveAutoSketch(shard, resolved.sketchRows, resolved.method);
  let out: { result: unknown; traffic: MpiTraffic };
  try {
    out = await mpiAddon().solve(shard.problem.spec(), resolved, shard.rowOffset, onIteration);
  } catch (error) {
    fromNative(error);
  }
  const result = out.result as SolveResult;
  // Every rank must end at the same x: the reductions give every rank the same sums, so the same
  // iterates. A difference means they diverged (a bug, or an MPI whose allreduce is not
  // reproducible across ranks): that must not pass silently.
  const x = result.x;
  const spread = comm.max(Float64Array.from([...x, ...x.map((v) => -v)]));
  for (let j = 0; j < x.length; j++) {
    if (spread[j] !== -spread[x.length + j]) throw new Error(`distributed solve: the ranks ended at different points (x[${j}] from ${-spread[x.length + j]} to ${spread[j]})`);
  }
  const iterations = Math.max(result.iterations, 1);
  return { ...result, ranks: shard.ranks, communication: { ...out.traffic, bytesPerIteration: out.traffic.bytes / iterations } };
}
