/**
 * Soak test: hours of mixed work in one process, to find what short tests do not — leaks that
 * grow slowly, a hang after the thousandth abort, a crash on a rare interleaving. Not part of
 * `npm test` (docs/reliability.md, "Soak").
 *
 *   node --expose-gc dist/bench/soak.js                    # one hour
 *   node --expose-gc dist/bench/soak.js --seconds 30       # a short run, to see that it works
 *
 * It loops over rounds until the time is up; each round, concurrently:
 * - 6 solve() calls on libuv's thread pool (random method), one in three aborted at a random
 *   moment by an AbortSignal;
 * - a solveSync() with onIteration, one in five aborted from inside onIteration;
 * - a SolverPool of 2 workers: a multi-start solve (one in four aborted), a single solve, then the
 *   pool is destroyed (cancelling what runs) or closed, and a new one is made next round;
 * - a worker thread that loads the addon, starts a long solve and is terminated mid-solve (it
 *   must end within 5 s: a teardown that waited for the solve would show here);
 * - a Problem built from fresh arrays whose caller-side buffers are then transferred away.
 * Expected outcomes are results and AbortErrors; anything else is counted and printed as
 * unexpected, and the exit status is 1 if there was any. RSS (after a GC) is reported at the start,
 * after the first round, and at the end.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { AbortError, plantedProblem, Problem, solve, SolverPool, solveSync } from '../src';
import type { MethodName } from '../src';

function argument(name: string, fallback: number): number {
  const k = process.argv.indexOf(`--${name}`);
  return k >= 0 ? Number(process.argv[k + 1]) : fallback;
}

const seconds = argument('seconds', 3600);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const METHODS: MethodName[] = ['newton-pcg', 'approx-newton', 'newton', 'gd', 'lbfgs'];
const INDEX = path.resolve(__dirname, '..', 'src', 'index.js');

let seed = 1;
const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];

const counts: Record<string, number> = {};
const unexpected: string[] = [];
const count = (what: string) => (counts[what] = (counts[what] ?? 0) + 1);

async function expect(what: string, work: Promise<unknown>): Promise<void> {
  try {
    await work;
    count(`${what}: result`);
  } catch (error) {
    if (error instanceof AbortError) count(`${what}: aborted`);
    else {
      count(`${what}: UNEXPECTED`);
      if (unexpected.length < 20) unexpected.push(`${what}: ${error instanceof Error ? error.stack : String(error)}`);
    }
  }
}

function rss(): number {
  gc();
  return process.memoryUsage().rss / 2 ** 20;
}

function abortLater(controller: AbortController, ms: number): void {
  setTimeout(() => controller.abort(), ms).unref();
}

async function terminatedWorker(): Promise<void> {
  const worker = new Worker(`
    const sn = require(${JSON.stringify(INDEX)});
    const { parentPort } = require('node:worker_threads');
    const { problem } = sn.plantedProblem({ rows: 1500, cols: 12, density: 1, seed: 3 });
    sn.solve(problem, { method: 'gd', maxIter: 1e6, tol: 0 }).catch(() => {});
    parentPort.postMessage('running');
  `, { eval: true });
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  await new Promise((resolve) => setTimeout(resolve, 20 + random() * 80));
  const started = Date.now();
  await worker.terminate();
  if (Date.now() - started > 5000) throw new Error(`worker.terminate() took ${Date.now() - started} ms`);
}

async function round(problems: Problem[]): Promise<void> {
  const jobs: Promise<void>[] = [];
  for (let k = 0; k < 6; k++) {
    const controller = new AbortController();
    // Aborted at a random iteration (a timer would often fire only after solveSync below has
    // blocked the event loop until every solve ended).
    const abortAt = random() < 1 / 3 ? 1 + Math.floor(random() * 3) : Infinity;
    // The solves to abort run long (gd without a tolerance): a fast one ends before the abort arrives.
    const long = abortAt < Infinity ? { method: 'gd' as const, tol: 0, maxIter: 3000 } : { method: pick(METHODS), maxIter: 60 };
    jobs.push(expect('solve', solve(pick(problems), {
      ...long, seed: k, signal: controller.signal,
      onIteration: (row) => { if (row.iteration === abortAt) controller.abort(); },
    })));
  }
  jobs.push(expect('solveSync', (async () => {
    await new Promise((resolve) => setTimeout(resolve, 10)); // let the solves' callbacks run first
    const controller = new AbortController();
    const stopAt = random() < 0.2 ? 3 : Infinity;
    let rows = 0;
    solveSync(pick(problems), { method: pick(METHODS), signal: controller.signal, onIteration: () => { if (++rows === stopAt) controller.abort(); } });
  })()));
  jobs.push(expect('pool', (async () => {
    const pool = new SolverPool({ workers: 2 });
    const controller = new AbortController();
    if (random() < 0.25) abortLater(controller, random() * 50);
    const work = [
      expect('pool multi-start', solve(pick(problems), { starts: 3, pool, method: pick(METHODS), signal: controller.signal })),
      expect('pool solve', pool.solve(pick(problems), { method: pick(METHODS) })),
    ];
    if (random() < 0.5) {
      await Promise.all(work);
      await pool.close();
    } else {
      await new Promise((resolve) => setTimeout(resolve, random() * 20));
      await pool.destroy();
      // Destroying rejects what runs: those are expected AbortErrors (or results that won the race).
      await Promise.all(work);
    }
  })()));
  jobs.push(expect('worker terminate', terminatedWorker()));
  jobs.push(expect('transferred arrays', (async () => {
    const { problem } = plantedProblem({ rows: 400, cols: 8, density: 0.5, seed: Math.floor(random() * 1000) });
    const spec = problem.spec();
    const values = Float64Array.from(spec.values!);
    const own = new Problem({ rows: 400, cols: 8, indptr: Int32Array.from(spec.indptr!), indices: Int32Array.from(spec.indices!), values }, Float64Array.from(problem.b), problem.options());
    const pending = solve(own, { method: 'newton', seed: 1 });
    structuredClone(values.buffer, { transfer: [values.buffer] });
    gc();
    const [a, b] = [await pending, solveSync(problem, { method: 'newton', seed: 1 })];
    if (a.loss !== b.loss) throw new Error(`transferred arrays changed the result: ${a.loss} vs ${b.loss}`);
  })()));
  await Promise.all(jobs);
}

async function main(): Promise<void> {
  const problems = [
    plantedProblem({ rows: 2000, cols: 20, density: 1, seed: 1 }).problem,
    plantedProblem({ rows: 5000, cols: 30, density: 0.2, seed: 2, unit: 'sigmoid' }).problem,
    plantedProblem({ rows: 800, cols: 10, density: 1, seed: 3, model: 'relu-softmax' }).problem,
  ];
  const startRss = rss();
  const started = Date.now();
  let rounds = 0;
  let firstRoundRss = startRss;
  while ((Date.now() - started) / 1000 < seconds) {
    await round(problems);
    if (++rounds === 1) firstRoundRss = rss();
  }
  const endRss = rss();
  const elapsed = (Date.now() - started) / 1000;
  console.log(`soak: ${rounds} rounds in ${elapsed.toFixed(0)} s`);
  console.log(`RSS: ${startRss.toFixed(1)} MiB at the start, ${firstRoundRss.toFixed(1)} MiB after the first round, ${endRss.toFixed(1)} MiB at the end`);
  for (const [what, n] of Object.entries(counts).sort()) console.log(`  ${what.padEnd(32)} ${n}`);
  if (unexpected.length > 0) {
    console.log(`${unexpected.length} unexpected error(s):`);
    for (const u of unexpected) console.log(u);
    process.exitCode = 1;
  } else {
    console.log('no unexpected error');
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
