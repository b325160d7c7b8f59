/**
 * Leak check: many solves in one process, with resident memory (RSS), the V8 heap and external
 * (ArrayBuffer) memory sampled after a full garbage collection every `--every` solves.
 *
 *   node --expose-gc dist/bench/leak.js                 # 10 000 solves, a table on stdout
 *   node --expose-gc dist/bench/leak.js --solves 2000 --json
 *   node --expose-gc dist/bench/leak.js --solves 2000 --retain   # a deliberate leak: must show
 *
 * Each solve cycles through every method and sketch, alternating solve() (libuv's thread pool,
 * with an onIteration callback and an AbortSignal) and solveSync(); every 25th solve builds a fresh
 * Problem (so native handles and their references to the arrays are created and released), calls
 * its evaluate/hessian/pieces, and one solve in 50 is aborted mid-way. The first `--warmup` solves
 * (default 10%) are excluded: the allocator's arenas and V8's heap grow to their working size there.
 *
 * Reported: RSS at the end of the warm-up and at the end, the growth between, and the least-squares
 * slope of RSS over the samples after the warm-up (bytes per 1000 solves). A leak of one trace per
 * solve (~2 KB) would show as ~2 MB per 1000 solves; the growth here is allocator noise.
 */
import { plantedProblem, Problem, solve, solveSync, SolveOptions } from '../src';

interface Sample {
  solves: number;
  rss: number;
  /** V8's committed heap: it grows to a working size and stays; heapUsed is what is live. */
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

interface Report {
  solves: number;
  warmup: number;
  seconds: number;
  baselineRss: number;
  finalRss: number;
  growthRss: number;
  slopeRssPer1000: number;
  baselineHeap: number;
  finalHeap: number;
  growthHeap: number;
  growthExternal: number;
  samples: Sample[];
}

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`--${name}: expected a non-negative integer`);
  return value;
}

const gc = (globalThis as { gc?: () => void }).gc;

function sample(solves: number): Sample {
  if (gc) {
    gc();
    gc();
  }
  const m = process.memoryUsage();
  return { solves, rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

function slope(points: Sample[]): number {
  if (points.length < 2) return 0;
  const mx = points.reduce((s, p) => s + p.solves, 0) / points.length;
  const my = points.reduce((s, p) => s + p.rss, 0) / points.length;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.solves - mx) * (p.rss - my);
    den += (p.solves - mx) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 1000;
}

const RUNS: SolveOptions[] = [
  { method: 'newton-pcg' },
  { method: 'approx-newton', sketch: 'leverage' },
  { method: 'approx-newton', sketch: 'countsketch' },
  { method: 'approx-newton', sketch: 'osnap', osnapNonzeros: 2 },
  { method: 'approx-newton', sketch: 'uniform' },
  { method: 'newton' },
  { method: 'gd', maxIter: 30 },
  { method: 'lbfgs' },
];

/** `retain`: keep every result alive (a deliberate leak, to show the check detects one). */
export async function leakCheck(solves: number, every: number, warmup: number, retain = false): Promise<Report> {
  const kept: unknown[] = [];
  const started = Date.now();
  const make = (seed: number): Problem => plantedProblem({ rows: 300, cols: 8, density: 0.6, seed, unit: 'sigmoid' }).problem;
  let problem = make(1);
  const x = new Float64Array(8).fill(0.05);
  const samples: Sample[] = [sample(0)];
  for (let s = 1; s <= solves; s++) {
    const options: SolveOptions = { ...RUNS[s % RUNS.length], seed: s, tol: 1e-9 };
    if (s % 25 === 0) {
      problem = make(s);
      problem.evaluate(x);
      problem.hessian(x);
      problem.pieces(x);
    }
    if (s % 2 === 0) {
      const controller = new AbortController();
      let rows = 0;
      const abort = s % 50 === 0;
      try {
        await solve(problem, {
          ...options,
          signal: controller.signal,
          onIteration: () => {
            if (abort && ++rows === 2) controller.abort();
          },
        });
      } catch (error) {
        if (!(abort && error instanceof Error && error.name === 'AbortError')) throw error;
      }
    } else {
      const result = solveSync(problem, options);
      if (retain) kept.push(result, new Float64Array(8192));
    }
    if (s % every === 0 || s === solves) samples.push(sample(s));
  }
  const afterWarmup = samples.filter((p) => p.solves >= warmup);
  const base = afterWarmup[0] ?? samples[0];
  const last = samples[samples.length - 1];
  return {
    solves,
    warmup,
    seconds: (Date.now() - started) / 1000,
    baselineRss: base.rss,
    finalRss: last.rss,
    growthRss: last.rss - base.rss,
    slopeRssPer1000: slope(afterWarmup),
    baselineHeap: base.heapUsed,
    finalHeap: last.heapUsed,
    growthHeap: last.heapUsed - base.heapUsed,
    growthExternal: last.external - base.external,
    samples,
  };
}

const MiB = 1024 * 1024;
const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;

async function main(): Promise<void> {
  const solves = flag('solves', 10_000);
  const every = Math.max(1, flag('every', Math.max(1, Math.floor(solves / 20))));
  const warmup = flag('warmup', Math.floor(solves / 10));
  if (!gc) process.stderr.write('leak: run with node --expose-gc for exact samples (without it, garbage not yet collected counts)\n');
  const report = await leakCheck(solves, every, warmup, process.argv.includes('--retain'));
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  process.stdout.write(`${'solves'.padStart(8)} ${'rss'.padStart(11)} ${'heapTotal'.padStart(11)} ${'heapUsed'.padStart(11)} ${'external'.padStart(11)}\n`);
  for (const p of report.samples) {
    process.stdout.write(`${String(p.solves).padStart(8)} ${mib(p.rss).padStart(11)} ${mib(p.heapTotal).padStart(11)} ${mib(p.heapUsed).padStart(11)} ${mib(p.external).padStart(11)}\n`);
  }
  process.stdout.write(
    `\n${solves} solves in ${report.seconds.toFixed(1)} s; after the warm-up (${warmup} solves): ` +
      `RSS ${mib(report.baselineRss)} → ${mib(report.finalRss)} (${report.growthRss >= 0 ? '+' : ''}${mib(report.growthRss)}), ` +
      `slope ${(report.slopeRssPer1000 / 1024).toFixed(1)} KiB per 1000 solves; ` +
      `heap ${report.growthHeap >= 0 ? '+' : ''}${mib(report.growthHeap)}, external ${report.growthExternal >= 0 ? '+' : ''}${mib(report.growthExternal)}\n`,
  );
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`${error instanceof Error ? error.stack : error}\n`);
    process.exitCode = 1;
  });
}
