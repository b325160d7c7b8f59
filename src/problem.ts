/**
 * A Problem is the data (C, b) plus the model (docs/math.md §§1–3). It evaluates
 *
 *     L(x) = ℓ(Cx) + ½‖W C x‖² + ½ λ‖x‖²
 *
 * its gradient, its Hessian (dense or as Hessian–vector products) and the Hessian's structured
 * pieces, all in native code. Inputs are validated here, before they cross into C++, and again
 * natively where memory safety depends on them.
 *
 * With unit `relu` the Hessian is the generalised one (φ″ = 0 away from the kink, φ′(0) = 0); and
 * since a∘s > 0, `relu` equals `identity` unless the bias is negative somewhere.
 */
import { fromNative, InputError } from './errors';
import { isDense, Matrix, nnz, validateMatrix } from './matrix';
import { checkHessianMemory } from './limits';
import type { NativeProblem, NativeProblemSpec } from './addon';
import { matrixFields, native } from './native';
import { checkOption, modelOption, modelOptionDefault } from './options';
import { HessianPieces, ModelName, UnitName } from './types';
import { requireSoftmaxDefaults, requireVector } from './validate';
import { shareArray } from './pool/shared';

export { MODELS, UNITS } from './types';
export type { HessianPieces, ModelName, UnitName } from './types';

/** The scale a model gets when none is given: see {@link ModelOptions.scale} (the rule is the schema's, src/options.ts). */
export function defaultScale(model: ModelName): 'n' | 1 {
  return modelOptionDefault(modelOption('scale'), model) as 'n' | 1;
}

export interface ModelOptions {
  /** `softmax-unit` (default): ½‖φ(a∘softmax(Cx) + c) − b‖². `softmax`: ½‖softmax(Cx) − b‖².
   *  `relu-softmax`: softmax after a ReLU; it also takes unit, scale and bias (defaults give the form of docs/math.md §2). */
  model?: ModelName;
  /** The second layer's unit φ (default `identity`). */
  unit?: UnitName;
  /** a: a number, `'n'` (the number of rows) or one value per row. Default `'n'` for `softmax-unit`
   *  (softmax(z) sums to 1, so each sᵢ is about 1/n and a = n puts a∘s at the scale of targets of
   *  order 1; with a = 1 real targets fit about as well as a constant), 1 for the other models. */
  scale?: number | 'n' | Float64Array | number[];
  /** c: a number or one value per row. Default 0. */
  bias?: number | Float64Array | number[];
  /** w, the regularisation weights ½‖W C x‖²: a number ≥ 0 or one value per row. Default 0. */
  w?: number | Float64Array | number[];
  /** λ ≥ 0, the ridge ½ λ‖x‖². Default 0. */
  ridge?: number;
}

/** The matrix over arrays in shared memory (copied unless they are there already). */
function ownMatrix(c: Matrix): Matrix {
  if (isDense(c)) return Object.freeze({ rows: c.rows, cols: c.cols, data: shareArray(c.data) });
  return Object.freeze({ rows: c.rows, cols: c.cols, indptr: shareArray(c.indptr), indices: shareArray(c.indices), values: shareArray(c.values) });
}

export class Problem {
  readonly C: Matrix;
  readonly b: Float64Array;
  readonly rows: number;
  readonly cols: number;
  readonly nnz: number;
  readonly model: ModelName;
  readonly unit: UnitName;
  /** Length 1 (one value for all rows) or n. */
  readonly scale: Float64Array;
  /** How the scale was given: a number, `'n'` (the row count, re-evaluated on a new batch by a Model) or per row. */
  readonly scaleRule: number | 'n' | 'per-row';
  readonly bias: Float64Array;
  readonly w: Float64Array;
  readonly ridge: number;
  /** @internal the validated native problem; its arrays are this object's arrays. */
  readonly handle: NativeProblem;

  /** The arrays are copied into SharedArrayBuffers (unless they are in one already), so that no
   *  transfer or detach of the caller's arrays can reach a running solve (docs/reliability.md). */
  constructor(C: Matrix, b: Float64Array | number[], options: ModelOptions = {}) {
    this.C = ownMatrix(validateMatrix(C));
    this.rows = this.C.rows;
    this.cols = this.C.cols;
    if (this.rows === 0) throw new InputError('C.rows', 'expected at least 1 row, received 0');
    this.nnz = nnz(this.C);
    this.b = shareArray(requireVector('b', b, this.rows));
    const o = options ?? {};
    if (typeof o !== 'object') throw new InputError('options', 'expected an object');
    // Ranges and defaults are the schema's (src/options.ts, MODEL_OPTIONS); null means omitted, as before.
    const rowOption = (name: 'scale' | 'bias' | 'w', value: unknown) => shareArray(checkOption(modelOption(name), value, name, this.rows) as Float64Array);
    this.model = checkOption(modelOption('model'), o.model ?? undefined) as ModelName;
    this.unit = checkOption(modelOption('unit'), o.unit ?? undefined) as UnitName;
    requireSoftmaxDefaults(this.model, o);
    const scale = o.scale ?? defaultScale(this.model);
    this.scale = rowOption('scale', scale === 'n' ? this.rows : scale);
    this.scaleRule = scale === 'n' ? 'n' : this.scale.length === 1 ? this.scale[0] : 'per-row';
    this.bias = rowOption('bias', o.bias ?? undefined);
    this.w = rowOption('w', o.w ?? undefined);
    this.ridge = checkOption(modelOption('ridge'), o.ridge ?? undefined) as number;
    try {
      this.handle = new (native().NativeProblem)(this.spec());
    } catch (error) {
      fromNative(error);
    }
  }

  /** What the native layer (in this thread or a worker) needs to rebuild this problem. */
  spec(): NativeProblemSpec {
    return {
      ...matrixFields(this.C),
      target: this.b,
      model: this.model,
      unit: this.unit,
      scale: this.scale,
      bias: this.bias,
      weight: this.w,
      ridge: this.ridge,
    };
  }

  /** The model options, as accepted by the constructor (for reports and for rebuilding). */
  options(): Required<Omit<ModelOptions, 'scale' | 'bias' | 'w'>> & { scale: Float64Array; bias: Float64Array; w: Float64Array } {
    return { model: this.model, unit: this.unit, scale: this.scale, bias: this.bias, w: this.w, ridge: this.ridge };
  }

  private point(x: Float64Array | number[], field = 'x'): Float64Array {
    return requireVector(field, x, this.cols);
  }

  private call<T>(f: () => T): T {
    try {
      return f();
    } catch (error) {
      fromNative(error);
    }
  }

  /** L(x) and ∇L(x) from one fused evaluation: one pass over C for z = Cx and the per-row work,
   *  one for the gradient. Runs on the calling thread's `threads` (default: the cores) with the
   *  same bits for every thread count (docs/performance.md). */
  lossAndGradient(x: Float64Array | number[]): { loss: number; gradient: Float64Array } {
    const p = this.point(x);
    return this.call(() => this.handle.evaluate(p));
  }

  /** The same as lossAndGradient. */
  evaluate(x: Float64Array | number[]): { loss: number; gradient: Float64Array } {
    return this.lossAndGradient(x);
  }

  /** L(x) alone: one pass over C, no gradient. */
  loss(x: Float64Array | number[]): number {
    const p = this.point(x);
    return this.call(() => this.handle.loss(p));
  }

  gradient(x: Float64Array | number[]): Float64Array {
    return this.lossAndGradient(x).gradient;
  }

  /** ∇²L(x) as a d × d row-major (symmetric) Float64Array; Cᵀ diag(D) C is formed with BLAS-3. */
  hessian(x: Float64Array | number[]): Float64Array {
    const p = this.point(x);
    checkHessianMemory(this);
    return this.call(() => this.handle.hessian(p));
  }

  /** ∇²L(x) v in two passes over C, without forming the Hessian. */
  hessianVector(x: Float64Array | number[], v: Float64Array | number[]): Float64Array {
    const p = this.point(x);
    const q = this.point(v, 'v');
    return this.call(() => this.handle.hessianVector(p, q));
  }

  /** The structured Hessian pieces at x: ∇²L = Cᵀ diag(D) C + (CᵀU) S (CᵀU)ᵀ + λI. */
  pieces(x: Float64Array | number[]): HessianPieces {
    const p = this.point(x);
    return this.call(() => this.handle.pieces(p));
  }

  /** The model's prediction φ(a∘softmax(Cx) + c) for every row. */
  predict(x: Float64Array | number[]): Float64Array {
    const p = this.point(x);
    return this.call(() => this.handle.predict(p));
  }
}
