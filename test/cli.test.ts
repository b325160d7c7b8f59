/**
 * The `softnewton` command line (docs/cli.md), run as users run it: a child process in a temporary
 * directory. generate → eval round trips against the API, and every user error exits 2 with one
 * line naming the flag or the file, without a stack trace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { CommanderError } from 'commander';
import { EXIT, reportError } from '../src/cli/common';
import { InputError, NumericalError } from '../src/errors';
import { readLibsvm } from '../src/io/libsvm';
import { generatePlanted } from '../src/planted';
import { Problem } from '../src/problem';
import { evaluate as refEvaluate } from './reference/model';

const MAIN = path.resolve(__dirname, '..', 'src', 'cli', 'main.js');
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'softnewton-cli-'));
process.on('exit', () => fs.rmSync(workDir, { recursive: true, force: true }));

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function softnewton(...args: string[]): Run {
  const result = spawnSync(process.execPath, [MAIN, ...args], { cwd: workDir, encoding: 'utf8', timeout: 60_000 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function softnewtonAsync(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [MAIN, ...args], { cwd: workDir, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      const status = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      if (status === null) reject(error);
      else resolve({ status, stdout, stderr });
    });
  });
}

function inWorkDir(name: string): string {
  return path.join(workDir, name);
}

/** Exit 2, nothing on stdout, and exactly one line on stderr that names `names` and carries no stack trace. */
function assertUserError(run: Run, ...names: string[]): void {
  assert.equal(run.status, EXIT.userError, `exit code for ${names[0]}; stderr: ${run.stderr}`);
  assert.equal(run.stdout, '');
  const lines = run.stderr.split('\n');
  assert.equal(lines.length, 2, `one line on stderr, got ${JSON.stringify(run.stderr)}`);
  assert.equal(lines[1], '');
  assert.ok(lines[0].startsWith('softnewton: '), lines[0]);
  assert.doesNotMatch(run.stderr, /\n\s+at |Error:/, 'no stack trace or error class');
  for (const name of names) assert.ok(lines[0].includes(name), `${JSON.stringify(lines[0])} should name ${name}`);
}

const ROWS = 300;
const COLS = 6;
const SEED = 11;
const DATA = 'planted.svm';
const XSTAR = 'xstar.json';
const PLANTED_FLAGS = ['--unit', 'sigmoid', '--bias', '-0.25', '--radius', '2', '--seed', String(SEED)];

function generateOnce(): void {
  if (fs.existsSync(inWorkDir(XSTAR))) return;
  const run = softnewton('generate', '--rows', String(ROWS), '--cols', String(COLS), '--density', '0.5', ...PLANTED_FLAGS, '--out', DATA, '--xstar', XSTAR);
  assert.equal(run.status, EXIT.ok, run.stderr);
  assert.equal(run.stdout, '');
}

function evalJson(...args: string[]): { loss: number; gradient: number[]; hessian?: number[][] } {
  const run = softnewton('eval', '--data', DATA, '--cols', String(COLS), ...args);
  assert.equal(run.status, EXIT.ok, run.stderr);
  assert.equal(run.stderr, '');
  assert.equal(run.stdout.trim().split('\n').length, 1, 'one JSON object on one line');
  return JSON.parse(run.stdout);
}

test('generate writes the planted problem of the API, bit for bit, and summarises on stderr', async () => {
  generateOnce();
  const run = softnewton('generate', '--rows', String(ROWS), '--cols', String(COLS), '--density', '0.5', ...PLANTED_FLAGS, '--out', 'again.svm', '--xstar', 'again.json');
  assert.equal(run.status, EXIT.ok, run.stderr);
  const planted = generatePlanted({ rows: ROWS, cols: COLS, density: 0.5, unit: 'sigmoid', bias: -0.25, radius: 2, seed: SEED });
  const nnz = planted.C.indptr[ROWS];
  assert.equal(run.stderr, `softnewton: wrote again.svm (${ROWS} rows, ${COLS} cols, ${nnz} non-zeros) and x* to again.json; ` +
    `model flags: --cols ${COLS} --model softmax-unit --unit sigmoid --scale n --bias -0.25\n`);

  const xStar: unknown = JSON.parse(fs.readFileSync(inWorkDir('again.json'), 'utf8'));
  assert.deepEqual(xStar, Array.from(planted.xStar), 'x* in full precision');
  const { C, b } = await readLibsvm(inWorkDir('again.svm'), { cols: COLS });
  assert.deepEqual(Array.from(C.indptr), Array.from(planted.C.indptr));
  assert.deepEqual(Array.from(C.indices), Array.from(planted.C.indices));
  assert.deepEqual(Array.from(C.values), Array.from(planted.C.values));
  assert.deepEqual(Array.from(b), Array.from(planted.b));
});

test('eval at x* of a noise-free planted problem: loss and gradient vanish', () => {
  generateOnce();
  const { loss, gradient, hessian } = evalJson('--x', XSTAR, '--unit', 'sigmoid', '--bias', '-0.25', '--scale', 'n');
  assert.equal(hessian, undefined, 'no Hessian unless asked');
  assert.equal(gradient.length, COLS);
  assert.ok(loss >= 0 && loss < 1e-24, `loss ${loss}`);
  for (const g of gradient) assert.ok(Math.abs(g) < 1e-12, `gradient entry ${g}`);
  // The default scale of softmax-unit is n, so leaving --scale out gives the same point; the wrong
  // scale 1 is far from optimal: the flags matter.
  assert.equal(evalJson('--x', XSTAR, '--unit', 'sigmoid', '--bias', '-0.25').loss, loss);
  const wrongScale = evalJson('--x', XSTAR, '--unit', 'sigmoid', '--bias', '-0.25', '--scale', '1');
  assert.ok(wrongScale.loss > 1e-3, `loss with scale 1: ${wrongScale.loss}`);
});

test('eval at a perturbed x equals Problem.evaluate and Problem.hessian on the same file', async () => {
  generateOnce();
  const xStar = JSON.parse(fs.readFileSync(inWorkDir(XSTAR), 'utf8')) as number[];
  const x = xStar.map((v, k) => v + 0.1 * Math.cos(k + 1));
  fs.writeFileSync(inWorkDir('perturbed.json'), JSON.stringify(x));
  const modelFlags = ['--unit', 'sigmoid', '--bias', '-0.25', '--scale', 'n', '--w', '0.05', '--ridge', '0.01'];
  const printed = evalJson('--x', 'perturbed.json', ...modelFlags, '--hessian');

  const { C, b } = await readLibsvm(inWorkDir(DATA), { cols: COLS });
  const problem = new Problem(C, b, { unit: 'sigmoid', bias: -0.25, scale: 'n', w: 0.05, ridge: 0.01 });
  const expected = problem.evaluate(x);
  assert.ok(expected.loss > 1e-6, 'the perturbation moves the loss away from 0');
  // JSON carries every double exactly, so the comparison is exact.
  assert.equal(printed.loss, expected.loss);
  assert.deepEqual(printed.gradient, Array.from(expected.gradient));

  const hessian = printed.hessian;
  assert.ok(hessian !== undefined);
  assert.equal(hessian.length, COLS);
  const dense = problem.hessian(x);
  let scale = 0;
  for (const row of hessian) for (const v of row) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < COLS; i++) {
    assert.equal(hessian[i].length, COLS, `row ${i} has d entries`);
    assert.deepEqual(hessian[i], Array.from(dense.subarray(i * COLS, (i + 1) * COLS)), `row ${i} is row ${i} of Problem.hessian`);
    for (let j = 0; j < i; j++) assert.ok(Math.abs(hessian[i][j] - hessian[j][i]) <= 1e-13 * scale, `symmetric at (${i}, ${j})`);
  }
});

test('eval reads gzip-compressed data', () => {
  const run = softnewton('generate', '--rows', '40', '--cols', '3', '--density', '1', '--out', 'small.svm.gz', '--xstar', 'small.json');
  assert.equal(run.status, EXIT.ok, run.stderr);
  const printed = JSON.parse(softnewton('eval', '--data', 'small.svm.gz', '--cols', '3', '--x', 'small.json', '--scale', 'n').stdout);
  assert.ok(printed.loss < 1e-24);
});

test('user errors exit 2 with one line naming the flag or the file', async () => {
  generateOnce();
  fs.writeFileSync(inWorkDir('malformed.svm'), '1 1:0.5\n# fine so far\n2 3:1 0:1.5\n');
  fs.writeFileSync(inWorkDir('bad.json'), '[1, 2,');
  fs.writeFileSync(inWorkDir('short.json'), '[1, 2]');
  fs.writeFileSync(inWorkDir('strings.json'), JSON.stringify(Array.from({ length: COLS }, () => 'a')));
  fs.writeFileSync(inWorkDir('object.json'), '{"x": [1]}');
  const cols = ['--cols', String(COLS)];
  const good = ['eval', '--data', DATA, ...cols, '--x', XSTAR];
  const size = ['generate', '--out', 'g.svm', '--xstar', 'g.json', '--rows', '4', '--cols', '3'];

  /** [arguments, what the one line must contain…] */
  const cases: Array<[string[], ...string[]]> = [
    [['eval', ...cols, '--x', XSTAR], '--data'],
    [['eval', '--data', DATA, '--x', XSTAR], '--cols'],
    [['eval', '--data', DATA, '--cols', 'abc', '--x', XSTAR], '--cols: expected an integer from 1 to 2147483646, received "abc"'],
    [['eval', '--data', DATA, '--cols', '0', '--x', XSTAR], '--cols', '"0"'],
    [['eval', '--data', DATA, '--cols', '2.5', '--x', XSTAR], '--cols', '"2.5"'],
    [['eval', '--data', 'missing.svm', ...cols, '--x', XSTAR], 'missing.svm', 'no such file'],
    [['eval', '--data', 'malformed.svm', ...cols, '--x', XSTAR], 'malformed.svm:3: expected an index from 1 to cols = 6, found "0:1.5"'],
    [['eval', '--data', DATA, '--cols', '2', '--x', 'short.json'], `${DATA}:`, 'cols = 2'],
    [['eval', '--data', DATA, ...cols, '--x', 'bad.json'], '--x', 'bad.json', 'not valid JSON'],
    [['eval', '--data', DATA, ...cols, '--x', 'short.json'], '--x', 'short.json', `array of ${COLS} finite numbers`, 'length 2'],
    [['eval', '--data', DATA, ...cols, '--x', 'strings.json'], '--x', 'strings.json', 'entry 0'],
    [['eval', '--data', DATA, ...cols, '--x', 'object.json'], '--x', 'object.json'],
    [['eval', '--data', DATA, ...cols, '--x', 'missing.json'], '--x', 'missing.json', 'no such file'],
    [[...good, '--model', 'linear'], '--model', 'softmax-unit, softmax, relu-softmax', '"linear"'],
    [[...good, '--unit', 'cube'], '--unit', 'identity', '"cube"'],
    [[...good, '--scale', 'm'], '--scale', '"m"'],
    [[...good, '--bias', '1e999'], '--bias', '"1e999"'],
    [[...good, '--w', '-1'], '--w', '>= 0'],
    [[...good, '--ridge', 'NaN'], '--ridge'],
    [[...good, '--model', 'softmax', '--unit', 'tanh'], '--unit', 'model softmax'],
    [[...good, '--colz', '3'], "'--colz'"],
    [[...good, '--scale'], "'--scale <a>'"],
    [['frobnicate'], "'frobnicate'"],
    // A point where the model overflows (the exp unit at a = 10^6) is the user's problem, not a crash.
    [[...good, '--unit', 'exp', '--scale', '1e6'], 'overflow'],
    [['generate', '--out', 'g.svm', '--xstar', 'g.json', '--cols', '3', '--density', '1'], '--rows'],
    [['generate', '--out', 'g.svm', '--xstar', 'g.json', '--rows', '-4', '--cols', '3', '--density', '1'], '--rows', '"-4"'],
    [[...size, '--density', '0'], '--density', '> 0'],
    [[...size, '--density', '1.5'], '--density', '<= 1'],
    [[...size, '--density', '1', '--noise', '-1'], '--noise'],
    [[...size, '--density', '1', '--radius', '0'], '--radius'],
    [[...size, '--density', '1', '--seed', '1.5'], '--seed'],
    [['generate', '--out', 'g.svm', '--xstar', 'g.json', '--rows', '100000', '--cols', '100000', '--density', '1'], '--density', '2^31'],
    [['generate', '--rows', '4', '--cols', '3', '--density', '1', '--out', 'no/such/dir.svm', '--xstar', 'g.json'], 'no/such/dir.svm', 'cannot write'],
  ];
  // Each case is a process start (a few hundred ms): run a few at a time.
  const pending = [...cases];
  const worker = async () => {
    for (let next = pending.shift(); next !== undefined; next = pending.shift()) {
      const [args, ...names] = next;
      assertUserError(await softnewtonAsync(...args), ...names);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  assert.equal(fs.existsSync(inWorkDir('g.svm')), false, 'nothing written after a user error');
});

test('--help exits 0 and lists the commands and flags', () => {
  const top = softnewton('--help');
  assert.equal(top.status, EXIT.ok);
  assert.match(top.stdout, /Usage: softnewton/);
  assert.match(top.stdout, /generate/);
  assert.match(top.stdout, /eval/);
  const evalHelp = softnewton('eval', '--help');
  assert.equal(evalHelp.status, EXIT.ok);
  for (const flag of ['--data', '--cols', '--x', '--model', '--unit', '--scale', '--bias', '--w', '--ridge', '--hessian']) {
    assert.ok(evalHelp.stdout.includes(flag), `eval --help mentions ${flag}`);
  }
  assert.equal(softnewton('help', 'generate').status, EXIT.ok);
  // No command at all is a usage error: the help goes to stderr.
  const bare = softnewton();
  assert.equal(bare.status, EXIT.userError);
  assert.match(bare.stderr, /Usage: softnewton/);
});

test('reportError: user errors give exit 2 and one line, anything unexpected exit 3 with its stack', () => {
  const report = (error: unknown) => {
    let text = '';
    const code = reportError(error, (t) => (text += t));
    return { code, text };
  };
  assert.deepEqual(report(new InputError('--cols', 'expected an integer')), { code: EXIT.userError, text: 'softnewton: --cols: expected an integer\n' });
  assert.deepEqual(report(new NumericalError('x: overflow\nat this point')), { code: EXIT.userError, text: 'softnewton: x: overflow at this point\n' });
  assert.deepEqual(report(new CommanderError(1, 'commander.unknownOption', "error: unknown option '--foo'")),
    { code: EXIT.userError, text: "softnewton: unknown option '--foo' (see --help)\n" });
  assert.deepEqual(report(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)')), { code: EXIT.ok, text: '' });

  const bug = new TypeError('cannot read properties of undefined');
  const internal = report(bug);
  assert.equal(internal.code, EXIT.internalError);
  assert.ok(internal.text.startsWith('softnewton: internal error'), internal.text);
  assert.ok(internal.text.includes(bug.stack!), 'the stack is printed');
});

// ---------------------------------------------------------------------------------------------
// solve

function solveJson(...args: string[]): { run: Run; result: Record<string, unknown> & { x: number[]; trace: Record<string, unknown>[] } } {
  generateOnce();
  const run = softnewton('solve', '--data', DATA, '--cols', String(COLS), '--unit', 'sigmoid', '--bias', '-0.25', '--scale', 'n', ...args, '--json');
  assert.equal(run.stderr, '');
  return { run, result: JSON.parse(run.stdout) };
}

test('solve --json reaches x* with ‖∇L‖ ≤ 1e-9, as an independent implementation measures it', async () => {
  generateOnce();
  const xStar = JSON.parse(fs.readFileSync(inWorkDir(XSTAR), 'utf8')) as number[];
  const { C, b } = await readLibsvm(inWorkDir(DATA), { cols: COLS });
  const dense = new Float64Array(ROWS * COLS);
  for (let i = 0; i < ROWS; i++) for (let p = C.indptr[i]; p < C.indptr[i + 1]; p++) dense[i * COLS + C.indices[p]] = C.values[p];
  const reference = { rows: ROWS, cols: COLS, C: dense, b, model: 'softmax-unit' as const, unit: 'sigmoid' as const, scale: ROWS, bias: -0.25 };
  for (const method of ['newton-pcg', 'approx-newton', 'newton', 'lbfgs']) {
    const { run, result } = solveJson('--method', method, '--tol', '0', '--atol', '1e-10', '--xstar', XSTAR, '--max-iter', '200');
    assert.equal(run.status, EXIT.ok, `${method}: ${run.stdout.slice(0, 300)}`);
    assert.deepEqual(Object.keys(result).sort(), ['converged', 'gradNorm', 'iterations', 'loss', 'message', 'seconds', 'stopReason', 'trace', 'warnings', 'x'].sort());
    assert.deepEqual(result.warnings, [], 'noise-free planted targets are reachable');
    assert.equal(result.converged, true);
    assert.equal(result.x.length, COLS);
    assert.equal(result.trace.length, (result.iterations as number) + 1);
    const gradient = refEvaluate(reference, result.x, false).gradient;
    const norm = Math.hypot(...gradient);
    assert.ok(norm <= 1e-9, `${method}: the reference measures ‖∇L‖ = ${norm}`);
    const distance = Math.hypot(...result.x.map((v, j) => v - xStar[j]));
    assert.ok(distance < 1e-8, `${method}: ‖x − x*‖ = ${distance}`);
    assert.ok(typeof result.trace.at(-1)!.distance === 'number');
  }
});

test('solve: exit 1 with the result when it does not converge; a readable table without --json', () => {
  const { run, result } = solveJson('--method', 'gd', '--max-iter', '2', '--tol', '1e-14');
  assert.equal(run.status, EXIT.notConverged);
  assert.equal(result.stopReason, 'maxIterations');
  assert.equal(result.converged, false);
  const table = softnewton('solve', '--data', DATA, '--cols', String(COLS), '--unit', 'sigmoid', '--bias', '-0.25', '--scale', 'n', '--xstar', XSTAR);
  assert.equal(table.status, EXIT.ok, table.stderr);
  assert.match(table.stdout, /^newton-pcg: converged \(relativeTolerance\) in \d+ iterations/);
  assert.match(table.stdout, /iter\s+loss\s+‖∇L‖/);
});

test('solve: bad solver flags exit 2 naming the flag', () => {
  generateOnce();
  const base = ['solve', '--data', DATA, '--cols', String(COLS)];
  assertUserError(softnewton(...base, '--method', 'bfgs'), '--method');
  assertUserError(softnewton(...base, '--sketch', 'gauss'), '--sketch');
  assertUserError(softnewton(...base, '--eps0', '1.5'), '--eps0');
  assertUserError(softnewton(...base, '--tol', '-1'), '--tol');
  assertUserError(softnewton(...base, '--max-iter', '2.5'), '--max-iter');
  assertUserError(softnewton(...base, '--sketch-rows', '0'), '--sketch-rows');
  assertUserError(softnewton(...base, '--x0', 'nope.json'), '--x0', 'nope.json');
  assertUserError(softnewton(...base, '--xstar', DATA), '--xstar');
});

test('demo: the Newton-type methods recover x* on a conditioned problem where L-BFGS falls behind', () => {
  const run = spawnSync(process.execPath, [MAIN, 'demo'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /The three Newton-type methods recovered x\*/);
  assert.match(run.stdout, /lbfgs \(baseline, 150 iterations at most\): did not converge/);
});
