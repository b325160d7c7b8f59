// Which method reaches a tight tolerance fastest? Every method on the same problems, side by side
// in one run, median of `REPEATS` timed solves each. This decides the default method.
//
//   node dist/bench/methods.js [--quick]
import { median } from '../src/numeric';
import { generatePlanted, Problem, solveSync, SolveOptions } from '../src';

interface Case {
  name: string;
  problem: Problem;
}

function planted(name: string, options: Parameters<typeof generatePlanted>[0] & { w?: number }): Case {
  const p = generatePlanted(options);
  return { name, problem: new Problem(p.C, p.b, { ...p.model, w: options.w }) };
}

const quick = process.argv.includes('--quick');
const REPEATS = quick ? 1 : 3;
const scale = quick ? 0.25 : 1;
// Conditioning 100 (geometric column scales): the regime where the choice of method matters.
const cases: Case[] = [
  planted('dense rows, n=40000 d=100, cond 100', { rows: Math.round(40000 * scale), cols: 100, density: 1, seed: 1, conditioning: 100 }),
  planted('dense rows, n=100000 d=200, cond 100', { rows: Math.round(100000 * scale), cols: 200, density: 1, seed: 2, conditioning: 100 }),
  planted('sparse rows, n=200000 d=200 (4 nnz/row), cond 100', { rows: Math.round(200000 * scale), cols: 200, density: 0.02, seed: 3, conditioning: 100 }),
  planted('sigmoid, noisy, w=0.5, n=40000 d=100, cond 100', { rows: Math.round(40000 * scale), cols: 100, density: 1, seed: 4, unit: 'sigmoid', noise: 0.05, w: 0.5, conditioning: 100 }),
  planted('dense rows, n=40000 d=100, iid columns', { rows: Math.round(40000 * scale), cols: 100, density: 1, seed: 5 }),
];
const methods: [string, SolveOptions][] = [
  ['newton-pcg (auto)', { method: 'newton-pcg' }],
  ['approx-newton (auto)', { method: 'approx-newton' }],
  ['approx-newton (leverage)', { method: 'approx-newton', sketch: 'leverage' }],
  ['newton-pcg (osnap)', { method: 'newton-pcg', sketch: 'osnap' }],
  ['newton', { method: 'newton' }],
  ['lbfgs', { method: 'lbfgs', maxIter: 5000 }],
  ['gd', { method: 'gd', maxIter: 5000 }],
];


console.log(`# Time to ‖∇L‖ ≤ 1e-10·‖∇L(x₀)‖, median of ${REPEATS} (node dist/bench/methods.js${quick ? ' --quick' : ''})\n`);
console.log('| problem | method | seconds | iterations | CG steps | converged | × fastest |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const c of cases) {
  const rows: [string, number, number, number, boolean][] = [];
  for (const [name, options] of methods) {
    const seconds: number[] = [];
    let last;
    for (let r = 0; r < REPEATS; r++) {
      last = solveSync(c.problem, { ...options, tol: 1e-10, seed: 1 });
      seconds.push(last.seconds);
    }
    const inner = last!.trace.reduce((s, t) => s + t.innerIterations, 0);
    rows.push([name, median(seconds), last!.iterations, inner, last!.converged]);
  }
  const fastest = Math.min(...rows.filter((r) => r[4]).map((r) => r[1]));
  for (const [name, s, it, inner, ok] of rows) {
    console.log(`| ${c.name} | ${name} | ${s.toFixed(3)} | ${it} | ${inner || '-'} | ${ok ? 'yes' : 'no'} | ${(s / fastest).toFixed(2)} |`);
  }
}
