/**
 * `npm install softnewton` as a user meets it (issue 14, docs/install.md): the packed tarball
 * installs into an empty folder whose PATH holds node, npm and basic shell tools but no compiler,
 * make or python3, and works there from the prebuilt binary — it loads, solves a planted problem to
 * convergence, and `npx softnewton --help` runs — without building anything. And in this set-up
 * clone, `npx softnewton` starts without rebuilding the addon.
 *
 * The dependencies (piscina, commander, vega, …) come from npm's cache, which `npm ci` filled, and
 * the registry for anything missing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { EXPECTED_LDD, lddNames } from './linkage';

const ROOT = path.resolve(__dirname, '..', '..');
const PREBUILT = 'prebuilds/linux-x64/node.napi.glibc.node';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'softnewton-install-'));
process.on('exit', () => fs.rmSync(work, { recursive: true, force: true }));

/** A bin folder with node, npm and basic shell tools only: what a machine without build tools has. */
function bareBin(): string {
  const bin = path.join(work, 'bin');
  fs.mkdirSync(bin);
  const tools = ['node', 'npm', 'npx', 'sh', 'bash', 'env', 'cat', 'ls', 'mkdir', 'rm', 'cp', 'mv', 'ln', 'chmod', 'uname', 'grep', 'sed', 'dirname', 'basename', 'readlink', 'tar', 'gzip'];
  for (const tool of tools) {
    const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
    // node, npm, npx, sh and env are needed; the others are linked where the machine has them.
    if (found.status !== 0) continue;
    fs.symlinkSync(found.stdout.trim(), path.join(bin, tool));
  }
  return bin;
}

const BIN = bareBin();
/** A clean environment: nothing of the `npm test` that runs us (npm_config_*, npm_lifecycle_*). */
const bareEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  PATH: BIN,
  HOME: os.homedir(),
  npm_config_update_notifier: 'false',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  ...extra,
});

function runBare(command: string, args: string[], cwd: string, env = bareEnv()): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('the bare PATH has node and npm but no compiler, make or python3', () => {
  for (const tool of ['node', 'npm', 'npx']) assert.equal(runBare('sh', ['-c', `command -v ${tool}`], work).status, 0, tool);
  for (const tool of ['cc', 'c++', 'gcc', 'g++', 'clang', 'make', 'python3', 'python']) {
    assert.notEqual(runBare('sh', ['-c', `command -v ${tool}`], work).status, 0, `${tool} must not be reachable`);
  }
});

test('the packed tarball installs without build tools, loads the prebuilt, solves, and runs its CLI', { timeout: 180_000 }, () => {
  // What `npm pack` runs first (prepack) is scripts/ensure.sh, then scripts/prebuild.sh. Here only the
  // second: `npm test` has just run the first, and a rebuild of dist/ under the other test files
  // running beside this one would break them.
  const prepack = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.prepack;
  assert.match(prepack, /scripts\/ensure\.sh.*scripts\/prebuild\.sh/);
  execFileSync('bash', [path.join(ROOT, 'scripts', 'prebuild.sh')], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  const packed = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const [pack] = JSON.parse(packed.slice(packed.indexOf('[\n'))) as { filename: string; size: number; files: { path: string; mode: number }[] }[];
  const files = new Map(pack.files.map((f) => [f.path, f.mode]));
  for (const f of [PREBUILT, 'dist/src/index.js', 'dist/src/cli/main.js', 'README.md', 'docs/cli.md', 'binding.gyp', 'native/core/matrix.cc',
    'licenses/OpenBLAS.txt', 'licenses/LAPACK-and-LAPACKE.txt', 'licenses/liblbfgs.txt', 'licenses/libgfortran-and-libquadmath.txt']) {
    assert.ok(files.has(f), `the package lacks ${f}`);
  }
  for (const f of files.keys()) {
    assert.doesNotMatch(f, /^(dist\/test|dist\/bench|test|bench|native\/bench|native\/fuzz|native\/test|build)\//, `the package must not carry ${f}`);
  }
  assert.ok((files.get('dist/src/cli/main.js')! & 0o111) !== 0, 'the bin file is executable in the tarball');

  const app = path.join(work, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
  const install = runBare('npm', ['install', '--prefer-offline', '--no-package-lock', path.join(work, pack.filename)], app);
  assert.equal(install.status, 0, `npm install failed:\n${install.stdout}\n${install.stderr}`);
  const installed = path.join(app, 'node_modules', 'softnewton');

  const script = `
    const sn = require('softnewton');
    const { problem, xStar } = sn.plantedProblem({ rows: 3000, cols: 12, density: 0.5, seed: 5 });
    const r = sn.solveSync(problem, { method: 'newton', tol: 1e-10, xStar });
    const last = r.trace[r.trace.length - 1];
    console.log(JSON.stringify({ converged: r.converged, stopReason: r.stopReason, distance: last.distance, cpu: sn.cpuFeatures() }));`;
  const solved = runBare('node', ['-e', script], app);
  assert.equal(solved.status, 0, solved.stderr);
  const out = JSON.parse(solved.stdout) as { converged: boolean; stopReason: string; distance: number; cpu: { baseline: string } };
  assert.equal(out.converged, true, out.stopReason);
  assert.ok(out.distance < 1e-6, `‖x − x*‖ = ${out.distance}`);
  assert.equal(out.cpu.baseline, 'x86-64');

  const help = runBare('npx', ['--no-install', 'softnewton', '--help'], app);
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /^Usage: softnewton/m);

  assert.equal(fs.existsSync(path.join(installed, 'build')), false, 'the install built the addon instead of using the prebuilt');
  assert.ok(fs.existsSync(path.join(installed, PREBUILT)));
  const ldd = spawnSync('ldd', [path.join(installed, PREBUILT)], { encoding: 'utf8' });
  assert.deepEqual(lddNames(ldd.stdout), EXPECTED_LDD);
});

test('npx softnewton in this clone starts without rebuilding the addon', { timeout: 120_000 }, () => {
  const addon = path.join(ROOT, 'build', 'Release', 'softnewton.node');
  const before = fs.statSync(addon).mtimeMs;
  // A fresh npm cache: npm exec installs the clone as a package afresh and runs its install script
  // (node-gyp-build), which must find the build and stop; a rebuild would need make and a compiler,
  // which the bare PATH lacks.
  const r = runBare('npx', ['softnewton', '--help'], ROOT, bareEnv({ npm_config_cache: path.join(work, 'npm-cache') }));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Usage: softnewton/m);
  assert.equal(fs.statSync(addon).mtimeMs, before, 'npx rebuilt the addon');
});
