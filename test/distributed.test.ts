/**
 * Distributed solves (docs/distributed.md), run as users run them: `mpirun` launching 1, 2 and 3
 * ranks of the CLI or of a script on this machine (--oversubscribe: more ranks than cores). Exact
 * Newton must give one process's result to rounding; the sketched methods the same minimiser; and a
 * bad shard, a killed rank or different flags on two ranks must end every rank, in bounded time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { blockOf } from '../src/distributed/shard';
import { writeLibsvm } from '../src/io/libsvm';
import { writeNpy } from '../src/io/npy';
import { toDense } from '../src/matrix';
import { generatePlanted } from '../src/planted';
import { native } from '../src/native';
import { Problem } from '../src/problem';
import { solve, SolveOptions } from '../src/solve';

const MAIN = path.resolve(__dirname, '..', 'src', 'cli', 'main.js');
const INDEX = path.resolve(__dirname, '..', 'src', 'index.js');
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'softnewton-mpi-'));
process.on('exit', () => fs.rmSync(workDir, { recursive: true, force: true }));
const at = (name: string) => path.join(workDir, name);

// As root (CI containers) Open MPI needs both variables; --oversubscribe allows more ranks than cores.
const MPI_ENV = { ...process.env, OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1' };
/** A failure must end the job well within this (a hang would run into spawnSync's own timeout). */
const BOUNDED_MS = 30_000;

interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function mpirun(ranks: number, ...command: string[]): Run {
  const started = Date.now();
  const r = spawnSync('mpirun', ['-np', String(ranks), '--oversubscribe', process.execPath, ...command], {
    cwd: workDir, encoding: 'utf8', env: MPI_ENV, timeout: 2 * BOUNDED_MS, killSignal: 'SIGKILL',
  });
  if (r.error) throw r.error;
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
}

// d = 12, n = 3001 (not a multiple of 2 or 3: uneven blocks), half the entries non-zero, noisy b.
const ROWS = 3001;
const COLS = 12;
const planted = generatePlanted({ rows: ROWS, cols: COLS, density: 0.5, noise: 0.05, seed: 7 });
const MODEL = { scale: 'n' as const, w: 0.05, ridge: 1e-3 };
const MODEL_FLAGS = ['--cols', String(COLS), '--scale', 'n', '--w', '0.05', '--ridge', '0.001'];
const single = new Problem(planted.C, planted.b, MODEL);

const ready = (async () => {
  await writeLibsvm(at('all.svm'), planted.C, planted.b);
  // The same rows pre-sharded for 2 ranks, in the blocks a single file would give them.
  for (let r = 0; r < 2; r++) {
    const [start, end] = blockOf(ROWS, r, 2);
    const C = planted.C;
    const from = C.indptr[start];
    const indptr = C.indptr.slice(start, end + 1).map((p) => p - from);
    await writeLibsvm(at(`part-${r}.svm`), { rows: end - start, cols: COLS, indptr, indices: C.indices.slice(from, C.indptr[end]), values: C.values.slice(from, C.indptr[end]) }, planted.b.slice(start, end));
  }
  await writeNpy(at('all.npy'), toDense(planted.C));
  await writeNpy(at('b.npy'), planted.b);
})();

function relative(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let norm = 0;
  for (let j = 0; j < b.length; j++) {
    diff += (a[j] - b[j]) ** 2;
    norm += b[j] ** 2;
  }
  return Math.sqrt(diff / norm);
}

function parseResult(run: Run): { x: number[]; loss: number; iterations: number; converged: boolean; ranks: number; trace: { loss: number; sketch: string }[]; communication: { bytes: number } } {
  assert.equal(run.status, 0, `exit status ${run.status}, stderr: ${run.stderr}`);
  const lines = run.stdout.trim().split('\n');
  assert.equal(lines.length, 1, `rank 0 alone writes stdout: ${run.stdout}`);
  return JSON.parse(lines[0]);
}

async function reference(options: SolveOptions) {
  return solve(single, options);
}

for (const ranks of [1, 2, 3]) {
  test(`exact newton on ${ranks} rank(s) gives one process's iterates to rounding (--data all.svm, byte ranges)`, async () => {
    await ready;
    const want = await reference({ method: 'newton', tol: 1e-12 });
    const got = parseResult(mpirun(ranks, MAIN, 'solve', '--distributed', '--data', 'all.svm', ...MODEL_FLAGS, '--method', 'newton', '--tol', '1e-12', '--json'));
    assert.equal(got.ranks, ranks);
    assert.equal(got.iterations, want.iterations);
    assert.ok(relative(got.x, want.x) <= 1e-10, `‖x − x₁‖/‖x₁‖ = ${relative(got.x, want.x)}`);
    for (let t = 0; t < want.trace.length; t++) {
      assert.ok(Math.abs(got.trace[t].loss - want.trace[t].loss) <= 1e-10 * Math.abs(want.trace[t].loss), `loss at iteration ${t}`);
    }
    if (ranks > 1) assert.ok(got.communication.bytes > 0, 'the reduction counted its traffic');
  });
}

test('a {rank} pattern (pre-sharded files) and .npy row ranges give the same exact-newton result as one file', async () => {
  await ready;
  const want = await reference({ method: 'newton', tol: 1e-12 });
  const parts = parseResult(mpirun(2, MAIN, 'solve', '--distributed', '--data', 'part-{rank}.svm', ...MODEL_FLAGS, '--method', 'newton', '--tol', '1e-12', '--json'));
  assert.ok(relative(parts.x, want.x) <= 1e-10, `pattern: ${relative(parts.x, want.x)}`);
  const npy = parseResult(mpirun(3, MAIN, 'solve', '--distributed', '--data', 'all.npy', '--target', 'b.npy', ...MODEL_FLAGS, '--method', 'newton', '--tol', '1e-12', '--json'));
  assert.ok(relative(npy.x, want.x) <= 1e-10, `npy: ${relative(npy.x, want.x)}`);
});

test('the API under mpirun: sketched methods (block CountSketch, OSNAP), gd and lbfgs reach the same minimiser on 2 ranks', async () => {
  await ready;
  const want = await reference({ method: 'newton', tol: 1e-12 });
  const script = at('api.js');
  // What docs/distributed.md shows: init, readShard, solve, finalize; rank 0 prints.
  fs.writeFileSync(script, `
    const { distributed } = require(${JSON.stringify(INDEX)});
    (async () => {
      const comm = await distributed.init();
      const shard = await distributed.readShard(comm, 'all.svm', { cols: ${COLS}, scale: 'n', w: 0.05, ridge: 1e-3 });
      const out = {};
      for (const [name, options] of Object.entries({
        pcgCountsketch: { method: 'newton-pcg', sketch: 'countsketch', sketchRows: 200, tol: 1e-10 },
        pcgAuto: { method: 'newton-pcg', sketchRows: 24, tol: 1e-10 },
        approxOsnap: { method: 'approx-newton', sketch: 'osnap', sketchRows: 300, tol: 1e-9, maxIter: 200 },
        approxAuto: { method: 'approx-newton', tol: 1e-9, maxIter: 200 },
        lbfgs: { method: 'lbfgs', tol: 1e-7, maxIter: 5000 },
        gd: { method: 'gd', tol: 1e-5, maxIter: 20000 },
      })) {
        const r = await distributed.solve(shard, options);
        out[name] = { x: Array.from(r.x), converged: r.converged, ranks: r.ranks, sketch: r.trace.at(-1).sketch, rows: shard.problem.rows };
      }
      if (comm.rank === 0) process.stdout.write(JSON.stringify(out) + '\\n');
      comm.finalize();
    })();
  `);
  const run = mpirun(2, script);
  assert.equal(run.status, 0, run.stderr);
  const out = JSON.parse(run.stdout.trim()) as Record<string, { x: number[]; converged: boolean; ranks: number; sketch: string; rows: number }>;
  const tolerance: Record<string, number> = { pcgCountsketch: 1e-8, pcgAuto: 1e-8, approxOsnap: 1e-6, approxAuto: 1e-6, lbfgs: 1e-4, gd: 1e-3 };
  for (const [name, r] of Object.entries(out)) {
    assert.ok(r.converged, `${name} converged`);
    assert.equal(r.ranks, 2);
    assert.ok(r.rows < ROWS, `${name}: rank 0 held only its block (${r.rows} rows)`);
    assert.ok(relative(r.x, want.x) <= tolerance[name], `${name}: ‖x − x_newton‖/‖x_newton‖ = ${relative(r.x, want.x)}`);
  }
  assert.equal(out.pcgCountsketch.sketch, 'countsketch');
  assert.equal(out.approxOsnap.sketch, 'osnap');
  // newton-pcg's auto prices the average rank's work with one process's model: the whole problem's
  // work over 2. (The earlier sharded rule, Σ nnz² / R against k·d² + nnz / R, chose countsketch
  // here; the model prices the 57 CG steps a 2d preconditioner would take.)
  const whole = native().preconditionerCosts(single.handle, 24);
  const expected = native().pricePreconditioner(whole.pass / 2, whole.gram / 2, COLS, 24).choice;
  assert.equal(expected, 'none');
  assert.equal(out.pcgAuto.sketch, expected);
});

test('a malformed line in one rank\'s shard stops every rank with exit 2, naming the file and its line', async () => {
  await ready;
  const lines = fs.readFileSync(at('all.svm'), 'utf8').split('\n');
  const bad = ROWS - 5; // in the last rank's byte range
  lines[bad - 1] = lines[bad - 1].replace(/ (\d+):/, ' $1:abc ');
  fs.writeFileSync(at('bad.svm'), lines.join('\n'));
  const run = mpirun(3, MAIN, 'solve', '--distributed', '--data', 'bad.svm', ...MODEL_FLAGS, '--method', 'newton');
  assert.equal(run.status, 2, run.stderr);
  assert.ok(run.ms < BOUNDED_MS, `ended in ${run.ms} ms`);
  assert.equal(run.stdout, '');
  const messages = run.stderr.split('\n').filter((l) => l.startsWith('softnewton: '));
  assert.deepEqual(messages.length, 1, `printed once, by rank 0: ${run.stderr}`);
  assert.match(messages[0], new RegExp(`bad\\.svm:${bad}: expected index:value`));
});

test('a rank killed during the solve ends the others non-zero, in bounded time', async () => {
  await ready;
  const script = at('kill.js');
  fs.writeFileSync(script, `
    const { distributed } = require(${JSON.stringify(INDEX)});
    (async () => {
      const comm = await distributed.init();
      const shard = await distributed.readShard(comm, 'all.svm', { cols: ${COLS}, scale: 'n' });
      if (comm.rank === 1) setTimeout(() => process.kill(process.pid, 'SIGKILL'), 300);
      // Rank 0 keeps calling collectives (many gd iterations), one of which rank 1 never joins.
      for (;;) await distributed.solve(shard, { method: 'gd', tol: 0, maxIter: 1000 });
    })();
  `);
  const run = mpirun(2, script);
  assert.notEqual(run.status, 0);
  assert.equal(run.signal, null, 'ended by MPI, not by the test\'s timeout');
  assert.ok(run.ms < BOUNDED_MS, `ended in ${run.ms} ms`);
});

test('different options on two ranks, leverage, and --starts are refused on every rank with exit 2', async () => {
  await ready;
  const base = ['solve', '--distributed', '--data', 'all.svm', ...MODEL_FLAGS];
  const started = Date.now();
  const r = spawnSync('mpirun', ['-np', '1', process.execPath, MAIN, ...base, '--tol', '1e-8', ':', '-np', '1', process.execPath, MAIN, ...base, '--tol', '1e-6'], {
    cwd: workDir, encoding: 'utf8', env: MPI_ENV, timeout: 2 * BOUNDED_MS, killSignal: 'SIGKILL',
  });
  assert.equal(r.status, 2, r.stderr);
  assert.ok(Date.now() - started < BOUNDED_MS);
  assert.match(r.stderr, /softnewton: options: rank 1 was given different options than rank 0/);
  const leverage = mpirun(2, MAIN, ...base, '--method', 'approx-newton', '--sketch', 'leverage');
  assert.equal(leverage.status, 2, leverage.stderr);
  assert.match(leverage.stderr, /softnewton: --sketch: leverage has no sound sharded form/);
  const starts = mpirun(1, MAIN, ...base, '--starts', '2');
  assert.equal(starts.status, 2, starts.stderr);
  assert.match(starts.stderr, /softnewton: --starts: multi-start is not available with --distributed/);
});

test('the main addon does not link libmpi; the MPI addon does (docs/distributed.md)', () => {
  const release = path.resolve(__dirname, '..', '..', 'build', 'Release');
  // The dynamic section names each needed library as a string: enough to tell without ldd.
  assert.ok(!fs.readFileSync(path.join(release, 'softnewton.node')).includes('libmpi.so'), 'softnewton.node needs libmpi');
  assert.ok(fs.readFileSync(path.join(release, 'softnewton_mpi.node')).includes('libmpi.so'), 'softnewton_mpi.node should need libmpi');
});
