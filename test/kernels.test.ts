/**
 * The fused, threaded passes (docs/performance.md): lossAndGradient is one fused evaluation that
 * agrees with its parts, the loss alone computes the same loss, every synchronous call gives the
 * same bits whatever the thread count, and dense rows from a file stay dense.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { isDense, plantedProblem, readData, solveSync, toDense, writeLibsvm } from '../src';
import { native } from '../src/native';

const same = (a: Float64Array, b: Float64Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

test('lossAndGradient: one evaluation; loss alone and gradient alone agree with it bit for bit', () => {
  const { problem, xStar } = plantedProblem({ rows: 5000, cols: 30, density: 0.2, seed: 3, unit: 'softplus', conditioning: 10 });
  const x = xStar.map((v, j) => 0.9 * v + 0.01 * j);
  const both = problem.lossAndGradient(x);
  assert.ok(Number.isFinite(both.loss) && both.gradient.length === 30);
  assert.equal(problem.loss(x), both.loss);
  assert.ok(same(problem.gradient(x), both.gradient));
  assert.deepEqual(problem.evaluate(x), both);
});

test('synchronous Problem calls give the same bits for 1, 2 and 5 threads', () => {
  const { problem, xStar } = plantedProblem({ rows: 60_000, cols: 40, density: 0.3, seed: 5, unit: 'sigmoid' });
  const x = xStar.map((v) => 0.8 * v);
  const v = new Float64Array(40).map((_, j) => Math.cos(j));
  const before = native().threads();
  const runs = [1, 2, 5].map((threads) => {
    native().threads(threads);
    const { loss, gradient } = problem.lossAndGradient(x);
    return { loss, gradient, hv: problem.hessianVector(x, v), h: problem.hessian(x), solve: solveSync(problem, { threads, tol: 1e-10 }).x };
  });
  native().threads(before);
  for (const r of runs.slice(1)) {
    assert.equal(r.loss, runs[0].loss);
    assert.ok(same(r.gradient, runs[0].gradient) && same(r.hv, runs[0].hv) && same(r.h, runs[0].h) && same(r.solve, runs[0].solve));
  }
});

test('threads: the default is the cores; out-of-range values are refused', () => {
  assert.equal(native().threads(), Math.min(256, os.availableParallelism()));
  assert.throws(() => native().threads(0), /threads/);
  assert.throws(() => native().threads(1.5), /threads/);
  assert.equal(native().blasThreads(), 1, 'BLAS runs single-threaded inside the blocks');
});

test('dense rows read from a LIBSVM file come back as dense rows; sparse ones stay CSR', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'softnewton-dense-'));
  try {
    const dense = plantedProblem({ rows: 200, cols: 6, density: 1, seed: 1 }).problem;
    const sparse = plantedProblem({ rows: 200, cols: 60, density: 0.1, seed: 1 }).problem;
    await writeLibsvm(path.join(dir, 'dense.svm'), dense.C, dense.b);
    await writeLibsvm(path.join(dir, 'sparse.svm'), sparse.C, sparse.b);
    const d = await readData(path.join(dir, 'dense.svm'), { cols: 6 });
    const s = await readData(path.join(dir, 'sparse.svm'), { cols: 60 });
    assert.ok(isDense(d.C));
    assert.ok(!isDense(s.C));
    assert.ok(same((d.C as { data: Float64Array }).data, toDense(dense.C).data));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a cancel raised while the exact Gram is scattered ends the solve cleanly (no native abort)', () => {
  // The scatter kernel is compiled in several CPU clones; a cancel used to throw from inside one and
  // end in std::terminate. Each solve here is cancelled by its callback while its Gram runs.
  const script = `
    const s = require(${JSON.stringify(path.resolve(__dirname, '..', 'src', 'index.js'))});
    const { problem } = s.plantedProblem({ rows: 3000, cols: 20, density: 1, seed: 11 });
    (async () => {
      let rejected = 0;
      for (let k = 0; k < 200; k++) {
        try { await s.solve(problem, { onIteration: () => { throw new Error('stop'); } }); } catch { rejected++; }
      }
      process.stdout.write(String(rejected));
    })();`;
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(run.signal, null, `the process died of ${run.signal}: ${run.stderr}`);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout, '200');
});
