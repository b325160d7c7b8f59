/**
 * Round two of docs/reliability.md: no JavaScript misuse reaches native memory, and stops are
 * prompt (Problem data ownership, environment teardown, process exit, solveSync's signal and
 * onIteration, rows = 0). Scenarios that need --expose-gc, a worker or an exit run in a child
 * process, which must end normally: a crash there is a failure here, not a lost test runner.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

import { AbortError, InputError, plantedProblem, Problem, solveSync } from '../src';
import type { CsrMatrix, DenseMatrix } from '../src';

const INDEX = path.resolve(__dirname, '..', 'src', 'index.js');

function runChild(source: string, args: string[] = [], timeout = 60_000) {
  const run = spawnSync(process.execPath, [...args, '-e', source], { encoding: 'utf8', timeout });
  assert.equal(run.signal, null, `child killed by ${run.signal}: ${run.stderr}`);
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!);
}

test('transferring the caller\'s arrays during an async solve, then a GC, changes nothing', () => {
  // Before the Problem owned its data, this crashed in dgemv (use after free) or gave a wrong loss.
  const out = runChild(`
    const sn = require(${JSON.stringify(INDEX)});
    const n = 4000, d = 30;
    let s = 1; const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647) - 0.5;
    const data = Float64Array.from({ length: n * d }, rnd);
    const b = Float64Array.from({ length: n }, () => Math.abs(rnd()));
    const scale = Float64Array.from({ length: n }, () => 1 + Math.abs(rnd()));
    const w = Float64Array.from({ length: n }, () => Math.abs(rnd()) * 0.1);
    const problem = new sn.Problem({ rows: n, cols: d, data }, b, { scale, w });
    const opts = { method: 'gd', maxIter: 300, tol: 0, seed: 3 };
    const ref = sn.solveSync(problem, opts);
    (async () => {
      const pending = sn.solve(problem, opts);
      for (const a of [data, b, scale, w]) structuredClone(a.buffer, { transfer: [a.buffer] });
      global.gc();
      const r = await pending;
      // The Problem's own arrays cannot be transferred at all.
      let refused = 0;
      for (const a of [problem.C.data, problem.b, problem.scale, problem.w]) {
        try { structuredClone(a.buffer, { transfer: [a.buffer] }); } catch { refused++; }
      }
      console.log(JSON.stringify({ loss: r.loss, ref: ref.loss, x: Array.from(r.x), refX: Array.from(ref.x), detached: data.length, refused }));
    })();
  `, ['--expose-gc']);
  assert.equal(out.detached, 0, 'the caller\'s array was really transferred');
  assert.equal(out.refused, 4);
  assert.equal(out.loss, out.ref);
  assert.deepEqual(out.x, out.refX);
});

test('a Problem owns shared copies of its arrays; arrays already shared are used as they are', () => {
  const { problem } = plantedProblem({ rows: 50, cols: 4, density: 1, seed: 2 });
  const C = problem.C as CsrMatrix | DenseMatrix;
  const data = new Float64Array(200).fill(0.5);
  const mine = new Problem({ rows: 50, cols: 4, data }, new Float64Array(50));
  assert.notEqual((mine.C as DenseMatrix).data, data, 'copied');
  data[0] = 99; // a later change to the caller's array does not reach the Problem
  assert.equal((mine.C as DenseMatrix).data[0], 0.5);
  for (const array of [...Object.values(C).filter(ArrayBuffer.isView), problem.b, problem.scale, problem.bias, problem.w]) {
    assert.ok((array as Float64Array).buffer instanceof SharedArrayBuffer);
  }
  const again = new Problem(mine.C, mine.b);
  assert.equal((again.C as DenseMatrix).data, (mine.C as DenseMatrix).data, 'not copied twice');
  assert.equal(again.b, mine.b);
});

test('new Problem with 0 rows is refused, naming C.rows', () => {
  assert.throws(() => new Problem({ rows: 0, cols: 3, data: new Float64Array(0) }, new Float64Array(0)),
    (e: unknown) => e instanceof InputError && e.field === 'C.rows' && /at least 1 row/.test(e.message));
  assert.throws(() => new Problem({ rows: 0, cols: 3, indptr: Int32Array.of(0), indices: new Int32Array(0), values: new Float64Array(0) }, []),
    (e: unknown) => e instanceof InputError && e.field === 'C.rows');
});

const WORKER_SOLVE = (exit: string) => `
  const { Worker } = require('node:worker_threads');
  const worker = new Worker(\`
    const sn = require(${JSON.stringify(INDEX)});
    const { parentPort } = require('node:worker_threads');
    const { problem } = sn.plantedProblem({ rows: 2000, cols: 20, density: 1, seed: 1 });
    sn.solve(problem, { method: 'gd', maxIter: 1e6, tol: 0 }).then(() => parentPort.postMessage('ended'));
    setTimeout(() => { parentPort.postMessage('running'); ${exit} }, 300);
  \`, { eval: true });
  let start;
  worker.on('message', async (m) => {
    if (m === 'ended') return console.log(JSON.stringify({ endedByItself: true }));
    start = Date.now();
    ${exit ? '' : 'await worker.terminate(); console.log(JSON.stringify({ ms: Date.now() - start }));'}
  });
  worker.on('exit', () => { if (${exit ? 'true' : 'false'}) console.log(JSON.stringify({ ms: Date.now() - start })); });
`;

test('worker.terminate() during a long solve (gd, maxIter 1e6) resolves promptly', () => {
  const out = runChild(WORKER_SOLVE(''), [], 30_000);
  assert.equal(out.endedByItself, undefined);
  assert.ok(out.ms < 2000, `terminate took ${out.ms} ms`);
});

test('worker.terminate() during a long solveSync (no onIteration) in the worker resolves promptly', () => {
  const out = runChild(`
    const { Worker } = require('node:worker_threads');
    const worker = new Worker(\`
      const sn = require(${JSON.stringify(INDEX)});
      const { parentPort } = require('node:worker_threads');
      const { problem } = sn.plantedProblem({ rows: 2000, cols: 20, density: 1, seed: 1 });
      parentPort.postMessage('running');
      sn.solveSync(problem, { method: 'gd', maxIter: 1e6, tol: 0 });
      parentPort.postMessage('ended');
    \`, { eval: true });
    worker.on('message', async (m) => {
      if (m === 'ended') return console.log(JSON.stringify({ endedByItself: true }));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const start = Date.now();
      await worker.terminate();
      console.log(JSON.stringify({ ms: Date.now() - start }));
    });
  `, [], 30_000);
  assert.equal(out.endedByItself, undefined);
  assert.ok(out.ms < 2000, `terminate took ${out.ms} ms`);
});

test('process.exit in a worker during a long solve ends the worker promptly', () => {
  const out = runChild(WORKER_SOLVE('process.exit(0);'), [], 30_000);
  assert.ok(out.ms < 2000, `the worker took ${out.ms} ms to exit`);
});

test('process.exit on the main thread during a long solve exits promptly', () => {
  const started = Date.now();
  const run = spawnSync(process.execPath, ['-e', `
    const sn = require(${JSON.stringify(INDEX)});
    const { problem } = sn.plantedProblem({ rows: 2000, cols: 20, density: 1, seed: 1 });
    sn.solve(problem, { method: 'gd', maxIter: 1e6, tol: 0 });
    setTimeout(() => { console.log('exiting'); process.exit(0); }, 300);
  `], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(run.signal, null, 'killed by the timeout: the exit waited for the solve');
  assert.equal(run.status, 0, run.stderr);
  assert.ok(Date.now() - started < 10_000);
});

test('solveSync honours onIteration and signal', () => {
  const { problem } = plantedProblem({ rows: 300, cols: 6, density: 1, seed: 4 });
  const rows: number[] = [];
  const result = solveSync(problem, { method: 'newton', onIteration: (row, start) => { assert.equal(start, 0); rows.push(row.iteration); } });
  assert.deepEqual(rows, result.trace.map((r) => r.iteration));
  assert.ok(rows.length > 1);

  const aborted = new AbortController();
  aborted.abort();
  assert.throws(() => solveSync(problem, { signal: aborted.signal }), AbortError);

  const controller = new AbortController();
  let seen = 0;
  assert.throws(() => solveSync(problem, {
    method: 'gd', maxIter: 10_000, tol: 0, signal: controller.signal,
    onIteration: () => { if (++seen === 5) controller.abort(); },
  }), AbortError);
  assert.ok(seen >= 5 && seen <= 6, `stopped within one iteration of the abort (saw ${seen} rows)`);
  assert.throws(() => solveSync(problem, { signal: 'no' as never }), (e: unknown) => e instanceof InputError && e.field === 'signal');
});

// ---------------------------------------------------------------------------------------------
// The command line: signals, outputs, limits

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as zlib from 'node:zlib';
import { jsonText } from '../src/cli/common';

const CLI = path.resolve(__dirname, '..', 'src', 'cli', 'main.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'softnewton-reliability-'));
const at = (name: string) => path.join(dir, name);

function cli(...args: string[]) {
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000, cwd: dir });
  assert.equal(run.signal, null, `killed by ${run.signal}`);
  return run;
}

function expectUserError(args: string[], pattern: RegExp) {
  const run = cli(...args);
  assert.equal(run.status, 2, `exit ${run.status}: ${run.stderr}`);
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0], pattern);
}

test('generate writes the problems the CLI tests use', () => {
  assert.equal(cli('generate', '--rows', '3000', '--cols', '30', '--density', '1', '--out', at('p.svm'), '--xstar', at('xs.json')).status, 0);
});

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  test(`${signal} during a CLI solve writes the point reached, marked cancelled, and exits ${code}`, async () => {
    const child = spawn(process.execPath, [CLI, 'solve', '--data', at('p.svm'), '--cols', '30', '--scale', 'n', '--method', 'gd',
      '--max-iter', '1000000', '--tol', '0', '--out-x', at(`x-${signal}.json`), '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const sent = Date.now();
    child.kill(signal);
    const [status, killedBy] = await new Promise<[number | null, string | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
    assert.equal(killedBy, null);
    assert.equal(status, code, stderr);
    assert.ok(Date.now() - sent < 5000);
    const lines = stderr.trim().split('\n');
    assert.equal(lines.length, 1, stderr);
    assert.match(lines[0], new RegExp(`^softnewton: ${signal}: solve cancelled after \\d+ iterations .*wrote `));
    const result = JSON.parse(stdout);
    assert.equal(result.stopReason, 'cancelled');
    assert.equal(result.converged, false);
    const x = JSON.parse(fs.readFileSync(at(`x-${signal}.json`), 'utf8'));
    assert.deepEqual(x, result.x);
  });
}

test('SIGINT during a CLI solve with --starts writes the best point the starts reached, marked cancelled, and exits 130', async () => {
  const child = spawn(process.execPath, [CLI, 'solve', '--data', at('p.svm'), '--cols', '30', '--scale', 'n', '--method', 'gd', '--starts', '2',
    '--max-iter', '1000000', '--tol', '0', '--out-x', at('x-starts.json'), '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  await new Promise((resolve) => setTimeout(resolve, 2500));
  child.kill('SIGINT');
  const [status, killedBy] = await new Promise<[number | null, string | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
  assert.equal(killedBy, null);
  assert.equal(status, 130, stderr);
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0], /^softnewton: SIGINT: solve cancelled after \d+ iterations .*wrote /);
  const result = JSON.parse(stdout);
  assert.equal(result.stopReason, 'cancelled');
  assert.ok(result.starts.length >= 1 && result.starts.length <= 2);
  const losses = result.starts.map((s: { loss: number }) => s.loss);
  assert.equal(result.loss, Math.min(...losses), 'the best start (none converged with tol 0): the smallest loss');
  assert.equal(result.loss, result.starts[result.best].loss);
  assert.deepEqual(JSON.parse(fs.readFileSync(at('x-starts.json'), 'utf8')), result.x);
});

// The first signal's path is made to block for good: the --out-x write goes through a temporary file
// (docs/reliability.md, "Outputs") whose name is known from the child's pid, and a FIFO with no
// reader at that name blocks the write's open() — as a stalled network file system would. Only the
// second signal can end that process; it must do so at once, by that signal (a shell reports 128 + its number).
for (const [first, second] of [['SIGINT', 'SIGINT'], ['SIGTERM', 'SIGINT'], ['SIGINT', 'SIGTERM']] as const) {
  test(`a second signal (${first}, then ${second}) ends the process at once, by that signal, while the first one's outputs are still being written`, async () => {
    const name = `x-twice-${first}-${second}.json`;
    const child = spawn(process.execPath, [CLI, 'solve', '--data', at('p.svm'), '--cols', '30', '--scale', 'n', '--method', 'gd',
      '--max-iter', '1000000', '--tol', '0', '--out-x', at(name), '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const fifo = at(`.${name}.${child.pid}.tmp`);
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo');
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const closed = new Promise<[number | null, string | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
    try {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      child.kill(first);
      // The first signal's path has printed the JSON object and is now blocked in the write.
      for (let waited = 0; !stdout.endsWith('}\n') && waited < 20_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.ok(stdout.endsWith('}\n'), `the cancelled result was printed: ${stderr}`);
      assert.equal(JSON.parse(stdout).stopReason, 'cancelled');
      await new Promise((resolve) => setTimeout(resolve, 700));
      assert.equal(child.exitCode, null, `still writing, not exited: ${stderr}`);
      assert.equal(fs.existsSync(at(name)), false, 'the output is not in place');
      const sent = Date.now();
      child.kill(second);
      const [status, killedBy] = await closed;
      const ms = Date.now() - sent;
      assert.equal(killedBy, second, `status ${status}: ${stderr}`);
      assert.equal(status, null);
      assert.ok(ms < 2000, `exited ${ms} ms after the second signal`);
      assert.equal(stderr, '', 'the first signal\'s line never came: its write did not finish');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      fs.rmSync(fifo, { force: true });
    }
  });
}

test('an output through a symbolic link writes the link\'s target and keeps the link', () => {
  fs.writeFileSync(at('target.json'), '[]');
  fs.symlinkSync('target.json', at('link.json'));
  const run = cli('solve', '--data', at('p.svm'), '--cols', '30', '--scale', 'n', '--out-x', at('link.json'), '--no-progress');
  assert.equal(run.status, 0, run.stderr);
  assert.ok(fs.lstatSync(at('link.json')).isSymbolicLink());
  assert.equal(JSON.parse(fs.readFileSync(at('target.json'), 'utf8')).length, 30);
});

test('two outputs naming one file are refused, naming both flags', () => {
  expectUserError(['generate', '--rows', '10', '--cols', '3', '--density', '1', '--out', 'f', '--xstar', './f'], /^softnewton: --out, --xstar: both name the file/);
  expectUserError(['solve', '--data', at('p.svm'), '--cols', '30', '--out-x', at('o.json'), '--out-trace', at('o.json')], /^softnewton: --out-x, --out-trace: both name/);
  fs.symlinkSync('o2.json', at('o2-link.json'));
  expectUserError(['solve', '--data', at('p.svm'), '--cols', '30', '--out-x', at('o2.json'), '--out-trace', at('o2-link.json')], /--out-x, --out-trace: both name/);
  assert.equal(fs.existsSync(at('f')), false, 'nothing written');
});

test('huge inputs end as exit 2 naming the file, line or flag', () => {
  expectUserError(['solve', '--data', '/dev/zero', '--format', 'libsvm', '--cols', '2'], /^softnewton: \/dev\/zero:1: line longer than 134217728 bytes/);
  fs.writeFileSync(at('huge.mtx'), '%%MatrixMarket matrix coordinate real general\n2147483646 2 1\n1 1 1\n');
  expectUserError(['solve', '--data', at('huge.mtx'), '--target-column', '2'], /huge\.mtx:2: the size line \(2147483646 rows, 1 entries\) needs at least .* more than the memory cap/);
  expectUserError(['solve', '--config', '/dev/zero', '--data', at('p.svm')], /^softnewton: --config: "\/dev\/zero" is larger than 1048576 bytes/);
  assert.equal(cli('generate', '--rows', '5', '--cols', '4000', '--density', '0.01', '--out', at('wide.svm'), '--xstar', at('wide.json')).status, 0);
  expectUserError(['eval', '--data', at('wide.svm'), '--cols', '4000', '--x', at('wide.json'), '--hessian'], /^softnewton: --hessian: d = 4000: the Hessian's JSON could take up to/);
  expectUserError(['certify', '--data', at('p.svm'), '--cols', '30', '--radius', '1e308'], /^softnewton: --radius: expected a finite number > 0 and <= 1e\+150/);
});

test('a parse error past the first chunk of a .gz file is exit 2 naming file and line, in every text format', () => {
  const rows = Array.from({ length: 30_000 }, (_, i) => [(i % 7) / 7, (i % 5) / 5, (i % 3) / 3]);
  const cases: [string, string, string[], RegExp][] = [
    ['deep.svm.gz', rows.map(([y, a, b]) => `${y} 1:${a} 2:${b}`).join('\n') + '\n1 1:abc\n', ['--cols', '2'], /deep\.svm\.gz:30001: /],
    ['deep.csv.gz', 'a,b,y\n' + rows.map((r) => r.join(',')).join('\n') + '\n1,x,2\n', ['--target-column', 'y'], /deep\.csv\.gz:30002: /],
    ['deep.mtx.gz', '%%MatrixMarket matrix coordinate real general\n40000 2 40000\n' + rows.map((r, i) => `${i + 1} 1 ${r[0]}`).join('\n') + '\n1 1 zz\n', ['--target-column', '2'], /deep\.mtx\.gz:30003: /],
  ];
  for (const [name, text, flags, pattern] of cases) {
    fs.writeFileSync(at(name), zlib.gzipSync(text));
    assert.ok(fs.statSync(at(name)).size > 0 && text.length > 4 * 65536, 'the error lies beyond the first chunks');
    expectUserError(['solve', '--data', at(name), ...flags], pattern);
  }
});

test('Matrix Market size-line messages say what is wrong', () => {
  const write = (name: string, size: string) => fs.writeFileSync(at(name), `%%MatrixMarket matrix coordinate real general\n${size}\n1 1 1\n`);
  write('s1.mtx', '2 2 x');
  expectUserError(['solve', '--data', at('s1.mtx'), '--target-column', '2'], /s1\.mtx:2: .*found "x", which is not a non-negative integer/);
  write('s2.mtx', '2 2');
  expectUserError(['solve', '--data', at('s2.mtx'), '--target-column', '2'], /s2\.mtx:2: .*found only 2 integers/);
  write('s3.mtx', '2 2 99999999999999999999');
  expectUserError(['solve', '--data', at('s3.mtx'), '--target-column', '2'], /s3\.mtx:2: size line: entries "99999999999999999999" has more than 16 digits/);
});

test('--json writes Infinity and NaN as the strings "Infinity", "-Infinity" and "NaN"', () => {
  assert.equal(jsonText({ a: Infinity, b: [-Infinity, NaN, 1.5, -0] }), '{"a":"Infinity","b":["-Infinity","NaN",1.5,0]}');
});

test('a saturated start (entries near 1e200, gradient exactly 0) is reported as saturated, not converged', () => {
  const n = 200;
  const d = 5;
  let s = 1;
  const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647) - 0.5;
  const data = Float64Array.from({ length: n * d }, () => rnd() * 1e200);
  const problem = new Problem({ rows: n, cols: d, data }, Float64Array.from({ length: n }, () => Math.abs(rnd())), { scale: 'n' });
  for (const method of ['newton-pcg', 'approx-newton', 'newton', 'gd', 'lbfgs'] as const) {
    const r = solveSync(problem, { method });
    assert.equal(r.gradNorm, 0, 'the scenario: an exactly zero gradient');
    assert.ok(r.loss > 0);
    assert.equal(r.converged, false, method);
    assert.equal(r.stopReason, 'saturated', method);
    assert.match(r.message, /saturated/);
  }
});

test('messages: .npy headers quoted short, huge shape dimensions refused, a CSV of only the target named, overflow values short', async () => {
  const npy = (name: string, dict: string) => {
    const pad = (64 - ((10 + dict.length + 1) % 64)) % 64;
    const header = Buffer.from(`${dict}${' '.repeat(pad)}\n`, 'latin1');
    const prefix = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
    fs.writeFileSync(at(name), Buffer.concat([prefix, header]));
  };
  npy('nested.npy', `{'descr': '<f8', 'fortran_order': False, 'shape': ${'('.repeat(20_000)}), }`);
  const nested = cli('solve', '--data', at('nested.npy'), '--target-column', '1');
  assert.equal(nested.status, 2, nested.stderr);
  assert.ok(nested.stderr.length < 300, `a short line: ${nested.stderr.length} characters`);
  assert.match(nested.stderr, /nested\.npy: byte 10: .*…"/);
  npy('wide.npy', `{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999, 2), }`);
  expectUserError(['solve', '--data', at('wide.npy'), '--target-column', '1'], /wide\.npy: byte 10: a shape dimension has more than 15 digits/);

  fs.writeFileSync(at('only.csv'), 'y\n1\n2\n');
  expectUserError(['solve', '--data', at('only.csv'), '--target-column', 'y'], /^softnewton: .*only\.csv: the only column is the target/);

  // exp unit with a huge scale: the overflow message quotes v with six significant digits.
  const { problem: planted, xStar } = plantedProblem({ rows: 50, cols: 4, density: 1, seed: 5 });
  const huge = new Problem(planted.C, planted.b, { unit: 'exp', scale: 1e300 });
  assert.throws(() => huge.evaluate(xStar), (e: unknown) => e instanceof Error && /reaches [0-9.]+e\+\d+/.test(e.message) && e.message.length < 300);
});
