/**
 * The memory estimate (native/core/footprint.cc) against the measured peak resident memory of real
 * solves, within ±25%, for every method (and every sketch of approx-newton) up to d = 1200.
 *
 * Each case runs in its own child process: it builds the problem, warms up (a small solve of the
 * same d loads OpenBLAS's buffers and compiles the JavaScript), waits for the resident size to settle
 * after a garbage collection (V8 frees on background threads), resets the kernel's high-water mark
 * (`/proc/self/clear_refs` = 5), and reports VmHWM − VmRSS across the solve. glibc's mmap threshold
 * is pinned so that freed large blocks return to the system instead of being reused silently, and
 * OpenBLAS runs one thread, like threads: 1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const DIST_SRC = path.resolve(__dirname, '..', 'src');

const CHILD = `
const fs = require('fs');
const { plantedProblem, solveSync, estimateSolveFootprint } = require(${JSON.stringify(DIST_SRC)});
const c = JSON.parse(process.argv[1]);
const { problem } = plantedProblem({ rows: c.rows, cols: c.cols, density: c.density, seed: 1 });
const warm = plantedProblem({ rows: Math.min(c.rows, 2 * c.cols + 10), cols: c.cols, density: 1, seed: 2 }).problem;
solveSync(warm, { ...c.options, maxIter: 1 });
const kb = (key) => Number(new RegExp(key + ':\\\\s+(\\\\d+)').exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
// V8 returns collected memory on background threads after gc() returns: wait until the resident
// size settles, or a release during the solve would hide part of its peak.
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
let settled = -1;
for (let k = 0; k < 40 && settled !== kb('VmRSS'); k++) {
  settled = kb('VmRSS');
  global.gc();
  sleep(50);
}
fs.writeFileSync('/proc/self/clear_refs', '5');
const before = kb('VmRSS');
const r = solveSync(problem, c.options);
const measured = kb('VmHWM') - before;
process.stdout.write(JSON.stringify({ measured, estimate: estimateSolveFootprint(problem, c.options).bytes, iterations: r.iterations }));
`;

interface Case {
  name: string;
  rows: number;
  cols: number;
  density: number;
  options: Record<string, unknown>;
}

const WIDE = { rows: 3000, cols: 1200, density: 1 };
const TALL = { rows: 400000, cols: 10, density: 1 };
const CASES: Case[] = [
  { name: 'newton, d = 1200', ...WIDE, options: { method: 'newton' } },
  { name: 'newton-pcg (auto), d = 1200', ...WIDE, options: { method: 'newton-pcg' } },
  // Enough dense rows for the exact Gram's row blocks and their private d × d sums.
  { name: 'newton, dense n = 20000, d = 400', rows: 20000, cols: 400, density: 1, options: { method: 'newton' } },
  { name: 'newton-pcg (auto), n = 300000, d = 50 sparse', rows: 300000, cols: 50, density: 0.1, options: { method: 'newton-pcg' } },
  { name: 'approx-newton leverage, d = 600', rows: 3000, cols: 600, density: 1, options: { method: 'approx-newton', sketch: 'leverage' } },
  { name: 'approx-newton countsketch, d = 1200', ...WIDE, options: { method: 'approx-newton', sketch: 'countsketch' } },
  { name: 'approx-newton osnap, d = 1200', ...WIDE, options: { method: 'approx-newton', sketch: 'osnap' } },
  { name: 'approx-newton uniform, d = 1200', ...WIDE, options: { method: 'approx-newton', sketch: 'uniform' } },
  { name: 'gd, n = 400000', ...TALL, options: { method: 'gd' } },
  { name: 'lbfgs, n = 400000', ...TALL, options: { method: 'lbfgs' } },
];

test('the footprint estimate is within ±25% of the measured peak memory, for every method up to d = 1200', () => {
  const failures: string[] = [];
  for (const c of CASES) {
    const child = spawnSync(process.execPath, ['--expose-gc', '-e', CHILD, JSON.stringify({ ...c, options: { ...c.options, maxIter: 2, threads: 1 } })], {
      encoding: 'utf8',
      env: { ...process.env, MALLOC_MMAP_THRESHOLD_: '65536', OPENBLAS_NUM_THREADS: '1' },
    });
    assert.equal(child.status, 0, `${c.name}: ${child.stderr}`);
    const { measured, estimate, iterations } = JSON.parse(child.stdout) as { measured: number; estimate: number; iterations: number };
    assert.ok(iterations >= 1, `${c.name}: the solve ran no iteration`);
    const ratio = measured / estimate;
    if (!(ratio >= 0.75 && ratio <= 1.25)) failures.push(`${c.name}: measured ${measured} bytes, estimated ${estimate} (ratio ${ratio.toFixed(2)})`);
  }
  assert.deepEqual(failures, []);
});
