/**
 * The parallel runtime's speed-ups (issue 4), measured side by side in one run:
 *
 *  1. multi-start: K starts one after another in a pool of 1 worker, against the same K starts in a
 *     pool of `cores` workers (1 OpenBLAS thread per solve in both: the pool's own rule), and against
 *     K calls of solveSync with OpenBLAS on every core (what one would do without a pool);
 *  2. parallel sketching: the sketch time of an approx-newton solve (the trace's secondsSketch,
 *     summed over its iterations) with `threads` 1 and 2, OpenBLAS at 1 thread so that only the
 *     row passes differ; the two solves are checked to give the same bits.
 *
 * Each comparison alternates its variants over ROUNDS rounds and reports medians; the machine's
 * load and what it offered at the time (two CPU-bound threads side by side against one after the
 * other) are printed with the results, since shared machines are noisy.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/parallel.js [--quick]
 */
import * as os from 'node:os';
import { Worker } from 'node:worker_threads';
import { plantedProblem, Problem, solve, solveSync, SolveOptions, SolverPool } from '../src';
import { native } from '../src/native';
import { median } from '../src/numeric';
import { cores } from '../src/pool/pool';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 2 : 3;


function now(): number {
  return performance.now() / 1000;
}

function load(): string {
  const [one, five] = os.loadavg();
  return `load average ${one.toFixed(2)} (1 min), ${five.toFixed(2)} (5 min), ${cores()} cores`;
}

function table(header: string[], rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? (Math.abs(c) >= 100 ? c.toFixed(0) : c.toPrecision(3)) : c)));
  const widths = header.map((h, k) => Math.max(h.length, ...cells.map((r) => r[k].length)));
  const line = (r: string[]) => r.map((c, k) => (k === 0 ? c.padEnd(widths[k]) : c.padStart(widths[k]))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** Seconds for `count` threads each spinning the same loop, started together. */
function spin(count: number): Promise<number> {
  const code = `const { parentPort } = require('node:worker_threads'); let s = 0; for (let i = 0; i < 3e8; i++) s = (s + i * 7) % 1000003; parentPort.postMessage(s);`;
  const t = now();
  return Promise.all(
    Array.from({ length: count }, () => new Promise<void>((resolve, reject) => {
      const w = new Worker(code, { eval: true });
      w.once('message', () => resolve());
      w.once('error', reject);
    })),
  ).then(() => now() - t);
}

/** What the machine offers right now: (2 × one thread's time) / (two threads' time); 2 on two idle cores. */
async function offered(): Promise<number> {
  const one = await spin(1);
  const two = await spin(2);
  return (2 * one) / two;
}

async function multiStart(): Promise<void> {
  const K = 4;
  const n = quick ? 15_000 : 30_000;
  const { problem } = plantedProblem({ rows: n, cols: 100, density: 1, seed: 61 });
  const options: SolveOptions = { method: 'newton-pcg', sketch: 'leverage', tol: 1e-10, seed: 7 };
  const blasDefault = native().blasThreads();
  const serialPool = new SolverPool({ workers: 1, blasThreadsPerWorker: 1 });
  const parallelPool = new SolverPool({ workers: cores(), blasThreadsPerWorker: 1 });
  // Warm up: workers started, the problem shared and validated in each.
  await Promise.all([serialPool, parallelPool].map((pool) => solve(problem, { ...options, starts: pool.workers, pool, maxIter: 1 })));
  const serial: number[] = [], parallel: number[] = [], sync: number[] = [];
  let losses = '';
  for (let r = 0; r < ROUNDS; r++) {
    let t = now();
    const a = await solve(problem, { ...options, starts: K, pool: serialPool });
    serial.push(now() - t);
    t = now();
    const b = await solve(problem, { ...options, starts: K, pool: parallelPool });
    parallel.push(now() - t);
    if (a.starts!.some((s, i) => s.loss !== b.starts![i].loss)) throw new Error('the pools disagree: the comparison is not like for like');
    losses = b.starts!.map((s) => s.loss.toExponential(2)).join(', ');
    // Without a pool: the same K starts (their seeds) one after another, OpenBLAS on every core.
    native().blasThreads(blasDefault);
    t = now();
    for (const start of b.starts!) solveSync(problem, { ...options, seed: start.seed });
    sync.push(now() - t);
    native().blasThreads(1);
  }
  await Promise.all([serialPool.destroy(), parallelPool.destroy()]);
  const s = median(serial), p = median(parallel), y = median(sync);
  console.log(`\n1. Multi-start: ${K} starts of newton-pcg (leverage) to tol 1e-10, planted n = ${n}, d = 100 dense; medians of ${ROUNDS}`);
  console.log(`   final losses of the starts: ${losses}\n`);
  console.log(table(['how', 'seconds', 'starts/s', 'speed-up'], [
    ['pool of 1 worker (serial), 1 BLAS thread', s, K / s, '1.00'],
    [`solveSync one after another, ${blasDefault} BLAS threads`, y, K / y, (s / y).toFixed(2)],
    [`pool of ${cores()} workers, 1 BLAS thread each`, p, K / p, (s / p).toFixed(2)],
  ]));
  console.log(`\n   multi-start in the pool: ${(s / p).toFixed(2)}× the serial pool, ${(y / p).toFixed(2)}× solveSync with ${blasDefault} BLAS threads`);
}

async function parallelSketching(): Promise<void> {
  native().blasThreads(1);
  const scale = quick ? 0.5 : 1;
  // Built one at a time (the largest holds ~70 MB).
  const cases: { name: string; make: () => Problem; options: SolveOptions }[] = [
    { name: 'leverage, short sparse rows', make: () => plantedProblem({ rows: 300_000 * scale, cols: 80, density: 0.08, seed: 71 }).problem, options: { sketch: 'leverage' } },
    { name: 'leverage, dense rows', make: () => plantedProblem({ rows: 100_000 * scale, cols: 60, density: 1, seed: 72 }).problem, options: { sketch: 'leverage' } },
    { name: 'osnap (s = 4), sparse rows', make: () => plantedProblem({ rows: 200_000 * scale, cols: 100, density: 0.2, seed: 73 }).problem, options: { sketch: 'osnap', osnapNonzeros: 4 } },
    { name: 'countsketch, dense rows', make: () => plantedProblem({ rows: 100_000 * scale, cols: 60, density: 1, seed: 74 }).problem, options: { sketch: 'countsketch' } },
  ];
  const rows: (string | number)[][] = [];
  for (const c of cases) {
    const problem = c.make();
    const options: SolveOptions = { ...c.options, method: 'approx-newton', tol: 0, maxIter: 4, seed: 3 };
    const sketch: Record<number, number[]> = { 1: [], 2: [] };
    const total: Record<number, number[]> = { 1: [], 2: [] };
    const bits: Record<number, string> = {};
    for (let r = 0; r < ROUNDS; r++) {
      for (const threads of [1, 2]) {
        const result = solveSync(problem, { ...options, threads });
        sketch[threads].push(result.trace.reduce((sum, row) => sum + row.secondsSketch, 0));
        total[threads].push(result.seconds);
        bits[threads] = Buffer.from(result.x.buffer).toString('base64');
      }
    }
    if (bits[1] !== bits[2]) throw new Error(`${c.name}: 1 and 2 threads gave different results`);
    const s1 = median(sketch[1]), s2 = median(sketch[2]), t1 = median(total[1]), t2 = median(total[2]);
    rows.push([c.name, `${problem.rows} × ${problem.cols}, ${problem.nnz} nnz`, s1 * 1e3, s2 * 1e3, (s1 / s2).toFixed(2), t1 * 1e3, t2 * 1e3, (t1 / t2).toFixed(2)]);
  }
  console.log(`\n2. Parallel sketching: approx-newton, 4 iterations, sketch time (secondsSketch summed) with threads 1 and 2,`);
  console.log(`   OpenBLAS at 1 thread; results bit-identical (checked); medians of ${ROUNDS}\n`);
  console.log(table(['sketch', 'data', 'sketch ms, 1', 'sketch ms, 2', 'speed-up', 'solve ms, 1', 'solve ms, 2', 'speed-up'], rows));
}

async function main(): Promise<void> {
  console.log(`softnewton parallel benchmark — ${new Date().toISOString()}, Node ${process.version}, ${load()}`);
  const before = await offered();
  await multiStart();
  await parallelSketching();
  const afterwards = await offered();
  console.log(`\nWhat the machine offered (two busy threads side by side against one after the other; 2.00 = two idle cores):`);
  console.log(`before ${before.toFixed(2)}×, after ${afterwards.toFixed(2)}×; ${load()}`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
