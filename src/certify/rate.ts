/**
 * Section "rate": does the observed rate match the theory? The observed linear rate of
 * approx-newton's last full-step iterations against the prediction of docs/math.md §4: a (1 ± ε)
 * sketch of M is a (1 ± εκ) sketch of ∇²L, whose step contracts the error by at most εκ/(1 − εκ);
 * and, sharper, the contraction max|1 − 1/μ| over the eigenvalues μ of ∇²L⁻¹H̃ for sketches drawn
 * at the solution. Also exact Newton's quadratic constant against M/(2λ_min).
 */
import { extent, mean, norm } from '../numeric';
import type { SolveResult, TraceRow } from '../types';
import type { SketchMeasure } from './sketch';
import type { Certificate, CertifyRun, StationaryComparison } from './types';

/**
 * The geometric mean of the last `window` ratios e_t / e_{t−1} of trace rows taken with a full step
 * (the local regime) while both errors are above the rounding floor. Returns the rate and the
 * iterations it spans.
 */
export function observedRate(
  trace: readonly TraceRow[],
  value: (row: TraceRow) => number | null,
  floor: number,
  window: number,
): { rate: number; first: number; last: number } | null {
  const ratios: { t: number; r: number }[] = [];
  for (let t = 1; t < trace.length; t++) {
    const before = value(trace[t - 1]);
    const after = value(trace[t]);
    if (before === null || after === null || !(before > floor) || !(after > floor) || trace[t].step !== 1) continue;
    ratios.push({ t: trace[t].iteration, r: after / before });
  }
  const used = ratios.slice(-window);
  if (used.length === 0) return null;
  const rate = Math.exp(used.reduce((s, { r }) => s + Math.log(r), 0) / used.length);
  return { rate, first: used[0].t, last: used[used.length - 1].t };
}

export interface RateInputs {
  /** The approx-newton run with the chosen sketch, when one was made. */
  solution: SolveResult | undefined;
  /** The reference minimiser x* (given, or exact Newton's solution), when there is one. */
  reference: Float64Array | undefined;
  /** The point certified (for the rounding floor when there is no reference). */
  x: Float64Array;
  /** The sketch measured at the solution the observed iterations approach. */
  atSolution: SketchMeasure;
  stationary: StationaryComparison | null;
  capped: { wanted: number; rows: number } | null;
  exactRun: CertifyRun | undefined;
  /** M/(2λ_min) when the point is the solution and ∇²L is positive definite there. */
  quadraticPredicted: number | null;
  window: number;
}

export function rateSection(i: RateInputs): Certificate['rate'] {
  const m = i.atSolution;
  const rateEpsilon = m.epsilons.length ? extent(m.epsilons).max : null;
  const kappa = m.kappa;
  const epsilonKappa = rateEpsilon !== null && kappa !== null ? rateEpsilon * kappa : null;
  const bound = epsilonKappa !== null && epsilonKappa < 1 ? epsilonKappa / (1 - epsilonKappa) : null;
  // A draw whose H̃ is not positive definite has no contraction (the solver damps it): then no linearised rate.
  const contractionsFinite = m.contractions.every(Number.isFinite);
  const linearised = m.contractions.length && contractionsFinite ? mean(m.contractions) : null;
  let observed: number | null = null;
  let observedFromGradient: number | null = null;
  let window: [number, number] | null = null;
  let note = '';
  if (i.solution) {
    const trace = i.solution.trace;
    const scale = Math.max(1, i.reference ? norm(i.reference) : norm(i.x));
    const byDistance = observedRate(trace, (r) => r.distance, 1e-11 * scale, i.window);
    const byGradient = observedRate(trace, (r) => r.gradNorm, 1e-13 * Math.max(trace[0].gradNorm, Number.MIN_VALUE), i.window);
    if (byDistance) {
      observed = byDistance.rate;
      window = [byDistance.first, byDistance.last];
    }
    if (byGradient) observedFromGradient = byGradient.rate;
    if (!i.reference) note = 'no reference solution (exact Newton did not converge and no xStar was given)';
    else if (!byDistance) note = 'no full-step iterations above the rounding floor to measure';
  } else {
    note = 'no solve was run';
  }
  // Only a contraction (< 1) is a prediction of convergence; a factor ≥ 1 promises nothing.
  const predicted = [bound, linearised].filter((v): v is number => v !== null && v < 1);
  let verdict: Certificate['rate']['verdict'];
  const exactSketch = m.kind === 'none';
  if (i.stationary && !i.stationary.same) verdict = 'differentPoints';
  else if (observed === null) verdict = 'unmeasured';
  else if (predicted.length === 0 || exactSketch) verdict = 'noPrediction';
  else verdict = observed <= 1.1 * extent(predicted).max ? 'consistent' : 'slower';
  if (verdict === 'differentPoints') {
    note = `no rate is rated: ‖x_t − x*‖ runs to another stationary point (${i.stationary!.note})`;
  } else if (verdict === 'noPrediction' && exactSketch) {
    note = 'the sketch is exact (none), so the iteration is exact Newton: its convergence is quadratic, not linear (see the exact Newton line)';
  } else if (verdict === 'noPrediction') {
    note = kappa === null
      ? '∇²L is not positive definite at the solution: κ and the predicted rate are undefined'
      : rateEpsilon === null
        ? `the sketch's error could not be measured at the solution (${m.note})`
        : `εκ = ${(rateEpsilon * kappa).toPrecision(3)}${rateEpsilon * kappa >= 1 ? ' ≥ 1' : ''} and the drawn sketches ${contractionsFinite ? `contract by ${linearised === null ? '-' : linearised.toPrecision(3)} ≥ 1` : 'include an indefinite H̃'}: the theory promises no contraction (more sketch rows would)`;
  }
  if (i.capped && verdict !== 'differentPoints') {
    const capNote = `k is capped at n = ${i.capped.rows} (ε₀ asks for k = ${i.capped.wanted}): the sample is not a (1 ± ε₀) approximation`;
    note = note ? `${note}; ${capNote}` : capNote;
  }
  let quadraticObserved: number | null = null;
  const exactRun = i.exactRun;
  if (exactRun && i.reference) {
    // Only steps in the local regime (full steps) whose errors are both above the rounding floor.
    const floor = 1e-11 * Math.max(1, norm(i.reference));
    for (let t = 1; t < exactRun.trace.length; t++) {
      const before = exactRun.trace[t - 1].distance;
      const after = exactRun.trace[t].distance;
      if (before === null || after === null || !(after > floor) || !(before > floor) || exactRun.trace[t].step !== 1) continue;
      quadraticObserved = Math.max(quadraticObserved ?? 0, after / (before * before));
    }
  }
  return {
    observed, observedFromGradient, window, epsilon: rateEpsilon, kappa, epsilonKappa, bound, linearised, verdict, note,
    quadratic: { observed: quadraticObserved, predicted: i.quadraticPredicted },
  };
}
