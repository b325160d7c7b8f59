/**
 * Issue 10's targets, each a ratio measured side by side in this one run (docs/performance.md):
 *
 *   node dist/bench/targets.js [--only lossgrad,threads,scipy,paper] [--out bench/TARGETS.md]
 *
 * 1. lossgrad: Problem.lossAndGradient against plain C loops over the same CSR data (two OpenMP
 *    threads, libm exp: bench/floor/lossgrad.cc), alternating round by round, each side in a fresh
 *    process every round (bench/floor/lossgrad-ours.ts).
 * 2. threads: the default solve with threads 2 against threads 1 on a pass-bound sparse problem,
 *    and whether the two give identical bits.
 * 3. scipy: against SciPy's fastest method to the same ‖∇L‖ (bench/scipy.ts), sparse and dense.
 * 4. paper: the paper's regime (dense n = 200k, d = 1000, conditioning 100, sigmoid, a = n): every
 *    Newton-type method, the fastest sketched one against exact Newton, the default against the fastest.
 * Run it on an idle machine; `uptime` is recorded before and after each section.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generatePlanted, plantedProblem, Problem, solveSync, SolveOptions, SolveResult } from '../src';
import { isDense } from '../src/matrix';
import { fmt, load, log, median, Settings, table } from './common';
import { runScipy } from './scipy';

const ROOT = path.resolve(__dirname, '..', '..');

function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function uptime(): string {
  return `load ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}`;
}

/** Builds the floor program once (g++ with OpenMP). */
function floorBinary(outDir: string): string {
  const exe = path.join(outDir, 'lossgrad-floor');
  const src = path.join(ROOT, 'bench', 'floor', 'lossgrad.cc');
  if (!fs.existsSync(exe) || fs.statSync(exe).mtimeMs < fs.statSync(src).mtimeMs) {
    execFileSync('g++', ['-O2', '-std=c++17', '-fopenmp', src, '-o', exe], { stdio: 'inherit' });
  }
  return exe;
}

function lossgrad(outDir: string, md: string[]): void {
  md.push('## 1. lossAndGradient against plain C loops (2 OpenMP threads, libm exp)', '', `Before: ${uptime()}.`, '');
  const exe = floorBinary(outDir);
  const shapes: [string, number, number, number][] = [
    ['n=300k d=120 6/row', 300_000, 120, 6],
    ['n=200k d=400 40/row', 200_000, 400, 40],
  ];
  const rows: (string | number)[][] = [];
  for (const [name, n, d, perRow] of shapes) {
    log(`targets: lossgrad ${name}`);
    const { problem, xStar } = plantedProblem({ rows: n, cols: d, density: perRow / d, seed: 7, conditioning: 100 });
    const C = problem.C;
    if (isDense(C)) throw new Error('expected CSR');
    const dir = fs.mkdtempSync(path.join(outDir, 'floor-'));
    fs.writeFileSync(path.join(dir, 'indptr.bin'), Buffer.from(C.indptr.buffer, C.indptr.byteOffset, C.indptr.byteLength));
    fs.writeFileSync(path.join(dir, 'indices.bin'), Buffer.from(C.indices.buffer, C.indices.byteOffset, C.indices.byteLength));
    fs.writeFileSync(path.join(dir, 'values.bin'), Buffer.from(C.values.buffer, C.values.byteOffset, C.values.byteLength));
    fs.writeFileSync(path.join(dir, 'b.bin'), Buffer.from(problem.b.buffer, problem.b.byteOffset, problem.b.byteLength));
    const x = new Float64Array(xStar).map((v, j) => v * 0.9 + 0.01 * Math.sin(j));
    fs.writeFileSync(path.join(dir, 'x.bin'), Buffer.from(x.buffer));
    const a = problem.scale[0];
    const floor: number[] = [], ours: number[] = [];
    let floorLoss = NaN, ourLoss = NaN;
    // Each side in a fresh process every round (bench/floor/lossgrad-ours.ts says why).
    const oursScript = path.join(__dirname, 'floor', 'lossgrad-ours.js');
    for (let round = 0; round < 7; round++) {
      const out = JSON.parse(execFileSync(exe, [dir, String(n), String(d), String(a), '15'], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '2' } }));
      floor.push(out.seconds);
      floorLoss = out.loss;
      const our = JSON.parse(execFileSync(process.execPath, [oursScript, dir, String(n), String(d), String(a), problem.model, problem.unit, '15'], { encoding: 'utf8' }));
      ours.push(our.seconds);
      ourLoss = our.loss;
    }
    fs.rmSync(dir, { recursive: true, force: true });
    const f = median(floor), o = median(ours);
    rows.push([name, problem.nnz, f * 1e3, o * 1e3, `${(o / f).toFixed(2)}×`, fmt(Math.abs(ourLoss - floorLoss) / Math.abs(floorLoss))]);
  }
  md.push(table(['shape', 'nnz', 'C loops ms', 'lossAndGradient ms', 'ratio (goal ≤ 1.25×)', 'loss rel. diff'], rows), '', `After: ${uptime()}.`, '');
}

function timedSolves(problem: Problem, options: SolveOptions, repeats: number): { seconds: number; result: SolveResult } {
  const times: number[] = [];
  let result!: SolveResult;
  for (let r = 0; r < repeats; r++) {
    result = solveSync(problem, options);
    times.push(result.seconds);
  }
  return { seconds: median(times), result };
}

function threads(md: string[]): void {
  md.push('## 2. The default solve, threads 2 against threads 1', '', `Before: ${uptime()}.`, '');
  log('targets: threads');
  const { problem } = plantedProblem({ rows: 400_000, cols: 200, density: 0.1, seed: 11, conditioning: 100 });
  const one: number[] = [], two: number[] = [];
  let r1!: SolveResult, r2!: SolveResult;
  for (let round = 0; round < 3; round++) {
    r1 = solveSync(problem, { threads: 1, seed: 1 });
    one.push(r1.seconds);
    r2 = solveSync(problem, { threads: 2, seed: 1 });
    two.push(r2.seconds);
  }
  const identical = r1.x.every((v, j) => Object.is(v, r2.x[j])) && r1.iterations === r2.iterations;
  md.push(
    table(['problem', 'threads 1 s', 'threads 2 s', 'speed-up (goal ≥ 1.6×)', 'identical bits', 'iterations', 'sketch'], [
      ['sparse n=400k d=200 20/row, conditioning 100', median(one), median(two), `${(median(one) / median(two)).toFixed(2)}×`, identical ? 'yes' : 'NO', r2.iterations, r2.trace[1]?.sketch ?? ''],
    ]),
    '', `After: ${uptime()}.`, '',
  );
}

async function scipy(settings: Settings, md: string[]): Promise<void> {
  md.push('## 3. Against SciPy', '', `Before: ${uptime()}.`, '');
  const { section } = await runScipy(settings, [
    ['sparse n=300k d=120 (6/row) conditioning 100', { rows: 300_000, cols: 120, density: 0.05, seed: 51, conditioning: 100 }],
    ['sparse n=300k d=120 (6/row) conditioning 1', { rows: 300_000, cols: 120, density: 0.05, seed: 51, conditioning: 1 }],
    ['dense n=100k d=200 conditioning 100', { rows: 100_000, cols: 200, density: 1, seed: 52, conditioning: 100 }],
  ], 'Against SciPy (issue 10 targets: ≥ 10×, ≥ 2.5×, ≥ 2×)');
  md.push(...section.markdown.slice(1), '', `After: ${uptime()}.`, '');
}

function paper(md: string[]): void {
  md.push('## 4. The paper\'s regime: dense n = 200k, d = 1000, conditioning 100, sigmoid, a = n', '', `Before: ${uptime()}.`, '');
  log('targets: paper regime (generating 1.6 GB of dense rows)');
  const { problem } = plantedProblem({ rows: 200_000, cols: 1000, density: 1, seed: 61, conditioning: 100, unit: 'sigmoid' });
  const methods: [string, SolveOptions][] = [
    ['newton (exact)', { method: 'newton' }],
    ['newton-pcg (default)', {}],
    ['newton-pcg countsketch', { method: 'newton-pcg', sketch: 'countsketch' }],
    ['newton-pcg osnap', { method: 'newton-pcg', sketch: 'osnap' }],
    ['approx-newton countsketch', { method: 'approx-newton', sketch: 'countsketch' }],
    ['approx-newton leverage', { method: 'approx-newton', sketch: 'leverage' }],
  ];
  const rows: (string | number)[][] = [];
  const seconds: Record<string, number> = {};
  for (const [label, o] of methods) {
    log(`targets: paper ${label}`);
    // Median of three for exact Newton and newton-pcg (seconds each; the machine's memory rate
    // wanders by ±10% from run to run), one run for approx-newton (17 s each).
    const repeats = label.startsWith('approx-newton') ? 1 : 3;
    const { seconds: s, result } = timedSolves(problem, { ...o, seed: 1, tol: 1e-8, maxIter: 200 }, repeats);
    seconds[label] = result.converged ? s : Infinity;
    const sketchRows = result.trace[1]?.sketchRows ?? 0;
    const inner = result.trace.reduce((t, r) => t + r.innerIterations, 0);
    rows.push([label, s, result.iterations, inner, result.trace[1]?.sketch ?? '', sketchRows, result.converged ? result.stopReason : `NOT: ${result.stopReason}`]);
  }
  const exact = seconds['newton (exact)'];
  const sketched = Object.entries(seconds).filter(([k]) => !k.startsWith('newton (exact)') && k !== 'newton-pcg (default)').sort((a, b) => a[1] - b[1])[0];
  const fastest = Math.min(...Object.values(seconds));
  md.push(
    'Seconds: the solve\'s own wall time, median of 3 solves (approx-newton: 1 solve).', '',
    table(['method', 'seconds', 'iterations', 'CG steps', 'sketch', 'k', 'stop'], rows), '',
    `Fastest sketched method: ${sketched[0]}, ${(exact / sketched[1]).toFixed(2)}× faster than exact Newton (goal ≥ 3×). ` +
      `The default: ${(seconds['newton-pcg (default)'] / fastest).toFixed(2)}× the fastest method's time (goal ≤ 1.2×).`,
    '', `After: ${uptime()}.`, '',
  );
}

async function main(): Promise<void> {
  const only = (argValue('--only') ?? 'lossgrad,threads,scipy,paper').split(',');
  const outDir = path.join(ROOT, 'bench', 'out');
  fs.mkdirSync(outDir, { recursive: true });
  const settings: Settings = { full: false, outDir, reportDir: path.join(ROOT, 'bench') };
  const md: string[] = [
    '# Issue 10 targets', '',
    `Measured by \`node dist/bench/targets.js${only.length < 4 ? ` --only ${only.join(',')}` : ''}\` on ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ${new Date().toISOString()}. Start: ${load()}.`, '',
  ];
  if (only.includes('lossgrad')) lossgrad(outDir, md);
  if (only.includes('threads')) threads(md);
  if (only.includes('scipy')) await scipy(settings, md);
  if (only.includes('paper')) paper(md);
  const out = argValue('--out') ?? path.join(outDir, 'TARGETS.md');
  fs.writeFileSync(out, md.join('\n') + '\n');
  process.stdout.write(md.join('\n') + '\n');
}

void generatePlanted;
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
