/**
 * Round two of docs/reliability.md: no JavaScript misuse reaches native memory, and stops are
 * prompt (Problem data ownership, environment teardown, process exit, solveSync's signal and
 * onIteration, rows = 0). Scenarios that need --expose-gc, a worker or an exit run in a child
 * process, which must end normally: a crash there is a failure here, not a lost test runner.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

import { AbortError, InputError, plantedProblem, Problem, solveSync } from '../src';
import type { CsrMatrix, DenseMatrix } from '../src';

const INDEX = path.resolve(__dirname, '..', 'src', 'index.js');

function runChild(source: string, args: string[] = [], timeout = 60_000) {
  const run = spawnSync(process.execPath, [...args, '-e', source], { encoding: 'utf8', timeout });
  assert.equal(run.signal, null, `child killed by ${run.signal}: ${run.stderr}`);
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!);
}

test('transferring the caller\'s arrays during an async solve, then a GC, changes nothing', () => {
  // Before the Problem owned its data, this crashed in dgemv (use after free) or gave a wrong loss.
  const out = runChild(`
    const sn = require(${JSON.stringify(INDEX)});
    const n = 4000, d = 30;
    let s = 1; const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647) - 0.5;
    const data = Float64Array.from({ length: n * d }, rnd);
    const b = Float64Array.from({ length: n }, () => Math.abs(rnd()));
    const scale = Float64Array.from({ length: n }, () => 1 + Math.abs(rnd()));
    const w = Float64Array.from({ length: n }, () => Math.abs(rnd()) * 0.1);
    const problem = new sn.Problem({ rows: n, cols: d, data }, b, { scale, w });
    const opts = { method: 'gd', maxIter: 300, tol: 0, seed: 3 };
    const ref = sn.solveSync(problem, opts);
    (async () => {
      const pending = sn.solve(problem, opts);
      for (const a of [data, b, scale, w]) structuredClone(a.buffer, { transfer: [a.buffer] });
      global.gc();
      const r = await pending;
      // The Problem's own arrays cannot be transferred at all.
      let refused = 0;
      for (const a of [problem.C.data, problem.b, problem.scale, problem.w]) {
        try { structuredClone(a.buffer, { transfer: [a.buffer] }); } catch { refused++; }
      }
      console.log(JSON.stringify({ loss: r.loss, ref: ref.loss, x: Array.from(r.x), refX: Array.from(ref.x), detached: data.length, refused }));
    })();
  `, ['--expose-gc']);
  assert.equal(out.detached, 0, 'the caller\'s array was really transferred');
  assert.equal(out.refused, 4);
  assert.equal(out.loss, out.ref);
  assert.deepEqual(out.x, out.refX);
});

test('a Problem owns shared copies of its arrays; arrays already shared are used as they are', () => {
  const { problem } = plantedProblem({ rows: 50, cols: 4, density: 1, seed: 2 });
  const C = problem.C as CsrMatrix | DenseMatrix;
  const data = new Float64Array(200).fill(0.5);
  const mine = new Problem({ rows: 50, cols: 4, data }, new Float64Array(50));
  assert.notEqual((mine.C as DenseMatrix).data, data, 'copied');
  data[0] = 99; // a later change to the caller's array does not reach the Problem
  assert.equal((mine.C as DenseMatrix).data[0], 0.5);
  for (const array of [...Object.values(C).filter(ArrayBuffer.isView), problem.b, problem.scale, problem.bias, problem.w]) {
    assert.ok((array as Float64Array).buffer instanceof SharedArrayBuffer);
  }
  const again = new Problem(mine.C, mine.b);
  assert.equal((again.C as DenseMatrix).data, (mine.C as DenseMatrix).data, 'not copied twice');
  assert.equal(again.b, mine.b);
});

test('new Problem with 0 rows is refused, naming C.rows', () => {
  assert.throws(() => new Problem({ rows: 0, cols: 3, data: new Float64Array(0) }, new Float64Array(0)),
    (e: unknown) => e instanceof InputError && e.field === 'C.rows' && /at least 1 row/.test(e.message));
  assert.throws(() => new Problem({ rows: 0, cols: 3, indptr: Int32Array.of(0), indices: new Int32Array(0), values: new Float64Array(0) }, []),
    (e: unknown) => e instanceof InputError && e.field === 'C.rows');
});

const WORKER_SOLVE = (exit: string) => `
  const { Worker } = require('node:worker_threads');
  const worker = new Worker(\`
    const sn = require(${JSON.stringify(INDEX)});
    const { parentPort } = require('node:worker_threads');
    const { problem } = sn.plantedProblem({ rows: 2000, cols: 20, density: 1, seed: 1 });
    sn.solve(problem, { method: 'gd', maxIter: 1e6, tol: 0 }).then(() => parentPort.postMessage('ended'));
    setTimeout(() => { parentPort.postMessage('running'); ${exit} }, 300);
  \`, { eval: true });
  let start;
  worker.on('message', async (m) => {
    if (m === 'ended') return console.log(JSON.stringify({ endedByItself: true }));
    start = Date.now();
    ${exit ? '' : 'await worker.terminate(); console.log(JSON.stringify({ ms: Date.now() - start }));'}
  });
  worker.on('exit', () => { if (${exit ? 'true' : 'false'}) console.log(JSON.stringify({ ms: Date.now() - start })); });
`;

test('worker.terminate() during a long solve (gd, maxIter 1e6) resolves promptly', () => {
  const out = runChild(WORKER_SOLVE(''), [], 30_000);
  assert.equal(out.endedByItself, undefined);
  assert.ok(out.ms < 2000, `terminate took ${out.ms} ms`);
});

test('process.exit in a worker during a long solve ends the worker promptly', () => {
  const out = runChild(WORKER_SOLVE('process.exit(0);'), [], 30_000);
  assert.ok(out.ms < 2000, `the worker took ${out.ms} ms to exit`);
});

test('process.exit on the main thread during a long solve exits promptly', () => {
  const started = Date.now();
  const run = spawnSync(process.execPath, ['-e', `
    const sn = require(${JSON.stringify(INDEX)});
    const { problem } = sn.plantedProblem({ rows: 2000, cols: 20, density: 1, seed: 1 });
    sn.solve(problem, { method: 'gd', maxIter: 1e6, tol: 0 });
    setTimeout(() => { console.log('exiting'); process.exit(0); }, 300);
  `], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(run.signal, null, 'killed by the timeout: the exit waited for the solve');
  assert.equal(run.status, 0, run.stderr);
  assert.ok(Date.now() - started < 10_000);
});

test('solveSync honours onIteration and signal', () => {
  const { problem } = plantedProblem({ rows: 300, cols: 6, density: 1, seed: 4 });
  const rows: number[] = [];
  const result = solveSync(problem, { method: 'newton', onIteration: (row, start) => { assert.equal(start, 0); rows.push(row.iteration); } });
  assert.deepEqual(rows, result.trace.map((r) => r.iteration));
  assert.ok(rows.length > 1);

  const aborted = new AbortController();
  aborted.abort();
  assert.throws(() => solveSync(problem, { signal: aborted.signal }), AbortError);

  const controller = new AbortController();
  let seen = 0;
  assert.throws(() => solveSync(problem, {
    method: 'gd', maxIter: 10_000, tol: 0, signal: controller.signal,
    onIteration: () => { if (++seen === 5) controller.abort(); },
  }), AbortError);
  assert.ok(seen >= 5 && seen <= 6, `stopped within one iteration of the abort (saw ${seen} rows)`);
  assert.throws(() => solveSync(problem, { signal: 'no' as never }), (e: unknown) => e instanceof InputError && e.field === 'signal');
});
