/**
 * Property-based tests (fast-check) of the TypeScript readers and validators: whatever the input,
 * they either succeed with a valid result or throw the documented typed error; the TypeScript
 * checks and the native ones agree; nothing returns NaN. Each property runs a few hundred random
 * cases (seeded: FC_SEED=<n> replays another sequence, FC_RUNS=<n> runs more).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';

import { DataFormatError, InputError, NumericalError } from '../src/errors';
import { CsrMatrix, validateMatrix } from '../src/matrix';
import { parseLibsvm, readLibsvm, writeLibsvm } from '../src/io/libsvm';
import * as mtx from '../src/io/mtx';
import { native } from '../src/native';
import { MODELS, Problem, UNITS } from '../src/problem';
import { resolveSolveOptions, solveSync } from '../src/solve';


const SEED = Number(process.env.FC_SEED ?? 20240607);
const RUNS = Number(process.env.FC_RUNS ?? 300);
const params = (numRuns = RUNS) => ({ seed: SEED, numRuns });

function sameBits(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

// ---------------------------------------------------------------------------------------------
// LIBSVM

/** Text assembled from the format's own tokens and the usual mistakes, so most lines get far into the parser. */
const libsvmText = fc
  .array(
    fc.oneof(
      fc.constantFrom(' ', ' ', '\t', '\n', '\n', '\r\n', ':', ':', '#', '-', '+', '.', 'e', 'E', 'qid:', 'nan', 'inf', 'Infinity', '0x1', '\uFEFF', '\0', 'é', '1e999', '1e-400', '9007199254740993', '2147483647', '2147483648'),
      fc.integer({ min: 0, max: 40 }).map(String),
      fc.double().map(String),
      fc.string({ maxLength: 4 }),
    ),
    { maxLength: 60 },
  )
  .map((parts) => parts.join(''));

/** The outcome of parsing: the data, or the error's class and message. */
function parseOutcome(text: string, cols?: number): { data?: ReturnType<typeof parseLibsvm>; error?: unknown } {
  try {
    return { data: parseLibsvm(text, { cols, name: 'in.svm' }) };
  } catch (error) {
    return { error };
  }
}

test('LIBSVM: any text either parses to a valid matrix with finite values or is a DataFormatError naming the file', () => {
  fc.assert(
    fc.property(fc.oneof(libsvmText, fc.string({ unit: 'binary', maxLength: 200 })), fc.option(fc.integer({ min: 1, max: 45 }), { nil: undefined }), (text, cols) => {
      const { data, error } = parseOutcome(text, cols);
      if (error !== undefined) {
        assert.ok(error instanceof DataFormatError, `expected a DataFormatError, got ${String(error)}`);
        assert.equal(error.file, 'in.svm');
        assert.ok(error.message.startsWith('in.svm'), error.message);
        assert.ok(error.line === undefined || (Number.isInteger(error.line) && error.line >= 1));
        return;
      }
      const C = validateMatrix(data!.C) as CsrMatrix; // throws if the reader produced an invalid matrix
      assert.equal(data!.b.length, C.rows);
      assert.ok(data!.b.every(Number.isFinite));
      if (cols !== undefined) assert.equal(C.cols, cols);
    }),
    params(1000),
  );
});

/** A CSR matrix with arbitrary finite values (-0, subnormals and extremes included) and labels. */
const csrWithLabels = fc
  .record({
    rows: fc.integer({ min: 1, max: 12 }),
    cols: fc.integer({ min: 1, max: 9 }),
  })
  .chain(({ rows, cols }) =>
    fc.record({
      rows: fc.constant(rows),
      cols: fc.constant(cols),
      cells: fc.array(fc.array(fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { freq: 2 }), { minLength: cols, maxLength: cols }), { minLength: rows, maxLength: rows }),
      b: fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: rows, maxLength: rows }),
    }),
  )
  .map(({ rows, cols, cells, b }) => {
    const indptr = new Int32Array(rows + 1);
    const indices: number[] = [];
    const values: number[] = [];
    cells.forEach((row, i) => {
      row.forEach((v, j) => {
        if (v !== null) {
          indices.push(j);
          values.push(v);
        }
      });
      indptr[i + 1] = indices.length;
    });
    const C: CsrMatrix = { rows, cols, indptr, indices: Int32Array.from(indices), values: Float64Array.from(values) };
    return { C, b: Float64Array.from(b) };
  });

/** LIBSVM text written independently of the writer: shortest round-trip decimal, -0 kept. */
function format({ C, b }: { C: CsrMatrix; b: Float64Array }, shuffle: (n: number) => number[]): string {
  const num = (v: number) => (Object.is(v, -0) ? '-0' : String(v));
  let text = '';
  for (let i = 0; i < C.rows; i++) {
    const entries: string[] = [];
    for (let p = C.indptr[i]; p < C.indptr[i + 1]; p++) entries.push(`${C.indices[p] + 1}:${num(C.values[p])}`);
    // Any order within a line is legal (the reader sorts), and so is any amount of blank space.
    text += `${num(b[i])}${shuffle(entries.length).map((k) => ` ${entries[k]}`).join('')}\n`;
  }
  return text;
}

test('LIBSVM: formatted text parses back bit for bit, in any entry order', () => {
  fc.assert(
    fc.property(csrWithLabels, fc.infiniteStream(fc.nat()), (data, random) => {
      const shuffle = (n: number) => {
        const order = Array.from({ length: n }, (_, k) => k);
        for (let k = n - 1; k > 0; k--) {
          const r = random.next().value % (k + 1);
          [order[k], order[r]] = [order[r], order[k]];
        }
        return order;
      };
      const parsed = parseLibsvm(format(data, shuffle), { cols: data.C.cols });
      assert.ok(sameBits(parsed.C.indptr, data.C.indptr), 'indptr');
      assert.ok(sameBits(parsed.C.indices, data.C.indices), 'indices');
      assert.ok(sameBits(parsed.C.values, data.C.values), 'values');
      assert.ok(sameBits(parsed.b, data.b), 'b');
    }),
    params(),
  );
});

test('LIBSVM: writeLibsvm → readLibsvm is bit-identical, and the streaming reader agrees with parseLibsvm on any text', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'softnewton-props-'));
  try {
    let k = 0;
    await fc.assert(
      fc.asyncProperty(csrWithLabels, fc.boolean(), async (data, gzip) => {
        const file = path.join(dir, `d${k++}.svm${gzip ? '.gz' : ''}`);
        await writeLibsvm(file, data.C, data.b);
        const back = await readLibsvm(file, { cols: data.C.cols });
        assert.ok(sameBits(back.C.indptr, data.C.indptr) && sameBits(back.C.indices, data.C.indices));
        assert.ok(sameBits(back.C.values, data.C.values) && sameBits(back.b, data.b));
      }),
      params(40),
    );
    await fc.assert(
      fc.asyncProperty(libsvmText, async (text) => {
        const file = path.join(dir, `t${k++}.svm`);
        fs.writeFileSync(file, text, 'utf8');
        const fromString = parseOutcome(text);
        let fromFile: { data?: ReturnType<typeof parseLibsvm>; error?: unknown };
        try {
          fromFile = { data: await readLibsvm(file) };
        } catch (error) {
          fromFile = { error };
        }
        if (fromString.error !== undefined) {
          assert.ok(fromFile.error instanceof DataFormatError, `the file reader accepted what the string parser refused: ${String(fromString.error)}`);
          const strip = (e: unknown) => (e as DataFormatError).message.replace(/^[^:]*(:\d+)?: /, '');
          assert.equal((fromFile.error as DataFormatError).line, (fromString.error as DataFormatError).line);
          assert.equal(strip(fromFile.error), strip(fromString.error));
        } else {
          assert.equal(fromFile.error, undefined, `the file reader refused what the string parser accepted: ${String(fromFile.error)}`);
          assert.ok(sameBits(fromFile.data!.C.values, fromString.data!.C.values) && sameBits(fromFile.data!.b, fromString.data!.b));
        }
      }),
      params(60),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** Matrix Market text: a banner (often right), a size line and entries, from the format's tokens and mistakes. */
const mtxText = fc
  .tuple(
    fc.constantFrom('%%MatrixMarket matrix coordinate real general\n', '%%MatrixMarket matrix coordinate integer general\n',
      '%%MatrixMarket matrix coordinate pattern general\n', '%%MatrixMarket matrix array real general\n', '%%matrixmarket MATRIX Coordinate Real General\n',
      '%%MatrixMarket matrix coordinate real symmetric\n', '', '%%MatrixMarket\n'),
    fc.array(fc.oneof(fc.constantFrom(' ', ' ', '\t', '\n', '\n', '%', '-', '.', 'e', 'nan', 'inf', '1e999', '0', '2147483648', '\0'), fc.integer({ min: 0, max: 6 }).map(String), fc.double().map(String)), { maxLength: 40 }),
  )
  .map(([banner, parts]) => banner + parts.join(''));

test('Matrix Market: any text either parses to a valid matrix or is a DataFormatError naming the file', () => {
  fc.assert(
    fc.property(fc.oneof(mtxText, fc.string({ unit: 'binary', maxLength: 120 })), (text) => {
      let data: { C: CsrMatrix };
      try {
        data = mtx.parseMatrixMarket(text, { name: 'in.mtx' }) as { C: CsrMatrix };
      } catch (error) {
        assert.ok(error instanceof DataFormatError, `expected a DataFormatError, got ${String(error)}`);
        assert.equal(error.file, 'in.mtx');
        return;
      }
      validateMatrix(data.C);
    }),
    params(1000),
  );
});

// ---------------------------------------------------------------------------------------------
// validateMatrix and the native checks agree

/** A small CSR matrix, often valid, often subtly broken (lengths, order, range, non-finite values, types). */
const maybeCsr = fc
  .record({
    rows: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constantFrom(-1, 1.5, NaN, 2 ** 31)),
    cols: fc.oneof(fc.integer({ min: 1, max: 5 }), fc.constantFrom(0, -2, 2.5, Infinity)),
    counts: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 6 }),
    indexNoise: fc.array(fc.integer({ min: -3, max: 6 }), { maxLength: 20 }),
    values: fc.array(fc.oneof(fc.double({ min: -10, max: 10, noNaN: true }), fc.constantFrom(NaN, Infinity, -Infinity, 1e308)), { maxLength: 20 }),
    mutation: fc.constantFrom('none', 'none', 'none', 'indptr-length', 'indptr-start', 'indptr-drop', 'values-length', 'indices-type', 'unsorted', 'dense'),
  })
  .map(({ rows, cols, counts, indexNoise, values, mutation }) => {
    const n = Number.isInteger(rows) && rows >= 0 && rows < 10 ? rows : 3;
    const indptr = new Int32Array(n + 1);
    const indices: number[] = [];
    for (let i = 0; i < n; i++) {
      const count = counts[i] ?? 0;
      for (let k = 0; k < count; k++) indices.push(k + (indexNoise[indices.length] === 6 ? 7 : 0));
      indptr[i + 1] = indices.length;
    }
    const vals = Float64Array.from({ length: indices.length }, (_, k) => values[k] ?? 1);
    const matrix: Record<string, unknown> = { rows, cols, indptr, indices: Int32Array.from(indices), values: vals };
    switch (mutation) {
      case 'indptr-length': matrix.indptr = Int32Array.from([...indptr, indptr[n]]); break;
      case 'indptr-start': matrix.indptr = indptr.map((v, i) => (i === 0 ? 1 : v)); break;
      case 'indptr-drop': if (n > 0) matrix.indptr = indptr.map((v, i) => (i === n ? Math.max(0, v - 1) : v)); break;
      case 'values-length': matrix.values = Float64Array.from([...vals, 1]); break;
      case 'indices-type': matrix.indices = Float64Array.from(indices); break;
      case 'unsorted': if (indices.length > 1) matrix.indices = Int32Array.from(indices).reverse(); break;
      case 'dense': {
        const length = Number.isSafeInteger(rows) && Number.isSafeInteger(cols) && rows >= 0 && cols >= 0 && rows * cols < 100 ? rows * cols : 4;
        delete matrix.indptr;
        delete matrix.indices;
        delete matrix.values;
        matrix.data = Float64Array.from({ length: indexNoise[0] === -3 ? length + 1 : length }, (_, k) => values[k] ?? 0.5);
        break;
      }
    }
    return matrix;
  });

test('validateMatrix: arbitrary matrices are valid or an InputError naming a field of C, and the native checks agree', () => {
  const { NativeProblem } = native();
  fc.assert(
    fc.property(maybeCsr, (matrix) => {
      let tsError: unknown;
      try {
        validateMatrix(matrix);
      } catch (error) {
        tsError = error;
        assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
        assert.match(error.field, /^C(\.(rows|cols|data|indptr|indices|values))?$/);
      }
      // The native constructor, called directly (no TypeScript in front), must reach the same verdict.
      const rows = matrix.rows as number;
      const target = new Float64Array(Number.isSafeInteger(rows) && rows >= 0 && rows < 100 ? rows : 0);
      let nativeError: unknown;
      try {
        new NativeProblem({ ...matrix, target, model: 'softmax-unit', unit: 'identity', scale: Float64Array.of(1), bias: Float64Array.of(0), weight: Float64Array.of(0), ridge: 0 } as never);
      } catch (error) {
        nativeError = error;
        assert.ok(error instanceof TypeError, `native: expected a TypeError, got ${String(error)}`);
        assert.match(error.message, /^[\w.]+: /);
      }
      assert.equal(nativeError === undefined, tsError === undefined,
        `TypeScript ${tsError ? `refused (${(tsError as Error).message})` : 'accepted'} but native ${nativeError ? `refused (${(nativeError as Error).message})` : 'accepted'}`);
    }),
    params(1000),
  );
});

// ---------------------------------------------------------------------------------------------
// Problem and resolveSolveOptions on arbitrary options; never a NaN result

const anything = fc.oneof(
  fc.constantFrom(undefined, null, NaN, Infinity, -Infinity, -1, 0, 0.5, 1, 3, 1e308, 'n', '', 'x', true, [], [1], [1, 2, 3], {}),
  fc.double(),
  fc.integer({ min: -5, max: 1e6 }),
  fc.string({ maxLength: 6 }),
  fc.array(fc.double(), { maxLength: 4 }),
  fc.float64Array({ maxLength: 4 }),
);

const C3: CsrMatrix = { rows: 3, cols: 2, indptr: Int32Array.of(0, 2, 3, 3), indices: Int32Array.of(0, 1, 1), values: Float64Array.of(0.5, -1, 2) };
const B3 = Float64Array.of(0.2, 0.5, 0.3);

test('Problem: arbitrary options give a Problem or an InputError naming the option; its loss is finite or a NumericalError', () => {
  fc.assert(
    fc.property(
      fc.record({ model: fc.oneof(fc.constantFrom(...MODELS), anything), unit: fc.oneof(fc.constantFrom(...UNITS), anything), scale: anything, bias: anything, w: anything, ridge: anything }, { requiredKeys: [] }),
      fc.array(fc.double({ min: -50, max: 50, noNaN: true }), { minLength: 2, maxLength: 2 }),
      (options, x) => {
        let problem: Problem;
        try {
          problem = new Problem(C3, B3, options as never);
        } catch (error) {
          assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
          assert.ok(['model', 'unit', 'scale', 'bias', 'w', 'ridge', 'options'].includes(error.field), error.field);
          return;
        }
        try {
          const { loss, gradient } = problem.evaluate(x);
          assert.ok(Number.isFinite(loss) && loss >= 0, `loss ${loss}`);
          assert.ok(gradient.every(Number.isFinite), 'gradient');
        } catch (error) {
          assert.ok(error instanceof NumericalError, `expected a NumericalError, got ${String(error)}`);
        }
      },
    ),
    params(),
  );
});

const OPTION_KEYS = ['method', 'sketch', 'sketchRows', 'eps0', 'osnapNonzeros', 'tol', 'atol', 'decrementTol', 'maxIter', 'maxInner', 'lbfgsMemory', 'seed', 'x0', 'xStar', 'threads', 'maxMemoryBytes', 'bogus'];

test('resolveSolveOptions: arbitrary options are resolved to valid ones or refused with an InputError naming the option', () => {
  const problem = new Problem(C3, B3, { w: 0.5 });
  fc.assert(
    fc.property(fc.dictionary(fc.constantFrom(...OPTION_KEYS), anything, { maxKeys: 4 }), (options) => {
      let resolved;
      try {
        resolved = resolveSolveOptions(problem, options as never);
      } catch (error) {
        assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
        assert.ok(OPTION_KEYS.includes(error.field) || error.field === 'options.bogus', `field ${error.field}`);
        assert.ok(error.field in options || error.field.replace(/^options\./, '') in options, `${error.field} was not given`);
        return;
      }
      for (const key of ['sketchRows', 'osnapNonzeros', 'maxIter', 'maxInner', 'lbfgsMemory', 'seed', 'threads'] as const) {
        assert.ok(Number.isSafeInteger(resolved[key]) && resolved[key] >= 0, key);
      }
      for (const key of ['eps0', 'tol', 'atol', 'decrementTol'] as const) assert.ok(Number.isFinite(resolved[key]) && resolved[key] >= 0, key);
      // A resolved solve never returns NaN (a few iterations: the point is the result's form).
      const r = solveSync(problem, { ...(options as object), maxIter: 3, maxMemoryBytes: undefined } as never);
      assert.ok(!Number.isNaN(r.loss) && !Number.isNaN(r.gradNorm) && r.x.every(Number.isFinite));
    }),
    params(),
  );
});

test('evaluate and solve on arbitrary finite data: finite results or a typed error, never NaN', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 6 }).chain((rows) =>
        fc.record({
          rows: fc.constant(rows),
          data: fc.float64Array({ minLength: rows * 2, maxLength: rows * 2, noNaN: true, noDefaultInfinity: true }),
          b: fc.float64Array({ minLength: rows, maxLength: rows, noNaN: true, noDefaultInfinity: true }),
          unit: fc.constantFrom(...UNITS),
          model: fc.constantFrom('softmax-unit', 'relu-softmax'),
          scale: fc.double({ noNaN: true, noDefaultInfinity: true }),
          x: fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 2, maxLength: 2 }),
          method: fc.constantFrom('newton-pcg', 'approx-newton', 'newton', 'gd', 'lbfgs'),
        }),
      ),
      ({ rows, data, b, unit, model, scale, x, method }) => {
        const problem = new Problem({ rows, cols: 2, data }, b, { unit, model, scale });
        try {
          const { loss, gradient } = problem.evaluate(x);
          assert.ok(Number.isFinite(loss) && gradient.every(Number.isFinite), `loss ${loss}, gradient ${gradient}`);
        } catch (error) {
          assert.ok(error instanceof NumericalError, `expected a NumericalError, got ${String(error)}`);
        }
        const r = solveSync(problem, { method, x0: x, maxIter: 4, sketchRows: 2 });
        assert.ok(!Number.isNaN(r.loss) && !Number.isNaN(r.gradNorm), `${method}: loss ${r.loss}, ‖∇L‖ ${r.gradNorm} (${r.stopReason})`);
        assert.ok(r.x.every(Number.isFinite), `${method}: x ${r.x}`);
        if (r.converged) assert.ok(Number.isFinite(r.loss) && Number.isFinite(r.gradNorm), `${method} converged on ${r.loss}, ${r.gradNorm}`);
        for (const row of r.trace) assert.ok(!Number.isNaN(row.loss) && !Number.isNaN(row.gradNorm), `${method}: a NaN trace row`);
      },
    ),
    params(),
  );
});
