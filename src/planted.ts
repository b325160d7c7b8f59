/**
 * Planted problems (docs/math.md §6): C with the given density and values of variance
 * 1/(density·d), x* uniform on the sphere of radius R, b = φ(a∘softmax(Cx*) + c) plus optional
 * noise. Seeded and deterministic. The scale defaults to n so that a∘s is of order 1 (model
 * `softmax` keeps its fixed scale 1).
 */
import { CsrMatrix, denseWhenFull } from './matrix';
import { fromNative } from './errors';
import { native } from './native';
import { MODELS, ModelName, Problem, UNITS, UnitName } from './problem';
import { requireChoice, requireInteger, requireNumber, requireRowParameter, requireSoftmaxDefaults } from './validate';

export interface PlantedOptions {
  rows: number;
  cols: number;
  /** Probability that an entry of C is stored (default 1: dense rows). */
  density?: number;
  model?: ModelName;
  unit?: UnitName;
  /** a: a number, 'n' (default; 1 for model softmax) or one value per row. */
  scale?: number | 'n' | Float64Array | number[];
  bias?: number | Float64Array | number[];
  /** ‖x*‖ (default 1; √d makes z roughly standard normal). */
  radius?: number;
  /** Standard deviation of Gaussian noise added to b (default 0). */
  noise?: number;
  /** ≥ 1 (default 1): column j of C is scaled by conditioning^(−j/(d−1)), making C about that
   *  much worse conditioned than iid columns. An extension of docs/math.md §6 for benchmarks. */
  conditioning?: number;
  seed?: number;
}

export interface PlantedProblem {
  C: CsrMatrix;
  b: Float64Array;
  xStar: Float64Array;
  /** The model options the data was generated with: pass them to `new Problem`. */
  model: { model: ModelName; unit: UnitName; scale: Float64Array; bias: Float64Array };
}

export function generatePlanted(options: PlantedOptions): PlantedProblem {
  const rows = requireInteger('rows', options.rows, 1, 2 ** 31 - 2);
  const cols = requireInteger('cols', options.cols, 1, 2 ** 31 - 2);
  const density = requireNumber('density', options.density ?? 1, { min: 0, max: 1, exclusiveMin: true });
  const model = requireChoice('model', options.model ?? 'softmax-unit', MODELS);
  const unit = requireChoice('unit', options.unit ?? 'identity', UNITS);
  requireSoftmaxDefaults(model, options);
  const defaultScale = model === 'softmax' ? 1 : rows;
  const scaleOption = options.scale === 'n' ? rows : (options.scale ?? defaultScale);
  const scale = requireRowParameter('scale', scaleOption, rows);
  const bias = requireRowParameter('bias', options.bias ?? 0, rows);
  const radius = requireNumber('radius', options.radius ?? 1, { min: 0, exclusiveMin: true });
  const noise = requireNumber('noise', options.noise ?? 0, { min: 0 });
  const seed = requireInteger('seed', options.seed ?? 0, 0);
  const conditioning = requireNumber('conditioning', options.conditioning ?? 1, { min: 1 });
  let out;
  try {
    out = native().generatePlanted({ rows, cols, density, radius, noise, seed, conditioning, model, unit, scale, bias });
  } catch (error) {
    fromNative(error);
  }
  return {
    C: { rows, cols, indptr: out.indptr, indices: out.indices, values: out.values },
    b: out.target,
    xStar: out.xStar,
    model: { model, unit, scale, bias },
  };
}

/** The planted data as a ready Problem (with optional regularisation). Dense rows stay dense, as
 *  from a file: at density ≥ 2/3 the Problem holds dense rows, not the generator's CSR. */
export function plantedProblem(options: PlantedOptions & { w?: number; ridge?: number }): { problem: Problem; xStar: Float64Array } {
  const p = generatePlanted(options);
  const problem = new Problem(denseWhenFull(p.C), p.b, { ...p.model, w: options.w, ridge: options.ridge });
  return { problem, xStar: p.xStar };
}
