// The parallel runtime (issue 4): the worker pool, multi-start, parallel sketching, cancellation
// and progress, robustness under load, and the CLI's --starts.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  AbortError, closeDefaultPool, CsrMatrix, generatePlanted, InputError, plantedProblem, Problem, solve, solveSync, SolveOptions,
  SolverPool, SolveResult, startSeeds, WorkerError,
} from '../src';
import { native } from '../src/native';
import { cores, DEFAULT_POOL_IDLE_MS, defaultPoolStats } from '../src/pool/pool';
import { startPoint } from '../src/pool/multistart';
import { sharedProblem } from '../src/pool/shared';

const addon = native();
const CORES = cores();
// Every test that needs a pool uses this one (2 workers on this machine); tests that need another
// shape make their own and destroy it.
const pool = new SolverPool();
after(async () => {
  await pool.destroy();
  await closeDefaultPool();
});

const small = plantedProblem({ rows: 3000, cols: 20, density: 1, seed: 11 });

function bits(a: Float64Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function sameResult(a: SolveResult, b: SolveResult, what: string): void {
  assert.ok(bits(a.x).equals(bits(b.x)), `${what}: x differs`);
  assert.deepEqual(a.trace.map((t) => t.loss), b.trace.map((t) => t.loss), `${what}: trace differs`);
  assert.equal(a.stopReason, b.stopReason, what);
}

// ---------------------------------------------------------------------------------------------
// Parallel sketching

test('parallel and serial sketches agree bit for bit, for every kind and thread count', () => {
  // Sizes above the thresholds where the passes really split (parallel.h: 2^19 multiply-adds per
  // thread; countsketch.cc: blocks of 2^20 stored entries, 3 of them here), and leverage scores
  // ~50 multiply-adds per entry.
  const cases = [
    { name: 'dense rows', ...plantedProblem({ rows: 70000, cols: 40, density: 1, seed: 3 }) },
    { name: 'short sparse rows', ...plantedProblem({ rows: 60000, cols: 64, density: 0.05, seed: 4 }) },
  ];
  // Noise gives D negative entries on many rows: their part is sketched separately (another key).
  const noisy = generatePlanted({ rows: 30000, cols: 30, density: 0.6, seed: 5, noise: 0.5, unit: 'tanh', radius: 2 });
  cases.push({ name: 'negative D', problem: new Problem(noisy.C, noisy.b, noisy.model), xStar: noisy.xStar });
  for (const { name, problem, xStar } of cases) {
    const x = xStar.map((v, j) => v * (1 + 0.2 * Math.sin(j)));
    for (const kind of ['leverage', 'countsketch', 'osnap', 'uniform', 'none']) {
      const options = { kind, rows: 1500, seed: 9, osnapNonzeros: 4 };
      const serial = addon.sketchGram(problem.handle, x, { ...options, threads: 1 });
      for (const threads of [2, 3, 4]) {
        const parallel = addon.sketchGram(problem.handle, x, { ...options, threads });
        assert.deepEqual(parallel.report, serial.report);
        assert.ok(bits(parallel.gram).equals(bits(serial.gram)), `${name}/${kind}: ${threads} threads differ from 1`);
      }
    }
  }
  assert.equal(addon.sketchGram(cases[2].problem.handle, cases[2].xStar, { kind: 'leverage', rows: 200, seed: 1 }).report.negativePart, 'sketched');
});

test('a solve is bit-identical with 1 and 2 sketch threads', () => {
  const { problem } = plantedProblem({ rows: 30000, cols: 30, density: 0.5, seed: 6 });
  for (const sketch of ['leverage', 'osnap'] as const) {
    const options: SolveOptions = { method: 'approx-newton', sketch, tol: 1e-10, seed: 2 };
    sameResult(solveSync(problem, { ...options, threads: 1 }), solveSync(problem, { ...options, threads: 2 }), sketch);
  }
});

test('a raised cancel flag stops a sketch inside its row passes', () => {
  const { problem, xStar } = plantedProblem({ rows: 20000, cols: 30, density: 1, seed: 7 });
  const raised = new Int32Array(new SharedArrayBuffer(4));
  Atomics.store(raised, 0, 1);
  for (const kind of ['leverage', 'countsketch', 'osnap']) {
    for (const threads of [1, 2]) {
      assert.throws(() => addon.sketchGram(problem.handle, xStar, { kind, rows: 500, threads, cancel: raised }), /^Error: cancelled/);
    }
    const lowered = new Int32Array(new SharedArrayBuffer(4));
    assert.doesNotThrow(() => addon.sketchGram(problem.handle, xStar, { kind, rows: 500, cancel: lowered }));
  }
  assert.throws(() => addon.sketchGram(problem.handle, xStar, { kind: 'leverage', rows: 500, threads: 0 }), /^TypeError: threads: /);
});

// ---------------------------------------------------------------------------------------------
// The pool, shared memory

test('problem data goes to shared memory once and each worker validates it once', async () => {
  const { problem } = plantedProblem({ rows: 2000, cols: 10, density: 0.5, seed: 8 });
  const shared = sharedProblem(problem);
  assert.equal(sharedProblem(problem), shared, 'cached per Problem');
  for (const array of [shared.spec.indptr, shared.spec.indices, shared.spec.values, shared.spec.target, shared.spec.scale]) {
    assert.ok(array!.buffer instanceof SharedArrayBuffer);
  }
  // A Problem owns its arrays in shared memory already (src/problem.ts): the pool copies nothing more.
  const C = problem.C as CsrMatrix;
  assert.equal(shared.copiedBytes, 0);
  assert.ok(shared.spec.values === C.values && shared.spec.target === problem.b);
  // Arrays already in shared memory are used as they are, by a new Problem and by the pool.
  const again = new Problem(
    { rows: 2000, cols: 10, indptr: shared.spec.indptr!, indices: shared.spec.indices!, values: shared.spec.values! },
    shared.spec.target, problem.options(),
  );
  assert.equal(sharedProblem(again).copiedBytes, 0);
  assert.ok(sharedProblem(again).spec.values === shared.spec.values);
  assert.ok((again.C as CsrMatrix).indices === C.indices);

  const local = new SolverPool({ workers: 2 });
  try {
    const results = await Promise.all(Array.from({ length: 12 }, (_, seed) => local.solve(problem, { seed, tol: 1e-9 })));
    assert.ok(results.every((r) => r.converged));
    const stats = local.stats();
    assert.equal(stats.completed, 12);
    assert.ok(stats.problemsBuilt >= 1 && stats.problemsBuilt <= 2, `validated ${stats.problemsBuilt} times for 2 workers`);
  } finally {
    await local.destroy();
  }
});

test('a pool solve equals the same solve on the calling thread, bit for bit', async () => {
  for (const method of ['newton-pcg', 'approx-newton', 'lbfgs'] as const) {
    const options: SolveOptions = { method, seed: 4, tol: 1e-10, xStar: small.xStar };
    sameResult(await solve(small.problem, { ...options, pool }), solveSync(small.problem, options), method);
  }
});

test('50 concurrent solves through one pool all return correct results', async () => {
  const problems = [
    small.problem,
    plantedProblem({ rows: 2500, cols: 15, density: 0.3, seed: 21, unit: 'sigmoid' }).problem,
    (() => {
      const p = generatePlanted({ rows: 1500, cols: 12, density: 1, seed: 22, unit: 'tanh', noise: 0.05 });
      return new Problem(p.C, p.b, { ...p.model, w: 0.5 });
    })(),
  ];
  const methods = ['newton-pcg', 'approx-newton', 'newton', 'lbfgs', 'gd'] as const;
  const jobs = Array.from({ length: 50 }, (_, k) => ({
    problem: problems[k % problems.length],
    options: { method: methods[k % methods.length], seed: k, tol: 1e-9, maxIter: 400 } as SolveOptions,
  }));
  const before = pool.stats().completed;
  const results = await Promise.all(jobs.map(({ problem, options }) => solve(problem, { ...options, pool })));
  for (const [k, { problem, options }] of jobs.entries()) sameResult(results[k], solveSync(problem, options), `job ${k}`);
  const stats = pool.stats();
  assert.equal(stats.completed - before, 50);
  assert.equal(stats.pending, 0);
  assert.ok(stats.problemsBuilt <= problems.length * pool.workers + 1);
});

// ---------------------------------------------------------------------------------------------
// Multi-start

test('multi-start returns the best start by final loss, with every start, and is deterministic for a seed', async () => {
  // Three gradient steps: the starts end at clearly different losses.
  const options: SolveOptions = { method: 'gd', tol: 0, maxIter: 3, seed: 42, starts: 4, pool };
  const rows: number[][] = [[], [], [], []];
  const r = await solve(small.problem, { ...options, onIteration: (row, start) => rows[start].push(row.iteration) });
  assert.equal(r.starts!.length, 4);
  assert.deepEqual(r.starts!.map((s) => s.seed), startSeeds(42, 4));
  assert.equal(new Set(r.starts!.map((s) => s.seed)).size, 4);
  const losses = r.starts!.map((s) => s.loss);
  assert.equal(new Set(losses).size, 4, 'the starts must differ for this test to mean anything');
  assert.equal(r.best, losses.indexOf(Math.min(...losses)));
  assert.equal(r.loss, Math.min(...losses));
  const winner = r.starts![r.best!];
  assert.ok(bits(r.x).equals(bits(winner.x)));
  assert.deepEqual(r.trace, winner.trace);
  assert.equal(r.iterations, winner.iterations);
  for (let i = 0; i < 4; i++) assert.deepEqual(rows[i], r.starts![i].trace.map((t) => t.iteration), `rows of start ${i}`);
  // Each start is the plain solve with its seed.
  for (const start of r.starts!) {
    assert.equal(start.x0, null);
    sameResult(start, solveSync(small.problem, { method: 'gd', tol: 0, maxIter: 3, seed: start.seed }), `seed ${start.seed}`);
  }
  // Deterministic: the same call gives the same bits; another seed other starts.
  const again = await solve(small.problem, options);
  for (let i = 0; i < 4; i++) sameResult(again.starts![i], r.starts![i], `start ${i} again`);
  assert.equal(again.best, r.best);
  const other = await solve(small.problem, { ...options, seed: 43 });
  assert.notDeepEqual(other.starts!.map((s) => s.loss), losses);
  // starts: 1 is the plain solve.
  const one = await solve(small.problem, { method: 'gd', tol: 0, maxIter: 3, seed: 42, starts: 1, pool });
  sameResult(one, solveSync(small.problem, { method: 'gd', tol: 0, maxIter: 3, seed: 42 }), 'starts 1');
});

test('multi-start around x0: start 0 is x0, the others x0 plus a seeded perturbation of the documented size', async () => {
  const d = small.problem.cols;
  const x0 = small.xStar.map((v) => 3 * v);
  const norm = Math.hypot(...x0);
  const r = await solve(small.problem, { x0, starts: 6, seed: 1, tol: 1e-10, pool });
  assert.deepEqual(Array.from(r.starts![0].x0!), Array.from(x0));
  const sizes = r.starts!.slice(1).map((s) => Math.hypot(...s.x0!.map((v, j) => v - x0[j])));
  for (const size of sizes) assert.ok(size > 0.02 * Math.max(1, norm) && size < 0.3 * Math.max(1, norm), `‖r‖ = ${size}`);
  const mean = sizes.reduce((a, b) => a + b) / sizes.length;
  assert.ok(Math.abs(mean - 0.1 * Math.max(1, norm)) < 0.05 * Math.max(1, norm), `mean ‖r‖ ${mean} for d = ${d}`);
  for (const start of r.starts!) {
    assert.equal(start.converged, true);
    sameResult(start, solveSync(small.problem, { x0: start.x0!, seed: start.seed, tol: 1e-10 }), 're-run alone');
  }
});

test('multi-start without a pool uses one shared default pool, never one per call', async () => {
  await closeDefaultPool();
  assert.equal(defaultPoolStats(), undefined);
  const [a, b] = await Promise.all([
    solve(small.problem, { starts: 2, seed: 1, tol: 1e-9 }),
    solve(small.problem, { starts: 3, seed: 2, tol: 1e-9 }),
  ]);
  assert.deepEqual([a.starts!.length, b.starts!.length], [2, 3]);
  const c = await solve(small.problem, { starts: 4, seed: 3, tol: 1e-9 });
  assert.equal(c.starts!.length, 4);
  const stats = defaultPoolStats()!;
  assert.equal(stats.completed, 2 + 3 + 4, 'all three calls ran in the same pool');
  assert.equal(stats.workers, CORES);
  await closeDefaultPool();
  assert.equal(defaultPoolStats(), undefined);
});

// ---------------------------------------------------------------------------------------------
// Cancellation and progress

test('abort stops a running pool solve within one iteration with an AbortError; the pool stays usable', async () => {
  const big = plantedProblem({ rows: 20000, cols: 60, density: 1, seed: 12 }).problem;
  const controller = new AbortController();
  let abortedAt = 0;
  let iterationSeconds = 0;
  const pending = solve(big, {
    pool, method: 'gd', tol: 0, maxIter: 1_000_000, signal: controller.signal,
    onIteration: (row) => {
      iterationSeconds = Math.max(iterationSeconds, row.seconds);
      if (row.iteration === 5) {
        abortedAt = performance.now();
        controller.abort();
      }
    },
  });
  await assert.rejects(pending, AbortError);
  const latency = (performance.now() - abortedAt) / 1000;
  assert.ok(latency < 2 * iterationSeconds + 0.25, `stopped ${latency} s after the abort; an iteration takes ${iterationSeconds} s`);
  await assert.rejects(solve(big, { pool, signal: AbortSignal.abort() }), AbortError);
  assert.equal((await solve(small.problem, { pool, tol: 1e-9 })).converged, true);
  assert.equal(pool.stats().pending, 0);
});

test('abort removes a queued solve at once, without waiting for a worker', async () => {
  const single = new SolverPool({ workers: 1 });
  try {
    const blocker = new AbortController();
    let started!: () => void;
    const running = new Promise<void>((resolve) => { started = resolve; });
    const first = single.solve(small.problem, { method: 'gd', tol: 0, maxIter: 1_000_000, signal: blocker.signal, onIteration: () => started() });
    await running;
    const queued = new AbortController();
    const second = single.solve(small.problem, { signal: queued.signal });
    const t0 = performance.now();
    queued.abort();
    await assert.rejects(second, AbortError);
    assert.ok(performance.now() - t0 < 200, 'a queued solve must not wait for the running one');
    blocker.abort();
    await assert.rejects(first, AbortError);
    assert.equal((await single.solve(small.problem, { tol: 1e-9 })).converged, true);
  } finally {
    await single.destroy();
  }
});

test('a multi-start aborts as a whole; an exception in onIteration rejects the solve with it', async () => {
  const controller = new AbortController();
  const pending = solve(small.problem, {
    pool, starts: 4, method: 'gd', tol: 0, maxIter: 1_000_000, signal: controller.signal,
    onIteration: (row) => { if (row.iteration === 3) controller.abort(); },
  });
  await assert.rejects(pending, AbortError);
  await assert.rejects(
    solve(small.problem, { pool, method: 'gd', tol: 0, maxIter: 1_000_000, onIteration: (row) => { if (row.iteration === 2) throw new Error('from the callback'); } }),
    /from the callback/,
  );
  // A running solve stops within one iteration after its promise rejected: wait for that, bounded.
  for (const deadline = Date.now() + 5000; pool.stats().pending > 0 && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 5));
  assert.equal(pool.stats().pending, 0);
  assert.equal((await solve(small.problem, { pool, tol: 1e-9 })).converged, true);
});

test('the event loop stays responsive during a long solve in the pool', async () => {
  const big = plantedProblem({ rows: 20000, cols: 120, density: 1, seed: 4 }).problem;
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const started = performance.now();
  const r = await solve(big, { pool, starts: 2, method: 'gd', tol: 0, maxIter: 120 });
  clearInterval(timer);
  const elapsed = performance.now() - started;
  assert.equal(r.starts!.length, 2);
  assert.ok(elapsed > 100, `the solve took only ${elapsed} ms: too short to test anything`);
  assert.ok(ticks >= elapsed / 20, `only ${ticks} timer ticks in ${elapsed} ms: the event loop was blocked`);
});

// ---------------------------------------------------------------------------------------------
// Robustness

test('a worker that throws fails its task with a clear error; the others go on', async () => {
  // A problem whose data is wrong only in the worker's copy: its validation throws there.
  const bad = Object.create(small.problem) as Problem;
  const spec = small.problem.spec();
  Object.defineProperty(bad, 'spec', { value: () => ({ ...spec, target: new Float64Array(3) }) });
  const [good, failed, alsoGood] = await Promise.allSettled([
    solve(small.problem, { pool, seed: 1, tol: 1e-9 }),
    solve(bad, { pool, seed: 2 }),
    solve(small.problem, { pool, seed: 3, tol: 1e-9 }),
  ]);
  assert.equal(good.status, 'fulfilled');
  assert.equal(alsoGood.status, 'fulfilled');
  assert.equal(failed.status, 'rejected');
  assert.ok(failed.status === 'rejected' && failed.reason instanceof InputError && failed.reason.field === 'b', String(failed.status === 'rejected' && failed.reason));
});

test('a worker that dies is replaced; its task fails with a WorkerError, the other task goes on', async () => {
  const local = new SolverPool({ workers: 2 });
  try {
    const mid = plantedProblem({ rows: 6000, cols: 30, density: 1, seed: 13 }).problem;
    const seen = [0, 0];
    let both!: () => void;
    const bothRunning = new Promise<void>((resolve) => { both = resolve; });
    const run = (k: number, maxIter: number) =>
      local.solve(mid, { method: 'gd', tol: 0, maxIter, onIteration: () => { if (++seen[k] === 3 && seen[1 - k] >= 3) both(); } });
    const settled = Promise.allSettled([run(0, 1500), run(1, 1500)]);
    await bothRunning;
    await local.threads[0].terminate();
    const outcomes = await settled;
    const failures = outcomes.filter((o) => o.status === 'rejected');
    assert.equal(failures.length, 1, JSON.stringify(outcomes.map((o) => o.status)));
    const reason = (failures[0] as PromiseRejectedResult).reason;
    assert.ok(reason instanceof WorkerError, String(reason));
    assert.match(reason.message, /pool worker running this solve stopped/);
    const survivor = outcomes.find((o) => o.status === 'fulfilled') as PromiseFulfilledResult<SolveResult>;
    assert.equal(survivor.value.iterations, 1500);
    const after = await Promise.all([local.solve(mid, { tol: 1e-9 }), local.solve(mid, { tol: 1e-9, seed: 1 })]);
    assert.ok(after.every((r) => r.converged));
    assert.equal(local.threads.length, 2, 'the dead worker was replaced');
  } finally {
    await local.destroy();
  }
});

test('destroy cancels running and queued solves and releases the workers; BLAS stays single-threaded', async () => {
  const local = new SolverPool({ workers: 1 });
  let started!: () => void;
  const running = new Promise<void>((resolve) => { started = resolve; });
  const first = local.solve(small.problem, { method: 'gd', tol: 0, maxIter: 1_000_000, onIteration: () => started() });
  const second = local.solve(small.problem, {});
  await running;
  const outcomes = [
    assert.rejects(first, (e: Error) => e instanceof AbortError && /destroyed/.test(e.message)),
    assert.rejects(second, AbortError),
  ];
  await local.destroy();
  await Promise.all(outcomes);
  assert.equal(local.threads.length, 0);
  await assert.rejects(local.solve(small.problem), (e: Error) => e instanceof InputError && e.field === 'pool');
  assert.equal(local.closed, true);
  // BLAS runs inside the solves' own threads (docs/performance.md): pools never change it.
  assert.equal(addon.blasThreads(), 1);
});

test('processes using a pool, or the default pool, exit cleanly without waiting', () => {
  const index = path.resolve(__dirname, '..', 'src', 'index.js');
  const nativeFile = path.resolve(__dirname, '..', 'src', 'native.js');
  const script = (body: string) => `
    const s = require(${JSON.stringify(index)});
    const addon = require(${JSON.stringify(nativeFile)}).native();
    const { problem } = s.plantedProblem({ rows: 2000, cols: 10, density: 1, seed: 1 });
    (async () => { ${body} })().catch((e) => { console.error(e); process.exit(9); });`;
  const cases = [
    ['explicit pool, destroyed', `const pool = new s.SolverPool();
      if (addon.blasThreads() !== 1) process.exit(7);
      const r = await s.solve(problem, { starts: 3, pool }); await pool.destroy();
      if (addon.blasThreads() !== 1) process.exit(8);
      console.log(r.starts.length);`],
    ['explicit pool, closed', `const pool = s.createPool({ workers: 1 }); const r = await pool.solve(problem, { tol: 1e-9 }); await pool.close(); console.log(r.converged ? 3 : 0);`],
    ['default pool, left open', `const r = await s.solve(problem, { starts: 3 }); console.log(r.starts.length);`],
  ];
  for (const [name, body] of cases) {
    const started = Date.now();
    const run = spawnSync(process.execPath, ['-e', script(body)], { encoding: 'utf8', timeout: 20_000 });
    const elapsed = Date.now() - started;
    assert.equal(run.status, 0, `${name}: ${run.stderr}`);
    assert.equal(run.stdout.trim(), '3', name);
    assert.ok(elapsed < DEFAULT_POOL_IDLE_MS, `${name}: took ${elapsed} ms to exit`);
  }
});

test('a full queue rejects the extra solve with a WorkerError that says so', async () => {
  const tight = new SolverPool({ workers: 1, maxQueue: 1 });
  try {
    const stop = new AbortController();
    let started!: () => void;
    const running = new Promise<void>((resolve) => { started = resolve; });
    const first = tight.solve(small.problem, { method: 'gd', tol: 0, maxIter: 1_000_000, signal: stop.signal, onIteration: () => started() });
    await running;
    const second = tight.solve(small.problem, { tol: 1e-9 });
    await assert.rejects(tight.solve(small.problem, { tol: 1e-9 }), (e: Error) => e instanceof WorkerError && /queue is full \(maxQueue 1/.test(e.message));
    stop.abort();
    await assert.rejects(first, AbortError);
    assert.equal((await second).converged, true);
  } finally {
    await tight.destroy();
  }
});

test('bad pool and multi-start options are InputErrors naming the field', async () => {
  const cases: [() => unknown, string][] = [
    [() => new SolverPool({ workers: 0 }), 'workers'],
    [() => new SolverPool({ workers: CORES + 1 }), 'workers'],
    [() => new SolverPool({ workers: 1, threadsPerWorker: CORES + 1 }), 'threadsPerWorker'],
    [() => new SolverPool({ threadsPerWorker: 0 }), 'threadsPerWorker'],
    [() => new SolverPool({ blasThreadsPerWorker: 0 }), 'blasThreadsPerWorker'],
    [() => new SolverPool({ maxQueue: -1 }), 'maxQueue'],
    [() => new SolverPool({ wokers: 2 } as never), 'options.wokers'],
    [() => solveSync(small.problem, { starts: 2 } as never), 'starts'],
  ];
  if (CORES >= 2) cases.push([() => new SolverPool({ workers: CORES, threadsPerWorker: 2 }), 'threadsPerWorker']);
  for (const [call, field] of cases) {
    assert.throws(call, (e: unknown) => e instanceof InputError && e.field === field, field);
  }
  const asyncCases: [SolveOptions, string][] = [
    [{ starts: 0, pool }, 'starts'], [{ starts: 1.5, pool }, 'starts'], [{ starts: 4, pool: {} as SolverPool }, 'pool'],
    [{ pool, threads: pool.threadsPerWorker + 1 }, 'threads'], [{ starts: 2, pool, maxIter: -1 }, 'maxIter'],
  ];
  for (const [options, field] of asyncCases) {
    await assert.rejects(solve(small.problem, options), (e: unknown) => e instanceof InputError && e.field === field, field);
  }
});

// ---------------------------------------------------------------------------------------------
// The command line

test('softnewton solve --starts 4 --json: the best of four starts, four traces; progress lines only without --json', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'softnewton-pool-'));
  try {
    const main = path.resolve(__dirname, '..', 'src', 'cli', 'main.js');
    const cli = (...args: string[]) => spawnSync(process.execPath, [main, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    assert.equal(cli('generate', '--rows', '2000', '--cols', '8', '--density', '1', '--seed', '3', '--out', 'p.svm', '--xstar', 'xs.json').status, 0);
    const base = ['solve', '--data', 'p.svm', '--cols', '8', '--scale', 'n', '--method', 'gd', '--max-iter', '4', '--tol', '0'];
    const run = cli(...base, '--starts', '4', '--json');
    assert.equal(run.stderr, '');
    const out = JSON.parse(run.stdout);
    assert.equal(out.starts.length, 4);
    for (const start of out.starts) {
      assert.deepEqual(Object.keys(start).sort(), ['converged', 'gradNorm', 'iterations', 'loss', 'seed', 'stopReason', 'trace']);
      assert.equal(start.stopReason, 'maxIterations');
      assert.equal(start.trace.length, start.iterations + 1);
    }
    const losses = out.starts.map((s: { loss: number }) => s.loss);
    const best = losses.indexOf(Math.min(...losses));
    assert.equal(out.loss, losses[best]);
    assert.equal(out.best, best);
    assert.deepEqual(out.trace, out.starts[best].trace);
    assert.deepEqual(out.starts.map((s: { seed: number }) => s.seed), startSeeds(0, 4));
    // Without --starts the output keeps its shape.
    assert.equal(JSON.parse(cli(...base, '--json').stdout).starts, undefined);
    // Not a terminal: plain progress lines on stderr, one per trace row; none with --no-progress.
    const text = cli(...base, '--starts', '2');
    assert.match(text.stdout, /2 starts, best \d/);
    const lines = text.stderr.trim().split('\n');
    assert.equal(lines.length, 2 * 5, text.stderr);
    assert.ok(lines.every((l) => /^start [12]\/2: iteration \d+, loss \S+, ‖∇L‖ \S+$/.test(l)), text.stderr);
    assert.equal(cli(...base, '--no-progress').stderr, '');
    const bad = cli(...base, '--starts', '0');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^softnewton: --starts: /);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a start point around an x0 of 2·10⁵ entries: no stack overflow (its norm by a loop)', () => {
  const x0 = new Float64Array(200000).fill(0.01);
  const p = startPoint(x0, 7);
  assert.equal(p.length, x0.length);
  let r2 = 0;
  for (let j = 0; j < x0.length; j++) r2 += (p[j] - x0[j]) ** 2;
  // ‖r‖ ≈ 0.1·max(1, ‖x0‖) = 0.1·max(1, √(2·10⁵)·0.01) ≈ 0.447.
  assert.ok(Math.abs(Math.sqrt(r2) / (0.1 * Math.sqrt(200000) * 0.01) - 1) < 0.01, String(Math.sqrt(r2)));
});
