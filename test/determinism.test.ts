/**
 * Determinism and thread safety (docs/reliability.md): the same seed gives the same bits across
 * runs (separate processes), across the `threads` option, across OpenBLAS thread counts and across
 * worker-pool sizes; concurrent solves sharing one Problem never interfere.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

import { plantedProblem, Problem, solve, solveSync, SolveOptions, SolveResult } from '../src';
import { SolverPool } from '../src/pool/pool';

/** Every bit of the answer: x, the loss and gradient norm of every iterate, the stop reason. */
function fingerprint(r: SolveResult): string {
  const bits = (v: number) => Buffer.from(Float64Array.of(v).buffer).toString('hex');
  return [
    r.stopReason,
    String(r.iterations),
    Buffer.from(r.x.buffer, r.x.byteOffset, r.x.byteLength).toString('hex'),
    ...r.trace.map((t) => `${bits(t.loss)}/${bits(t.gradNorm)}/${bits(t.step)}/${bits(t.mu)}`),
  ].join(' ');
}

// Sparse and dense rows, a noisy target (negative D: the D⁻ split is exercised) and every sketch.
// `big` is large enough (≈ 770k non-zeros) that the sketches' row passes really start extra threads:
// a pass only uses as many as its work pays for. `wide` has dense rows and sketches of k·d ≥ 2²²
// entries, which the embedding gathers by bucket (countsketch.cc) instead of scattering. `tall`
// has short rows enough for the exact Gram to scatter them in row blocks (linalg.cc).
// One table, so that the child processes below build the very same problems.
const SETTINGS = {
  sparse: { rows: 4000, cols: 24, density: 0.3, seed: 31, unit: 'tanh', noise: 0.05, w: 0.05 },
  dense: { rows: 3000, cols: 30, density: 1, seed: 32, unit: 'sigmoid' },
  big: { rows: 40000, cols: 32, density: 0.6, seed: 33, unit: 'tanh', noise: 0.02 },
  wide: { rows: 20000, cols: 250, density: 1, seed: 34, unit: 'sigmoid', noise: 0.02 },
  // Short rows (6 of 200) with enough of them that the exact Gram's scatter runs in row blocks.
  tall: { rows: 100000, cols: 200, density: 0.03, seed: 35, unit: 'tanh', noise: 0.02 },
} as const;
type Which = keyof typeof SETTINGS;
const PROBLEMS = Object.fromEntries(
  Object.entries(SETTINGS).map(([which, settings]) => [which, plantedProblem(settings).problem]),
) as Record<Which, Problem>;

const CASES: [string, Which, SolveOptions][] = [
  ['approx-newton/leverage', 'sparse', { method: 'approx-newton', sketch: 'leverage', sketchRows: 600 }],
  ['approx-newton/countsketch', 'sparse', { method: 'approx-newton', sketch: 'countsketch', sketchRows: 800 }],
  ['approx-newton/osnap', 'dense', { method: 'approx-newton', sketch: 'osnap', sketchRows: 700 }],
  ['approx-newton/uniform', 'dense', { method: 'approx-newton', sketch: 'uniform', sketchRows: 900 }],
  ['newton-pcg/leverage', 'dense', { method: 'newton-pcg', sketch: 'leverage', sketchRows: 500 }],
  ['newton', 'sparse', { method: 'newton' }],
  ['newton, row-block Gram', 'tall', { method: 'newton', maxIter: 3 }],
  ['newton, dense row-block Gram', 'wide', { method: 'newton', maxIter: 3 }],
  ['lbfgs', 'dense', { method: 'lbfgs' }],
  ['gd', 'sparse', { method: 'gd', maxIter: 40 }],
  ['approx-newton/osnap, large', 'big', { method: 'approx-newton', sketch: 'osnap', sketchRows: 3000, maxIter: 4 }],
  ['approx-newton/leverage, large', 'big', { method: 'approx-newton', sketch: 'leverage', sketchRows: 3000, maxIter: 4 }],
  ['approx-newton/countsketch, large', 'big', { method: 'approx-newton', sketch: 'countsketch', sketchRows: 3000, maxIter: 4 }],
  ['approx-newton/countsketch, gathered', 'wide', { method: 'approx-newton', sketch: 'countsketch', sketchRows: 17000, maxIter: 3 }],
  ['newton-pcg/osnap, gathered', 'wide', { method: 'newton-pcg', sketch: 'osnap', sketchRows: 17000, maxIter: 3 }],
];
const COMMON: SolveOptions = { seed: 12345, tol: 1e-10, maxIter: 60 };

test('the threads option does not change a single bit, for every sketch and method', async () => {
  for (const [name, which, options] of CASES) {
    const problem = PROBLEMS[which];
    const reference = fingerprint(solveSync(problem, { ...COMMON, ...options, threads: 1 }));
    for (const threads of [2, 3, 8]) {
      assert.equal(fingerprint(solveSync(problem, { ...COMMON, ...options, threads })), reference, `${name} with ${threads} threads`);
      assert.equal(fingerprint(await solve(problem, { ...COMMON, ...options, threads })), reference, `${name} async with ${threads} threads`);
    }
    // …while another seed (another start point, other sketches) changes the run: the fingerprint tells runs apart.
    assert.notEqual(fingerprint(solveSync(problem, { ...COMMON, ...options, seed: 54321 })), reference, `${name}: another seed`);
  }
});

test('concurrent solves sharing one Problem give the bits of sequential ones', async () => {
  const sequential = CASES.map(([, which, options]) => fingerprint(solveSync(PROBLEMS[which], { ...COMMON, ...options })));
  // Every case three times at once, interleaved with evaluations on the main thread of the same
  // problems (they read the same arrays while the workers run).
  const x = new Float64Array(24).fill(0.01);
  const lossBefore = PROBLEMS.sparse.loss(x);
  const pending: Promise<SolveResult>[] = [];
  for (let round = 0; round < 3; round++) {
    for (const [, which, options] of CASES) pending.push(solve(PROBLEMS[which], { ...COMMON, ...options, threads: 1 + round }));
  }
  for (let k = 0; k < 20; k++) assert.equal(PROBLEMS.sparse.loss(x), lossBefore);
  const results = await Promise.all(pending);
  results.forEach((r, k) => assert.equal(fingerprint(r), sequential[k % CASES.length], `${CASES[k % CASES.length][0]}, concurrent copy ${Math.floor(k / CASES.length)}`));
  // The problem itself is unchanged by all of it.
  assert.equal(PROBLEMS.sparse.loss(x), lossBefore);
});

const ROOT = path.resolve(__dirname, '..');

/** Runs the cases in a fresh process with the given environment and returns their fingerprints. */
function fingerprintsInProcess(env: Record<string, string>): string[] {
  const script = `
    const { plantedProblem, solveSync } = require(${JSON.stringify(path.join(ROOT, 'src', 'index.js'))});
    const settings = ${JSON.stringify(SETTINGS)};
    const problems = Object.fromEntries(Object.entries(settings).map(([which, o]) => [which, plantedProblem(o).problem]));
    const cases = ${JSON.stringify(CASES.map(([, which, options]) => [which, options]))};
    const bits = (v) => Buffer.from(Float64Array.of(v).buffer).toString('hex');
    const out = cases.map(([which, options]) => {
      const r = solveSync(problems[which], { ...${JSON.stringify(COMMON)}, ...options });
      return [r.stopReason, String(r.iterations), Buffer.from(r.x.buffer, r.x.byteOffset, r.x.byteLength).toString('hex'),
        ...r.trace.map((t) => bits(t.loss) + '/' + bits(t.gradNorm) + '/' + bits(t.step) + '/' + bits(t.mu))].join(' ');
    });
    process.stdout.write(JSON.stringify(out));
  `;
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
  assert.equal(run.signal, null);
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as string[];
}

test('the same seed gives the same bits in separate processes and with 1 or 2 OpenBLAS threads', () => {
  const here = CASES.map(([, which, options]) => fingerprint(solveSync(PROBLEMS[which], { ...COMMON, ...options })));
  const one = fingerprintsInProcess({ OPENBLAS_NUM_THREADS: '1' });
  const two = fingerprintsInProcess({ OPENBLAS_NUM_THREADS: '2' });
  CASES.forEach(([name], k) => {
    assert.equal(one[k], here[k], `${name}: another process`);
    assert.equal(two[k], one[k], `${name}: 2 OpenBLAS threads instead of 1`);
  });
});


test('pool sizes do not change a single bit (single solves and multi-start)', async () => {
  const sequential = CASES.map(([, which, options]) => fingerprint(solveSync(PROBLEMS[which], { ...COMMON, ...options })));
  const multiStart: string[] = [];
  // At most one worker per core (the pool refuses more): 1 and 2 workers on the smallest machines.
  for (const workers of [1, 2]) {
    const p = new SolverPool({ workers, threadsPerWorker: 1 });
    try {
      const results = await Promise.all(CASES.map(([, which, options]) => p.solve(PROBLEMS[which], { ...COMMON, ...options, threads: 1 })));
      results.forEach((r, k) => assert.equal(fingerprint(r), sequential[k], `${CASES[k][0]} in a pool of ${workers}`));
      const options = { ...COMMON, method: 'approx-newton', sketch: 'leverage', sketchRows: 600, starts: 4, pool: p, threads: 1 };
      const starts = (await solve(PROBLEMS.sparse, options as SolveOptions)) as SolveResult & { starts?: SolveResult[] };
      assert.equal(starts.starts?.length, 4);
      multiStart.push([fingerprint(starts), ...(starts.starts ?? []).map(fingerprint)].join('|'));
    } finally {
      await p.close();
    }
  }
  assert.equal(multiStart[1], multiStart[0], 'multi-start: 2 workers vs 1');
});
