/**
 * A certificate: the theory's assumptions and predictions (docs/math.md §§3–6) measured on the data,
 * at one point (default: the solution of a solve). One module per section:
 *
 * - runs.ts: the solves (exact Newton as the reference, the chosen sketch, the compared ones), and
 *   whether approx-newton and the reference end at the same stationary point;
 * - hessian.ts: definiteness, the spectrum of ∇²L(x);
 * - lipschitz.ts: the Hessian's Lipschitz constant M from seeded pairs near x;
 * - sketch.ts: the sketch's spectral error ε, its contraction, κ, and whether k was capped at n;
 * - rate.ts: the observed linear rate against the prediction, and exact Newton's quadratic constant;
 * - assumptions.ts: norms, rank, the weights docs/math.md §6 names, the good-start condition;
 * - options.ts: the options, from the schema of src/options.ts.
 *
 * The verdict (this file) collects what fails; `softnewton certify` exits with it. Costs: one d × d
 * Hessian and eigen-decomposition per sampled point, O(n d² + d³) each, so certificates are for d up
 * to a few thousand.
 */
import { NumericalError } from '../errors';
import { distance, norm } from '../numeric';
import type { Problem } from '../problem';
import { assumptionsSection } from './assumptions';
import { hessianSection, hessianSpectrum } from './hessian';
import { lipschitzSection } from './lipschitz';
import { resolveCertifyOptions } from './options';
import { rateSection } from './rate';
import { compareStationary, Runs, runSolves } from './runs';
import { measureSketch, SketchMeasure, sketchRows, sketchSection } from './sketch';
import type { Certificate, CertifyOptions } from './types';

export { CERTIFY_OPTIONS } from './options';
export { observedRate } from './rate';
export { smallestEigenvalueDiagonalPlusRank2 } from './assumptions';
export type { Certificate, CertifyOptions, CertifyRun, Definiteness, StationaryComparison } from './types';

/** Certifies `problem` at options.x, or at the solution of approximate Newton with options.sketch. See the module comment. */
export async function certify(problem: Problem, options: CertifyOptions = {}): Promise<Certificate> {
  const started = performance.now();
  const o = resolveCertifyOptions(problem, options);
  const k = sketchRows(problem.rows, problem.cols, o);

  const solved: Runs = o.solve ? await runSolves(problem, o, k.rows) : { runs: [], reference: o.xStar, exact: undefined, solution: undefined };
  const { runs, reference, solution } = solved;
  const x = o.x ?? solution!.x;
  const { loss, gradient } = problem.evaluate(x);

  const spectrum = hessianSpectrum(problem, x);
  const lipschitz = lipschitzSection(problem, x, spectrum.H, { radius: o.radius ?? 0.1 * Math.max(1, norm(x)), seed: o.seed, samples: o.samples });

  // The sketch at x; and, for the rate, at the solution the observed iterations approach.
  const pieces = problem.pieces(x);
  const sketchOptions = { sketch: o.sketch, rows: k.rows, seed: o.seed, draws: o.draws };
  const atPoint = measureSketch(problem, x, spectrum, pieces.D, sketchOptions);
  let atSolution: SketchMeasure = atPoint;
  if (solution && o.x) {
    try {
      atSolution = measureSketch(problem, solution.x, hessianSpectrum(problem, solution.x), problem.pieces(solution.x).D, sketchOptions);
    } catch (error) {
      // A solve that ended where the model overflows (stopReason overflow) has no rate to predict.
      if (!(error instanceof NumericalError)) throw error;
      atSolution = { ...atPoint, epsilons: [], contractions: [], kappa: null, note: `not measurable at the solve's last point: ${error.message}` };
    }
  }

  const stationary = compareStationary(problem, solved, o.xStar);
  // The local constants of x* (l = λ_min there, M near it) are known when the point is the solution.
  const atMinimiser = !o.x && spectrum.definiteness === 'positiveDefinite' && lipschitz.estimate !== null && lipschitz.estimate > 0;
  const rate = rateSection({
    solution, reference, x, atSolution, stationary, capped: k.capped, exactRun: runs.find((r) => r.label === 'newton'),
    quadraticPredicted: atMinimiser ? lipschitz.estimate! / (2 * spectrum.min) : null, window: o.window,
  });
  const approxRun = runs.find((r) => r.label === o.sketch);
  const assumptions = assumptionsSection(problem, x, pieces, {
    minEigenvalue: spectrum.min, lipschitz: lipschitz.estimate, atMinimiser, startDistance: approxRun?.trace[0]?.distance ?? null,
  });
  const sketch = sketchSection(atPoint, { sketch: o.sketch, rows: k.rows, draws: o.draws, capped: k.capped });

  // The verdict: what fails, in the order a reader should fix it.
  const failures: string[] = [];
  if (spectrum.definiteness !== 'positiveDefinite') failures.push(`∇²L is ${spectrum.definiteness === 'singular' ? 'singular' : 'indefinite'} at x`);
  if (solution && !solution.converged) {
    failures.push(`the approx-newton run with ${o.sketch} did not converge (${solution.stopReason})` +
      (sketch.capped ? `: k is capped at n = ${sketch.capped.rows}, below the ${sketch.capped.wanted} rows ε₀ = ${o.eps0} needs` : ''));
  }
  if (stationary && !stationary.same) failures.push(`approx-newton and ${stationary.reference.source === 'newton' ? 'exact Newton' : 'the given x*'} ended at different stationary points`);
  if (rate.verdict === 'slower') failures.push('the observed rate is slower than predicted');

  return {
    point: {
      source: o.x ? 'given' : 'solution',
      x: Float64Array.from(x),
      loss,
      gradNorm: norm(gradient),
      distanceToReference: reference ? distance(x, reference) : null,
    },
    hessian: hessianSection(spectrum),
    lipschitz,
    sketch,
    rate,
    stationary,
    assumptions,
    verdict: { holds: failures.length === 0, failures },
    runs,
    seconds: (performance.now() - started) / 1000,
  };
}
