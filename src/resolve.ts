/**
 * solve()'s options resolved: the schema's checks and defaults, then the memory cap. solve(),
 * solveSync() and SolverPool.solve() all start here.
 */
import type { NativeProblem } from './addon';
import { InputError } from './errors';
import { checkSolveMemory } from './limits';
import { checkKnownOptions, checkOption, SOLVE_OPTIONS, solveOption } from './options';
import type { NativeSolveOptions, SolveOptions } from './types';

/**
 * The options as the native solver takes them: every field present and checked against the schema
 * (src/options.ts), and the memory cap applied (src/limits.ts): a solve, or with `starts` the solves
 * that run at once, whose estimated footprint exceeds maxMemoryBytes is refused here, before native
 * code allocates anything. The pool's own checks (open, threads within its rule) are src/pool/pool.ts's.
 */
export function resolveSolveOptions(problem: { rows: number; cols: number; nnz?: number; handle?: NativeProblem }, options: SolveOptions = {}): NativeSolveOptions {
  checkKnownOptions(options, SOLVE_OPTIONS);
  const o = options as Record<string, unknown>;
  const value = <T>(name: string): T => checkOption(solveOption(name), o[name], name, problem.cols) as T;
  for (const name of ['onIteration', 'signal', 'starts', 'maxMemoryBytes']) value(name);
  const resolved: NativeSolveOptions = {
    method: value('method'),
    sketch: value('sketch'),
    sketchRows: value('sketchRows'),
    eps0: value('eps0'),
    osnapNonzeros: value('osnapNonzeros'),
    tol: value('tol'),
    atol: value('atol'),
    decrementTol: value('decrementTol'),
    maxIter: value('maxIter'),
    maxInner: value('maxInner'),
    lbfgsMemory: value('lbfgsMemory'),
    seed: value('seed'),
    threads: value('threads'),
    x0: value('x0'),
    xStar: value('xStar'),
  };
  // Only where it matters: OSNAP needs s ≤ k; the default s = 4 must not refuse sketchRows 1–3 for other sketches.
  if (resolved.sketchRows > 0 && resolved.osnapNonzeros > resolved.sketchRows && (resolved.sketch === 'osnap' || o.osnapNonzeros !== undefined)) {
    throw new InputError('osnapNonzeros', `must not exceed sketchRows (${resolved.sketchRows})`);
  }
  checkSolveMemory(problem, resolved, o.maxMemoryBytes, o.starts);
  return resolved;
}

