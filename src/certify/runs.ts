/**
 * The solves a certificate rests on: exact Newton (the reference x* unless one is given), then the
 * chosen sketch and the others to compare. And the check that approx-newton and the reference end at
 * the same stationary point: the local theory speaks of one minimiser, and a run that converged
 * elsewhere has no rate against x* to rate.
 */
import { distance } from '../numeric';
import type { Problem } from '../problem';
import { solve } from '../solve';
import type { SketchName, SolveResult } from '../types';
import type { ResolvedCertifyOptions } from './options';
import type { CertifyRun, StationaryComparison } from './types';

export function toRun(label: string, method: CertifyRun['method'], sketch: SketchName, r: SolveResult): CertifyRun {
  return {
    label, method, sketch, converged: r.converged, stopReason: r.stopReason, iterations: r.iterations, loss: r.loss, gradNorm: r.gradNorm,
    trace: r.trace,
  };
}

export interface Runs {
  runs: CertifyRun[];
  /** The reference x*: options.xStar, or exact Newton's solution when it converged. */
  reference: Float64Array | undefined;
  /** Exact Newton's result (when solved). */
  exact: SolveResult | undefined;
  /** The approx-newton run with the chosen sketch. */
  solution: SolveResult | undefined;
}

export async function runSolves(problem: Problem, o: ResolvedCertifyOptions, sketchRows: number): Promise<Runs> {
  const runs: CertifyRun[] = [];
  let reference = o.xStar;
  let solution: SolveResult | undefined;
  const common = { seed: o.seed, x0: o.x0, tol: o.tol, maxIter: o.maxIter };
  let exact = await solve(problem, { ...common, method: 'newton', xStar: o.xStar });
  if (!reference && exact.converged) {
    reference = exact.x;
    // The same (deterministic) run again, now recording ‖x_t − x*‖ against its own solution.
    exact = await solve(problem, { ...common, method: 'newton', xStar: reference });
  }
  runs.push(toRun('newton', 'newton', 'none', exact));
  for (const sketch of [o.sketch, ...o.compare.filter((s) => s !== o.sketch)]) {
    const method = sketch === 'none' ? 'newton' : 'approx-newton';
    const r = await solve(problem, { ...common, method, sketch, sketchRows, xStar: reference });
    runs.push(toRun(sketch, method, sketch, r));
    if (sketch === o.sketch) solution = r;
  }
  return { runs, reference, exact, solution };
}

/**
 * Do the approx-newton run and the reference end at the same stationary point? Two ends of one
 * minimiser have losses equal to far below the rounding of a converged solve; a relative gap above
 * 10⁻⁶ (plus an absolute floor for losses near 0) is another stationary point. Loss, not position:
 * where ∇²L is singular (softmax is shift-invariant) one minimum is a whole line of points.
 */
export function compareStationary(problem: Problem, runs: Runs, givenReference: Float64Array | undefined): StationaryComparison | null {
  const { solution, reference, exact } = runs;
  if (!solution || !reference) return null;
  const ref = givenReference
    ? (() => {
        const { loss, gradient } = problem.evaluate(givenReference);
        let g = 0;
        for (const v of gradient) g += v * v;
        return { loss, gradNorm: Math.sqrt(g), converged: true, source: 'given' as const };
      })()
    : { loss: exact!.loss, gradNorm: exact!.gradNorm, converged: exact!.converged, source: 'newton' as const };
  let bb = 0;
  for (const v of problem.b) bb += v * v;
  const tolerance = 1e-6 * Math.max(Math.abs(solution.loss), Math.abs(ref.loss)) + 1e-14 * Math.max(1, 0.5 * bb);
  const gap = solution.loss - ref.loss;
  const same = Number.isFinite(gap) && Math.abs(gap) <= tolerance;
  const name = ref.source === 'newton' ? 'exact Newton' : 'the given x*';
  const note = same
    ? ''
    : `approx-newton ended at L = ${solution.loss.toPrecision(6)} (‖∇L‖ = ${solution.gradNorm.toExponential(2)}${solution.converged ? '' : ', not converged'}), ` +
      `${name} at L = ${ref.loss.toPrecision(6)} (‖∇L‖ = ${ref.gradNorm.toExponential(2)}${ref.converged ? '' : ', not converged'}): ` +
      `${gap < 0 ? 'approx-newton found the lower one' : `${name} found the lower one`}; the local theory compares runs near one minimiser`;
  return {
    same,
    solution: { loss: solution.loss, gradNorm: solution.gradNorm, converged: solution.converged },
    reference: ref,
    distance: distance(solution.x, reference),
    note,
  };
}
