/**
 * Small numeric helpers shared by src/ and bench/: norms, summaries, and a seeded generator for
 * reproducible sample directions. One copy each; nothing here is on the solver's path (the solver's
 * randomness is native: native/core/random.h).
 */

export function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < v.length; k++) s += v[k] * v[k];
  return Math.sqrt(s);
}

export function distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += (a[k] - b[k]) ** 2;
  return Math.sqrt(s);
}

/** The median (the mean of the middle two for an even count); NaN for no values. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** NaN for no values. */
export function mean(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/** min and max by a loop: spreading 10⁵ or more values into Math.min/max overflows the call stack. */
export function extent(values: ArrayLike<number>): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let k = 0; k < values.length; k++) {
    if (values[k] < min) min = values[k];
    if (values[k] > max) max = values[k];
  }
  return { min, max };
}

/** mulberry32: a small seeded generator of uniforms in [0, 1), enough for reproducible sample directions. */
export function seededUniform(seed: number): () => number {
  let state = (seed ^ 0x9e3779b9) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** d independent standard normals from `uniform`, by Box–Muller (two per pair of uniforms). */
export function gaussians(d: number, uniform: () => number): Float64Array {
  const u = new Float64Array(d);
  for (let j = 0; j < d; j += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - uniform()));
    const t = 2 * Math.PI * uniform();
    u[j] = r * Math.cos(t);
    if (j + 1 < d) u[j + 1] = r * Math.sin(t);
  }
  return u;
}

/** A direction uniform on the unit sphere in d dimensions (normalised Gaussian). */
export function sphereDirection(d: number, uniform: () => number): Float64Array {
  const u = gaussians(d, uniform);
  const n = norm(u);
  for (let j = 0; j < d; j++) u[j] /= n;
  return u;
}
