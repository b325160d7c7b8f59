/**
 * Leaks and limits (docs/reliability.md): memory stays flat over thousands of solves, and a solve
 * whose estimated footprint exceeds the memory cap is refused up front with an InputError naming
 * `maxMemoryBytes`, before native code allocates anything.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';

import { InputError, Problem, plantedProblem, solve, solveSync } from '../src';
import { defaultMaxMemoryBytes, estimateSolveFootprint } from '../src/limits';
import { resolveSolveOptions } from '../src/solve';

const LEAK = path.resolve(__dirname, '..', 'bench', 'leak.js');
const MiB = 1024 * 1024;

interface LeakReport {
  solves: number;
  growthRss: number;
  growthHeap: number;
  growthExternal: number;
  slopeRssPer1000: number;
  samples: { solves: number; rss: number }[];
}

/** bench/leak.ts in a fresh process with --expose-gc, so that nothing else in this file counts. */
function runLeakCheck(...args: string[]): LeakReport {
  const run = spawnSync(process.execPath, ['--expose-gc', LEAK, '--json', ...args], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(run.signal, null, `leak check killed by ${run.signal}`);
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as LeakReport;
}

// The documented bound (docs/reliability.md): after a warm-up of 500 solves, 1500 more small solves
// of every method may add at most 16 MiB of RSS and 1 MiB of live V8 heap or external memory.
// Measured: +1 to +3 MiB of RSS (V8 growing its committed heap in steps of 4–8 MiB, which may fall
// in the window) and +0.1 MiB of live heap. The live heap is the tight, leak-sensitive bound.
const RSS_BOUND = 16 * MiB;
const HEAP_BOUND = 1 * MiB;

test('2000 solves of every method in one process: RSS and heap stay flat', () => {
  const report = runLeakCheck('--solves', '2000', '--every', '100', '--warmup', '500');
  const summary = `RSS +${(report.growthRss / MiB).toFixed(2)} MiB, heap +${(report.growthHeap / MiB).toFixed(2)} MiB, external +${(report.growthExternal / MiB).toFixed(2)} MiB`;
  assert.ok(report.growthRss < RSS_BOUND, `RSS grew too much: ${summary}`);
  assert.ok(report.growthHeap < HEAP_BOUND, `heap grew too much: ${summary}`);
  assert.ok(report.growthExternal < HEAP_BOUND, `external memory grew too much: ${summary}`);
});

test('the leak check detects a deliberate leak of the same size order (so the bound above means something)', () => {
  // Keeping every sync result and a 64 KiB buffer per solve leaks ≈ 400 × 66 KiB ≈ 26 MiB after the warm-up.
  const report = runLeakCheck('--solves', '1000', '--every', '100', '--warmup', '200', '--retain');
  assert.ok(report.growthRss > RSS_BOUND, `a deliberate leak went unnoticed: RSS +${(report.growthRss / MiB).toFixed(2)} MiB`);
  assert.ok(report.growthHeap + report.growthExternal > HEAP_BOUND);
});

// ---------------------------------------------------------------------------------------------
// The memory cap

function wide(cols: number): Problem {
  // Two rows with one entry each: tiny data, but a d × d Hessian of cols² doubles.
  const indptr = Int32Array.of(0, 1, 2);
  return new Problem({ rows: 2, cols, indptr, indices: Int32Array.of(0, cols - 1), values: Float64Array.of(1, 2) }, Float64Array.of(0.4, 0.6));
}

function refusesMemory(f: () => unknown, what: string, message?: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof InputError, `${what}: expected an InputError, got ${String(e)}`);
    assert.equal(e.field, 'maxMemoryBytes', what);
    assert.match(e.message, /^maxMemoryBytes: .*more than the limit of /, what);
    if (message) assert.match(e.message, message, what);
    return true;
  }, `${what}: not refused`);
}

test('the default cap is half of the memory the process may use, and a huge d × d solve is refused up front', async () => {
  const limit = defaultMaxMemoryBytes();
  assert.ok(limit > 0 && limit <= os.totalmem() / 2 + 1, `default ${limit}`);
  // d = 60000: 2d² doubles = 57.6 GB for the Hessian and its factor, more than half of any machine
  // this runs on (checked, so that the test does not silently pass on a very large one).
  const d = 60_000;
  assert.ok(2 * d * d * 8 > limit, 'the machine is too large for this test');
  const p = wide(d);
  for (const method of ['newton-pcg', 'approx-newton', 'newton'] as const) {
    refusesMemory(() => solveSync(p, { method }), `solveSync ${method}`, /d × d Hessian approximation and its Cholesky factor/);
    await assert.rejects(solve(p, { method }), (e: unknown) => e instanceof InputError && e.field === 'maxMemoryBytes');
  }
  // The first-order methods need O(n + d) memory: they run (and the process is still healthy).
  const gd = solveSync(p, { method: 'gd', maxIter: 2 });
  assert.equal(gd.x.length, d);
  // The dense Hessian of the same problem is refused too.
  refusesMemory(() => p.hessian(new Float64Array(d)), 'hessian');
});

test('maxMemoryBytes: an explicit cap refuses what exceeds it and accepts what fits', () => {
  const { problem } = plantedProblem({ rows: 2000, cols: 40, density: 1, seed: 3 });
  const resolved = resolveSolveOptions(problem, { method: 'approx-newton', sketch: 'countsketch', sketchRows: 1500 });
  const estimate = estimateSolveFootprint(problem, resolved);
  // countsketch's k × d buffer is the largest part: 1500 × 40 doubles.
  assert.equal(estimate.parts[0][1], (1500 * 40 + 2000) * 8);
  assert.match(estimate.parts[0][0], /k × d sketch buffer/);
  refusesMemory(
    () => solveSync(problem, { method: 'approx-newton', sketch: 'countsketch', sketchRows: 1500, maxMemoryBytes: estimate.bytes - 1 }),
    'one byte below the estimate',
    /k × d sketch buffer/,
  );
  const ok = solveSync(problem, { method: 'approx-newton', sketch: 'countsketch', sketchRows: 1500, maxMemoryBytes: estimate.bytes });
  assert.equal(ok.converged, true, ok.message);
  // The estimate grows with what is allocated: more sketch rows, a larger estimate.
  const larger = estimateSolveFootprint(problem, resolveSolveOptions(problem, { method: 'approx-newton', sketch: 'countsketch', sketchRows: 2000 }));
  assert.ok(larger.bytes > estimate.bytes);
  // lbfgs and gd need far less than Newton's d × d work.
  const lbfgs = estimateSolveFootprint(problem, resolveSolveOptions(problem, { method: 'lbfgs' }));
  const newton = estimateSolveFootprint(problem, resolveSolveOptions(problem, { method: 'newton' }));
  assert.ok(lbfgs.bytes < newton.bytes);
  // With starts, the solves that run at once (one per core, at most) are counted together.
  if (os.availableParallelism() >= 2) {
    const cap = Math.floor(1.5 * estimate.bytes);
    const options = { method: 'approx-newton', sketch: 'countsketch', sketchRows: 1500, maxMemoryBytes: cap } as const;
    assert.doesNotThrow(() => resolveSolveOptions(problem, options));
    refusesMemory(() => resolveSolveOptions(problem, { ...options, starts: 4 } as never), 'two concurrent starts', /concurrent starts/);
  }
  // Invalid caps name the option.
  for (const bad of [0, -1, NaN, Infinity, '1GB', null]) {
    assert.throws(() => solveSync(problem, { maxMemoryBytes: bad as number }), (e: unknown) => e instanceof InputError && e.field === 'maxMemoryBytes', String(bad));
  }
});

test('the estimate covers what the solver really allocates (RSS of a large countsketch solve stays below it)', () => {
  // A k × d sketch buffer of 80 MB dominates: the measured growth of RSS must stay below the
  // estimate, or the cap would let through solves that need more than it says.
  const script = `
    const { plantedProblem, solveSync } = require(${JSON.stringify(path.resolve(__dirname, '..', 'src', 'index.js'))});
    const { estimateSolveFootprint } = require(${JSON.stringify(path.resolve(__dirname, '..', 'src', 'limits.js'))});
    const { resolveSolveOptions } = require(${JSON.stringify(path.resolve(__dirname, '..', 'src', 'solve.js'))});
    const { problem } = plantedProblem({ rows: 30000, cols: 500, density: 0.01, seed: 1 });
    const options = { method: 'approx-newton', sketch: 'countsketch', sketchRows: 20000, maxIter: 1 };
    const estimate = estimateSolveFootprint(problem, resolveSolveOptions(problem, options)).bytes;
    const before = process.memoryUsage().rss;
    let peak = before;
    const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 1);
    solveSync(problem, options);
    clearInterval(timer);
    const fs = require('node:fs');
    const status = fs.readFileSync('/proc/self/status', 'utf8');
    const hwm = Number(/VmHWM:\\s+(\\d+) kB/.exec(status)[1]) * 1024;
    process.stdout.write(JSON.stringify({ estimate, before, hwm }));
  `;
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, OPENBLAS_NUM_THREADS: '1' } });
  assert.equal(run.status, 0, run.stderr);
  const { estimate, before, hwm } = JSON.parse(run.stdout) as { estimate: number; before: number; hwm: number };
  const used = hwm - before;
  assert.ok(estimate >= 20000 * 500 * 8, `estimate ${estimate}`);
  assert.ok(used <= estimate, `the solve used ${(used / MiB).toFixed(0)} MiB, more than its estimate ${(estimate / MiB).toFixed(0)} MiB`);
  // …and the estimate is not wildly pessimistic either.
  assert.ok(used >= 0.5 * estimate, `the solve used ${(used / MiB).toFixed(0)} MiB, far below its estimate ${(estimate / MiB).toFixed(0)} MiB`);
});

test('a synchronous loop building Problems does not keep their arrays alive until it yields', () => {
  // Each problem's arrays are ≈ 290 KB (3000 × 8, dense rows). NativeProblem used to hold them by
  // strong Node-API references, released only by finalizers that Node runs from the event loop: a
  // loop that never yields kept all 1000 of them (≈ 290 MB). Now the garbage collector frees them.
  const script = `
    const { plantedProblem, solveSync } = require(${JSON.stringify(path.resolve(__dirname, '..', 'src', 'index.js'))});
    const x = new Float64Array(8).fill(0.01);
    const rss = () => { gc(); gc(); return process.memoryUsage().rss; };
    let before = 0;
    for (let k = 0; k < 1000; k++) {
      const { problem } = plantedProblem({ rows: 3000, cols: 8, density: 1, seed: k });
      problem.evaluate(x);
      if (k % 10 === 0) solveSync(problem, { maxIter: 2 });
      if (k === 100) before = rss();
    }
    process.stdout.write(JSON.stringify({ before, after: rss() }));
  `;
  const run = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, OPENBLAS_NUM_THREADS: '1' } });
  assert.equal(run.status, 0, run.stderr);
  const { before, after } = JSON.parse(run.stdout) as { before: number; after: number };
  assert.ok(after - before < 64 * MiB, `RSS grew by ${((after - before) / MiB).toFixed(0)} MiB over 900 problems built without yielding`);
});
