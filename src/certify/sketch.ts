/**
 * Section "sketch": how good is the sketch at x? Its spectral error ε against the exact
 * M = Cᵀ diag(D) C (against Cᵀ|D|C when D has negative entries) over several seeds; the contraction
 * of the step each drawn sketch gives; κ = λ_max(∇²L⁻¹ Cᵀ|D|C); and whether k was capped at n.
 */
import { native } from '../native';
import { extent, mean } from '../numeric';
import type { Problem } from '../problem';
import type { NegativePart, SketchName } from '../types';
import type { HessianSpectrum } from './hessian';
import type { Certificate } from './types';

export interface SketchMeasure {
  kind: string;
  negativePart: NegativePart;
  relativeTo: 'signed' | 'absolute';
  /** One per draw, or empty with a note when not measurable. */
  epsilons: number[];
  /** max|1 − 1/μ| per draw, μ the eigenvalues of ∇²L⁻¹H̃ (only when ∇²L is positive definite). */
  contractions: number[];
  kappa: number | null;
  note: string;
}

/** The sketch at x over `draws` seeds. */
export function measureSketch(
  problem: Problem, x: Float64Array, spectrum: HessianSpectrum, D: Float64Array,
  o: { sketch: SketchName; rows: number; seed: number; draws: number },
): SketchMeasure {
  const a = native();
  const d = problem.cols;
  const relativeTo = D.some((v) => v < 0) ? 'absolute' : 'signed';
  const out: SketchMeasure = { kind: o.sketch, negativePart: 'none', relativeTo, epsilons: [], contractions: [], kappa: null, note: '' };
  const pd = spectrum.definiteness === 'positiveDefinite';
  const M = pd ? a.weightedGram(problem.handle, D) : undefined;
  for (let s = 0; s < o.draws; s++) {
    const options = { kind: o.sketch, rows: o.rows, seed: o.seed + s };
    try {
      const measured = a.sketchSpectrum(problem.handle, x, { ...options, relativeTo });
      out.kind = measured.report.kind;
      out.negativePart = measured.report.negativePart;
      out.epsilons.push(Math.max(1 - measured.minEig, measured.maxEig - 1, 0));
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      out.epsilons = [];
      out.note = `not measurable: ${error.message.replace(/^x: /, '')}`;
      break;
    }
    if (M) {
      // H̃ − ∇²L = M̃ − M (docs/math.md §4): the sketched Hessian of this draw, against the exact one.
      const approx = a.sketchGram(problem.handle, x, options).gram;
      const Htilde = spectrum.H.map((h, p) => h + approx[p] - M[p]);
      const mu = a.generalizedEigenvalues(Htilde, spectrum.H, d);
      out.contractions.push(mu[0] > 0 ? Math.max(Math.abs(1 - 1 / mu[0]), Math.abs(1 - 1 / mu[d - 1])) : Infinity);
    }
  }
  if (pd) {
    const k = a.generalizedEigenvalues(a.weightedGram(problem.handle, D.map(Math.abs)), spectrum.H, d);
    out.kappa = k[d - 1];
  }
  return out;
}

/**
 * The k the sketch uses, and when it was derived from ε₀ and capped at n, the k ε₀ asked for:
 * sketchRowsForEpsilon caps at n, and a sample of n rows drawn with replacement is no (1 ± ε₀)
 * approximation (docs/math.md §4).
 */
export function sketchRows(n: number, d: number, o: { sketchRows: number; eps0: number }): { rows: number; capped: { wanted: number; rows: number } | null } {
  if (o.sketchRows > 0) return { rows: o.sketchRows, capped: null };
  const a = native();
  const rows = Math.min(n, a.sketchRowsForEpsilon(n, d, o.eps0));
  const wanted = a.sketchRowsForEpsilon(Number.MAX_SAFE_INTEGER, d, o.eps0);
  return { rows, capped: wanted > rows ? { wanted, rows } : null };
}

export function sketchSection(
  m: SketchMeasure, o: { sketch: SketchName; rows: number; draws: number; capped: { wanted: number; rows: number } | null },
): Certificate['sketch'] {
  const exact = m.kind === 'none';
  return {
    requested: o.sketch, kind: m.kind, rows: exact ? 0 : o.rows, draws: o.draws,
    epsilon: m.epsilons.length ? extent(m.epsilons).max : null,
    epsilonMean: m.epsilons.length ? mean(m.epsilons) : null,
    relativeTo: m.relativeTo, negativePart: m.negativePart, note: m.note,
    capped: exact ? null : o.capped,
  };
}
