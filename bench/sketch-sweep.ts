// The measurement behind the constant c of sketchRowsForEpsilon (native/core/sketch/sketch.cc):
// per sketch kind and k, the mean and worst spectral error over 10 seeds and the implied
// c′ = ε²·k / (d ln(d + 1)). About 10 s.
//
//   node dist/bench/sketch-sweep.js
import { plantedProblem } from '../src';
import { native } from '../src/native';

const addon = native();
const problems = [
  { name: 'n 20000 d 50 dense', ...plantedProblem({ rows: 20000, cols: 50, density: 1, seed: 7 }) },
  { name: 'n 20000 d 50 dense, heavy-tailed D', ...plantedProblem({ rows: 20000, cols: 50, density: 1, seed: 7, radius: Math.sqrt(50) }) },
  { name: 'n 4000 d 20 density 0.3, heavy-tailed D', ...plantedProblem({ rows: 4000, cols: 20, density: 0.3, seed: 7, radius: Math.sqrt(20) }) },
];
console.log('| problem | sketch | k | mean ε | worst ε | c′ |\n| --- | --- | --- | --- | --- | --- |');
for (const { name, problem, xStar } of problems) {
  const d = problem.cols;
  for (const kind of ['leverage', 'countsketch', 'osnap', 'uniform']) {
    for (const multiple of [10, 20, 50, 100]) {
      const k = multiple * d;
      if (k > problem.rows) continue;
      const errors: number[] = [];
      for (let seed = 1; seed <= 10; seed++) {
        const r = addon.sketchSpectrum(problem.handle, xStar, { kind, rows: k, seed });
        errors.push(Math.max(1 - r.minEig, r.maxEig - 1));
      }
      const worst = Math.max(...errors), mean = errors.reduce((a, b) => a + b) / errors.length;
      console.log(`| ${name} | ${kind} | ${multiple}d | ${mean.toFixed(3)} | ${worst.toFixed(3)} | ${((worst * worst * k) / (d * Math.log(d + 1))).toFixed(2)} |`);
    }
  }
}
