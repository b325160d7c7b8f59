/**
 * A trained model as a first-class object (docs/models.md): what a solve learnt (x), everything
 * needed to apply it to new rows (the model, unit, scale rule, bias, the preprocessing) and how it
 * was trained. It is saved as JSON — numbers written by JSON.stringify parse back to the same
 * doubles, so a saved x is exact — and loaded with validation: a corrupt, foreign or newer file is
 * refused with a DataFormatError naming the file and the field.
 *
 * Prediction on a batch of rows C' is φ(a∘softmax(C' x) + c): the softmax normalises over the
 * batch's rows, so **a batch is one softmax group** — the same rows predicted together or one by
 * one give different values. A scale rule `n` is re-evaluated as the batch's row count; a scale,
 * bias or weight trained per row must be given again, one value per row of the batch.
 */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { DataFormatError, InputError } from '../errors';
import { Matrix, validateMatrix } from '../matrix';
import { ModelName, MODELS, Problem, UnitName, UNITS } from '../problem';
import type { MethodName, SolveResult, StopReason } from '../solve';
import { fileError, formatNumber, isGzip, requireFileName, writeChunks } from '../io/text';
import { describe, requireRowParameter } from '../validate';
import { applyStandardization, Standardization } from './preprocess';

/** The `format` field that marks a softnewton model file. */
export const MODEL_FORMAT = 'softnewton-model';
/** The newest model format version this code writes and reads. */
export const MODEL_VERSION = 1;

/** A scale, bias or weight that was given per row: only its length is kept (a new batch needs its own). */
export interface PerRow {
  perRow: number;
}

/** What defines the function the model computes (and, with w and ridge, the loss it was trained on). */
export interface ModelSpec {
  model: ModelName;
  unit: UnitName;
  /** A number, the rule `'n'` (the batch's row count) or per row. */
  scale: number | 'n' | PerRow;
  bias: number | PerRow;
  w: number | PerRow;
  ridge: number;
}

/** How the model was trained: reported, never used to predict. */
export interface TrainingSummary {
  /** The method the solve used, or null when the caller did not say (a SolveResult does not record it). */
  method: MethodName | string | null;
  iterations: number;
  loss: number;
  gradNorm: number;
  converged: boolean;
  stopReason: StopReason | string;
  /** The training rows. */
  rows: number;
  /** Where the data came from (a file name), when known. */
  data: string | null;
  seconds: number;
}

/** The JSON a model file holds (version 1). */
export interface ModelFile {
  format: typeof MODEL_FORMAT;
  version: number;
  spec: ModelSpec;
  d: number;
  x: number[];
  /** Column standardisation applied to C before the model (null: none). */
  preprocessing: { standardize: { center: number[]; scale: number[] } } | null;
  /** The names of C's columns (from a CSV header) and of the target, when known. */
  columns: string[] | null;
  target: string | null;
  training: TrainingSummary;
}

/** Per-batch values for what the model had per row (and overrides nothing else). */
export interface BatchOptions {
  scale?: number | Float64Array | number[];
  bias?: number | Float64Array | number[];
  w?: number | Float64Array | number[];
}

/** The quality of a model on a batch with known targets. */
export interface Score {
  rows: number;
  /** L(x) on the batch: ½‖φ(a∘s + c) − b‖² + ½‖W C x‖² + ½ λ‖x‖², with the model's w and λ. */
  loss: number;
  /** Mean squared error of the predictions. */
  mse: number;
  rmse: number;
  /** Coefficient of determination 1 − Σ(b − ŷ)² / Σ(b − b̄)² (NaN-free: null when b is constant). */
  r2: number | null;
}

export interface FromSolveOptions {
  /** The method the solve used (the solve's options.method ?? 'newton-pcg'); recorded as null when not given. */
  method?: MethodName | string;
  /** Where the training data came from. */
  data?: string | null;
  /** The standardisation applied to C before building the Problem. */
  standardization?: Standardization | null;
  columns?: string[] | null;
  target?: string | null;
}

function rowSpec(values: Float64Array): number | PerRow {
  return values.length === 1 ? values[0] : { perRow: values.length };
}

export class Model {
  readonly spec: ModelSpec;
  readonly d: number;
  readonly x: Float64Array;
  readonly standardization: Standardization | null;
  readonly columns: string[] | null;
  readonly target: string | null;
  readonly training: TrainingSummary;

  /** Use {@link Model.fromSolve} or {@link Model.load}; this constructor trusts its (validated) parts. */
  constructor(parts: {
    spec: ModelSpec; x: Float64Array; standardization: Standardization | null; columns: string[] | null; target: string | null; training: TrainingSummary;
  }) {
    this.spec = parts.spec;
    this.x = parts.x;
    this.d = parts.x.length;
    this.standardization = parts.standardization;
    this.columns = parts.columns;
    this.target = parts.target;
    this.training = parts.training;
  }

  /** The model a solve of `problem` produced. */
  static fromSolve(problem: Problem, result: SolveResult, options: FromSolveOptions = {}): Model {
    if (!(problem instanceof Problem)) throw new InputError('problem', `expected a Problem, received ${describe(problem)}`);
    if (!(result?.x instanceof Float64Array) || result.x.length !== problem.cols) {
      throw new InputError('result', `expected the result of solving this problem (x of length ${problem.cols}), received ${describe(result?.x)}`);
    }
    const standardization = options.standardization ?? null;
    if (standardization && (standardization.center.length !== problem.cols || standardization.scale.length !== problem.cols)) {
      throw new InputError('standardization', `expected ${problem.cols} columns, received ${standardization.center.length}`);
    }
    const columns = options.columns ?? null;
    if (columns && columns.length !== problem.cols) throw new InputError('columns', `expected ${problem.cols} names, received ${columns.length}`);
    return new Model({
      spec: {
        model: problem.model,
        unit: problem.unit,
        scale: problem.scaleRule === 'per-row' ? { perRow: problem.rows } : problem.scaleRule,
        bias: rowSpec(problem.bias),
        w: rowSpec(problem.w),
        ridge: problem.ridge,
      },
      x: Float64Array.from(result.x),
      standardization,
      columns,
      target: options.target ?? null,
      training: {
        method: options.method ?? null,
        iterations: result.iterations,
        loss: result.loss,
        gradNorm: result.gradNorm,
        converged: result.converged,
        stopReason: result.stopReason,
        rows: problem.rows,
        data: options.data ?? null,
        seconds: result.seconds,
      },
    });
  }

  /** The model file's JSON object. */
  toJSON(): ModelFile {
    const finite = (v: number) => (Number.isFinite(v) ? v : null) as number; // JSON has no NaN: say so by null
    return {
      format: MODEL_FORMAT,
      version: MODEL_VERSION,
      spec: { ...this.spec },
      d: this.d,
      x: Array.from(this.x),
      preprocessing: this.standardization
        ? { standardize: { center: Array.from(this.standardization.center), scale: Array.from(this.standardization.scale) } }
        : null,
      columns: this.columns,
      target: this.target,
      training: { ...this.training, loss: finite(this.training.loss), gradNorm: finite(this.training.gradNorm) },
    };
  }

  /**
   * The model file's text. JSON.stringify writes every double so that it parses back to the same
   * double, except −0, which it writes as 0: the number arrays are written by formatNumber instead.
   */
  toText(): string {
    const json = this.toJSON();
    const arrays: number[][] = [];
    const placeholder = (values: number[]) => `\u0000${arrays.push(values) - 1}`;
    const shell = {
      ...json,
      x: placeholder(json.x),
      preprocessing: json.preprocessing && { standardize: { center: placeholder(json.preprocessing.standardize.center), scale: placeholder(json.preprocessing.standardize.scale) } },
    };
    return `${JSON.stringify(shell, null, 1).replace(/"\\u0000(\d+)"/g, (_, k: string) => `[${arrays[Number(k)].map(formatNumber).join(', ')}]`)}\n`;
  }

  /** Writes the model as JSON (gzip-compressed when the name ends in `.gz`), atomically. */
  async save(file: string): Promise<void> {
    requireFileName(file);
    await writeChunks(file, [this.toText()]);
  }

  /** Reads and validates a model file (`.gz` is decompressed). */
  static async load(file: string): Promise<Model> {
    requireFileName(file);
    let bytes: Buffer;
    try {
      bytes = await fs.promises.readFile(file);
      if (isGzip(file)) bytes = zlib.gunzipSync(bytes);
    } catch (error) {
      throw fileError(file, 'read', error);
    }
    return Model.parse(bytes.toString('utf8'), file);
  }

  /** Validates a model held as JSON text or as the parsed object; `name` names it in errors. */
  static parse(source: string | unknown, name = '<model>'): Model {
    let value: unknown = source;
    if (typeof source === 'string') {
      try {
        value = JSON.parse(source);
      } catch (error) {
        throw new DataFormatError(name, undefined, `not a softnewton model: not valid JSON (${(error as Error).message})`);
      }
    }
    return fromFile(value, name);
  }

  /**
   * The Problem of a batch: C' (standardised as in training) with the model's settings, the scale
   * rule `n` evaluated as the batch's rows, per-row settings from `options`. `b` defaults to zeros
   * (for predictions, where no target is known).
   */
  problem(C: Matrix, b?: Float64Array | number[], options: BatchOptions = {}): Problem {
    const matrix = validateMatrix(C);
    if (matrix.cols !== this.d) {
      throw new InputError('C', `expected ${this.d} columns (the model's d${this.columns ? `: ${this.columns.slice(0, 5).join(', ')}${this.d > 5 ? ', …' : ''}` : ''}), received ${matrix.cols}`);
    }
    const o = options ?? {};
    if (typeof o !== 'object') throw new InputError('options', 'expected an object');
    const rows = matrix.rows;
    const setting = (field: 'scale' | 'bias' | 'w', trained: number | 'n' | PerRow, given: BatchOptions['scale']): number | 'n' | Float64Array => {
      if (typeof trained === 'object') {
        if (given === undefined) {
          throw new InputError(field, `the model was trained with one ${field} per row (${trained.perRow} rows): give ${rows} values for this batch, one per row`);
        }
        return requireRowParameter(field, given, rows, field === 'w' ? { min: 0 } : {});
      }
      if (given !== undefined) throw new InputError(field, `the model's ${field} is ${JSON.stringify(trained)}, fixed by training: it is not given per batch`);
      return trained;
    };
    const scale = setting('scale', this.spec.scale, o.scale);
    const bias = setting('bias', this.spec.bias, o.bias) as number | Float64Array;
    const w = setting('w', this.spec.w, o.w) as number | Float64Array;
    const input = this.standardization ? applyStandardization(matrix, this.standardization) : matrix;
    const target = b === undefined ? new Float64Array(rows) : b;
    const isSoftmax = this.spec.model === 'softmax';
    return new Problem(input, target, {
      model: this.spec.model,
      ...(isSoftmax ? {} : { unit: this.spec.unit, scale, bias }),
      w,
      ridge: this.spec.ridge,
    });
  }

  /** φ(a∘softmax(C' x) + c) for the batch C' (one softmax group: see the module comment). */
  predict(C: Matrix, options: BatchOptions = {}): Float64Array {
    return this.problem(C, undefined, options).predict(this.x);
  }

  /** Loss, MSE and R² of the model on a batch with targets b. */
  score(C: Matrix, b: Float64Array | number[], options: BatchOptions = {}): Score {
    const problem = this.problem(C, b, options);
    const predictions = problem.predict(this.x);
    const loss = problem.loss(this.x);
    return scorePredictions(problem.b, predictions, loss);
  }
}

/** MSE, RMSE and R² of `predictions` against `b`, with the loss given. */
export function scorePredictions(b: Float64Array, predictions: Float64Array, loss: number): Score {
  const rows = b.length;
  let mean = 0;
  for (let i = 0; i < rows; i++) mean += b[i];
  mean /= rows || 1;
  let residual = 0;
  let total = 0;
  for (let i = 0; i < rows; i++) {
    residual += (b[i] - predictions[i]) ** 2;
    total += (b[i] - mean) ** 2;
  }
  const mse = rows > 0 ? residual / rows : 0;
  return { rows, loss, mse, rmse: Math.sqrt(mse), r2: total > 0 ? 1 - residual / total : null };
}

// ---------------------------------------------------------------------------------------------
// Validation of a model file: every field, with its name, before anything is used.

function fail(name: string, message: string): never {
  throw new DataFormatError(name, undefined, message);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function numberField(name: string, field: string, v: unknown, { min = -Infinity, integer = false } = {}): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (integer && !Number.isSafeInteger(v))) {
    fail(name, `"${field}": expected ${integer ? 'an integer' : 'a finite number'}${min > -Infinity ? ` >= ${min}` : ''}, found ${describe(v)}`);
  }
  return v;
}

function perRowOrNumber(name: string, field: string, v: unknown, min = -Infinity): number | PerRow {
  if (isObject(v)) return { perRow: numberField(name, `${field}.perRow`, v.perRow, { min: 1, integer: true }) };
  if (typeof v !== 'number') fail(name, `"${field}": expected a number or {"perRow": n}, found ${describe(v)}`);
  return numberField(name, field, v, { min });
}

function numberArray(name: string, field: string, v: unknown, length: number, positive = false): Float64Array {
  if (!Array.isArray(v) || v.length !== length) fail(name, `"${field}": expected an array of ${length} finite numbers, found ${describe(v)}`);
  const out = new Float64Array(length);
  for (let k = 0; k < length; k++) {
    const e: unknown = v[k];
    if (typeof e !== 'number' || !Number.isFinite(e) || (positive && !(e > 0))) {
      fail(name, `"${field}": entry ${k} must be a finite number${positive ? ' > 0' : ''}, found ${describe(e)}`);
    }
    out[k] = e;
  }
  return out;
}

function stringArrayOrNull(name: string, field: string, v: unknown, length: number): string[] | null {
  if (v === null || v === undefined) return null;
  if (!Array.isArray(v) || v.length !== length || !v.every((s) => typeof s === 'string')) {
    fail(name, `"${field}": expected null or an array of ${length} strings, found ${describe(v)}`);
  }
  return v as string[];
}

function fromFile(value: unknown, name: string): Model {
  if (!isObject(value) || value.format !== MODEL_FORMAT) {
    const found = isObject(value) ? (value.format === undefined ? 'no "format" field' : `"format": ${describe(value.format)}`) : describe(value);
    fail(name, `not a softnewton model: expected a JSON object with "format": "${MODEL_FORMAT}", found ${found}`);
  }
  const version = value.version;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) fail(name, `"version": expected an integer >= 1, found ${describe(version)}`);
  if (version > MODEL_VERSION) {
    fail(name, `written by a newer softnewton (model format version ${version}; this version reads up to ${MODEL_VERSION}): upgrade softnewton to use it`);
  }
  const spec = value.spec;
  if (!isObject(spec)) fail(name, `"spec": expected an object, found ${describe(spec)}`);
  if (typeof spec.model !== 'string' || !(MODELS as readonly string[]).includes(spec.model)) fail(name, `"spec.model": expected one of ${MODELS.join(', ')}, found ${describe(spec.model)}`);
  if (typeof spec.unit !== 'string' || !(UNITS as readonly string[]).includes(spec.unit)) fail(name, `"spec.unit": expected one of ${UNITS.join(', ')}, found ${describe(spec.unit)}`);
  const scale = spec.scale === 'n' ? 'n' : perRowOrNumber(name, 'spec.scale', spec.scale);
  const d = numberField(name, 'd', value.d, { min: 1, integer: true });
  const x = numberArray(name, 'x', value.x, d);
  let standardization: Standardization | null = null;
  const pre = value.preprocessing;
  if (pre !== null && pre !== undefined) {
    if (!isObject(pre) || !isObject(pre.standardize) || Object.keys(pre).length !== 1) {
      fail(name, `"preprocessing": expected null or {"standardize": {"center": [...], "scale": [...]}}, found ${describe(pre)}`);
    }
    standardization = {
      center: numberArray(name, 'preprocessing.standardize.center', pre.standardize.center, d),
      scale: numberArray(name, 'preprocessing.standardize.scale', pre.standardize.scale, d, true),
    };
  }
  const training = value.training;
  if (!isObject(training)) fail(name, `"training": expected an object, found ${describe(training)}`);
  const lossOrNull = (field: string, v: unknown) => (v === null ? NaN : numberField(name, `training.${field}`, v));
  const text = (field: string, v: unknown) => {
    if (typeof v !== 'string') fail(name, `"training.${field}": expected a string, found ${describe(v)}`);
    return v;
  };
  if (typeof training.converged !== 'boolean') fail(name, `"training.converged": expected true or false, found ${describe(training.converged)}`);
  if (training.data !== null && training.data !== undefined && typeof training.data !== 'string') fail(name, `"training.data": expected null or a string, found ${describe(training.data)}`);
  if (value.target !== null && value.target !== undefined && typeof value.target !== 'string') fail(name, `"target": expected null or a string, found ${describe(value.target)}`);
  return new Model({
    spec: {
      model: spec.model as ModelName,
      unit: spec.unit as UnitName,
      scale,
      bias: perRowOrNumber(name, 'spec.bias', spec.bias),
      w: perRowOrNumber(name, 'spec.w', spec.w, 0),
      ridge: numberField(name, 'spec.ridge', spec.ridge, { min: 0 }),
    },
    x,
    standardization,
    columns: stringArrayOrNull(name, 'columns', value.columns, d),
    target: (value.target as string | null | undefined) ?? null,
    training: {
      method: training.method === null ? null : text('method', training.method),
      iterations: numberField(name, 'training.iterations', training.iterations, { min: 0, integer: true }),
      loss: lossOrNull('loss', training.loss),
      gradNorm: lossOrNull('gradNorm', training.gradNorm),
      converged: training.converged,
      stopReason: text('stopReason', training.stopReason),
      rows: numberField(name, 'training.rows', training.rows, { min: 0, integer: true }),
      data: (training.data as string | null | undefined) ?? null,
      seconds: numberField(name, 'training.seconds', training.seconds, { min: 0 }),
    },
  });
}
