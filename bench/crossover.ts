/**
 * The crossover map (issue 10): over a grid of n, d, density and conditioning, which method reaches
 * ‖∇L‖ ≤ 1e-8·‖∇L(x₀)‖ first and by how much, beside what the cost model predicts (`auto` for
 * newton-pcg, native/core/sketch/sketch.cc preconditionerCosts: both whole solves priced in dense
 * entries streamed, docs/performance.md), turned into seconds at a pass rate measured in the run.
 *
 *   node dist/bench/run.js --only crossover            (part of npm run bench)
 *
 * Every cell is a planted problem (softmax-unit, sigmoid, a = n) solved once per method, each
 * method's own wall time. The phase diagram (crossover.svg) colours each cell by its winner.
 */
import * as os from 'node:os';
import { plantedProblem, solveSync, SolveOptions, SolveResult } from '../src';
import { renderSvg } from '../src/plot/svg';
import { native } from '../src/native';
import { fmt, load, log, newSection, Section, Settings, table } from './common';
import { passRate } from './floor';

// Within this factor the two Newton methods' order is not reproducible here: the same cell moved by
// 5–10% between runs (docs/performance.md), so such a miss is reported as a tie, apart from a miss.
const TIE = 1.1;

const METHODS: [string, SolveOptions][] = [
  ['newton', { method: 'newton' }],
  ['newton-pcg countsketch', { method: 'newton-pcg', sketch: 'countsketch' }],
  ['approx-newton countsketch', { method: 'approx-newton', sketch: 'countsketch' }],
  ['lbfgs', { method: 'lbfgs', maxIter: 400 }],
  ['newton-pcg auto (default)', {}],
];

interface Cell {
  n: number; d: number; density: string; conditioning: number;
  seconds: Record<string, number>; iterations: Record<string, number>;
  winner: string; margin: number; autoChose: string; autoWasFastest: boolean;
  /** The chosen method's time over the faster one's, of exact Newton and CountSketch-PCG (1 when right). */
  autoCost: number;
  /** The cost model's prices of the two solves (native preconditionerCosts), in dense entries streamed. */
  model: { exact: number; sketch: number };
}

/** Seconds per model unit: a plain pass over dense rows (one thread, as the floor section times it),
 *  per entry, shared by the threads the solves use. The model's constants were fitted at about
 *  0.25 ns per unit on two threads (docs/performance.md). */
function secondsPerUnit(threads: number): number {
  const { problem } = plantedProblem({ rows: 100_000, cols: 200, density: 1, seed: 5, conditioning: 100 });
  return passRate(problem, 'multiply', 9).seconds / problem.nnz / threads;
}

export interface CrossoverSummary { cells: Cell[] }

export async function runCrossover(settings: Settings, sizes = { ns: [10_000, 100_000, 1_000_000], ds: [50, 200, 1000] }): Promise<{ section: Section; summary: CrossoverSummary }> {
  const section = newSection('9. Crossover map: which method wins where');
  section.markdown.push(`Load at start: ${load()}.`);
  const threads = os.cpus().length;
  const tau = secondsPerUnit(threads);
  const { ns, ds } = sizes;
  const grid: { density: string; perRow: (d: number) => number; conditioning: number }[] = [
    { density: 'sparse (min(20, d/5) per row)', perRow: (d) => Math.min(20, Math.floor(d / 5)), conditioning: 1 },
    { density: 'sparse (min(20, d/5) per row)', perRow: (d) => Math.min(20, Math.floor(d / 5)), conditioning: 100 },
    { density: 'dense', perRow: (d) => d, conditioning: 100 },
  ];
  const cells: Cell[] = [];
  for (const g of grid) {
    for (const n of ns) {
      for (const d of ds) {
        const perRow = g.perRow(d);
        // Dense cells beyond 2·10⁸ entries (1.6 GB) are left out: an exact Newton solve there takes minutes.
        if (n * perRow > 2e8) continue;
        log(`crossover: n=${n} d=${d} ${g.density} conditioning ${g.conditioning}`);
        const { problem } = plantedProblem({ rows: n, cols: d, density: perRow / d, seed: 91, conditioning: g.conditioning, unit: 'sigmoid' });
        const seconds: Record<string, number> = {}, iterations: Record<string, number> = {};
        let auto = '';
        // One discarded solve first: the first solve on fresh data paid up to 1 s more (dense n = 10⁶,
        // d = 200), which made whichever method ran first look slow.
        solveSync(problem, { seed: 1, tol: 1e-8, maxIter: 2 });
        for (const [label, o] of METHODS) {
          const r: SolveResult = solveSync(problem, { ...o, seed: 1, tol: 1e-8 });
          seconds[label] = r.converged ? r.seconds : Infinity;
          iterations[label] = r.iterations;
          if (label.startsWith('newton-pcg auto')) auto = r.trace[1]?.sketch ?? 'none';
        }
        const ranked = METHODS.map(([l]) => l).filter((l) => !l.includes('auto')).sort((a, b) => seconds[a] - seconds[b]);
        const winner = ranked[0];
        const margin = seconds[ranked[1]] / seconds[winner];
        const autoLabel = auto === 'none' ? 'newton' : 'newton-pcg countsketch';
        const fastestNewtonType = seconds['newton'] <= seconds['newton-pcg countsketch'] ? 'newton' : 'newton-pcg countsketch';
        const costs = native().preconditionerCosts(problem.handle);
        cells.push({
          n, d, density: g.density, conditioning: g.conditioning, seconds, iterations, winner, margin,
          autoChose: autoLabel, autoWasFastest: autoLabel === fastestNewtonType,
          autoCost: seconds[autoLabel] / seconds[fastestNewtonType],
          model: { exact: costs.exact, sketch: costs.sketch },
        });
      }
    }
  }
  section.markdown.push(
    `Each cell: a planted problem (softmax-unit, sigmoid, a = n, seed 91), every method from the same start to ‖∇L‖ ≤ 1e-8·‖∇L(x₀)‖ ` +
      `(∞: not reached; L-BFGS gets 400 iterations), on ${os.cpus().length} cores with the default threads. ` +
      `"auto chose" is the cost model's prediction between exact Newton and CountSketch-preconditioned CG; "right" when that is the faster of the two here. ` +
      `The cost model prices whole solves in dense entries streamed: exact = 2.5 iterations × (Gram + factor + 3 passes), sketch = 3 iterations × 3 passes + (1 + steps(k/d)) passes + one k × d Gram and factor, with newton-pcg's default k; newton-pcg is chosen when 15% cheaper (docs/performance.md). ` +
      `"model s" turns the two prices into seconds at τ = ${fmt(tau * 1e9)} ns per unit: a plain pass over dense rows timed now on one thread, per entry, divided by the ${threads} threads; ` +
      `"newton ÷ pcg" sets the model's ratio beside the measured one (above 1: newton-pcg faster).\n\n` +
      table(['n', 'd', 'rows', 'cond.', ...METHODS.map(([l]) => `${l} s (it)`), 'winner', 'by', 'model s newton / pcg', 'newton ÷ pcg model / measured', 'auto chose', 'right?'], cells.map((c) => [
        c.n, c.d, c.density.startsWith('dense') ? 'dense' : 'sparse', c.conditioning,
        ...METHODS.map(([l]) => `${Number.isFinite(c.seconds[l]) ? fmt(c.seconds[l]) : '∞'} (${c.iterations[l]})`),
        c.winner, `${c.margin.toFixed(2)}×`,
        `${fmt(c.model.exact * tau)} / ${fmt(c.model.sketch * tau)}`,
        `${(c.model.exact / c.model.sketch).toFixed(2)} / ${(c.seconds['newton'] / c.seconds['newton-pcg countsketch']).toFixed(2)}`,
        c.autoChose, c.autoWasFastest ? 'yes' : c.autoCost <= TIE ? `tie (${c.autoCost.toFixed(2)}×)` : `no (${c.autoCost.toFixed(2)}×)`,
      ])),
  );
  const right = cells.filter((c) => c.autoWasFastest).length;
  const ties = cells.filter((c) => !c.autoWasFastest && c.autoCost <= TIE).length;
  section.markdown.push(
    `auto picked the faster of exact Newton and CountSketch-preconditioned CG in ${right} of ${cells.length} cells; ` +
      `in ${ties} more its choice was within ${Math.round((TIE - 1) * 100)}% of the faster ("tie": on this machine such cells change winner from run to run), ` +
      `and in ${cells.length - right - ties} it cost more than that (the factor in brackets).`,
  );
  section.figures['crossover auto right'] = `${right}/${cells.length}`;
  section.markdown.push('![crossover](crossover.svg)');
  section.extraFiles = { 'crossover.svg': await phaseDiagram(cells) };
  section.markdown.push(`Load at end: ${load()}.`);
  return { section, summary: { cells } };
}

/** The phase diagram: one panel per (density, conditioning), d across, n up, colour = winner, label = margin. */
async function phaseDiagram(cells: Cell[]): Promise<string> {
  const ds = [...new Set(cells.map((c) => String(c.d)))];
  const values = cells.map((c) => ({
    panel: `${c.density.startsWith('dense') ? 'dense' : 'sparse'}, conditioning ${c.conditioning}`,
    d: String(c.d), n: c.n.toExponential(0).replace('+', ''), winner: c.winner, label: `${c.margin.toFixed(1)}×`,
  }));
  return renderSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'Fastest method to 1e-8 (label: margin over the runner-up)' },
    data: { values },
    facet: { column: { field: 'panel', type: 'nominal', title: null } },
    spec: {
      width: 180, height: 150,
      layer: [
        { mark: 'rect', encoding: { x: { field: 'd', type: 'ordinal', sort: ds }, y: { field: 'n', type: 'ordinal', sort: 'descending' }, color: { field: 'winner', type: 'nominal', scale: { domain: METHODS.map(([l]) => l).filter((l) => !l.includes('auto')) }, legend: { labelLimit: 320 } } } },
        { mark: { type: 'text', fontSize: 11 }, encoding: { x: { field: 'd', type: 'ordinal', sort: ds }, y: { field: 'n', type: 'ordinal', sort: 'descending' }, text: { field: 'label' } } },
      ],
    },
    config: { background: 'white', font: 'DejaVu Sans, Helvetica, Arial, sans-serif' },
  } as never);
}
