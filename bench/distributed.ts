/**
 * Distributed solves over MPI (issue 15, docs/distributed.md), measured in three parts:
 *
 *  1. strong scaling: the same problem (n rows, d columns) solved by exact newton and by newton-pcg
 *     with a block CountSketch on 1 and on 2 ranks of this machine, one thread per rank (so that the
 *     ranks are the only parallelism), seconds per iteration (median of the trace's iterations, rank
 *     0's clock);
 *  2. bytes communicated per iteration, counted by the MPI reduction itself (every allreduce's
 *     payload), against the formula of docs/distributed.md;
 *  3. an α–β model: α (latency per allreduce) and β (seconds per byte) fitted by least squares to
 *     timed allreduces of 1 to d² doubles on 2 ranks, and the compute per iteration split into a
 *     part proportional to a rank's non-zeros and a d × d part; then a PROJECTION of the time per
 *     iteration for n = 10⁹ rows on 16–256 machines. The projection is arithmetic on this machine's
 *     fitted constants (shared-memory MPI between two processes, not a network), printed next to the
 *     same arithmetic with an assumed cluster network; it is not a measurement.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/distributed.js [--rows N] [--cols D] [--quick]
 *
 * It launches mpirun itself (as root with OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1,
 * --oversubscribe). Run it on an idle machine: two ranks on two cores compete with anything else.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeLibsvm } from '../src/io/libsvm';
import { generatePlanted } from '../src/planted';
import { fmt, load, table } from './common';

const argument = (name: string, fallback: number) => {
  const k = process.argv.indexOf(name);
  return k >= 0 ? Number(process.argv[k + 1]) : fallback;
};
const quick = process.argv.includes('--quick');
const ROWS = argument('--rows', quick ? 20_000 : 400_000);
const COLS = argument('--cols', quick ? 20 : 100);
const DENSITY = 0.2;
const INDEX = path.resolve(__dirname, '..', 'src', 'index.js');
const MPI_ENV = { ...process.env, OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1' };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'softnewton-bench-mpi-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

interface RankReport {
  method: string;
  iterations: number;
  secondsPerIteration: number;
  sparsePerIteration: number;
  sketchPerIteration: number;
  densePerIteration: number;
  allreduces: number;
  bytes: number;
  innerIterations: number;
  backtracks: number;
  /** Iterations that formed a new Hessian approximation (newton-pcg keeps its preconditioner otherwise: secondsSketch 0). */
  grams: number;
  nnz: number;
}

/** The script every rank runs: solves, then (2 ranks) timed allreduces for the α–β fit. */
const SCRIPT = `
const { distributed } = require(${JSON.stringify(INDEX)});
(async () => {
  const comm = await distributed.init();
  const shard = await distributed.readShard(comm, process.argv[2], { cols: ${COLS}, scale: 'n' });
  const reports = [];
  for (const options of [{ method: 'newton', tol: 1e-10, threads: 1 }, { method: 'newton-pcg', sketch: 'countsketch', tol: 1e-10, threads: 1 }]) {
    const r = await distributed.solve(shard, options);
    const rows = r.trace.slice(1);
    const med = (f) => { const v = rows.map(f).sort((a, b) => a - b); return v[Math.floor(v.length / 2)] ?? 0; };
    reports.push({
      method: options.method, iterations: r.iterations, secondsPerIteration: med((t) => t.seconds),
      sparsePerIteration: med((t) => t.secondsSparse), sketchPerIteration: med((t) => t.secondsSketch), densePerIteration: med((t) => t.secondsDense),
      allreduces: r.communication.allreduces, bytes: r.communication.bytes,
      innerIterations: rows.reduce((s, t) => s + t.innerIterations, 0), backtracks: rows.reduce((s, t) => s + t.backtracks, 0),
      grams: rows.filter((t) => t.secondsSketch > 0).length,
      nnz: shard.problem.nnz,
    });
  }
  const timings = [];
  if (comm.size > 1) {
    for (const count of [1, 16, 256, 4096, ${COLS * COLS}, 65536]) {
      const v = new Float64Array(count);
      const repeats = Math.max(5, Math.min(2000, Math.floor(2e6 / (count + 100))));
      comm.sum(v);
      const start = process.hrtime.bigint();
      for (let k = 0; k < repeats; k++) comm.sum(v);
      timings.push({ bytes: 8 * count, seconds: Number(process.hrtime.bigint() - start) / 1e9 / repeats });
    }
  }
  if (comm.rank === 0) process.stdout.write(JSON.stringify({ reports, timings }) + '\\n');
  comm.finalize();
})();
`;

function launch(ranks: number, data: string): { reports: RankReport[]; timings: { bytes: number; seconds: number }[] } {
  const script = path.join(dir, 'rank.js');
  fs.writeFileSync(script, SCRIPT);
  const r = spawnSync('mpirun', ['-np', String(ranks), '--oversubscribe', process.execPath, script, data], {
    encoding: 'utf8', env: MPI_ENV, maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`mpirun -np ${ranks} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim());
}

/**
 * t = α + β·bytes by least squares on relative errors (weights 1/t²): the timings span four orders
 * of magnitude, and plain least squares would fit the largest messages and leave α meaningless.
 */
function fitAlphaBeta(points: { bytes: number; seconds: number }[]): { alpha: number; beta: number } {
  let s00 = 0, s01 = 0, s11 = 0, r0 = 0, r1 = 0;
  for (const p of points) {
    const w = 1 / (p.seconds * p.seconds);
    s00 += w;
    s01 += w * p.bytes;
    s11 += w * p.bytes * p.bytes;
    r0 += w * p.seconds;
    r1 += w * p.bytes * p.seconds;
  }
  const det = s00 * s11 - s01 * s01;
  return { alpha: Math.max((r0 * s11 - r1 * s01) / det, 0), beta: Math.max((s00 * r1 - s01 * r0) / det, 0) };
}

async function main(): Promise<void> {
  const d = COLS;
  console.log(`# Distributed solves over MPI: n = ${ROWS}, d = ${d}, density ${DENSITY}\n${load()}\n`);
  const p = generatePlanted({ rows: ROWS, cols: d, density: DENSITY, noise: 0.01, seed: 1 });
  const data = path.join(dir, 'data.svm');
  await writeLibsvm(data, p.C, p.b);
  const one = launch(1, data);
  const two = launch(2, data);

  console.log('## 1. Strong scaling (seconds per iteration, median over the iterations; rank 0)\n');
  console.log(table(['method', 'iterations 1/2', '1 rank s/it', '2 ranks s/it', 'speed-up'], one.reports.map((r1, k) => {
    const r2 = two.reports[k];
    return [r1.method, `${r1.iterations}/${r2.iterations}`, r1.secondsPerIteration, r2.secondsPerIteration, r1.secondsPerIteration / r2.secondsPerIteration];
  })));

  console.log('\n## 2. Bytes per iteration per rank: measured (the reduction\'s own count) against the formula\n');
  // docs/distributed.md: a loss evaluation reduces 5 numbers (softmax max 1, sum 1; loss, α, γ 3);
  // an accepted point 2 (α, γ with derivatives; not at the start) and 3d (∇L and CᵀU); the Gram d²;
  // a CG step d + 2. newton-pcg reduces a d × d Gram only in the iterations that form a new
  // preconditioner (docs/performance.md).
  const rows = two.reports.map((r) => {
    const evaluations = r.iterations + 1 + r.backtracks; // the start, and each line-search trial
    const accepted = r.iterations + 1; // points whose gradient and CᵀU were formed
    const formula = 8 * (5 * evaluations + 3 * d * accepted + 2 * r.iterations + r.grams * d * d + r.innerIterations * (d + 2));
    return [r.method, r.iterations, r.bytes / r.iterations, formula / r.iterations, r.bytes / formula];
  });
  console.log(table(['method', 'iterations', 'measured B/it', 'formula B/it', 'ratio'], rows));

  console.log('\n## 3. α–β model and a projection (NOT a measurement) for n = 10⁹ rows\n');
  const { alpha, beta } = fitAlphaBeta(two.timings);
  console.log(table(['allreduce bytes', 'seconds (2 ranks)', 'model α + β·bytes'], two.timings.map((t) => [t.bytes, t.seconds, alpha + beta * t.bytes])));
  console.log(`\nfitted on this machine (shared memory, 2 processes): α = ${fmt(alpha * 1e6)} µs, β = ${fmt(beta * 1e9)} ns/byte (${fmt(1 / beta / 1e9)} GB/s)`);
  // Compute per iteration on one rank, fitted from the 1-rank exact-newton run: the passes over C
  // scale with the rank's non-zeros, the exact Gram Σ nnz(row)² with its rows, and the d × d part
  // (Cholesky, solves, the Gram's allreduce aside) with neither.
  const newton = one.reports[0];
  const perNnz = newton.sparsePerIteration / newton.nnz;
  const gramPerRow = newton.sketchPerIteration / ROWS;
  const dense = newton.densePerIteration;
  const bytesPerIt = two.reports[0].bytes / two.reports[0].iterations;
  const callsPerIt = two.reports[0].allreduces / two.reports[0].iterations;
  console.log(`compute per iteration (exact newton, 1 rank): ${fmt(perNnz * 1e9)} ns per non-zero (passes over C), ${fmt(gramPerRow * 1e9)} ns per row (the exact Gram), ${fmt(dense)} s for the d × d work`);
  const N = 1e9;
  const nnzTotal = N * d * DENSITY;
  // Allreduce of m bytes on P ranks (recursive doubling / ring): ⌈log₂P⌉·α + 2·(P−1)/P·m·β.
  const network = { alpha: 5e-6, beta: 1 / 3e9 };
  const project = (P: number, a: number, b: number) => ({
    compute: perNnz * (nnzTotal / P) + gramPerRow * (N / P) + dense,
    comm: callsPerIt * Math.ceil(Math.log2(P)) * a + ((2 * (P - 1)) / P) * bytesPerIt * b,
  });
  const projection = [16, 32, 64, 128, 256].map((P) => {
    const local = project(P, alpha, beta);
    const cluster = project(P, network.alpha, network.beta);
    return [P, N / P, local.compute, local.comm, cluster.comm, local.compute + cluster.comm];
  });
  console.log(`\nPROJECTION (arithmetic on the constants above, exact newton, d = ${d}, density ${DENSITY}, ${fmt(bytesPerIt)} B and ${fmt(callsPerIt)} allreduces per iteration):`);
  console.log(table(['machines P', 'rows per machine', 'compute s/it', 'comm s/it (this machine α, β)', `comm s/it (assumed network: α ${network.alpha * 1e6} µs, ${1 / network.beta / 1e9} GB/s)`, 'total s/it (assumed network)'], projection));
  console.log('\nThe compute column extrapolates this machine\'s one-thread per-non-zero and per-row rates linearly to 10⁹/P rows per machine\n' +
    '(threads on each machine would divide it further);\n' +
    'the communication term does not depend on n. Both are projections from a 2-process measurement, not measurements at scale.');
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
