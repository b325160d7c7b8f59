/**
 * Input validation: every rule of validateMatrix and of Problem's constructor and methods, each
 * failing with an InputError that names the field; the native addon's own checks when called
 * directly (bypassing TypeScript), which must throw a TypeError and never crash; and the matrix
 * helpers csrFromTriplets, toDense and toCsr.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { InputError } from '../src/errors';
import { csrFromTriplets, CsrMatrix, DenseMatrix, toCsr, toDense, validateMatrix } from '../src/matrix';
import { native, NativeProblemSpec } from '../src/native';
import { ModelOptions, Problem } from '../src/problem';

function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Asserts that f throws an InputError (not just any error) for `field`. */
function throwsInput(f: () => unknown, field: string, what: string, message?: RegExp): void {
  assert.throws(f, (err: unknown) => {
    assert.ok(err instanceof InputError, `${what}: expected an InputError, got ${err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err)}`);
    assert.equal(err.field, field, `${what}: field (message: ${err.message})`);
    assert.ok(err.message.startsWith(`${field}: `), `${what}: the message starts with the field: ${err.message}`);
    if (message) assert.match(err.message, message, what);
    return true;
  }, `${what}: no error thrown`);
}

// A valid 3 × 4 CSR matrix whose middle row is empty, and its dense form.
function baseCsr(): CsrMatrix {
  return {
    rows: 3,
    cols: 4,
    indptr: Int32Array.of(0, 2, 2, 4),
    indices: Int32Array.of(0, 3, 1, 2),
    values: Float64Array.of(1.5, -2, 0.5, 3),
  };
}
const DENSE_DATA = [1.5, 0, 0, -2, 0, 0, 0, 0, 0, 0.5, 3, 0];
function baseDense(): DenseMatrix {
  return { rows: 3, cols: 4, data: Float64Array.from(DENSE_DATA) };
}

// ---------------------------------------------------------------------------------------------
// validateMatrix

test('validateMatrix accepts valid CSR and dense matrices, zero-copy', () => {
  const c = baseCsr();
  const v = validateMatrix(c) as CsrMatrix;
  assert.equal(v.indptr, c.indptr);
  assert.equal(v.indices, c.indices);
  assert.equal(v.values, c.values);
  const d = baseDense();
  assert.equal((validateMatrix(d) as DenseMatrix).data, d.data);
  // no rows at all, and no stored entries at all, are legal
  validateMatrix({ rows: 0, cols: 2, indptr: Int32Array.of(0), indices: new Int32Array(0), values: new Float64Array(0) });
  validateMatrix({ rows: 3, cols: 2, indptr: new Int32Array(4), indices: new Int32Array(0), values: new Float64Array(0) });
});

test('validateMatrix: every rule, with the field it names', () => {
  const csr = (patch: Record<string, unknown>) => ({ ...baseCsr(), ...patch });
  const dense = (patch: Record<string, unknown>) => ({ ...baseDense(), ...patch });
  const cases: [string, unknown, string, RegExp?][] = [
    ['null', null, 'C'],
    ['a string', 'matrix', 'C'],
    ['a number', 3, 'C'],
    // sizes
    ['rows negative', csr({ rows: -1 }), 'C.rows'],
    ['rows fractional', csr({ rows: 1.5 }), 'C.rows'],
    ['rows NaN', csr({ rows: NaN }), 'C.rows'],
    ['rows a string', csr({ rows: '3' }), 'C.rows'],
    ['rows missing', csr({ rows: undefined }), 'C.rows'],
    ['rows 2^31', csr({ rows: 2 ** 31 }), 'C.rows'],
    ['cols 0', csr({ cols: 0 }), 'C.cols'],
    ['cols negative', csr({ cols: -4 }), 'C.cols'],
    ['cols fractional', csr({ cols: 2.5 }), 'C.cols'],
    ['cols Infinity', csr({ cols: Infinity }), 'C.cols'],
    // dense
    ['data a number[]', dense({ data: DENSE_DATA }), 'C.data'],
    ['data a Float32Array', dense({ data: Float32Array.from(DENSE_DATA) }), 'C.data'],
    ['data null', dense({ data: null }), 'C.data'],
    ['data too short', dense({ data: new Float64Array(11) }), 'C.data', /12/],
    ['data too long', dense({ data: new Float64Array(13) }), 'C.data'],
    ['data NaN', dense({ data: Float64Array.from(DENSE_DATA, (v, i) => (i === 5 ? NaN : v)) }), 'C.data', /entry 5/],
    ['data Infinity', dense({ data: Float64Array.from(DENSE_DATA, (v, i) => (i === 11 ? Infinity : v)) }), 'C.data'],
    ['data -Infinity', dense({ data: Float64Array.from(DENSE_DATA, (v, i) => (i === 0 ? -Infinity : v)) }), 'C.data'],
    ['rows * cols overflows', { rows: 2 ** 20, cols: 2 ** 20, data: new Float64Array(4) }, 'C', /overflow/],
    ['rows * cols far past 2^53', { rows: 2 ** 31 - 2, cols: 2 ** 31 - 2, data: new Float64Array(4) }, 'C', /overflow/],
    // CSR array types
    ['indptr missing', csr({ indptr: undefined }), 'C.indptr'],
    ['indptr a number[]', csr({ indptr: [0, 2, 2, 4] }), 'C.indptr'],
    ['indptr a Uint32Array', csr({ indptr: Uint32Array.of(0, 2, 2, 4) }), 'C.indptr'],
    ['indptr a Float64Array', csr({ indptr: Float64Array.of(0, 2, 2, 4) }), 'C.indptr'],
    ['indices a Float64Array', csr({ indices: Float64Array.of(0, 3, 1, 2) }), 'C.indices'],
    ['indices a Uint32Array', csr({ indices: Uint32Array.of(0, 3, 1, 2) }), 'C.indices'],
    ['indices a number[]', csr({ indices: [0, 3, 1, 2] }), 'C.indices'],
    ['indices missing', csr({ indices: undefined }), 'C.indices'],
    ['values a Float32Array', csr({ values: Float32Array.of(1.5, -2, 0.5, 3) }), 'C.values'],
    ['values a number[]', csr({ values: [1.5, -2, 0.5, 3] }), 'C.values'],
    ['values an Int32Array', csr({ values: Int32Array.of(1, 2, 3, 4) }), 'C.values'],
    // CSR structure
    ['indptr too short', csr({ indptr: Int32Array.of(0, 2, 4) }), 'C.indptr', /rows \+ 1/],
    ['indptr too long', csr({ indptr: Int32Array.of(0, 2, 2, 4, 4) }), 'C.indptr', /rows \+ 1/],
    ['indptr not starting at 0', csr({ indptr: Int32Array.of(1, 2, 2, 4) }), 'C.indptr', /start at 0/],
    ['indptr starting below 0', csr({ indptr: Int32Array.of(-1, 2, 2, 4) }), 'C.indptr', /start at 0/],
    ['indptr decreasing', csr({ indptr: Int32Array.of(0, 3, 1, 4) }), 'C.indptr', /non-decreasing/],
    ['indptr ending below nnz', csr({ indptr: Int32Array.of(0, 2, 2, 3) }), 'C.indptr', /last entry/],
    ['indptr ending past nnz', csr({ indptr: Int32Array.of(0, 2, 2, 5) }), 'C.indptr', /last entry/],
    ['indptr far past the arrays', csr({ indptr: Int32Array.of(0, 2, 2, 2 ** 31 - 1) }), 'C.indptr'],
    ['values shorter than indices', csr({ values: Float64Array.of(1.5, -2, 0.5) }), 'C.values'],
    ['values longer than indices', csr({ values: Float64Array.of(1.5, -2, 0.5, 3, 4) }), 'C.values'],
    ['column index = cols', csr({ indices: Int32Array.of(0, 4, 1, 2) }), 'C.indices', /out of range/],
    ['column index negative', csr({ indices: Int32Array.of(0, 3, -1, 2) }), 'C.indices', /out of range/],
    ['column index huge', csr({ indices: Int32Array.of(0, 3, 1, 2 ** 31 - 1) }), 'C.indices', /out of range/],
    ['duplicate index in a row', csr({ indices: Int32Array.of(0, 3, 2, 2) }), 'C.indices', /duplicate/],
    ['unsorted indices in a row', csr({ indices: Int32Array.of(3, 0, 1, 2) }), 'C.indices', /unsorted/],
    ['values NaN', csr({ values: Float64Array.of(1.5, NaN, 0.5, 3) }), 'C.values', /entry 1/],
    ['values Infinity', csr({ values: Float64Array.of(1.5, -2, 0.5, Infinity) }), 'C.values'],
    ['values -Infinity', csr({ values: Float64Array.of(-Infinity, -2, 0.5, 3) }), 'C.values'],
  ];
  for (const [what, matrix, field, message] of cases) throwsInput(() => validateMatrix(matrix), field, what, message);
  // the field prefix follows the caller's name for the matrix
  throwsInput(() => validateMatrix(csr({ indices: Int32Array.of(0, 4, 1, 2) }), 'A'), 'A.indices', 'renamed field');
});

// ---------------------------------------------------------------------------------------------
// Problem's constructor and methods

const B = Float64Array.of(0.2, 0.5, 0.3);

test('Problem: every constructor rule, with the field it names', () => {
  const make = (options: unknown, b: unknown = B, C: unknown = baseCsr()) => () =>
    new Problem(C as CsrMatrix, b as Float64Array, options as ModelOptions);
  // valid forms first, so the failures below are failures of the one changed input
  new Problem(baseCsr(), B);
  new Problem(baseDense(), Array.from(B), { unit: 'gelu', scale: 'n', bias: [-1, 0, 1], w: Float64Array.of(0, 1, 2), ridge: 0 });
  new Problem(baseCsr(), B, { model: 'softmax', scale: 1, bias: 0, unit: 'identity', w: 0.5 });
  new Problem(baseCsr(), B, { model: 'relu-softmax', unit: 'tanh', scale: 3, bias: -1 });

  const cases: [string, () => unknown, string, RegExp?][] = [
    ['C invalid', make({}, B, { ...baseCsr(), indices: Int32Array.of(0, 3, 3, 2) }), 'C.indices'],
    ['C missing', () => new Problem(undefined as unknown as CsrMatrix, B), 'C'],
    ['C null', make({}, B, null), 'C'],
    ['b too short', make({}, Float64Array.of(1, 2)), 'b'],
    ['b too long', make({}, [1, 2, 3, 4]), 'b'],
    ['b NaN', make({}, Float64Array.of(1, NaN, 2)), 'b', /entry 1/],
    ['b Infinity', make({}, [1, 2, Infinity]), 'b'],
    ['b a Float32Array', make({}, Float32Array.of(1, 2, 3)), 'b'],
    ['b a string', make({}, '1,2,3'), 'b'],
    ['b missing', () => new Problem(baseCsr(), undefined as unknown as Float64Array), 'b'],
    ['b null', make({}, null), 'b'],
    ['options a number', make(5), 'options'],
    ['model unknown', make({ model: 'softmax2' }), 'model', /softmax-unit/],
    ['model a number', make({ model: 1 }), 'model'],
    ['unit unknown', make({ unit: 'swish' }), 'unit', /gelu/],
    ['unit false', make({ unit: false }), 'unit'],
    ['softmax with a unit', make({ model: 'softmax', unit: 'tanh' }), 'unit', /softmax/],
    ['softmax with a scale', make({ model: 'softmax', scale: 2 }), 'scale'],
    ["softmax with scale 'n'", make({ model: 'softmax', scale: 'n' }), 'scale'],
    ['softmax with a bias', make({ model: 'softmax', bias: 0.5 }), 'bias'],
    ['softmax with a per-row bias', make({ model: 'softmax', bias: [0, 0, 0] }), 'bias'],
    ['scale NaN', make({ scale: NaN }), 'scale'],
    ['scale Infinity', make({ scale: Infinity }), 'scale'],
    ['scale a bad string', make({ scale: 'm' }), 'scale'],
    ['scale wrong length', make({ scale: [1, 2] }), 'scale'],
    ['scale with NaN entry', make({ scale: Float64Array.of(1, NaN, 1) }), 'scale'],
    ['bias wrong length', make({ bias: Float64Array.of(0, 0, 0, 0) }), 'bias'],
    ['bias NaN', make({ bias: NaN }), 'bias'],
    ['bias with Infinity entry', make({ bias: [0, -Infinity, 0] }), 'bias'],
    ['w negative', make({ w: -0.1 }), 'w', />= 0/],
    ['w with a negative entry', make({ w: Float64Array.of(0.1, -0.2, 0.3) }), 'w', />= 0/],
    ['w NaN', make({ w: NaN }), 'w'],
    ['w wrong length', make({ w: [1, 2] }), 'w'],
    ['w a string', make({ w: '1' }), 'w'],
    ['ridge negative', make({ ridge: -1e-9 }), 'ridge', />= 0/],
    ['ridge NaN', make({ ridge: NaN }), 'ridge'],
    ['ridge Infinity', make({ ridge: Infinity }), 'ridge'],
    ['ridge a string', make({ ridge: '0.1' }), 'ridge'],
    ['ridge a vector', make({ ridge: [0.1] }), 'ridge'],
  ];
  for (const [what, f, field, message] of cases) throwsInput(f, field, what, message);
});

test('Problem: a length-1 vector is the scalar; per-row parameters are per row', () => {
  const x = Float64Array.of(0.3, -0.2, 0.7, 1.1);
  const scalar = new Problem(baseCsr(), B, { unit: 'sigmoid', scale: 2, bias: -1, w: 0.5 });
  const one = new Problem(baseCsr(), B, { unit: 'sigmoid', scale: [2], bias: Float64Array.of(-1), w: [0.5] });
  const rows = new Problem(baseCsr(), B, { unit: 'sigmoid', scale: [2, 2, 2], bias: [-1, -1, -1], w: [0.5, 0.5, 0.5] });
  assert.equal(one.loss(x), scalar.loss(x));
  assert.equal(rows.loss(x), scalar.loss(x));
  // and a per-row value that differs changes the loss
  const other = new Problem(baseCsr(), B, { unit: 'sigmoid', scale: [2, 2, 3], bias: [-1, -1, -1], w: [0.5, 0.5, 0.5] });
  assert.notEqual(other.loss(x), scalar.loss(x));
});

test('Problem methods: x and v are checked (field x or v)', () => {
  const p = new Problem(baseCsr(), B, { w: 0.1 });
  const good = new Float64Array(4);
  const bad: [string, unknown][] = [
    ['too short', new Float64Array(3)],
    ['too long', [0, 0, 0, 0, 0]],
    ['NaN', Float64Array.of(0, NaN, 0, 0)],
    ['Infinity', [0, 0, 0, Infinity]],
    ['a Float32Array', new Float32Array(4)],
    ['missing', undefined],
    ['an object', { length: 4 }],
  ];
  for (const [what, x] of bad) {
    const v = x as Float64Array;
    throwsInput(() => p.evaluate(v), 'x', `evaluate: x ${what}`);
    throwsInput(() => p.loss(v), 'x', `loss: x ${what}`);
    throwsInput(() => p.gradient(v), 'x', `gradient: x ${what}`);
    throwsInput(() => p.hessian(v), 'x', `hessian: x ${what}`);
    throwsInput(() => p.pieces(v), 'x', `pieces: x ${what}`);
    throwsInput(() => p.predict(v), 'x', `predict: x ${what}`);
    throwsInput(() => p.hessianVector(v, good), 'x', `hessianVector: x ${what}`);
    throwsInput(() => p.hessianVector(good, v), 'v', `hessianVector: v ${what}`);
  }
  // number[] is accepted and means the same as a Float64Array
  assert.equal(p.loss([0.1, 0.2, 0.3, 0.4]), p.loss(Float64Array.of(0.1, 0.2, 0.3, 0.4)));
});

// ---------------------------------------------------------------------------------------------
// the native addon, called directly with no TypeScript validation in front of it

function spec(patch: Record<string, unknown> = {}): NativeProblemSpec {
  return {
    rows: 3,
    cols: 4,
    indptr: Int32Array.of(0, 2, 2, 4),
    indices: Int32Array.of(0, 3, 1, 2),
    values: Float64Array.of(1.5, -2, 0.5, 3),
    target: Float64Array.of(0.2, 0.5, 0.3),
    model: 'softmax-unit',
    unit: 'identity',
    scale: Float64Array.of(1),
    bias: Float64Array.of(0),
    weight: Float64Array.of(0),
    ridge: 0,
    ...patch,
  } as NativeProblemSpec;
}
function denseSpec(patch: Record<string, unknown> = {}): NativeProblemSpec {
  return spec({ indptr: undefined, indices: undefined, values: undefined, data: Float64Array.from(DENSE_DATA), ...patch });
}

/** Asserts a TypeError whose message starts with `field:` (the form fromNative maps to InputError). */
function throwsType(f: () => unknown, field: string, what: string): void {
  assert.throws(f, (err: unknown) => {
    assert.ok(err instanceof TypeError, `${what}: expected a TypeError, got ${err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err)}`);
    assert.ok(err.message.startsWith(`${field}: `), `${what}: expected the message to start with "${field}: ", got "${err.message}"`);
    return true;
  }, `${what}: no error thrown`);
}

test('native NativeProblem: malformed input throws a TypeError naming the field, never crashes', () => {
  const { NativeProblem } = native();
  // the valid specs work (and the loop below really tests one change at a time)
  const x = Float64Array.of(0.1, 0.2, -0.3, 0.4);
  const fromCsr = new NativeProblem(spec()).evaluate(x);
  const fromDense = new NativeProblem(denseSpec()).evaluate(x);
  assert.ok(Math.abs(fromCsr.loss - fromDense.loss) <= 1e-15 * Math.abs(fromDense.loss));

  const cases: [string, NativeProblemSpec, string][] = [
    // indices out of range
    ['column index = cols', spec({ indices: Int32Array.of(0, 4, 1, 2) }), 'C.indices'],
    ['column index negative', spec({ indices: Int32Array.of(0, 3, -1, 2) }), 'C.indices'],
    ['column index huge', spec({ indices: Int32Array.of(0, 3, 1, 2 ** 31 - 1) }), 'C.indices'],
    ['duplicate column index', spec({ indices: Int32Array.of(0, 3, 2, 2) }), 'C.indices'],
    ['unsorted column indices', spec({ indices: Int32Array.of(3, 0, 1, 2) }), 'C.indices'],
    // indptr past the end of indices/values, decreasing, not starting at 0
    ['indptr ending past nnz', spec({ indptr: Int32Array.of(0, 2, 2, 9) }), 'C.indptr'],
    ['indptr ending at INT32_MAX', spec({ indptr: Int32Array.of(0, 2, 2, 2 ** 31 - 1) }), 'C.indptr'],
    ['indptr ending below nnz', spec({ indptr: Int32Array.of(0, 2, 2, 3) }), 'C.indptr'],
    ['indptr past the arrays, indices as long', spec({ indptr: Int32Array.of(0, 2, 2, 4), indices: Int32Array.of(0, 3), values: Float64Array.of(1, 2) }), 'C.indptr'],
    ['indptr decreasing', spec({ indptr: Int32Array.of(0, 3, 1, 4) }), 'C.indptr'],
    ['indptr dipping negative', spec({ indptr: Int32Array.of(0, -5, 2, 4) }), 'C.indptr'],
    ['indptr not starting at 0', spec({ indptr: Int32Array.of(1, 2, 2, 4) }), 'C.indptr'],
    ['indptr starting negative', spec({ indptr: Int32Array.of(-2, 2, 2, 4) }), 'C.indptr'],
    // wrong lengths
    ['indptr too short (rows)', spec({ indptr: Int32Array.of(0, 2, 2) }), 'C.indptr'],
    ['indptr empty', spec({ indptr: new Int32Array(0) }), 'C.indptr'],
    ['indptr too long', spec({ indptr: Int32Array.of(0, 2, 2, 4, 4) }), 'C.indptr'],
    ['values shorter than indices', spec({ values: Float64Array.of(1, 2, 3) }), 'C.values'],
    ['values longer than indices', spec({ values: Float64Array.of(1, 2, 3, 4, 5) }), 'C.values'],
    ['dense data too short', denseSpec({ data: new Float64Array(11) }), 'C.data'],
    ['dense data too long', denseSpec({ data: new Float64Array(13) }), 'C.data'],
    ['dense data huge rows', denseSpec({ rows: 2 ** 31 - 2, target: new Float64Array(3) }), 'C.data'],
    ['target too short', spec({ target: Float64Array.of(1, 2) }), 'b'],
    ['target too long', spec({ target: new Float64Array(4) }), 'b'],
    ['scale neither 1 nor n', spec({ scale: Float64Array.of(1, 1) }), 'scale'],
    ['bias empty', spec({ bias: new Float64Array(0) }), 'bias'],
    ['weight too long', spec({ weight: new Float64Array(4) }), 'weight'],
    // wrong typed-array types
    ['indptr a Float64Array', spec({ indptr: Float64Array.of(0, 2, 2, 4) }), 'C.indptr'],
    ['indptr a Uint32Array', spec({ indptr: Uint32Array.of(0, 2, 2, 4) }), 'C.indptr'],
    ['indptr a number[]', spec({ indptr: [0, 2, 2, 4] }), 'C.indptr'],
    ['indptr a DataView', spec({ indptr: new DataView(new ArrayBuffer(16)) }), 'C.indptr'],
    ['indptr missing', spec({ indptr: undefined }), 'indptr'],
    ['indices an Int16Array', spec({ indices: Int16Array.of(0, 3, 1, 2) }), 'C.indices'],
    ['indices a BigInt64Array', spec({ indices: BigInt64Array.of(0n, 3n, 1n, 2n) }), 'C.indices'],
    ['values a Float32Array', spec({ values: Float32Array.of(1, 2, 3, 4) }), 'C.values'],
    ['values an Int32Array', spec({ values: Int32Array.of(1, 2, 3, 4) }), 'C.values'],
    ['dense data an Int32Array', denseSpec({ data: new Int32Array(12) }), 'C.data'],
    ['dense data a number[]', denseSpec({ data: DENSE_DATA }), 'C.data'],
    ['target a number[]', spec({ target: [0.2, 0.5, 0.3] }), 'b'],
    ['target missing', spec({ target: undefined }), 'target'],
    ['scale a number', spec({ scale: 1 }), 'scale'],
    ['weight a Float32Array', spec({ weight: Float32Array.of(0) }), 'weight'],
    // values that are not finite
    ['values NaN', spec({ values: Float64Array.of(1, NaN, 3, 4) }), 'C.values'],
    ['values Infinity', spec({ values: Float64Array.of(1, 2, 3, -Infinity) }), 'C.values'],
    ['dense data NaN', denseSpec({ data: Float64Array.from(DENSE_DATA, (v, i) => (i === 7 ? NaN : v)) }), 'C.data'],
    ['target NaN', spec({ target: Float64Array.of(0, NaN, 0) }), 'b'],
    ['scale NaN', spec({ scale: Float64Array.of(NaN) }), 'scale'],
    ['bias Infinity per row', spec({ bias: Float64Array.of(0, Infinity, 0) }), 'bias'],
    ['ridge NaN', spec({ ridge: NaN }), 'ridge'],
    ['ridge negative', spec({ ridge: -1 }), 'ridge'],
    ['ridge a string', spec({ ridge: '0' }), 'ridge'],
    // sizes and names
    ['rows negative', spec({ rows: -1 }), 'rows'],
    ['rows fractional', spec({ rows: 2.5 }), 'rows'],
    ['rows 2^31', spec({ rows: 2 ** 31 }), 'rows'],
    ['rows a string', spec({ rows: '3' }), 'rows'],
    ['cols 0', spec({ cols: 0 }), 'cols'],
    ['cols NaN', spec({ cols: NaN }), 'cols'],
    ['model unknown', spec({ model: 'softmax2' }), 'model'],
    ['model missing', spec({ model: undefined }), 'model'],
    ['unit unknown', spec({ unit: 'swish' }), 'unit'],
    ['unit a number', spec({ unit: 3 }), 'unit'],
  ];
  for (const [what, s, field] of cases) throwsType(() => new NativeProblem(s), field, what);
  throwsType(() => new (NativeProblem as unknown as new (s: unknown) => unknown)(42), 'problem', 'spec a number');
  throwsType(() => new (NativeProblem as unknown as new () => unknown)(), 'problem', 'no spec');

  // the addon still works after all of that
  assert.equal(new NativeProblem(spec()).evaluate(x).loss, fromCsr.loss);
});

test('native NativeProblem methods: malformed x and v throw a TypeError', () => {
  const p = new (native().NativeProblem)(spec({ weight: Float64Array.of(0.3) }));
  const good = new Float64Array(4);
  const bad: [string, unknown][] = [
    ['too short', new Float64Array(3)],
    ['too long', new Float64Array(5)],
    ['NaN', Float64Array.of(0, 0, NaN, 0)],
    ['a Float32Array', new Float32Array(4)],
    ['a number[]', [0, 0, 0, 0]],
    ['undefined', undefined],
  ];
  for (const [what, value] of bad) {
    const v = value as Float64Array;
    throwsType(() => p.evaluate(v), 'x', `evaluate: x ${what}`);
    throwsType(() => p.hessian(v), 'x', `hessian: x ${what}`);
    throwsType(() => p.pieces(v), 'x', `pieces: x ${what}`);
    throwsType(() => p.predict(v), 'x', `predict: x ${what}`);
    throwsType(() => p.hessianVector(v, good), 'x', `hessianVector: x ${what}`);
    throwsType(() => p.hessianVector(good, v), 'v', `hessianVector: v ${what}`);
  }
  throwsType(() => (p.evaluate as unknown as () => unknown)(), 'x', 'evaluate()');
  throwsType(() => (p.hessianVector as unknown as (x: Float64Array) => unknown)(good), 'v', 'hessianVector(x)');
});

test('native: a foreign object where a NativeProblem is expected throws', () => {
  const addon = native();
  const { NativeProblem } = addon;
  const real = new NativeProblem(spec());
  const x = new Float64Array(4);
  const foreign: [string, unknown][] = [
    ['a plain object', {}],
    ['a spec', spec()],
    ['an object posing as one', Object.create(NativeProblem.prototype)],
    ['an object with copied methods', { evaluate: real.evaluate, hessian: real.hessian }],
    ['null', null],
    ['a number', 7],
  ];
  // the methods, called on something that is not a NativeProblem
  for (const [what, thing] of foreign) {
    for (const method of ['evaluate', 'hessian', 'pieces', 'predict'] as const) {
      assert.throws(() => (real[method] as (x: Float64Array) => unknown).call(thing, x), TypeError, `${method} on ${what}`);
    }
  }
  // exported functions that take a problem (those that exist in this build)
  const takesProblem = ['solveSync', 'solve', 'sketchSpectrum', 'sketchGram', 'preconditionerCosts'];
  const functions = addon as unknown as Record<string, unknown>;
  for (const name of takesProblem.filter((n) => typeof functions[n] === 'function')) {
    const f = functions[name] as (...args: unknown[]) => unknown;
    for (const [what, thing] of foreign) {
      let thrown: unknown;
      try {
        const result = f(thing, name.startsWith('sketch') ? x : {}, {});
        if (result instanceof Promise) result.catch(() => undefined);
      } catch (err) {
        thrown = err;
      }
      assert.ok(thrown instanceof Error, `${name}(${what}) must throw synchronously`);
      // An object whose prototype is NativeProblem's passes the InstanceOf check and fails only in
      // the unwrap, which node-addon-api reports as a plain Error ("Invalid argument"): still a
      // throw, not a crash. Everything else is rejected with a TypeError naming the argument.
      if (what !== 'an object posing as one') {
        assert.ok(thrown instanceof TypeError && /^problem: /.test(thrown.message), `${name}(${what}): expected a TypeError naming the problem, got ${String(thrown)}`);
      }
    }
  }
});

test('native: a detached or transferred array is detected, not read', () => {
  const { NativeProblem } = native();
  const values = Float64Array.of(1.5, -2, 0.5, 3);
  const p = new NativeProblem(spec({ values }));
  const x = Float64Array.of(0.1, 0.2, 0.3, 0.4);
  p.evaluate(x);
  structuredClone(values.buffer, { transfer: [values.buffer] });
  assert.equal(values.length, 0, 'the buffer is detached');
  throwsType(() => p.evaluate(x), 'problem', 'evaluate after detaching C.values');
  throwsType(() => p.hessian(x), 'problem', 'hessian after detaching C.values');
});

// ---------------------------------------------------------------------------------------------
// csrFromTriplets, toDense, toCsr

test('csrFromTriplets sorts, sums duplicates and produces a valid CSR', () => {
  const random = rng(42);
  const rows = 7;
  const cols = 5;
  const r: number[] = [];
  const c: number[] = [];
  const v: number[] = [];
  const expected = new Float64Array(rows * cols);
  for (let k = 0; k < 60; k++) {
    const i = Math.floor(random() * rows);
    if (i === 3) continue; // row 3 stays empty
    const j = Math.floor(random() * cols);
    const value = Math.round((random() - 0.5) * 16) / 4; // exact in binary: sums are exact
    r.push(i);
    c.push(j);
    v.push(value);
    expected[i * cols + j] += value;
  }
  const m = csrFromTriplets(rows, cols, r, c, v);
  assert.equal(m.indptr[3], m.indptr[4], 'row 3 is empty');
  for (let i = 0; i < rows; i++) {
    for (let p = m.indptr[i] + 1; p < m.indptr[i + 1]; p++) assert.ok(m.indices[p] > m.indices[p - 1], 'strictly increasing');
  }
  assert.deepEqual(Array.from(toDense(m).data), Array.from(expected));
  // entry count = distinct positions (duplicates merged, even when they sum to zero)
  const distinct = new Set(r.map((i, k) => i * cols + c[k])).size;
  assert.equal(m.indices.length, distinct);

  // explicit duplicates
  const d = csrFromTriplets(2, 3, [1, 0, 1, 1], [2, 1, 2, 0], [1.5, 7, 2.5, -1]);
  assert.deepEqual(Array.from(d.indptr), [0, 1, 3]);
  assert.deepEqual(Array.from(d.indices), [1, 0, 2]);
  assert.deepEqual(Array.from(d.values), [7, -1, 4]);
  // empty
  const e = csrFromTriplets(3, 2, [], [], []);
  assert.deepEqual(Array.from(e.indptr), [0, 0, 0, 0]);

  throwsInput(() => csrFromTriplets(2, 3, [0, 2], [0, 0], [1, 1]), 'triplets.rows', 'row out of range');
  throwsInput(() => csrFromTriplets(2, 3, [0, 1], [0, 3], [1, 1]), 'triplets.cols', 'column out of range');
  throwsInput(() => csrFromTriplets(2, 3, [0, 1], [0, -1], [1, 1]), 'triplets.cols', 'negative column');
  throwsInput(() => csrFromTriplets(2, 3, [0, 0.5], [0, 1], [1, 1]), 'triplets.rows', 'fractional row');
  throwsInput(() => csrFromTriplets(2, 3, [0, 1], [0, 1], [1]), 'triplets', 'length mismatch');
  throwsInput(() => csrFromTriplets(2, 3, [0], [0], [NaN]), 'C.values', 'NaN value');
  throwsInput(() => csrFromTriplets(-1, 3, [], [], []), 'rows', 'negative rows');
  throwsInput(() => csrFromTriplets(2, 0, [], [], []), 'cols', 'zero cols');
});

test('toDense / toCsr round trip', () => {
  const random = rng(9);
  for (let t = 0; t < 20; t++) {
    const rows = 1 + Math.floor(random() * 8);
    const cols = 1 + Math.floor(random() * 6);
    const data = Float64Array.from({ length: rows * cols }, () => (random() < 0.5 ? 0 : random() - 0.5));
    if (rows > 1) data.fill(0, 0, cols); // an empty first row
    const dense: DenseMatrix = { rows, cols, data };
    const csr = toCsr(dense);
    validateMatrix(csr);
    assert.equal(csr.indices.length, data.filter((x) => x !== 0).length, 'only non-zeros stored');
    assert.deepEqual(Array.from(toDense(csr).data), Array.from(data));
    const again = toCsr(toDense(csr));
    assert.deepEqual(Array.from(again.indptr), Array.from(csr.indptr));
    assert.deepEqual(Array.from(again.indices), Array.from(csr.indices));
    assert.deepEqual(Array.from(again.values), Array.from(csr.values));
  }
  // the base matrices are the same matrix
  assert.deepEqual(Array.from(toDense(baseCsr()).data), DENSE_DATA);
  const c = toCsr(baseDense());
  assert.deepEqual([Array.from(c.indptr), Array.from(c.indices), Array.from(c.values)], [[0, 2, 2, 4], [0, 3, 1, 2], [1.5, -2, 0.5, 3]]);
  // identity on the matching form
  const d = baseDense();
  assert.equal(toDense(d), d);
  const s = baseCsr();
  assert.equal(toCsr(s), s);
});
