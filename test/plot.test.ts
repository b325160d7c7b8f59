/**
 * The SVG charts (src/plot/): the specification holds exactly the values it should (zeros and
 * missing distances left out, and said so), and the rendered SVG shows what it claims — one line per
 * run in each panel, the legend, the axis titles, and lines that fall as the values fall.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { InputError } from '../src/errors';
import { convergenceSpec, convergenceSvg, writeConvergencePlot } from '../src/plot/convergence';
import { lineChartSvg, writeSvg } from '../src/plot/svg';

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'softnewton-plot-'));
process.on('exit', () => fs.rmSync(workDir, { recursive: true, force: true }));

/** A linearly converging run: ‖∇L‖ = g0·rate^t, ‖x_t − x*‖ = rate^t (or null), the last distance exactly 0. */
function run(label: string, rate: number, steps: number, withDistance = true) {
  return {
    label,
    trace: Array.from({ length: steps + 1 }, (_, t) => ({
      iteration: t,
      gradNorm: 100 * rate ** t,
      distance: withDistance ? (t === steps ? 0 : rate ** t) : null,
    })),
  };
}

interface SpecData {
  title: { text: string; subtitle?: string[] };
  data: { values: Array<{ run: string; iteration: number; quantity: string; value: number }> };
  hconcat: unknown[];
}

test('the specification holds every positive value, one panel per quantity, and says what it left out', () => {
  const runs = [run('leverage', 0.3, 6), run('uniform', 0.5, 9)];
  const spec = convergenceSpec(runs, { title: 'T', subtitle: 'S', legend: 'sketch' }) as unknown as SpecData;
  assert.equal(spec.hconcat.length, 2);
  const values = spec.data.values;
  // Gradients: 7 + 10 values; distances: 6 + 9 positive (the final exact zeros are left out).
  assert.equal(values.filter((v) => v.quantity === '‖∇L(x_t)‖').length, 17);
  assert.equal(values.filter((v) => v.quantity === '‖x_t − x*‖').length, 15);
  assert.ok(values.every((v) => v.value > 0));
  assert.deepEqual(spec.title.subtitle, ['S', '2 zero values omitted (no place on a log scale)']);
  const noDistance = convergenceSpec([run('a', 0.5, 3, false)]) as unknown as SpecData;
  assert.equal(noDistance.hconcat.length, 1);
  assert.deepEqual(noDistance.title.subtitle, ['x* unknown: no distance panel (give x* to draw it)']);
  assert.throws(() => convergenceSpec([]), (e: unknown) => e instanceof InputError && e.field === 'runs');
});

/** The polylines of the SVG's line marks: arrays of [x, y] points, in document order. */
function linePaths(svg: string): Array<Array<[number, number]>> {
  const paths: Array<Array<[number, number]>> = [];
  const groups = svg.split('<g class="mark-line role-mark').slice(1);
  for (const group of groups) {
    const end = group.indexOf('</g>');
    for (const m of group.slice(0, end).matchAll(/<path[^>]* d="([^"]+)"/g)) {
      const points = [...m[1].matchAll(/[ML]\s*(-?[\d.]+(?:e-?\d+)?)[, ](-?[\d.]+(?:e-?\d+)?)/g)].map((p) => [Number(p[1]), Number(p[2])] as [number, number]);
      paths.push(points);
    }
  }
  return paths;
}

test('the rendered SVG shows one falling line per run in each panel, the legend and the axes', async () => {
  const runs = [run('leverage', 0.3, 6), run('uniform', 0.5, 9), run('none (exact Newton)', 0.05, 3)];
  const svg = await convergenceSvg(runs, { title: 'Convergence by sketch', subtitle: 'a planted problem', legend: 'sketch' });
  assert.match(svg, /^<svg[^>]+width="\d+(\.\d+)?" height="\d+(\.\d+)?"/);
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  for (const text of ['Convergence by sketch', 'a planted problem', 'sketch', 'leverage', 'uniform', 'none (exact Newton)', 'iteration t',
    '‖∇L(x_t)‖ (log scale)', '‖x_t − x*‖ (log scale)', '1e-2']) {
    assert.ok(svg.includes(text), `the SVG shows ${JSON.stringify(text)}`);
  }
  const paths = linePaths(svg);
  assert.equal(paths.length, 6, 'three runs in each of two panels');
  for (const [k, points] of paths.entries()) {
    assert.ok(points.length >= 3, `path ${k} has ${points.length} points`);
    for (let p = 1; p < points.length; p++) {
      assert.ok(points[p][0] > points[p - 1][0], `path ${k}: x grows with the iteration`);
      // Values fall, so the line goes down the page: SVG y grows downwards.
      assert.ok(points[p][1] > points[p - 1][1], `path ${k}: the line falls`);
    }
  }
  // On a log scale a constant rate is a straight line: equal drops per step.
  const leverage = paths[0];
  const drops = leverage.slice(1).map((p, i) => p[1] - leverage[i][1]);
  for (const drop of drops) assert.ok(Math.abs(drop - drops[0]) < 0.02 * drops[0] + 0.01, `equal drops: ${drops.join(', ')}`);
  // And a faster rate is a steeper line.
  const uniform = paths[1];
  assert.ok((uniform[1][1] - uniform[0][1]) / (uniform[1][0] - uniform[0][0]) < drops[0] / (leverage[1][0] - leverage[0][0]));
});

test('writeConvergencePlot and writeSvg write the file whole, and refuse a name that is not .svg', async () => {
  const file = path.join(workDir, 'conv.svg');
  await writeConvergencePlot(file, [run('start 1', 0.4, 5)]);
  const svg = fs.readFileSync(file, 'utf8');
  assert.ok(svg.startsWith('<svg') && svg.trimEnd().endsWith('</svg>'));
  assert.deepEqual(fs.readdirSync(workDir).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left');
  await assert.rejects(writeSvg(path.join(workDir, 'conv.png'), svg), (e: unknown) => e instanceof InputError && /ending in \.svg/.test(e.message));
  await assert.rejects(writeSvg(path.join(workDir, 'no', 'such', 'dir.svg'), svg), (e: unknown) => e instanceof InputError && /cannot write the file/.test(e.message));
});

test('lineChartSvg draws one line per series on log axes, leaving out values a log axis cannot show', async () => {
  const points = [1, 2, 4, 8, 16].flatMap((x) => [
    { series: 'approx-newton', x: x * 1000, y: x * 0.01 },
    { series: 'newton', x: x * 1000, y: x * x * 0.001 },
  ]);
  points.push({ series: 'newton', x: 0, y: 1 }); // x = 0: no place on a log axis
  const svg = await lineChartSvg(points, { title: 'time per iteration', xTitle: 'nnz(C)', yTitle: 'seconds', seriesTitle: 'method', logX: true, logY: true });
  for (const text of ['time per iteration', 'nnz(C)', 'seconds', 'method', 'approx-newton', 'newton']) assert.ok(svg.includes(text), text);
  const paths = linePaths(svg);
  assert.equal(paths.length, 2);
  for (const p of paths) assert.equal(p.length, 5, 'the x = 0 point is left out');
  // y grows with x: the lines rise (SVG y falls).
  for (const p of paths) for (let k = 1; k < p.length; k++) assert.ok(p[k][1] < p[k - 1][1]);
});
