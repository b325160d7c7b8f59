/**
 * The bad-input matrix (docs/reliability.md): every kind of malformed input, given to the API and
 * to the command line, gives a typed error naming the field (the CLI: exit code 2 and one line,
 * never a signal), and numerical breakdowns end a solve with a stop reason, never an exception, a
 * NaN or a hang. test/matrix.test.ts covers every field of C, b, the model options and x one by one;
 * this file covers the solve options, the native layer's own checks of them, data files, the CLI,
 * and the breakdowns.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

import { DataFormatError, InputError, NumericalError, Problem, plantedProblem, solve, solveSync, SolveOptions, SolveResult } from '../src';
import { parseLibsvm, readLibsvm } from '../src/io/libsvm';
import * as mtx from '../src/io/mtx';
import { native } from '../src/native';

const { problem } = plantedProblem({ rows: 200, cols: 5, density: 1, seed: 8 });

function inputError(field: string, what: string): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof InputError, `${what}: expected an InputError, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    assert.equal(e.field, field, `${what}: field (message: ${e.message})`);
    assert.ok(e.message.startsWith(`${field}: `), `${what}: ${e.message}`);
    return true;
  };
}

// ---------------------------------------------------------------------------------------------
// Solve options (solve.test.ts has the first dozen; these complete the matrix)

const BAD_OPTIONS: [string, Record<string, unknown>, string][] = [
  ['options null', null as never, 'options'],
  ['options a number', 5 as never, 'options'],
  ['tol Infinity', { tol: Infinity }, 'tol'],
  ['tol a string', { tol: '1e-8' }, 'tol'],
  ['atol negative', { atol: -1e-300 }, 'atol'],
  ['decrementTol NaN', { decrementTol: NaN }, 'decrementTol'],
  ['maxIter Infinity', { maxIter: Infinity }, 'maxIter'],
  ['maxIter a string', { maxIter: '5' }, 'maxIter'],
  ['maxIter too large', { maxIter: 2e6 }, 'maxIter'],
  ['maxInner 0', { maxInner: 0 }, 'maxInner'],
  ['lbfgsMemory 0', { lbfgsMemory: 0 }, 'lbfgsMemory'],
  ['sketchRows fractional', { sketchRows: 1.5 }, 'sketchRows'],
  ['sketchRows NaN', { sketchRows: NaN }, 'sketchRows'],
  ['sketchRows 2^31', { sketchRows: 2 ** 31 }, 'sketchRows'],
  ['sketchRows a string', { sketchRows: '100' }, 'sketchRows'],
  ['osnapNonzeros 0', { osnapNonzeros: 0 }, 'osnapNonzeros'],
  ['osnapNonzeros above sketchRows for osnap', { sketch: 'osnap', sketchRows: 2 }, 'osnapNonzeros'],
  ['eps0 1', { eps0: 1 }, 'eps0'],
  ['eps0 NaN', { eps0: NaN }, 'eps0'],
  ['seed fractional', { seed: 0.5 }, 'seed'],
  ['seed above 2^53', { seed: 2 ** 53 }, 'seed'],
  ['threads 257', { threads: 257 }, 'threads'],
  ['threads fractional', { threads: 1.5 }, 'threads'],
  ['method unknown', { method: 'Newton' }, 'method'],
  ['method a number', { method: 1 }, 'method'],
  ['sketch unknown', { sketch: 'gaussian' }, 'sketch'],
  ['x0 a Float32Array', { x0: new Float32Array(5) }, 'x0'],
  ['x0 a string', { x0: '0,0,0,0,0' }, 'x0'],
  ['x0 too long', { x0: new Float64Array(6) }, 'x0'],
  ['x0 with Infinity', { x0: [0, 0, Infinity, 0, 0] }, 'x0'],
  ['xStar with NaN', { xStar: [0, 0, 0, 0, NaN] }, 'xStar'],
  ['xStar an object', { xStar: { length: 5 } }, 'xStar'],
  ['onIteration not a function', { onIteration: 3 }, 'onIteration'],
  ['signal not an AbortSignal', { signal: {} }, 'signal'],
  ['maxMemoryBytes 0', { maxMemoryBytes: 0 }, 'maxMemoryBytes'],
  ['maxMemoryBytes a string', { maxMemoryBytes: '1GB' }, 'maxMemoryBytes'],
  ['a misspelt option', { maxIterations: 5 }, 'options.maxIterations'],
  ['starts 0', { starts: 0 }, 'starts'],
  ['starts fractional', { starts: 2.5 }, 'starts'],
  ['starts a string', { starts: '4' }, 'starts'],
  ['starts beyond the limit', { starts: 1e9 }, 'starts'],
];

test('every bad solve option is an InputError naming it, from solve and solveSync alike', async () => {
  for (const [what, options, field] of BAD_OPTIONS) {
    await assert.rejects(solve(problem, options as SolveOptions), inputError(field, `solve: ${what}`), `solve: ${what}: no error`);
    // solveSync takes no starts: it names `starts` too, for its own reason.
    if (field !== 'onIteration' && field !== 'signal') assert.throws(() => solveSync(problem, options as SolveOptions), inputError(field, `solveSync: ${what}`));
  }
  // The problem is intact after all of that.
  assert.equal(solveSync(problem, { tol: 1e-9 }).converged, true);
});

test('the native solver checks its options itself: a TypeError naming the field, never a crash', async () => {
  const addon = native();
  const valid = {
    method: 'newton-pcg', sketch: 'auto', sketchRows: 0, eps0: 0.5, osnapNonzeros: 4, tol: 1e-8, atol: 0, decrementTol: 0,
    maxIter: 10, maxInner: 50, lbfgsMemory: 5, seed: 0, threads: 1,
  };
  assert.equal((addon.solveSync(problem.handle, valid) as SolveResult).x.length, 5, 'the valid options work');
  const cases: [string, Record<string, unknown>, string][] = [
    ['method missing', { method: undefined }, 'method'],
    ['method unknown', { method: 'bfgs' }, 'method'],
    ['sketch unknown', { sketch: 'gauss' }, 'sketch'],
    ['sketchRows negative', { sketchRows: -1 }, 'sketchRows'],
    ['sketchRows 2^40', { sketchRows: 2 ** 40 }, 'sketchRows'],
    ['osnapNonzeros 0', { osnapNonzeros: 0 }, 'osnapNonzeros'],
    ['threads 0', { threads: 0 }, 'threads'],
    ['eps0 NaN', { eps0: NaN }, 'eps0'],
    ['eps0 2', { eps0: 2 }, 'eps0'],
    ['tol negative', { tol: -1 }, 'tol'],
    ['tol a string', { tol: 'small' }, 'tol'],
    ['maxIter -1', { maxIter: -1 }, 'maxIter'],
    ['maxIter 1.5', { maxIter: 1.5 }, 'maxIter'],
    ['maxInner 0', { maxInner: 0 }, 'maxInner'],
    ['lbfgsMemory 0', { lbfgsMemory: 0 }, 'lbfgsMemory'],
    ['seed negative', { seed: -1 }, 'seed'],
    ['seed 2^60', { seed: 2 ** 60 }, 'seed'],
    ['x0 short', { x0: new Float64Array(2) }, 'x0'],
    ['x0 a number[]', { x0: [0, 0, 0, 0, 0] }, 'x0'],
    ['x0 NaN', { x0: Float64Array.of(0, 0, NaN, 0, 0) }, 'x0'],
    ['xStar long', { xStar: new Float64Array(9) }, 'xStar'],
  ];
  for (const [what, patch, field] of cases) {
    const options = { ...valid, ...patch };
    assert.throws(() => addon.solveSync(problem.handle, options), (e: unknown) => e instanceof TypeError && e.message.startsWith(`${field}: `), `solveSync: ${what}`);
    let thrown: unknown;
    try {
      await addon.solve(problem.handle, options, undefined, new Int32Array(new SharedArrayBuffer(4)));
    } catch (error) {
      thrown = error;
    }
    assert.ok(thrown instanceof TypeError && thrown.message.startsWith(`${field}: `), `solve: ${what}: ${String(thrown)}`);
  }
  // The cancel flag must be one Int32 over any buffer; the options an object.
  await assert.rejects(async () => addon.solve(problem.handle, valid, undefined, new Float64Array(1) as never), TypeError);
  await assert.rejects(async () => addon.solve(problem.handle, valid, undefined, new Int32Array(0)), TypeError);
  assert.throws(() => addon.solveSync(problem.handle, 7 as never), (e: unknown) => e instanceof TypeError && /^options: /.test((e as Error).message));
});

// ---------------------------------------------------------------------------------------------
// Numerical breakdowns: a stop reason, never an exception, a NaN or a hang

/** Never NaN, never "converged" with a non-finite loss or gradient, x finite, the trace consistent. */
function assertSane(r: SolveResult, what: string): void {
  assert.ok(!Number.isNaN(r.loss) && !Number.isNaN(r.gradNorm), `${what}: NaN in the result (${r.stopReason})`);
  assert.ok(r.x.every(Number.isFinite), `${what}: x is not finite`);
  if (r.converged) assert.ok(Number.isFinite(r.loss) && Number.isFinite(r.gradNorm), `${what}: converged on a non-finite value`);
  for (const row of r.trace) assert.ok(!Number.isNaN(row.loss) && !Number.isNaN(row.gradNorm), `${what}: a NaN trace row`);
  if (!r.converged) assert.ok(r.message.length > 0 || ['maxIterations', 'cancelled'].includes(r.stopReason), `${what}: ${r.stopReason} without a message`);
}

test('overflow of the Hessian or the gradient ends the solve with stopReason overflow (it used to hang or "converge")', async () => {
  // Finite data beyond the square root of the double range: from a tiny start z = Cx is moderate,
  // but the Gram Cᵀ diag(D) C and ‖∇L‖ overflow.
  const values = [1.3, -0.7, 2.1, 0.4, -1.9, 1.1, -0.3, 0.8, 1.7, -1.2, 0.6, -2.2, 0.9, 1.4, -0.5, 2.4, -1.1, 0.2].map((v) => v * 1e200);
  const huge = new Problem({ rows: 6, cols: 3, data: Float64Array.from(values) }, new Float64Array(6).fill(0.3));
  const x0 = [1e-201, -2e-201, 0.5e-201];
  for (const method of ['newton', 'approx-newton', 'newton-pcg'] as const) {
    const started = Date.now();
    const r = await solve(huge, { method, x0, maxIter: 50 });
    assert.ok(Date.now() - started < 10_000, `${method} took ${Date.now() - started} ms`);
    assert.equal(r.stopReason, 'overflow', `${method}: ${r.stopReason} ${r.message}`);
    assert.equal(r.converged, false);
    assert.match(r.message, /overflow/);
    assertSane(r, method);
  }
  for (const method of ['gd', 'lbfgs'] as const) {
    const r = solveSync(huge, { method, x0, maxIter: 50 });
    assert.ok(['overflow', 'lineSearchFailed'].includes(r.stopReason), `${method}: ${r.stopReason}`);
    assert.equal(r.converged, false);
    assertSane(r, method);
  }
});

test('Problem methods at a point where the Hessian overflows: a NumericalError, never Inf or NaN returned', () => {
  const values = [1.3, -0.7, 2.1, 0.4, -1.9, 1.1, -0.3, 0.8, 1.7, -1.2, 0.6, -2.2, 0.9, 1.4, -0.5, 2.4, -1.1, 0.2].map((v) => v * 1e200);
  const huge = new Problem({ rows: 6, cols: 3, data: Float64Array.from(values) }, new Float64Array(6).fill(0.3));
  const x = [1e-201, -2e-201, 0.5e-201];
  // The loss and gradient (≈ 1e199) are finite and returned…
  const { loss, gradient } = huge.evaluate(x);
  assert.ok(Number.isFinite(loss) && gradient.every(Number.isFinite));
  // …the Hessian (≈ 1e400) is not.
  assert.throws(() => huge.hessian(x), (e: unknown) => e instanceof NumericalError && /^x: the Hessian overflows/.test((e as Error).message));
  assert.throws(() => huge.hessianVector(x, [1, 1, 1]), (e: unknown) => e instanceof NumericalError && /^x: the Hessian-vector product overflows/.test((e as Error).message));
  // A moderate v at a moderate point is fine.
  const small = new Problem({ rows: 6, cols: 3, data: Float64Array.from(values.map((v) => v * 1e-200)) }, new Float64Array(6).fill(0.3));
  assert.ok(small.hessianVector([0.1, 0.2, 0.3], [1, 1, 1]).every(Number.isFinite));
  assert.throws(() => small.hessianVector([0.1, 0.2, 0.3], [1e308, -1e308, 1e308]), NumericalError);
});

test('a Hessian that stays indefinite under the largest damping ends with stopReason indefinite (it used to hang)', () => {
  // Found by the property tests: every entry of the Hessian approximation is subnormal, so the
  // damping's first step 1e-8·max|diag| underflowed to 0 and was retried forever.
  const data = Float64Array.from([-2.514170373625759e+38, -5.049651939454065e-172, -1.7976931348623155e+308, -1.7976931348623127e+308,
    1.710874729174265e-111, 6.7747768645455505e-62, 1.1721247020855997e+99, -1.5690489110682917, 1.7976931348623141e+308,
    -1.6453317952550942e+264, -4.17375681481478e-169, -7.604681828368452e+234]);
  const b = Float64Array.from([7e-323, -2.36967613454471e-16, -1.0951281932626653e+127, -4.588208995119506e+89, -2.7498307683610765e-28, 2.735001999176063e-57]);
  const p = new Problem({ rows: 6, cols: 2, data }, b, { unit: 'exp', model: 'relu-softmax', scale: 6.4e-323 });
  const started = Date.now();
  const r = solveSync(p, { method: 'newton', x0: [-6.4e-323, 4.860399979721423e-107], maxIter: 4 });
  assert.ok(Date.now() - started < 10_000);
  assert.equal(r.stopReason, 'indefinite', `${r.stopReason}: ${r.message}`);
  assert.match(r.message, /indefinite/);
  assertSane(r, 'indefinite');
});

test('a line search that cannot decrease the loss ends with stopReason lineSearchFailed', () => {
  // gd on the overflowing data above: every trial step along −∇L (‖∇L‖ ≈ 1e200) overflows.
  const values = [1.3, -0.7, 2.1, 0.4, -1.9, 1.1, -0.3, 0.8, 1.7, -1.2, 0.6, -2.2, 0.9, 1.4, -0.5, 2.4, -1.1, 0.2].map((v) => v * 1e200);
  const huge = new Problem({ rows: 6, cols: 3, data: Float64Array.from(values) }, new Float64Array(6).fill(0.3));
  const r = solveSync(huge, { method: 'gd', x0: [1e-201, -2e-201, 0.5e-201], maxIter: 50 });
  assert.equal(r.stopReason, 'lineSearchFailed', `${r.stopReason}: ${r.message}`);
  assert.match(r.message, /decreased the loss/);
  assertSane(r, 'gd');
});

test('extreme but valid inputs never give NaN: every model, unit and method at scales from 1e-300 to 1e300', () => {
  const base = plantedProblem({ rows: 40, cols: 3, density: 0.7, seed: 4 });
  const C = base.problem.C;
  for (const model of ['softmax-unit', 'relu-softmax'] as const) {
    for (const unit of ['identity', 'relu', 'sigmoid', 'tanh', 'softplus', 'exp', 'gelu'] as const) {
      for (const scale of [1e-300, 1, 40, 1e6, 1e300]) {
        const p = new Problem(C, base.problem.b.map((v) => v * 1e3), { model, unit, scale, bias: -0.5, w: 1e-3, ridge: 1e-12 });
        for (const method of ['newton-pcg', 'approx-newton', 'gd', 'lbfgs'] as const) {
          const r = solveSync(p, { method, maxIter: 5, sketchRows: 10, x0: [3e2, -1e2, 5e1] });
          assertSane(r, `${model}/${unit}/scale ${scale}/${method}`);
        }
        try {
          const { loss, gradient } = p.evaluate([3e2, -1e2, 5e1]);
          assert.ok(Number.isFinite(loss) && gradient.every(Number.isFinite));
        } catch (error) {
          assert.ok(error instanceof NumericalError, `${model}/${unit}/${scale}: ${String(error)}`);
        }
      }
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Data files, through the API

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'softnewton-bad-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string | Buffer) => {
  const f = path.join(dir, name);
  fs.writeFileSync(f, content);
  return f;
};

// Garbage that is the same on every run: a fixed xorshift stream of bytes, NULs and high bytes included.
function garbage(length: number, seed: number): Buffer {
  let s = seed >>> 0 || 1;
  return Buffer.from(Array.from({ length }, () => {
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
    return (s >>> 0) & 0xff;
  }));
}

const GOOD = '0.5 1:1 3:-2\n1.5 2:0.25\n-1 1:3 2:1 3:1\n';

/** [name, content, expected line (undefined: the whole file), message pattern]: each a DataFormatError. */
const BAD_LIBSVM: [string, string | Buffer, number | undefined, RegExp][] = [
  ['empty', '', undefined, /no data/],
  ['only blank lines and comments', '\n\n# nothing\n   \n', undefined, /no data/],
  ['truncated mid-entry', `${GOOD}2 1:`, 4, /finite decimal value/],
  ['truncated after an index', `${GOOD}2 3`, 4, /1-based integer index/],
  ['truncated exponent', `${GOOD}2 1:1e`, 4, /finite decimal value/],
  ['binary garbage', garbage(300, 7), 1, /expected/],
  ['garbage after good lines', Buffer.concat([Buffer.from(GOOD), garbage(100, 9)]), 4, /expected/],
  ['NUL bytes', `${GOOD}1 1:\0\n`, 4, /finite decimal value/],
  ['value overflows a double', `${GOOD}1 2:1e309\n`, 4, /finite decimal value/],
  ['label overflows a double', `1e400 1:1\n`, 1, /finite decimal label/],
  ['value NaN', `${GOOD}1 1:NaN\n`, 4, /finite decimal value/],
  ['value nan', `${GOOD}1 1:nan\n`, 4, /finite decimal value/],
  ['value inf', `${GOOD}1 1:inf\n`, 4, /finite decimal value/],
  ['value -Infinity', `${GOOD}1 1:-Infinity\n`, 4, /finite decimal value/],
  ['label NaN', `NaN 1:1\n`, 1, /finite decimal label/],
  ['label Infinity', `${GOOD}Infinity 1:1\n`, 4, /finite decimal label/],
  ['index 0', `${GOOD}1 0:1\n`, 4, /expected an index from 1 to (cols = )?\d+, found "0:1"/],
  ['index beyond 2^31', `1 3000000000:1\n`, 1, /expected an index from 1 to (cols = )?\d+, found "3000000000:1"/],
  ['negative index', `1 -1:1\n`, 1, /1-based integer index/],
  ['duplicate index', `1 2:1 2:1\n`, 1, /duplicate index/],
];

test('malformed LIBSVM files: a DataFormatError with the file and the line, from the string parser and the file reader', async () => {
  for (const [what, content, line, pattern] of BAD_LIBSVM) {
    const f = file(`${what.replace(/\W+/g, '-')}.svm`, content);
    for (const read of [
      async () => readLibsvm(f),
      async () => parseLibsvm(typeof content === 'string' ? content : content.toString('latin1'), { name: f }),
    ]) {
      await assert.rejects(read(), (e: unknown) => {
        assert.ok(e instanceof DataFormatError, `${what}: ${String(e)}`);
        assert.equal(e.file, f, what);
        assert.equal(e.line, line, `${what}: line (${e.message})`);
        assert.match(e.message, pattern, what);
        return true;
      }, what);
    }
  }
  // Huge but finite numbers are data: they parse (what they do to a solve is the breakdown tests' business).
  const huge = await readLibsvm(file('huge.svm', '1e300 1:1e308 2:-1.7976931348623157e308\n-1e-320 1:5e-324\n'));
  assert.equal(huge.C.values[1], -Number.MAX_VALUE);
  assert.equal(huge.C.values[2], 5e-324);
  // A corrupt .gz is a DataFormatError too; a directory or a missing file an InputError naming it.
  await assert.rejects(readLibsvm(file('corrupt.svm.gz', Buffer.concat([zlib.gzipSync(GOOD).subarray(0, 20), garbage(40, 3)]))), DataFormatError);
  await assert.rejects(readLibsvm(dir), (e: unknown) => e instanceof InputError && e.field === dir);
  await assert.rejects(readLibsvm(path.join(dir, 'missing.svm')), (e: unknown) => e instanceof InputError && /no such file/.test((e as Error).message));
});


const BANNER = '%%MatrixMarket matrix coordinate real general';
const BAD_MTX: [string, string, number | undefined][] = [
  ['empty', '', undefined],
  ['no banner', '2 2 1\n1 1 1\n', 1],
  ['a wrong banner', '%%MatrixMarket tensor coordinate real general\n2 2 1\n1 1 1\n', 1],
  ['array format', '%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n4\n', 1],
  ['complex field', '%%MatrixMarket matrix coordinate complex general\n1 1 1\n1 1 1 0\n', 1],
  ['a short size line', `${BANNER}\n2 2\n`, 2],
  ['truncated entries', `${BANNER}\n2 2 3\n1 1 1\n`, undefined],
  ['row 0', `${BANNER}\n2 2 1\n0 1 1\n`, 3],
  ['column beyond the size', `${BANNER}\n2 2 1\n1 3 1\n`, 3],
  ['NaN value', `${BANNER}\n2 2 1\n1 1 nan\n`, 3],
  ['huge value', `${BANNER}\n2 2 1\n1 1 1e999\n`, 3],
  ['binary garbage', garbage(200, 5).toString('latin1'), 1],
];

test('malformed Matrix Market files: a DataFormatError with the file and the line', () => {
  for (const [what, text, line] of BAD_MTX) {
    assert.throws(() => mtx.parseMatrixMarket(text, { name: 'm.mtx' }), (e: unknown) => {
      assert.ok(e instanceof DataFormatError, `${what}: ${String(e)}`);
      assert.equal(e.file, 'm.mtx');
      assert.equal(e.line, line, `${what}: line (${e.message})`);
      return true;
    }, what);
  }
});

// ---------------------------------------------------------------------------------------------
// The command line: exit code 2, one line naming the flag or the file, never a signal

const MAIN = path.resolve(__dirname, '..', 'src', 'cli', 'main.js');

interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function cli(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000, maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
      const e = error as (Error & { code?: unknown; signal?: NodeJS.Signals | null }) | null;
      resolve({ status: e === null ? 0 : typeof e.code === 'number' ? e.code : null, signal: e?.signal ?? null, stdout, stderr });
    });
  });
}

function assertUserError(run: Run, what: string, ...names: string[]): void {
  assert.equal(run.signal, null, `${what}: killed by ${run.signal}`);
  assert.equal(run.status, 2, `${what}: exit ${run.status}; stderr ${run.stderr}`);
  const lines = run.stderr.split('\n');
  assert.equal(lines.length, 2, `${what}: one line on stderr, got ${JSON.stringify(run.stderr)}`);
  assert.ok(lines[0].startsWith('softnewton: '), `${what}: ${lines[0]}`);
  assert.doesNotMatch(run.stderr, /\n\s+at |internal error/, `${what}: a stack trace`);
  for (const name of names) assert.ok(lines[0].includes(name), `${what}: ${JSON.stringify(lines[0])} should name ${name}`);
}

test('the CLI: every malformed file and every bad solver flag exits 2 with one line naming it, never a signal', async () => {
  file('good.svm', GOOD);
  file('x3.json', '[0.1, 0.2, 0.3]');
  file('x3-huge.json', '[1e999, 0, 0]');
  file('x3-nan.json', '[null, 0, 0]');
  const cases: [string, string[], ...string[]][] = [];
  for (const [what, content] of BAD_LIBSVM) {
    const name = `cli-${what.replace(/\W+/g, '-')}.svm`;
    file(name, content);
    cases.push([`solve, ${what}`, ['solve', '--data', name, '--cols', '3'], name]);
    // eval reads through the same reader: a few cases show it reports them the same way.
    if (['empty', 'truncated mid-entry', 'binary garbage', 'value NaN', 'index 0'].includes(what)) {
      cases.push([`eval, ${what}`, ['eval', '--data', name, '--cols', '3', '--x', 'x3.json'], name]);
    }
  }
  for (const [what, text] of BAD_MTX) {
    const name = `cli-${what.replace(/\W+/g, '-')}.mtx`;
    file(name, text);
    cases.push([`solve, mtx ${what}`, ['solve', '--data', name, '--target-column', '1'], name]);
  }
  // Dense data: CSV and NumPy files (b from their first column).
  const dense: [string, string | Buffer][] = [
    ['bad.csv', 'a,b\n1,x\n'], ['empty.csv', ''], ['nan.csv', '1,2\nnan,3\n'], ['huge.csv', '1,2\n1e999,3\n'],
    ['garbage.npy', garbage(200, 11)],
    ['truncated.npy', Buffer.from('\x93NUMPY\x01\x00\x10\x00{"descr": "<f8", "fortran_order": False, "shape": (3, 2), }\n\x00\x00', 'latin1')],
  ];
  for (const [name, content] of dense) {
    file(name, content);
    cases.push([`solve, ${name}`, ['solve', '--data', name, '--target-column', '1'], name]);
  }
  const solveFlags: [string, string, string][] = [
    ['--tol', 'Infinity', '--tol'], ['--tol', 'nan', '--tol'], ['--atol', '-1', '--atol'], ['--max-iter', '1e7', '--max-iter'],
    ['--max-iter', '-1', '--max-iter'], ['--sketch-rows', '-5', '--sketch-rows'], ['--sketch-rows', 'many', '--sketch-rows'],
    ['--seed', '-1', '--seed'], ['--eps0', '0', '--eps0'], ['--method', 'BFGS', '--method'], ['--sketch', 'none2', '--sketch'],
    ['--model', 'linear', '--model'], ['--unit', 'swish', '--unit'], ['--scale', 'big', '--scale'], ['--bias', 'Infinity', '--bias'],
    ['--w', '-0.5', '--w'], ['--ridge', '1e999', '--ridge'], ['--starts', '0', '--starts'], ['--starts', '2.5', '--starts'],
    ['--threads', '0', '--threads'], ['--max-memory', '0', '--max-memory'], ['--max-memory', '1000', '--max-memory'],
    ['--x0', 'x3-huge.json', '--x0'], ['--x0', 'x3-nan.json', '--x0'], ['--xstar', 'good.svm', '--xstar'],
  ];
  for (const [flag, value, name] of solveFlags) cases.push([`solve ${flag} ${value}`, ['solve', '--data', 'good.svm', '--cols', '3', flag, value], name]);
  const pending = [...cases];
  const worker = async () => {
    for (let next = pending.shift(); next !== undefined; next = pending.shift()) {
      const [what, args, ...names] = next;
      assertUserError(await cli(...args), what, ...names);
    }
  };
  await Promise.all(Array.from({ length: 3 }, worker));
});

test('the CLI on huge but finite data: eval --hessian exits 2 naming the overflow, solve reports stopReason overflow (exit 1), never a signal', async () => {
  const rows = Array.from({ length: 6 }, (_, i) => `0.3 1:${(1 + i) * 1e200} 2:${(i % 2 ? -1 : 1) * 2e200} 3:${(3 - i) * 1e200}`).join('\n');
  file('huge.svm', `${rows}\n`);
  file('tiny.json', '[1e-201, -2e-201, 5e-202]');
  // The loss and gradient (entries ≈ 1e199) are finite: eval prints them…
  const evaluated = await cli('eval', '--data', 'huge.svm', '--cols', '3', '--x', 'tiny.json');
  assert.equal(evaluated.status, 0, evaluated.stderr);
  assert.ok((JSON.parse(evaluated.stdout) as { gradient: number[] }).gradient.every(Number.isFinite));
  // …but the Hessian (≈ 1e400) is not: a user error naming it, not Infinity or null in the JSON.
  assertUserError(await cli('eval', '--data', 'huge.svm', '--cols', '3', '--x', 'tiny.json', '--hessian'), 'eval --hessian on huge data', 'Hessian overflows');
  const solved = await cli('solve', '--data', 'huge.svm', '--cols', '3', '--x0', 'tiny.json', '--method', 'newton', '--json');
  assert.equal(solved.signal, null);
  assert.equal(solved.status, 1, solved.stderr);
  const result = JSON.parse(solved.stdout) as { stopReason: string; converged: boolean; loss: number | null };
  assert.equal(result.stopReason, 'overflow');
  assert.equal(result.converged, false);
});
