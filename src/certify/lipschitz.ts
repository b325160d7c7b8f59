/**
 * Section "Lipschitz": how fast does the Hessian change near x? M is estimated as the largest
 * ‖∇²L(y) − ∇²L(y′)‖₂ / ‖y − y′‖ over seeded points y_k on the sphere of radius r around x, over
 * the pairs (x, y_k) and (y_{k−1}, y_k): a lower bound on the constant over that ball.
 */
import { NumericalError } from '../errors';
import { distance, extent, median, seededUniform, sphereDirection } from '../numeric';
import type { Problem } from '../problem';
import { spectralDistance } from './hessian';
import type { Certificate } from './types';

export function lipschitzSection(
  problem: Problem, x: Float64Array, H: Float64Array, o: { radius: number; seed: number; samples: number },
): Certificate['lipschitz'] {
  const d = problem.cols;
  const next = seededUniform(o.seed + 1);
  // Only the previous point's Hessian is kept (each is d × d).
  const ratios: number[] = [];
  let previous: { y: Float64Array; H: Float64Array } | undefined;
  let skipped = 0;
  for (let k = 0; k < o.samples; k++) {
    const u = sphereDirection(d, next);
    const y = x.map((v, j) => v + o.radius * u[j]);
    let Hy: Float64Array;
    try {
      Hy = problem.hessian(y);
    } catch (error) {
      if (!(error instanceof NumericalError)) throw error;
      skipped++;
      continue;
    }
    ratios.push(spectralDistance(Hy, H, d) / distance(y, x));
    if (previous) ratios.push(spectralDistance(Hy, previous.H, d) / distance(y, previous.y));
    previous = { y, H: Hy };
  }
  return {
    estimate: ratios.length ? extent(ratios).max : null,
    median: ratios.length ? median(ratios) : null,
    pairs: ratios.length,
    radius: o.radius,
    skipped,
  };
}
