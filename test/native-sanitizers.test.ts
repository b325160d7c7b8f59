/**
 * The native core under AddressSanitizer and UndefinedBehaviorSanitizer, and a short bounded fuzz
 * run (docs/reliability.md). One build serves both: native/fuzz/Makefile compiles the core once with
 * Debian's clang-14 (scripts/ensure.sh installs clang-14 and libclang-rt-14-dev) into build-fuzz/
 * (never build/), and links the fuzz harnesses and the test driver core_test from it, incrementally:
 * only the first run after a change of native/ compiles. (`make -C native/test run` builds and runs
 * the same suite with g++ instead.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const DRIVER = path.join(ROOT, 'build-fuzz', 'core_test');
const BUILD = ['-s', '-C', 'native/fuzz', '-j2'];

interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: Record<string, string> = {}, timeoutMs = 600_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}

// One BLAS thread: OpenBLAS's pool is not under test; the sanitizers then see only our threads
// (the sketches' own row-pass threads, which the suite does start). No suppressions are needed.
const SANITIZER_ENV = {
  OPENBLAS_NUM_THREADS: '1',
  ASAN_OPTIONS: 'detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1',
  UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
};

test('the sanitizer build is instrumented: a planted heap overflow and a signed overflow are reported', async () => {
  const build = await run('make', BUILD);
  assert.equal(build.status, 0, `building the sanitizer test driver failed:\n${build.stderr}`);
  const asan = await run(DRIVER, ['--selfcheck', 'asan'], SANITIZER_ENV);
  assert.notEqual(asan.status, 0);
  assert.match(asan.stderr, /ERROR: AddressSanitizer: heap-buffer-overflow/);
  const ubsan = await run(DRIVER, ['--selfcheck', 'ubsan'], SANITIZER_ENV);
  assert.notEqual(ubsan.status, 0);
  assert.match(ubsan.stderr, /runtime error: signed integer overflow/);
});

test('the native core test suite passes under AddressSanitizer and UndefinedBehaviorSanitizer', async () => {
  const build = await run('make', BUILD);
  assert.equal(build.status, 0, `building the sanitizer test driver failed:\n${build.stderr}`);
  const suite = await run(DRIVER, [path.join(ROOT, 'native', 'fuzz')], SANITIZER_ENV);
  const report = `${suite.stdout}\n${suite.stderr}`;
  assert.equal(suite.signal, null, `killed by ${suite.signal}:\n${report}`);
  assert.doesNotMatch(suite.stderr, /AddressSanitizer|LeakSanitizer|runtime error:/, report);
  assert.equal(suite.status, 0, report);
  const summary = /^(\d+) passed, (\d+) failed$/m.exec(suite.stdout);
  assert.ok(summary, `no summary line:\n${report}`);
  assert.equal(Number(summary[2]), 0, report);
  assert.ok(Number(summary[1]) >= 15, `only ${summary[1]} native tests ran`);
  const replayed = /replayed (\d+) stored fuzz inputs \((\d+) regressions\)/.exec(suite.stdout);
  assert.ok(replayed && Number(replayed[1]) > 100 && Number(replayed[2]) >= 2, `the fuzz inputs were not replayed:\n${suite.stdout}`);
});

test('a bounded libFuzzer run of each harness (CSR validation, models, solver) finds nothing', async () => {
  // FUZZ_SECONDS per target (default 8: 24 s in all); longer runs: docs/reliability.md.
  const seconds = process.env.FUZZ_SECONDS ?? '8';
  const fuzz = await run('bash', [path.join('scripts', 'fuzz.sh')], { FUZZ_SECONDS: seconds });
  assert.equal(fuzz.signal, null);
  assert.equal(fuzz.status, 0, `the fuzz run found something (input in build-fuzz/artifacts/):\n${fuzz.stderr}`);
  for (const target of ['csr', 'model', 'solve']) {
    assert.match(fuzz.stderr, new RegExp(`fuzz ${target}: \\d+ inputs in ${seconds} s, cov: \\d+, nothing found`));
  }
});
