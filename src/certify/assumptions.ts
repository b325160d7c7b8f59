/**
 * Section "standing assumptions": ‖x‖, ‖C‖₂, σ_min(C) (full column rank), ‖b‖, R, the weights that
 * make D = δ + w² ≥ 0 and ∇²ℓ + w²I ⪰ 0 at x (docs/math.md §6), and the good-start condition
 * ‖x₀ − x*‖·M ≤ 0.1·λ_min of the (l, M)-good framework the paper's proof uses.
 */
import { native } from '../native';
import { extent, norm } from '../numeric';
import type { Problem } from '../problem';
import type { HessianPieces } from '../types';
import type { Certificate } from './types';

/** The number of negative eigenvalues of the symmetric 2 × 2 matrix [[a, b], [b, c]]. */
function negatives2(a: number, b: number, c: number): number {
  const det = a * c - b * b;
  if (det < 0) return 1;
  if (det > 0) return a + c < 0 ? 2 : 0;
  return a + c < 0 ? 1 : 0;
}

/**
 * The smallest eigenvalue of the n × n matrix diag(δ) + U S Uᵀ (U = [u0, u1], S symmetric 2 × 2
 * and invertible) in O(n) per step, without forming it: bisection on λ, counting the eigenvalues
 * below λ by Haynsworth's inertia additivity on [[Δ − λI, U], [Uᵀ, −S⁻¹]]:
 *
 *     #neg(Δ − λI + U S Uᵀ) = #neg(Δ − λI) + #neg(−S⁻¹ − Uᵀ(Δ − λI)⁻¹U) − #neg(−S⁻¹).
 *
 * Weyl's inequalities bracket it: min δ + λ_min(U S Uᵀ) ≤ λ_min ≤ min δ + λ_max(U S Uᵀ).
 */
export function smallestEigenvalueDiagonalPlusRank2(
  delta: ArrayLike<number>, u0: ArrayLike<number>, u1: ArrayLike<number>, S: ArrayLike<number>,
): number {
  const n = delta.length;
  let minDelta = Infinity;
  let g00 = 0, g01 = 0, g11 = 0;
  for (let i = 0; i < n; i++) {
    minDelta = Math.min(minDelta, delta[i]);
    g00 += u0[i] * u0[i];
    g01 += u0[i] * u1[i];
    g11 += u1[i] * u1[i];
  }
  const s00 = S[0], s01 = (S[1] + S[2]) / 2, s11 = S[3];
  // The non-zero eigenvalues of U S Uᵀ are those of S G, G = UᵀU (similar to the symmetric G^½ S G^½).
  const tr = s00 * g00 + 2 * s01 * g01 + s11 * g11;
  const det = (s00 * s11 - s01 * s01) * (g00 * g11 - g01 * g01);
  const root = Math.sqrt(Math.max(0, tr * tr - 4 * det));
  const rank2Min = Math.min(0, (tr - root) / 2);
  const rank2Max = Math.max(0, (tr + root) / 2);
  const detS = s00 * s11 - s01 * s01;
  if (detS === 0 || !Number.isFinite(detS)) return minDelta + rank2Min; // no inverse: Weyl's bound
  // −S⁻¹ = −adj(S)/det(S)
  const m00 = -s11 / detS, m01 = s01 / detS, m11 = -s00 / detS;
  const negativesOfMinusSInverse = negatives2(m00, m01, m11);
  const below = (lambda: number): number => {
    let count = 0, h00 = 0, h01 = 0, h11 = 0;
    for (let i = 0; i < n; i++) {
      const gap = delta[i] - lambda;
      if (gap < 0) count++;
      const inv = 1 / gap;
      h00 += u0[i] * u0[i] * inv;
      h01 += u0[i] * u1[i] * inv;
      h11 += u1[i] * u1[i] * inv;
    }
    return count + negatives2(m00 - h00, m01 - h01, m11 - h11) - negativesOfMinusSInverse;
  };
  const scale = Math.max(Math.abs(minDelta), rank2Max - rank2Min, Number.MIN_VALUE);
  let lo = minDelta + rank2Min - 1e-9 * scale;
  let hi = minDelta + rank2Max + 1e-9 * scale;
  for (let step = 0; step < 200 && hi - lo > 1e-13 * scale; step++) {
    const mid = (lo + hi) / 2;
    if (below(mid) >= 1) hi = mid;
    else lo = mid;
  }
  const lambda = (lo + hi) / 2;
  return Math.abs(lambda) <= 1e-11 * scale ? 0 : lambda; // zero to rounding (noise-free data: J 1 = 0)
}

export function assumptionsSection(
  problem: Problem, x: Float64Array, pieces: HessianPieces,
  o: { minEigenvalue: number; lipschitz: number | null; atMinimiser: boolean; startDistance: number | null },
): Certificate['assumptions'] {
  const a = native();
  const n = problem.rows;
  const d = problem.cols;
  const gram = a.weightedGram(problem.handle, new Float64Array(n).fill(1));
  const gramEig = a.symmetricEigenvalues(gram, d);
  const normC = Math.sqrt(Math.max(0, gramEig[d - 1]));
  const sigmaMinC = Math.sqrt(Math.max(0, gramEig[0]));
  const fullColumnRank = gramEig[0] > 10 * d * Number.EPSILON * gramEig[d - 1];
  const minDelta = extent(pieces.delta).min;
  let negativeRows = 0;
  for (let i = 0; i < n; i++) if (pieces.D[i] < 0) negativeRows++;
  const curvatureMin = smallestEigenvalueDiagonalPlusRank2(pieces.delta, pieces.u0, pieces.u1, pieces.S);
  const w = extent(problem.w);
  const local = o.atMinimiser && o.lipschitz !== null;
  return {
    normX: norm(x), normC, sigmaMinC, fullColumnRank, normB: norm(problem.b), R: Math.max(normC, norm(x)), ridge: problem.ridge,
    w, minDelta,
    weightForNonnegativeD: Math.sqrt(Math.max(0, -minDelta)),
    negativeRows,
    minCurvature: curvatureMin,
    weightForPsdCurvature: Math.sqrt(Math.max(0, -curvatureMin)),
    goodStart: o.startDistance !== null && local ? { distance: o.startDistance, holds: o.startDistance * o.lipschitz! <= 0.1 * o.minEigenvalue } : null,
    localRadius: local ? (2 * o.minEigenvalue) / (3 * o.lipschitz!) : null,
  };
}
