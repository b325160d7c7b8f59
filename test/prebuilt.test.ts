/**
 * The addon as the package ships it (docs/install.md): it needs nothing at run time beyond glibc,
 * libstdc++ and libgcc_s (OpenBLAS, LAPACK(E), liblbfgs and the Fortran runtime are linked in),
 * exports only Node-API's entry points, is compiled for the x86-64 baseline, and its hot loops
 * carry the runtime-dispatch clones of native/core/dispatch.h.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

import { cpuFeatures } from '../src/native';
import { EXPECTED_LDD, lddNames } from './linkage';

const ROOT = path.resolve(__dirname, '..', '..');
const ADDON = path.join(ROOT, 'build', 'Release', 'softnewton.node');
const CHECK = path.join(ROOT, 'scripts', 'check-linkage.sh');

function run(command: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('the addon needs only glibc, libstdc++ and libgcc_s at run time (ldd)', () => {
  const r = run('bash', [CHECK, ADDON]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(lddNames(r.stdout), EXPECTED_LDD);
});

test('the linkage check fails on a library that needs OpenBLAS and gfortran at run time', () => {
  // Debian's shared LAPACKE: the kind of dependency the addon must not have.
  const r = run('bash', [CHECK, '/usr/lib/x86_64-linux-gnu/liblapacke.so.3']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /libopenblas\.so\.0|liblapack\.so\.3/);
  assert.match(r.stderr, /libgfortran\.so\.5/);
});

test('the addon exports only the Node-API entry points', () => {
  const r = run('nm', ['-D', '--defined-only', ADDON]);
  assert.equal(r.status, 0, r.stderr);
  const names = r.stdout.split('\n').filter(Boolean).map((l) => l.trim().split(/\s+/).at(-1)).sort();
  assert.deepEqual(names, ['napi_register_module_v1', 'node_api_module_get_api_version_v1']);
});

test('the addon asks at most glibc 2.35 and libstdc++ 3.4.30 (GCC 12), the platforms docs/install.md names', () => {
  const r = run('objdump', ['-T', ADDON]);
  assert.equal(r.status, 0, r.stderr);
  const newest = (prefix: string): number[] => {
    const versions = [...r.stdout.matchAll(new RegExp(`\\(${prefix}_([0-9.]+)\\)`, 'g'))].map((m) => m[1].split('.').map(Number));
    assert.ok(versions.length > 0, `no ${prefix} symbols`);
    return versions.reduce((a, b) => (compare(a, b) >= 0 ? a : b));
  };
  const compare = (a: number[], b: number[]): number => {
    for (let i = 0; i < Math.max(a.length, b.length); ++i) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
    return 0;
  };
  // 2.35: libmvec's log1p (native/core/vmath.cc) first appeared there.
  assert.ok(compare(newest('GLIBC'), [2, 35]) <= 0, `needs GLIBC_${newest('GLIBC').join('.')}`);
  assert.ok(compare(newest('GLIBCXX'), [3, 4, 30]) <= 0, `needs GLIBCXX_${newest('GLIBCXX').join('.')}`);
});

test('the hot loops carry x86-64-v4, x86-64-v3 and baseline clones', () => {
  const r = run('nm', ['-C', ADDON]);
  assert.equal(r.status, 0, r.stderr);
  // The fused passes' loops (docs/performance.md): z = Cx, the Cᵀ pass, the per-row stages, the Gram.
  for (const fn of ['MatrixView::multiplyRows(', 'MatrixView::transposedRows(', 'softmaxStage(', 'unitStage(', 'scatterGramColumns(']) {
    for (const clone of ['arch_x86_64_v4', 'arch_x86_64_v3', 'default']) {
      assert.ok(r.stdout.split('\n').some((l) => l.includes(fn) && l.includes(`[clone .${clone}]`)), `${fn} has no ${clone} clone`);
    }
  }
});

test('cpuFeatures: baseline build, and the clone the CPU supports', () => {
  const f = cpuFeatures();
  assert.equal(f.arch, 'x64');
  assert.equal(f.baseline, 'x86-64');
  assert.equal(f.dispatch, true);
  assert.equal(f.clone, f.x86_64_v4 ? 'x86-64-v4' : f.x86_64_v3 ? 'x86-64-v3' : 'default');
  // x86-64-v3 includes AVX2 and FMA; v4 includes AVX-512F.
  if (f.x86_64_v3) assert.ok(f.avx2 && f.fma);
  if (f.x86_64_v4) assert.ok(f.avx512f && f.x86_64_v3);
  assert.match(f.blasCore, /^\w+$/);
});

test('an addon that cannot load gives one error naming the causes and what to install', () => {
  // node-gyp-build's <NAME>_PREBUILD points the loader at a folder with neither a build nor a prebuilt.
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(path.join(ROOT, 'dist', 'src'))}).cpuFeatures()`], {
    encoding: 'utf8', timeout: 60_000, env: { ...process.env, SOFTNEWTON_PREBUILD: path.join(ROOT, 'no-such-folder') },
  });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /softnewton: could not load the native addon/);
  assert.match(r.stderr, /No native build was found for platform=linux arch=x64/);
  assert.match(r.stderr, /apt-get install build-essential python3 pkg-config libopenblas-dev/);
  assert.match(r.stderr, /npm rebuild softnewton/);
});
