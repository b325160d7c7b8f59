/**
 * Models people deploy (docs/models.md): a Model saved, loaded and applied to other rows, checked
 * against φ(a∘softmax(Cx) + c) computed here independently; predict and score on the command line;
 * warm starts from .npy and model files; the data checks (targets out of range, standardisation,
 * the default scale) and the CSV flags; the multi-start winner rule; the report's table and plots.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

import { closestChoice, EXIT } from '../src/cli/common';
import { readOffset, withLoadingProgress } from '../src/cli/loading';
import { sampledTraceTable } from '../src/cli/report';
import { DataFormatError, InputError } from '../src/errors';
import { parseCsv, writeCsv } from '../src/io/csv';
import { writeLibsvm } from '../src/io/libsvm';
import { readNpyVector, writeNpy } from '../src/io/npy';
import { CsrMatrix, DenseMatrix, toDense } from '../src/matrix';
import { Model, MODEL_VERSION } from '../src/model/model';
import { applyStandardization, fitStandardization } from '../src/model/preprocess';
import { generatePlanted } from '../src/planted';
import { bestStart } from '../src/pool/multistart';
import { Problem } from '../src/problem';
import { solve, solveSync, TraceRow } from '../src/solve';

const MAIN = path.resolve(__dirname, '..', 'src', 'cli', 'main.js');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'softnewton-model-'));
const inWork = (name: string) => path.join(work, name);

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function cli(...args: string[]): Run {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd: work, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function assertUserError(run: Run, ...parts: string[]): void {
  assert.equal(run.status, EXIT.userError, run.stderr);
  assert.equal(run.stderr.split('\n').length, 2, `one line: ${run.stderr}`);
  for (const part of parts) assert.ok(run.stderr.includes(part), `${JSON.stringify(run.stderr)} should include ${JSON.stringify(part)}`);
}

// ---------------------------------------------------------------------------------------------
// The formula, independently: plain loops over a dense row-major C.

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

function referencePredict(C: DenseMatrix, x: ArrayLike<number>, a: number | ArrayLike<number>, c: number | ArrayLike<number>, phi: (v: number) => number): number[] {
  const z = Array.from({ length: C.rows }, (_, i) => {
    let sum = 0;
    for (let j = 0; j < C.cols; j++) sum += C.data[i * C.cols + j] * x[j];
    return sum;
  });
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const total = e.reduce((p, q) => p + q, 0);
  return e.map((v, i) => phi((typeof a === 'number' ? a : a[i]) * (v / total) + (typeof c === 'number' ? c : c[i])));
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const scale = Math.max(1, Math.abs(expected[i]));
    assert.ok(Math.abs(actual[i] - expected[i]) <= tolerance * scale, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

/** Rows [from, to) of a dense matrix. */
function rowsOf(C: DenseMatrix, from: number, to: number): DenseMatrix {
  return { rows: to - from, cols: C.cols, data: C.data.slice(from * C.cols, to * C.cols) };
}

/** A CSV file parsed without the library: a header and rows of numbers. */
function readCsvByHand(file: string): { names: string[]; rows: number[][] } {
  const [header, ...lines] = fs.readFileSync(file, 'utf8').trim().split('\n');
  return { names: header.split(','), rows: lines.map((l) => l.split(',').map(Number)) };
}

// Data: a noise-free planted problem, dense, split into a training file and a file of new rows
// with a different row count (so the scale rule n changes), both CSV with a header, target "price".
const planted = generatePlanted({ rows: 700, cols: 6, density: 1, seed: 5, unit: 'sigmoid', bias: -0.1, noise: 0.01 });
const dense = toDense(planted.C);
const NAMES = ['f1', 'f2', 'f3', 'f4', 'f5', 'f6'];
const prepared = (async () => {
  await writeCsv(inWork('train.csv'), rowsOf(dense, 0, 500), planted.b.slice(0, 500), { columns: NAMES, targetName: 'price' });
  await writeCsv(inWork('new.csv'), rowsOf(dense, 500, 700), planted.b.slice(500), { columns: NAMES, targetName: 'price' });
})();
// The files may still be in writing when a filtered run's only test ends.
after(async () => {
  await prepared;
  fs.rmSync(work, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// The Model object

test('a Model round-trips through its file exactly, and predicts the formula on a batch of other rows', async () => {
  const train = new Problem(rowsOf(dense, 0, 500), planted.b.slice(0, 500), { unit: 'sigmoid', bias: -0.1 });
  assert.equal(train.scaleRule, 'n');
  const result = await solve(train, { tol: 1e-10 });
  assert.ok(result.converged);
  const model = Model.fromSolve(train, result, { data: 'train', method: 'newton-pcg' });
  assert.deepEqual(model.spec, { model: 'softmax-unit', unit: 'sigmoid', scale: 'n', bias: -0.1, w: 0, ridge: 0 });
  await model.save(inWork('m.json'));
  await model.save(inWork('m.json.gz'));
  for (const file of ['m.json', 'm.json.gz']) {
    const loaded = await Model.load(inWork(file));
    assert.ok(Buffer.from(loaded.x.buffer).equals(Buffer.from(result.x.buffer)), 'x read back bit for bit');
    assert.deepEqual(loaded.toJSON(), model.toJSON());
    assert.equal(loaded.training.iterations, result.iterations);
    assert.equal(loaded.training.loss, result.loss);
  }
  // Doubles of every kind survive JSON exactly.
  const awkward = Float64Array.of(0.1, -0, 5e-324, 1.7976931348623157e308, Math.PI / 3, -2.2250738585072014e-308);
  const awkwardModel = new Model({ ...model, spec: model.spec, x: awkward });
  const round = Model.parse(awkwardModel.toText(), 'awkward');
  assert.ok(Buffer.from(round.x.buffer).equals(Buffer.from(awkward.buffer)), 'x with −0, subnormals and extremes read back bit for bit');
  assert.deepEqual(JSON.parse(model.toText()), model.toJSON());
  // Predict on 200 new rows: a = 200 (the rule n re-evaluated), one softmax over the batch.
  const batch = rowsOf(dense, 500, 700);
  const predicted = model.predict(batch);
  assertClose(predicted, referencePredict(batch, result.x, 200, -0.1, sigmoid), 1e-13, 'predictions');
  // A batch is one softmax group: the first 50 rows alone are not the first 50 of the 200.
  const alone = model.predict(rowsOf(dense, 500, 550));
  assertClose(alone, referencePredict(rowsOf(dense, 500, 550), result.x, 50, -0.1, sigmoid), 1e-13, 'batch of 50');
  assert.ok(Math.abs(alone[0] - predicted[0]) > 1e-6, 'a different group gives a different softmax');
  // Score, against the formula and the definitions of MSE and R².
  const b = planted.b.slice(500);
  const score = model.score(batch, b);
  const expected = referencePredict(batch, result.x, 200, -0.1, sigmoid);
  const sse = expected.reduce((sum, y, i) => sum + (y - b[i]) ** 2, 0);
  const mean = b.reduce((p, q) => p + q, 0) / b.length;
  const sst = b.reduce((sum, v) => sum + (v - mean) ** 2, 0);
  assert.equal(score.rows, 200);
  assertClose([score.loss, score.mse, score.r2!], [0.5 * sse, sse / 200, 1 - sse / sst], 1e-10, 'loss, MSE, R²');
  assert.ok(score.r2! > 0.9, `the model generalises: R² ${score.r2}`);
});

test('Model.load refuses corrupt, foreign and newer files with the file and the field', async () => {
  const train = new Problem(rowsOf(dense, 0, 100), planted.b.slice(0, 100), { unit: 'sigmoid' });
  const good = Model.fromSolve(train, solveSync(train, { maxIter: 3 })).toJSON();
  const cases: Array<[string, string, ...string[]]> = [
    ['corrupt.json', '{"format": "softnewton-model", "version": 1, "spec": {', 'corrupt.json', 'not valid JSON'],
    ['foreign.json', '{"name": "my-package", "version": "1.0.0"}', 'foreign.json', 'not a softnewton model', 'no "format" field'],
    ['array.json', '[1, 2, 3]', 'array.json', 'not a softnewton model'],
    ['newer.json', JSON.stringify({ ...good, version: MODEL_VERSION + 1 }), 'newer.json', `version ${MODEL_VERSION + 1}`, 'upgrade softnewton'],
    ['short.json', JSON.stringify({ ...good, x: good.x.slice(1) }), 'short.json', '"x": expected an array of 6 finite numbers'],
    ['unit.json', JSON.stringify({ ...good, spec: { ...good.spec, unit: 'swish' } }), 'unit.json', '"spec.unit": expected one of'],
    ['scale.json', JSON.stringify({ ...good, spec: { ...good.spec, scale: 'm' } }), 'scale.json', '"spec.scale"'],
    ['nan.json', JSON.stringify({ ...good, x: [1, 2, 3, 4, 5, '6'] }), 'nan.json', '"x": entry 5'],
    ['std.json', JSON.stringify({ ...good, preprocessing: { standardize: { center: [0, 0, 0, 0, 0, 0], scale: [1, 1, 1, 0, 1, 1] } } }), 'std.json', 'preprocessing.standardize.scale', 'entry 3'],
  ];
  for (const [name, text, ...parts] of cases) {
    fs.writeFileSync(inWork(name), text);
    await assert.rejects(Model.load(inWork(name)), (error: unknown) => {
      assert.ok(error instanceof DataFormatError, `${name}: ${error}`);
      for (const part of parts) assert.ok(error.message.includes(part), `${name}: ${JSON.stringify(error.message)} should include ${part}`);
      return true;
    });
  }
  fs.writeFileSync(inWork('bad.json.gz'), 'not gzip');
  await assert.rejects(Model.load(inWork('bad.json.gz')), /bad\.json\.gz: not a valid gzip file/);
  await assert.rejects(Model.load(inWork('missing.json')), /missing\.json: cannot read the file: no such file or directory/);
});

test('per-row scale and bias: a new batch must bring its own, or gets an error naming the field', () => {
  const rows = 80;
  const C = rowsOf(dense, 0, rows);
  const scale = Float64Array.from({ length: rows }, (_, i) => 50 + i);
  const bias = Float64Array.from({ length: rows }, (_, i) => -0.1 + 0.001 * i);
  const problem = new Problem(C, planted.b.slice(0, rows), { unit: 'sigmoid', scale, bias, w: 0.01 });
  const model = Model.fromSolve(problem, solveSync(problem, { maxIter: 20 }));
  assert.deepEqual(model.spec.scale, { perRow: rows });
  assert.deepEqual(model.spec.bias, { perRow: rows });
  assert.equal(model.spec.w, 0.01);
  const batch = rowsOf(dense, 100, 130);
  assert.throws(() => model.predict(batch), (e: unknown) => e instanceof InputError && e.field === 'scale' && /one scale per row \(80 rows\): give 30 values/.test(e.message));
  assert.throws(() => model.predict(batch, { scale: 30 }), (e: unknown) => e instanceof InputError && e.field === 'bias');
  assert.throws(() => model.predict(batch, { scale: 30, bias: 0, w: 0.5 }), (e: unknown) => e instanceof InputError && e.field === 'w' && /fixed by training/.test(e.message));
  const batchScale = Float64Array.from({ length: 30 }, (_, i) => 20 + i);
  assertClose(model.predict(batch, { scale: batchScale, bias: 0.05 }), referencePredict(batch, model.x, batchScale, 0.05, sigmoid), 1e-13, 'per-row batch');
  assert.throws(() => model.predict(batch, { scale: new Float64Array(29), bias: 0 }), (e: unknown) => e instanceof InputError && e.field === 'scale');
});

test('standardisation: fitted on training columns, recorded in the model, applied to every batch', async () => {
  // Columns on very different scales.
  const C: DenseMatrix = { rows: 4, cols: 2, data: Float64Array.of(1, 100, 2, 300, 3, 200, 6, 400) };
  const st = fitStandardization(C);
  assertClose(st.center, [3, 250], 1e-15, 'means');
  assertClose(st.scale, [Math.sqrt((4 + 1 + 0 + 9) / 4), Math.sqrt((150 ** 2 + 50 ** 2 + 50 ** 2 + 150 ** 2) / 4)], 1e-15, 'deviations');
  const applied = applyStandardization(C, st) as DenseMatrix;
  assertClose(applied.data.slice(0, 2), [(1 - 3) / st.scale[0], (100 - 250) / st.scale[1]], 1e-15, 'first row');
  // Sparse: no centring, so the zeros stay zeros and the structure is kept; σ counts the zeros.
  const sparse: CsrMatrix = { rows: 4, cols: 2, indptr: Int32Array.of(0, 1, 1, 2, 3), indices: Int32Array.of(0, 0, 1), values: Float64Array.of(2, -2, 5) };
  const sst = fitStandardization(sparse);
  assertClose(sst.center, [0, 0], 0, 'sparse: no centring');
  assertClose(sst.scale, [Math.sqrt(2), Math.sqrt((3.75 ** 2 + 3 * 1.25 ** 2) / 4)], 1e-15, 'sparse deviations');
  const sapplied = applyStandardization(sparse, sst) as CsrMatrix;
  assert.equal(sapplied.indptr, sparse.indptr);
  assertClose(sapplied.values, [2 / Math.sqrt(2), -2 / Math.sqrt(2), 5 / sst.scale[1]], 1e-15, 'sparse values');
  // A constant column is only centred.
  assertClose(fitStandardization({ rows: 3, cols: 1, data: Float64Array.of(7, 7, 7) }).scale, [1], 0, 'constant column');

  // Trained on standardised columns, the model standardises the batch itself.
  const train = rowsOf(dense, 0, 300);
  const scaled: DenseMatrix = { ...train, data: train.data.map((v, k) => v * (k % 6 + 1) * 10 + (k % 6)) };
  const standardization = fitStandardization(scaled);
  const problem = new Problem(applyStandardization(scaled, standardization), planted.b.slice(0, 300), { unit: 'sigmoid' });
  const model = Model.fromSolve(problem, solveSync(problem), { standardization });
  const loaded = Model.parse(JSON.stringify(model.toJSON()), 'std');
  const batch = rowsOf(dense, 300, 360);
  const rawBatch: DenseMatrix = { ...batch, data: batch.data.map((v, k) => v * (k % 6 + 1) * 10 + (k % 6)) };
  const byHand: DenseMatrix = { ...rawBatch, data: rawBatch.data.map((v, k) => (v - standardization.center[k % 6]) / standardization.scale[k % 6]) };
  assertClose(loaded.predict(rawBatch), referencePredict(byHand, model.x, 60, 0, sigmoid), 1e-12, 'standardised batch');
});

// ---------------------------------------------------------------------------------------------
// The command line: train on one file, save, load, predict on another

test('CLI round trip: solve --save-model on one CSV, predict and score on another, against the formula', async () => {
  await prepared;
  const train = cli('solve', '--data', 'train.csv', '--target-column', 'price', '--unit', 'sigmoid', '--bias', '-0.1', '--tol', '1e-10',
    '--save-model', 'model.json', '--no-progress');
  assert.equal(train.status, EXIT.ok, train.stderr);
  const file = JSON.parse(fs.readFileSync(inWork('model.json'), 'utf8'));
  assert.equal(file.format, 'softnewton-model');
  assert.deepEqual(file.spec, { model: 'softmax-unit', unit: 'sigmoid', scale: 'n', bias: -0.1, w: 0, ridge: 0 });
  assert.deepEqual(file.columns, NAMES);
  assert.equal(file.target, 'price');
  assert.equal(file.training.data, 'train.csv');
  assert.equal(file.training.rows, 500);
  assert.equal(file.training.converged, true);

  // The new file has the target column too: predict finds it by the model's target name.
  const predicted = cli('predict', '--model', 'model.json', '--data', 'new.csv', '--json');
  assert.equal(predicted.status, EXIT.ok, predicted.stderr);
  const { predictions } = JSON.parse(predicted.stdout) as { predictions: number[] };
  const byHand = readCsvByHand(inWork('new.csv'));
  assert.deepEqual(byHand.names, [...NAMES, 'price']);
  const C: DenseMatrix = { rows: byHand.rows.length, cols: 6, data: Float64Array.from(byHand.rows.flatMap((r) => r.slice(0, 6))) };
  const expected = referencePredict(C, file.x, 200, -0.1, sigmoid);
  assertClose(predictions, expected, 1e-13, 'CLI predictions');

  // --out in three formats, the same numbers.
  for (const out of ['p.npy', 'p.txt', 'p.json.gz']) assert.equal(cli('predict', '--model', 'model.json', '--data', 'new.csv', '--out', out).status, EXIT.ok);
  assertClose(await readNpyVector(inWork('p.npy')), predictions, 0, '.npy');
  assertClose(fs.readFileSync(inWork('p.txt'), 'utf8').trim().split('\n').map(Number), predictions, 0, '.txt');
  assertClose(JSON.parse(zlib.gunzipSync(fs.readFileSync(inWork('p.json.gz'))).toString()).predictions, predictions, 0, '.json.gz');

  // score: loss, MSE, R² of the same predictions.
  const scored = cli('score', '--model', 'model.json', '--data', 'new.csv', '--json');
  assert.equal(scored.status, EXIT.ok, scored.stderr);
  const s = JSON.parse(scored.stdout);
  const b = byHand.rows.map((r) => r[6]);
  const sse = expected.reduce((sum, y, i) => sum + (y - b[i]) ** 2, 0);
  const mean = b.reduce((p, q) => p + q, 0) / b.length;
  assertClose([s.loss, s.mse, s.r2], [0.5 * sse, sse / 200, 1 - sse / b.reduce((t, v) => t + (v - mean) ** 2, 0)], 1e-10, 'score');
  assert.deepEqual(s.warnings, []);
  assert.match(cli('score', '--model', 'model.json', '--data', 'new.csv').stdout, /^model\.json on new\.csv \(200 rows\): loss \S+, MSE \S+, RMSE \S+, R² 0\.9\d+\n$/);

  // Without the target in the file, predict still works; score needs one.
  await writeCsv(inWork('features.csv'), C, undefined, { columns: NAMES });
  assertClose(JSON.parse(cli('predict', '--model', 'model.json', '--data', 'features.csv', '--json').stdout).predictions, predictions, 0, 'no target column');
  assertUserError(cli('score', '--model', 'model.json', '--data', 'features.csv'), '--target', 'features.csv has no targets');

  // Mistakes are one line naming the flag or the file.
  await writeCsv(inWork('swapped.csv'), C, undefined, { columns: ['f2', 'f1', 'f3', 'f4', 'f5', 'f6'] });
  assertUserError(cli('predict', '--model', 'model.json', '--data', 'swapped.csv'), '--data', 'column 1 is "f2"', '"f1"');
  assertUserError(cli('predict', '--model', 'train.csv', '--data', 'new.csv'), '--model', '.json');
  fs.writeFileSync(inWork('pkg.json'), '{"name": "x"}');
  assertUserError(cli('predict', '--model', 'pkg.json', '--data', 'new.csv'), 'pkg.json', 'not a softnewton model');
  assertUserError(cli('predict', '--model', 'model.json', '--data', 'new.csv', '--out', 'p.csv'), '--out', '.json, .npy or .txt');
  assertUserError(cli('predict', '--model', 'model.json', '--data', 'new.csv', '--scale', '3'), '--scale', 'fixed by training');
});

test('CLI: --standardize is stored in the model and applied by predict', async () => {
  await prepared;
  const run = cli('solve', '--data', 'train.csv', '--target-column', 'price', '--unit', 'sigmoid', '--bias', '-0.1', '--standardize', '--save-model', 'std.json', '--no-progress', '--table', 'none');
  assert.equal(run.status, EXIT.ok, run.stderr);
  const file = JSON.parse(fs.readFileSync(inWork('std.json'), 'utf8'));
  const train = readCsvByHand(inWork('train.csv')).rows;
  const center = NAMES.map((_, j) => train.reduce((s, r) => s + r[j], 0) / train.length);
  const scale = NAMES.map((_, j) => Math.sqrt(train.reduce((s, r) => s + (r[j] - center[j]) ** 2, 0) / train.length));
  assertClose(file.preprocessing.standardize.center, center, 1e-12, 'centre');
  assertClose(file.preprocessing.standardize.scale, scale, 1e-12, 'scale');
  const rows = readCsvByHand(inWork('new.csv')).rows;
  const C: DenseMatrix = { rows: rows.length, cols: 6, data: Float64Array.from(rows.flatMap((r) => r.slice(0, 6).map((v, j) => (v - center[j]) / scale[j]))) };
  const printed = JSON.parse(cli('predict', '--model', 'std.json', '--data', 'new.csv', '--json').stdout);
  assertClose(printed.predictions, referencePredict(C, file.x, rows.length, -0.1, sigmoid), 1e-12, 'standardised predictions');
});

test('warm starts: --x0 and --x read the .npy that --out-x writes, and model files', async () => {
  await prepared;
  const base = ['--data', 'train.csv', '--target-column', 'price', '--unit', 'sigmoid', '--bias', '-0.1'];
  const first = cli('solve', ...base, '--out-x', 'x.npy', '--save-model', 'warm.json', '--json');
  assert.equal(first.status, EXIT.ok, first.stderr);
  const x = JSON.parse(first.stdout).x;
  for (const start of ['x.npy', 'warm.json']) {
    const again = JSON.parse(cli('solve', ...base, '--x0', start, '--json', '--max-iter', '0').stdout);
    assertClose(again.x, x, 0, `--x0 ${start} starts at x`);
    const evaluated = cli('eval', ...base, '--x', start);
    assert.equal(evaluated.status, EXIT.ok, evaluated.stderr);
    assertClose([JSON.parse(evaluated.stdout).loss], [JSON.parse(first.stdout).loss], 1e-12, `eval --x ${start}`);
  }
  await writeNpy(inWork('x5.npy'), new Float64Array(5));
  assertUserError(cli('eval', ...base, '--x', 'x5.npy'), '--x', 'x5.npy', 'vector of 6 numbers, found 5');
  fs.writeFileSync(inWork('x.json.gz'), zlib.gzipSync(JSON.stringify(x)));
  assertClose([JSON.parse(cli('eval', ...base, '--x', 'x.json.gz').stdout).loss], [JSON.parse(first.stdout).loss], 1e-12, 'eval --x x.json.gz');
});

// ---------------------------------------------------------------------------------------------
// Data hygiene

test('targets outside the unit\'s range: a warning in result.warnings, on stderr and in --json', async () => {
  const C = rowsOf(dense, 0, 60);
  const b = Float64Array.from({ length: 60 }, (_, i) => 25 + 5 * i); // diabetes-like, under a sigmoid
  const problem = new Problem(C, b, { unit: 'sigmoid' });
  const result = solveSync(problem, { maxIter: 2 });
  assert.equal(result.warnings?.length, 1);
  assert.match(result.warnings![0], /^60 of 60 targets lie outside what the model can output, \(0\.5, 1\) \(unit sigmoid, a = 60, c = 0; e\.g\. row 1: b = 25\)/);
  assert.equal((await solve(problem, { maxIter: 2 })).warnings?.[0], result.warnings![0]);
  // Reachable targets: no warning, and no field.
  assert.equal(solveSync(new Problem(C, planted.b.slice(0, 60), { unit: 'sigmoid' }), { maxIter: 1 }).warnings, undefined);
  // Identity with a = n reaches (c, c + a); a negative target does not.
  const identity = new Problem(C, Float64Array.from({ length: 60 }, (_, i) => (i === 7 ? -1 : 1)));
  assert.match(solveSync(identity, { maxIter: 1 }).warnings![0], /^1 of 60 targets .* \(0, 60\) \(unit identity, a = 60, c = 0; e\.g\. row 8: b = -1\)/);

  await writeCsv(inWork('far.csv'), C, b, { columns: NAMES, targetName: 'y' });
  const run = cli('solve', '--data', 'far.csv', '--target-column', 'y', '--unit', 'sigmoid', '--max-iter', '2', '--json');
  assert.match(run.stderr, /^softnewton: warning: 60 of 60 targets lie outside/);
  assert.deepEqual(JSON.parse(run.stdout).warnings, result.warnings);
});

test('the default scale is n for softmax-unit and 1 for the other models', () => {
  const C = rowsOf(dense, 0, 40);
  const b = planted.b.slice(0, 40);
  assert.deepEqual(Array.from(new Problem(C, b).scale), [40]);
  assert.equal(new Problem(C, b).scaleRule, 'n');
  assert.deepEqual(Array.from(new Problem(C, b, { model: 'softmax' }).scale), [1]);
  assert.deepEqual(Array.from(new Problem(C, b, { model: 'relu-softmax' }).scale), [1]);
  assert.equal(new Problem(C, b, { scale: 2.5 }).scaleRule, 2.5);
  assert.equal(new Problem(C, b, { scale: new Float64Array(40).fill(3) }).scaleRule, 'per-row');
  assert.equal(new Problem(C, b, { scale: [7] }).scaleRule, 7, 'one value is a number, not per row');
  assert.equal(new Problem(C, b, { scale: 'n' }).scaleRule, 'n');
});

test('CSV: delimiters (one character or whitespace), header flags, skipped lines, and the delimiter hint', async () => {
  const spaced = parseCsv('a b  c\n1 2 3\n 4\t5 6  \n', { delimiter: 'whitespace', targetColumn: 'c' });
  assert.deepEqual(Array.from(spaced.C.data), [1, 2, 4, 5]);
  assert.deepEqual(Array.from(spaced.b!), [3, 6]);
  assert.deepEqual(spaced.columns, ['a', 'b']);
  const tabs = parseCsv('a\tb\n1\t 2\n', { delimiter: '\t' });
  assert.deepEqual(Array.from(tabs.C.data), [1, 2]);
  assert.deepEqual(Array.from(parseCsv('1;2\n3;4\n', { delimiter: ';' }).C.data), [1, 2, 3, 4]);
  // scikit-learn's CSVs start with a metadata line: skipped, the header follows.
  const sklearn = '150,4,setosa,versicolor,virginica\nsepal,petal,kind\n5.1,3.5,0\n4.9,3.0,0\n';
  assert.throws(() => parseCsv(sklearn), /<string>:1: cannot tell whether the first line is a header.*--skip-rows 1/);
  const skipped = parseCsv(sklearn, { skipRows: 1, targetColumn: 'kind' });
  assert.deepEqual(skipped.columns, ['sepal', 'petal']);
  assert.equal(skipped.C.rows, 2);
  // header: false reads an all-text first line as data (and fails on it); true forces a header.
  assert.deepEqual(parseCsv('1,2\n3,4\n', { header: true }).columns, ['1', '2']);
  // The hint: one field where the header has many.
  assert.throws(() => parseCsv('a,b,c\n1 2 3\n'), /<string>:2: expected a finite decimal number in column 1 \("a"\), found "1 2 3" \(the line has no "," but looks separated by whitespace: set the delimiter, --delimiter whitespace\)/);
  assert.throws(() => parseCsv('a;b;c\n1;2;3\n'), /looks separated by ";": set the delimiter, --delimiter ';'/);
  assert.throws(() => parseCsv('a\tb\n1\t2\n'), /looks separated by tab: set the delimiter, --delimiter tab/);
  assert.throws(() => parseCsv('1,2\n', { delimiter: 'ab' }), (e: unknown) => e instanceof InputError && e.field === 'delimiter');
  assert.throws(() => parseCsv('1,2\n', { skipRows: -1 }), (e: unknown) => e instanceof InputError && e.field === 'skipRows');

  // The flags, end to end.
  fs.writeFileSync(inWork('spaced.dat.csv'), '# from a .dat file\nx1 x2 y\n0.1 0.2 0.5\n0.3 -0.1 0.5\n0.0 0.4 0.5\n');
  fs.writeFileSync(inWork('zero2.json'), '[0, 0]');
  const evaluated = cli('eval', '--data', 'spaced.dat.csv', '--delimiter', 'whitespace', '--target-column', 'y', '--x', 'zero2.json');
  assert.equal(evaluated.status, EXIT.ok, evaluated.stderr);
  assertUserError(cli('eval', '--data', 'spaced.dat.csv', '--target-column', '3', '--x', 'zero2.json'), 'spaced.dat.csv', 'expected a column from 1 to 1', '--delimiter whitespace');
  fs.writeFileSync(inWork('meta.csv'), 'made by a tool,3,rows\n1,2,3\n4,5,6\n');
  const noHeader = cli('eval', '--data', 'meta.csv', '--skip-rows', '1', '--no-header', '--target-column', '3', '--x', 'zero2.json');
  assert.equal(noHeader.status, EXIT.ok, noHeader.stderr);
  assertUserError(cli('eval', '--data', 'meta.csv', '--no-header', '--target-column', '3', '--x', 'zero2.json'), 'meta.csv:1', 'expected a finite decimal number in column 1');
  // --header takes the first line as names even though two of them are numbers.
  assert.equal(cli('eval', '--data', 'meta.csv', '--header', '--target-column', 'rows', '--x', 'zero2.json').status, EXIT.ok);
  assertUserError(cli('eval', '--data', 'meta.csv', '--skip-rows', 'x', '--target-column', '3', '--x', 'zero2.json'), '--skip-rows');
});

// ---------------------------------------------------------------------------------------------
// Multi-start winner, report, plots, suggestions, loading progress

test('multi-start winner: the converged start with the smallest loss, else the smallest loss overall', () => {
  const r = (loss: number, converged: boolean) => ({ loss, converged });
  // A start that stopped short with a loss 1e-14 lower does not beat a converged one.
  assert.equal(bestStart([r(1 - 1e-14, false), r(1, true), r(2, true)]), 1);
  assert.equal(bestStart([r(3, true), r(1, false), r(2, true)]), 2);
  assert.equal(bestStart([r(3, false), r(1, false), r(NaN, false)]), 1);
  assert.equal(bestStart([r(NaN, true), r(5, true)]), 1);
  assert.equal(bestStart([r(2, true), r(2, true)]), 0, 'ties go to the lower index');
  assert.equal(bestStart([r(NaN, false)]), 0);
});

test('solve report: long traces are sampled, --table full shows all, --table none the summary only', async () => {
  await prepared;
  const trace = Array.from({ length: 904 }, (_, t) => ({
    iteration: t, loss: 1 / (t + 1), gradNorm: 1 / (t + 1), distance: null, step: 1, backtracks: 0, mu: 0, decrement: null, sketch: 'none',
    sketchRows: 0, negativePart: 'none', innerIterations: 0, secondsSparse: 0, secondsSketch: 0, secondsDense: 0, seconds: 0,
  })) as TraceRow[];
  const lines = sampledTraceTable(trace, 40).split('\n');
  assert.equal(lines.length, 1 + 40 + 1);
  assert.match(lines[21], /^… 864 rows left out \(--table full shows every row; --out-trace saves them\)$/);
  assert.match(lines[1], /^ +0 /);
  assert.match(lines.at(-1)!, /^ *903 /);
  assert.equal(sampledTraceTable(trace.slice(0, 40), 40).split('\n').length, 41);

  const base = ['solve', '--data', 'train.csv', '--target-column', 'price', '--unit', 'sigmoid', '--method', 'gd', '--max-iter', '60', '--tol', '0', '--no-progress'];
  const auto = cli(...base);
  assert.equal(auto.status, EXIT.notConverged);
  assert.match(auto.stdout, /… 21 rows left out/);
  assert.doesNotMatch(cli(...base, '--table', 'full').stdout, /left out/);
  assert.equal(cli(...base, '--table', 'full').stdout.trim().split('\n').length, 3 + 62);
  assert.equal(cli(...base, '--table', 'none').stdout.trim().split('\n').length, 2);
  assertUserError(cli(...base, '--table', 'ful'), '--table', 'did you mean "full"?');
});

test('PNG plots, and "did you mean" for choice values', async () => {
  await prepared;
  const run = cli('solve', '--data', 'train.csv', '--target-column', 'price', '--unit', 'sigmoid', '--plot', 'conv.png', '--no-progress');
  assert.equal(run.status, EXIT.ok, run.stderr);
  const png = fs.readFileSync(inWork('conv.png'));
  assert.ok(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), 'PNG signature');
  assert.ok(png.readUInt32BE(16) > 500 && png.readUInt32BE(20) > 300, 'a chart-sized image');
  assertUserError(cli('solve', '--data', 'train.csv', '--target-column', 'price', '--sketch', 'levrage'), '--sketch', '"levrage"', 'did you mean "leverage"?');
  assertUserError(cli('solve', '--data', 'train.csv', '--target-column', 'price', '--unit', 'sigmod'), '--unit', 'did you mean "sigmoid"?');
  assertUserError(cli('solve', '--data', 'train.csv', '--target-column', 'price', '--method', 'bfgs'), '--method', 'did you mean "lbfgs"?');
  assert.equal(closestChoice('zzzzzz', ['leverage', 'none']), undefined);
  assert.equal(closestChoice('count', ['countsketch', 'none']), 'countsketch');
});

test('loading progress: the read offset of an open file; a line on a terminal only, cleared at the end', async () => {
  const file = inWork('offset.bin');
  fs.writeFileSync(file, Buffer.alloc(100_000));
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, Buffer.alloc(4096), 0, 4096, null);
    assert.equal(readOffset(file), 4096);
  } finally {
    fs.closeSync(fd);
  }
  assert.equal(readOffset(file), undefined, 'not open');
  const written: string[] = [];
  const fake = (isTTY: boolean) => ({ isTTY, write: (s: string) => written.push(s) }) as unknown as NodeJS.WriteStream;
  const slow = () => new Promise<number>((resolve) => setTimeout(() => resolve(7), 450));
  assert.equal(await withLoadingProgress(file, fake(false), true, slow, { minBytes: 0 }), 7);
  assert.deepEqual(written, [], 'not a terminal: nothing');
  assert.equal(await withLoadingProgress(file, fake(true), false, slow, { minBytes: 0 }), 7);
  assert.deepEqual(written, [], 'disabled: nothing');
  assert.equal(await withLoadingProgress(file, fake(true), true, slow), 7);
  assert.deepEqual(written, [], 'a small file: nothing');
  assert.equal(await withLoadingProgress(file, fake(true), true, slow, { minBytes: 0 }), 7);
  assert.ok(written.some((s) => /^\r\x1b\[2Kreading .*offset\.bin: .*(MB|%).*, \d+\.\d s$/.test(s)), JSON.stringify(written));
  assert.equal(written.at(-1), '\r\x1b[2K', 'the line is cleared');
});

test('CLI predict on LIBSVM data takes d from the model; score reads the labels', async () => {
  const train = new Problem(rowsOf(dense, 0, 500), planted.b.slice(0, 500), { unit: 'sigmoid', bias: -0.1 });
  const model = Model.fromSolve(train, solveSync(train), { method: 'newton-pcg' });
  await model.save(inWork('svm-model.json'));
  const C = rowsOf(dense, 500, 700);
  await writeLibsvm(inWork('new.svm'), C, planted.b.slice(500));
  const x = model.x;
  const run = cli('predict', '--model', 'svm-model.json', '--data', 'new.svm', '--json');
  assert.equal(run.status, EXIT.ok, run.stderr);
  assertClose(JSON.parse(run.stdout).predictions, referencePredict(C, x, 200, -0.1, sigmoid), 1e-13, 'LIBSVM batch');
  const scored = JSON.parse(cli('score', '--model', 'svm-model.json', '--data', 'new.svm', '--json').stdout);
  assert.equal(scored.rows, 200);
  assert.ok(scored.r2 > 0.9);
});

test('CLI predict with per-row settings: --scale and --bias from files, or one line naming the flag', async () => {
  const rows = 50;
  const C = rowsOf(dense, 0, rows);
  const problem = new Problem(C, planted.b.slice(0, rows), { unit: 'sigmoid', scale: Float64Array.from({ length: rows }, (_, i) => 40 + i), bias: -0.1 });
  await Model.fromSolve(problem, solveSync(problem, { maxIter: 10 })).save(inWork('perrow.json'));
  const batch = rowsOf(dense, 100, 120);
  await writeCsv(inWork('batch.csv'), batch, undefined, { columns: NAMES });
  const scale = Array.from({ length: 20 }, (_, i) => 10 + 2 * i);
  fs.writeFileSync(inWork('scale.txt'), scale.join('\n'));
  await writeNpy(inWork('scale.npy'), Float64Array.from(scale));
  const x = (await Model.load(inWork('perrow.json'))).x;
  for (const file of ['scale.txt', 'scale.npy']) {
    const run = cli('predict', '--model', 'perrow.json', '--data', 'batch.csv', '--scale', file, '--json');
    assert.equal(run.status, EXIT.ok, run.stderr);
    assertClose(JSON.parse(run.stdout).predictions, referencePredict(batch, x, scale, -0.1, sigmoid), 1e-13, `--scale ${file}`);
  }
  assertUserError(cli('predict', '--model', 'perrow.json', '--data', 'batch.csv'), '--scale', 'one scale per row (50 rows): give 20 values');
  assertUserError(cli('predict', '--model', 'perrow.json', '--data', 'batch.csv', '--scale', 'scale.txt', '--bias', '0.2'), '--bias', 'fixed by training');
  fs.writeFileSync(inWork('short-scale.txt'), '1\n2\n');
  assertUserError(cli('predict', '--model', 'perrow.json', '--data', 'batch.csv', '--scale', 'short-scale.txt'), 'short-scale.txt', '20');
});
