/**
 * Multi-start (docs/math.md §5): the method's guarantee is local, so K independently seeded
 * starts run in parallel in a pool and the converged one with the smallest final loss wins (bestStart); every start's
 * summary and trace are kept.
 *
 * The distribution of the starts, for `seed` s and K starts:
 * - seeds: start 0 has seed s itself (so `starts: 1` is the plain solve with that seed); start
 *   i ≥ 1 has seed splitmix64(s + i·φ) mod 2^53, φ = 0x9e3779b97f4a7c15 (startSeeds below). A start's
 *   seed seeds its start point and every sketch it draws.
 * - without x0: start i begins at the default start of its seed, N(0, σ²I) with σ = 0.1/√d
 *   (‖x₀‖ ≈ 0.1), drawn natively — the point a plain solve with that seed begins at.
 * - with x0: start 0 begins at x0; start i ≥ 1 at x0 + r with r ~ N(0, σ²I), σ = 0.1·max(1, ‖x0‖)/√d
 *   (so ‖r‖ ≈ 0.1·max(1, ‖x0‖)), drawn from its seed (startPoint below); the point is reported.
 * Any start can be re-run alone: solve(problem, { seed: start.seed, x0: start.x0 ?? undefined }).
 */
import { setMaxListeners } from 'node:events';
import { AbortError } from '../errors';
import type { Problem } from '../problem';
import type { NativeSolveOptions, SolveResult, StartResult, TraceRow } from '../types';

export type { StartResult } from '../types';

/** What the starts need of a pool (a SolverPool, src/pool/pool.ts, which imports this module). */
export interface StartRunner {
  run(problem: Problem, options: NativeSolveOptions, hooks: { signal?: AbortSignal; onIteration?: (row: TraceRow) => void }): Promise<SolveResult>;
}

const MASK64 = (1n << 64n) - 1n;
const MASK53 = (1n << 53n) - 1n;
const GOLDEN = 0x9e3779b97f4a7c15n;

function mix64(z: bigint): bigint {
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

/** The seeds of `count` starts from `seed` (start 0 keeps `seed`). */
export function startSeeds(seed: number, count: number): number[] {
  const seeds = [seed];
  for (let i = 1; i < count; i++) seeds.push(Number(mix64((BigInt(seed) + BigInt(i) * GOLDEN) & MASK64) & MASK53));
  return seeds;
}

/** x0 + r, r ~ N(0, σ²I) with σ = 0.1·max(1, ‖x0‖)/√d, from `seed` (splitmix64 and Box–Muller). */
export function startPoint(x0: Float64Array, seed: number): Float64Array {
  const d = x0.length;
  let state = BigInt(seed) & MASK64;
  const uniform = () => {
    state = (state + GOLDEN) & MASK64;
    return Number(mix64(state) >> 11n) * 2 ** -53; // [0, 1), 53 random bits
  };
  // A loop, not Math.hypot(...x0): spreading ~10⁵ arguments overflows the call stack.
  let sumSquares = 0;
  for (let j = 0; j < d; j++) sumSquares += x0[j] * x0[j];
  const norm = Math.sqrt(sumSquares);
  const sigma = (0.1 * Math.max(1, norm)) / Math.sqrt(d);
  const out = new Float64Array(d);
  for (let j = 0; j < d; j += 2) {
    const radius = Math.sqrt(-2 * Math.log(1 - uniform()));
    const angle = 2 * Math.PI * uniform();
    out[j] = x0[j] + sigma * radius * Math.cos(angle);
    if (j + 1 < d) out[j + 1] = x0[j + 1] + sigma * radius * Math.sin(angle);
  }
  return out;
}

/**
 * The winning start: the converged start with the smallest final loss; only when no start converged,
 * the smallest final loss overall. A non-finite loss counts as +∞ and ties go to the lower index.
 * Convergence comes first because losses that differ by rounding (1e-14 apart) say nothing about
 * which start is better, while a start that stopped short of its tolerance is not a solution.
 */
export function bestStart(results: readonly Pick<SolveResult, 'loss' | 'converged'>[]): number {
  const key = (r: Pick<SolveResult, 'loss'>) => (Number.isFinite(r.loss) ? r.loss : Infinity);
  const pick = (eligible: (r: Pick<SolveResult, 'converged'>) => boolean): number => {
    let best = -1;
    for (let i = 0; i < results.length; i++) {
      if (eligible(results[i]) && (best < 0 || key(results[i]) < key(results[best]))) best = i;
    }
    return best;
  };
  const converged = pick((r) => r.converged);
  return converged >= 0 ? converged : Math.max(0, pick(() => true));
}

export interface StartHooks {
  signal?: AbortSignal;
  onIteration?: (row: TraceRow, start: number) => void;
}

/**
 * Runs `count` starts in `pool` and returns the winner's result with `starts` (every start) and
 * `best` (the winner's index). When one start fails, the others are cancelled and the call rejects
 * with that failure once none of them is running any more.
 */
export async function solveStarts(
  pool: StartRunner,
  problem: Problem,
  options: NativeSolveOptions,
  count: number,
  hooks: StartHooks = {},
): Promise<SolveResult> {
  const { signal, onIteration } = hooks;
  if (signal?.aborted) throw new AbortError();
  const seeds = startSeeds(options.seed, count);
  const points = seeds.map((s, i) => (options.x0 === undefined ? null : i === 0 ? options.x0 : startPoint(options.x0, s)));
  const siblings = new AbortController();
  setMaxListeners(count + 1, siblings.signal); // one listener per start is expected, not a leak
  const onAbort = () => siblings.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const tasks = seeds.map((seed, i) =>
      pool
        .run(problem, { ...options, seed, x0: points[i] ?? undefined }, {
          signal: siblings.signal,
          onIteration: onIteration && ((row) => onIteration(row, i)),
        })
        .catch((error: unknown) => {
          siblings.abort();
          throw error;
        }),
    );
    let results: SolveResult[];
    try {
      results = await Promise.all(tasks);
    } catch (error) {
      const settled = await Promise.allSettled(tasks);
      if (signal?.aborted) {
        // The points the starts reached (a finished start's result, a cancelled one's last point;
        // a start still queued has none): the best of them rides on the AbortError, marked cancelled.
        const reached: StartResult[] = [];
        settled.forEach((s, i) => {
          const r = s.status === 'fulfilled' ? s.value : (s.reason as { result?: SolveResult } | undefined)?.result;
          if (r) reached.push({ ...r, seed: seeds[i], x0: points[i] });
        });
        const aborted = new AbortError('the solve was aborted');
        if (reached.length === 0) throw aborted;
        const best = bestStart(reached);
        const { x, loss, gradNorm, iterations, converged, message, seconds, trace } = reached[best];
        throw Object.assign(aborted, { result: { x, loss, gradNorm, iterations, converged, stopReason: 'cancelled', message, seconds, trace, starts: reached, best } });
      }
      throw error;
    }
    const starts: StartResult[] = results.map((r, i) => ({ ...r, seed: seeds[i], x0: points[i] }));
    const best = bestStart(results);
    const { x, loss, gradNorm, iterations, converged, stopReason, message, seconds, trace } = results[best];
    return { x, loss, gradNorm, iterations, converged, stopReason, message, seconds, trace, starts, best };
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
