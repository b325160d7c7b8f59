/**
 * Small predicates shared by the API and the CLI. Each failure throws an InputError whose message
 * has one shape: `<field>: expected <what>, received <value>`.
 */
import { InputError } from './errors';

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (ArrayBuffer.isView(value)) return `${value.constructor.name} of length ${(value as unknown as { length: number }).length}`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return typeof value;
}

export function invalid(field: string, expected: string, value: unknown): InputError {
  return new InputError(field, `expected ${expected}, received ${describe(value)}`);
}

export function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** A numeric range; the bounds are inclusive unless said otherwise. */
export interface NumberRange {
  min?: number;
  max?: number;
  exclusiveMin?: boolean;
  exclusiveMax?: boolean;
}

/** `a finite number > 0 and < 1`: the words every range error uses. */
export function describeRange({ min = -Infinity, max = Infinity, exclusiveMin = false, exclusiveMax = false }: NumberRange): string {
  const range = [
    min > -Infinity ? `${exclusiveMin ? '>' : '>='} ${min}` : '',
    max < Infinity ? `${exclusiveMax ? '<' : '<='} ${max}` : '',
  ].filter(Boolean).join(' and ');
  return `a finite number${range ? ` ${range}` : ''}`;
}

export function inRange(v: number, { min = -Infinity, max = Infinity, exclusiveMin = false, exclusiveMax = false }: NumberRange): boolean {
  return Number.isFinite(v) && (exclusiveMin ? v > min : v >= min) && (exclusiveMax ? v < max : v <= max);
}

export function requireNumber(field: string, v: unknown, range: NumberRange = {}): number {
  if (!(isFiniteNumber(v) && inRange(v, range))) throw invalid(field, describeRange(range), v);
  return v;
}

export function requireInteger(field: string, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!(Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max)) {
    throw invalid(field, `an integer from ${min} to ${max}`, v);
  }
  return v as number;
}

export function requireChoice<T extends string>(field: string, v: unknown, choices: readonly T[]): T {
  if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) {
    throw invalid(field, `one of ${choices.join(', ')}`, v);
  }
  return v as T;
}

/** A vector of `length` finite numbers, as a Float64Array (a number[] is copied once). */
export function requireVector(field: string, v: unknown, length: number): Float64Array {
  let out: Float64Array;
  if (v instanceof Float64Array) out = v;
  else if (Array.isArray(v)) out = Float64Array.from(v as number[]);
  else throw invalid(field, `a Float64Array or number[] of length ${length}`, v);
  if (out.length !== length) throw invalid(field, `length ${length}`, v);
  const bad = out.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) throw new InputError(field, `entry ${bad} is ${out[bad]}: every entry must be finite`);
  return out;
}

/** A scalar or a per-row vector (a length-1 vector counts as a scalar), as a Float64Array of length 1 or n. */
export function requireRowParameter(field: string, v: unknown, rows: number, { min = -Infinity } = {}): Float64Array {
  if (typeof v === 'number') return Float64Array.of(requireNumber(field, v, { min }));
  const isOne = (v instanceof Float64Array || Array.isArray(v)) && v.length === 1;
  const out = requireVector(field, v, isOne ? 1 : rows);
  const bad = out.findIndex((x) => x < min);
  if (bad >= 0) throw new InputError(field, `entry ${bad} is ${out[bad]}: every entry must be >= ${min}`);
  return out;
}

/**
 * Model `softmax` is `softmax-unit` with φ = identity, a = 1, c = 0 (docs/math.md §2): another unit,
 * scale or bias is a mistake, refused here for every caller (Problem, generatePlanted, the CLI).
 * `fields` names them as the caller's user knows them (`unit` or `--unit`); `shown` are the values
 * as the user gave them, for the message.
 */
export function requireSoftmaxDefaults(
  model: string,
  given: { unit?: unknown; scale?: unknown; bias?: unknown },
  fields: { unit: string; scale: string; bias: string } = { unit: 'unit', scale: 'scale', bias: 'bias' },
  shown: { unit?: unknown; scale?: unknown; bias?: unknown } = given,
): void {
  if (model !== 'softmax') return;
  if (given.unit !== undefined && given.unit !== 'identity') {
    throw new InputError(fields.unit, `model softmax has no unit (it is identity), received ${describe(shown.unit)}; use model softmax-unit`);
  }
  if (given.scale !== undefined && given.scale !== 1) {
    throw new InputError(fields.scale, `model softmax has scale 1, received ${describe(shown.scale)}; use model softmax-unit for another scale`);
  }
  if (given.bias !== undefined && given.bias !== 0) {
    throw new InputError(fields.bias, `model softmax has bias 0, received ${describe(shown.bias)}; use model softmax-unit for a bias`);
  }
}
