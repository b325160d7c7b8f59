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

export function requireNumber(field: string, v: unknown, { min = -Infinity, max = Infinity, exclusiveMin = false } = {}): number {
  const ok = isFiniteNumber(v) && (exclusiveMin ? v > min : v >= min) && v <= max;
  if (!ok) {
    const range = [
      min > -Infinity ? `${exclusiveMin ? '>' : '>='} ${min}` : '',
      max < Infinity ? `<= ${max}` : '',
    ].filter(Boolean).join(' and ');
    throw invalid(field, `a finite number${range ? ` ${range}` : ''}`, v);
  }
  return v as number;
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
