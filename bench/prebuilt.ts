// Is the prebuilt addon as fast as a build for this CPU? The shipped addon (our code compiled for
// the x86-64 baseline, hot loops dispatched at run time — native/core/dispatch.h — and OpenBLAS
// linked statically, which picks its kernel at run time) against the same sources compiled for
// -march=x86-64-v3 without dispatch (the build before issue 14), side by side in one process,
// alternating runs, median of each: loss + gradient on a sparse and a dense problem, and one
// Newton solve. Both must give the same loss and solution to rounding.
//
//   bash bench/setup.sh                     # builds build/Release/bench/softnewton_v3.node
//   node dist/bench/prebuilt.js             # on an idle machine
//   node dist/bench/prebuilt.js --quick     # tiny sizes: proves that it runs
//   node dist/bench/prebuilt.js --scale 0.2 # the problems' row counts × 0.2
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { generatePlanted, Problem } from '../src';
import { resolveSolveOptions } from '../src/solve';
import type { CpuFeatures, NativeAddon, NativeProblem } from '../src/native';

const ROOT = path.resolve(__dirname, '..', '..');
const quick = process.argv.includes('--quick');
const REPEATS = quick ? 3 : 15;

function load(file: string): NativeAddon {
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run bash bench/setup.sh`);
  return require(file) as NativeAddon;
}

// build/Release/softnewton.node is the binary npm pack ships (scripts/prebuild.sh only strips it);
// prebuilds/ may be older than the sources, so it is not used here.
const variants: { name: string; file: string; addon: NativeAddon }[] = [
  { name: 'prebuilt (x86-64 + dispatch)', file: path.join(ROOT, 'build', 'Release', 'softnewton.node'), addon: undefined! },
  { name: '-march=x86-64-v3', file: path.join(ROOT, 'build', 'Release', 'bench', 'softnewton_v3.node'), addon: undefined! },
];
for (const v of variants) v.addon = load(v.file);

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function seconds(f: () => void): number {
  const t = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

/** Runs each variant's `work` REPEATS times, alternating, after one warm-up each; medians in seconds. */
function race(work: (addon: NativeAddon, handle: NativeProblem) => void, handles: NativeProblem[]): number[] {
  const times: number[][] = variants.map(() => []);
  variants.forEach((v, i) => work(v.addon, handles[i]));
  for (let r = 0; r < REPEATS; ++r) {
    for (let i = 0; i < variants.length; ++i) {
      const j = r % 2 ? variants.length - 1 - i : i;
      times[j].push(seconds(() => work(variants[j].addon, handles[j])));
    }
  }
  return times.map(median);
}

const [one, five] = os.loadavg();
console.log(`load average ${one.toFixed(2)} (1 min), ${five.toFixed(2)} (5 min) on ${os.cpus().length} cores; ${os.cpus()[0]?.model}`);
for (const v of variants) {
  const f: CpuFeatures = v.addon.cpuFeatures();
  console.log(`${v.name}: ${path.relative(ROOT, v.file)} (baseline ${f.baseline}, dispatch ${f.dispatch ? `on, clone ${f.clone}` : 'off'}, OpenBLAS ${f.blasCore})`);
}
console.log('');

const scaleArg = process.argv.indexOf('--scale');
const scale = scaleArg > 0 ? Number(process.argv[scaleArg + 1]) : quick ? 0.01 : 1;
const cases = [
  { kind: 'sparse', options: { rows: Math.round(500000 * scale), cols: 200, density: 0.05, seed: 1 } },
  { kind: 'dense', options: { rows: Math.round(100000 * scale), cols: 100, density: 1, seed: 2 } },
].map((c) => ({ ...c, name: `${c.kind}, n=${c.options.rows} d=${c.options.cols}${c.kind === 'sparse' ? `, ${c.options.density * c.options.cols} nnz/row` : ''}` }));
const rows: string[] = ['| problem | kernel | prebuilt | x86-64-v3 | prebuilt / v3 |', '| --- | --- | --- | --- | --- |'];
for (const c of cases) {
  const p = generatePlanted(c.options);
  const problem = new Problem(p.C, p.b, p.model);
  const spec = problem.spec();
  const handles = variants.map((v) => new v.addon.NativeProblem(spec));
  const x = new Float64Array(problem.cols).map((_, j) => 0.1 * Math.sin(j + 1));

  const losses = handles.map((h) => h.evaluate(x).loss);
  if (Math.abs(losses[0] - losses[1]) > 1e-12 * Math.abs(losses[1])) throw new Error(`${c.name}: the losses differ: ${losses}`);
  const evalTimes = race((_, h) => void h.evaluate(x), handles);

  const options = resolveSolveOptions(problem, { method: 'newton', tol: 1e-10, xStar: p.xStar });
  const solutions: Float64Array[] = [];
  const solveTimes = race((addon, h) => {
    const r = addon.solveSync(h, options) as { x: Float64Array; converged: boolean };
    if (!r.converged) throw new Error(`${c.name}: the Newton solve did not converge`);
    solutions.push(r.x);
  }, handles);
  const [a, b] = [solutions[0], solutions[1]];
  const gap = Math.max(...Array.from(a, (v, j) => Math.abs(v - b[j])));
  if (gap > 1e-8) throw new Error(`${c.name}: the solutions differ by ${gap}`);

  const line = (kernel: string, t: number[]) => `| ${c.name} | ${kernel} | ${(t[0] * 1e3).toFixed(2)} ms | ${(t[1] * 1e3).toFixed(2)} ms | ${(t[0] / t[1]).toFixed(3)} |`;
  rows.push(line('loss + gradient', evalTimes), line('Newton solve to 1e-10', solveTimes));
}
console.log(rows.join('\n'));
console.log(`\nmedians of ${REPEATS} alternating runs after a warm-up; a ratio above 1 means the prebuilt is slower.`);
