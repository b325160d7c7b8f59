/**
 * Checks of the data against the model, reported as warnings (never errors: the user may know
 * better). Today: targets the model cannot output. With a > 0, softmax gives 0 < sᵢ < 1, so
 * a∘s + c lies in (c, c + a) row by row and the prediction φ(a∘s + c) in φ of that interval
 * (φ is increasing except gelu, whose minimum ≈ −0.17 is taken into account). A target outside
 * is unreachable: the fit cannot be good, whatever the solver does (e.g. diabetes targets 25–346
 * under a sigmoid). relu-softmax outputs φ(a∘s + c) too (s after a ReLU); softmax outputs s, in (0, 1).
 */
import type { Problem, UnitName } from '../problem';

const PHI: Record<UnitName, (v: number) => number> = {
  identity: (v) => v,
  relu: (v) => Math.max(0, v),
  sigmoid: (v) => 1 / (1 + Math.exp(-v)),
  tanh: Math.tanh,
  softplus: (v) => (v > 30 ? v : Math.log1p(Math.exp(v))),
  exp: Math.exp,
  gelu: (v) => 0.5 * v * (1 + erf(v / Math.SQRT2)),
};

/** gelu's minimum, at v ≈ −0.7518. */
const GELU_MIN_AT = -0.75179;

/** Abramowitz–Stegun 7.1.26 (error below 1.5e-7): enough to bound a range for a warning. */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x >= 0 ? y : -y;
}

/** The interval φ((lo, hi)) for the problem's unit. */
function unitRange(unit: UnitName, lo: number, hi: number): [number, number] {
  const phi = PHI[unit];
  let a = phi(lo);
  const b = phi(hi);
  if (unit === 'gelu' && lo < GELU_MIN_AT && GELU_MIN_AT < hi) a = phi(GELU_MIN_AT);
  return [Math.min(a, b), Math.max(a, b)];
}

function formatRange(lo: number, hi: number): string {
  return `(${Number(lo.toPrecision(4))}, ${Number(hi.toPrecision(4))})`;
}

/**
 * Warnings about `problem`'s targets: how many lie outside what the model can output, with the
 * range and the first such row. Empty when every target is reachable.
 */
export function targetWarnings(problem: Problem): string[] {
  const { rows, b, scale, bias, unit } = problem;
  const model = problem.model;
  let outside = 0;
  let first = -1;
  let lowest = Infinity;
  let highest = -Infinity;
  const rangeOf = (a: number, c: number) => unitRange(model === 'softmax' ? 'identity' : unit, Math.min(c, c + a), Math.max(c, c + a));
  // One range for all rows unless a or c is given per row (a cost of O(n) evaluations of φ then).
  const shared = scale.length === 1 && bias.length === 1 ? rangeOf(scale[0], bias[0]) : undefined;
  for (let i = 0; i < rows; i++) {
    const [lo, hi] = shared ?? rangeOf(scale.length === 1 ? scale[0] : scale[i], bias.length === 1 ? bias[0] : bias[i]);
    lowest = Math.min(lowest, lo);
    highest = Math.max(highest, hi);
    // A little slack: targets on the boundary (0 or 1 under a sigmoid) are the limits of a fit, not a mistake.
    const slack = 1e-12 * Math.max(1, Math.abs(lo), Math.abs(hi));
    if (b[i] < lo - slack || b[i] > hi + slack) {
      outside++;
      if (first < 0) first = i;
    }
  }
  if (outside === 0) return [];
  const a = scale.length === 1 ? `a = ${scale[0]}` : 'a per row';
  const c = bias.length === 1 ? `c = ${bias[0]}` : 'c per row';
  const unitText = model === 'softmax' ? 'model softmax' : `unit ${unit}, ${a}, ${c}`;
  return [
    `${outside} of ${rows} targets lie outside what the model can output, ${formatRange(lowest, highest)} ` +
      `(${unitText}; e.g. row ${first + 1}: b = ${b[first]}): the fit cannot reach them. ` +
      'Rescale the targets, or choose a unit, scale (--scale) and bias (--bias) whose range covers them',
  ];
}
