/**
 * Section "Hessian": is ∇²L positive definite at x? All eigenvalues of the d × d Hessian (LAPACK
 * dsyevd, native/binding/certify_binding.cc), with |λ| ≤ 10·d·ε_machine·max|λ| counted as zero.
 */
import { native } from '../native';
import type { Problem } from '../problem';
import type { Certificate, Definiteness } from './types';

export interface HessianSpectrum {
  H: Float64Array;
  min: number;
  max: number;
  tolerance: number;
  definiteness: Definiteness;
  negatives: number;
}

/** ∇²L(x) and its spectrum. */
export function hessianSpectrum(problem: Problem, x: Float64Array): HessianSpectrum {
  const d = problem.cols;
  const H = problem.hessian(x);
  const eig = native().symmetricEigenvalues(H, d);
  const min = eig[0];
  const max = eig[d - 1];
  const tolerance = 10 * d * Number.EPSILON * Math.max(Math.abs(min), Math.abs(max));
  const definiteness: Definiteness = min > tolerance ? 'positiveDefinite' : min >= -tolerance ? 'singular' : 'indefinite';
  let negatives = 0;
  for (const v of eig) if (v < -tolerance) negatives++;
  return { H, min, max, tolerance, definiteness, negatives };
}

/** ‖A − B‖₂ of two symmetric d × d matrices: the largest |eigenvalue| of their difference. */
export function spectralDistance(a: Float64Array, b: Float64Array, d: number): number {
  const diff = new Float64Array(d * d);
  for (let p = 0; p < d * d; p++) diff[p] = a[p] - b[p];
  const eig = native().symmetricEigenvalues(diff, d);
  return Math.max(Math.abs(eig[0]), Math.abs(eig[d - 1]));
}

export function hessianSection(s: HessianSpectrum): Certificate['hessian'] {
  return {
    minEigenvalue: s.min, maxEigenvalue: s.max, tolerance: s.tolerance, negativeEigenvalues: s.negatives, definiteness: s.definiteness,
    condition: s.definiteness === 'positiveDefinite' ? s.max / s.min : null,
  };
}
