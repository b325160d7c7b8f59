/**
 * One source of truth: the option schema (src/options.ts) against the native code it describes,
 * the API, the command line and the docs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CERTIFY_OPTIONS } from '../src/certify';
import { CLI_DOCS, renderOptionTables } from '../src/cli/docs-options';
import { InputError } from '../src/errors';
import { estimateSolveFootprint } from '../src/limits';
import { native } from '../src/native';
import { MODEL_OPTIONS, modelOption, modelOptionDefault, optionDefault, SOLVE_OPTIONS, solveOption } from '../src/options';
import { flagFor } from '../src/cli/flags';
import { Problem } from '../src/problem';
import { resolveSolveOptions } from '../src/resolve';
import { plantedProblem } from '../src/planted';
import { solveSync } from '../src/solve';
import { METHODS, MODELS, NEGATIVE_PARTS, SKETCHES, STOP_REASONS, TRACE_FIELDS, UNITS } from '../src/types';

const CLI = path.resolve(__dirname, '..', 'src', 'cli', 'main.js');

test('the TypeScript name lists equal the native ones, in order', () => {
  const names = native().names;
  assert.deepEqual([...METHODS], [...names.methods]);
  assert.deepEqual([...SKETCHES], [...names.sketches]);
  assert.deepEqual([...STOP_REASONS], [...names.stopReasons]);
  assert.deepEqual([...MODELS], [...names.models]);
  assert.deepEqual([...UNITS], [...names.units]);
  assert.deepEqual([...NEGATIVE_PARTS], [...names.negativeParts]);
});

test('the trace fields listed once in src/types.ts are exactly the fields of a native trace row', () => {
  const { problem } = plantedProblem({ rows: 200, cols: 4, density: 1, seed: 3 });
  for (const method of METHODS) {
    const r = solveSync(problem, { method, maxIter: 2 });
    for (const row of r.trace) assert.deepEqual(Object.keys(row).sort(), [...TRACE_FIELDS].sort(), method);
    assert.ok(STOP_REASONS.includes(r.stopReason));
    for (const row of r.trace) assert.ok(NEGATIVE_PARTS.includes(row.negativePart) && SKETCHES.includes(row.sketch));
  }
});

test("the schema's defaults equal the C++ SolverOptions defaults", () => {
  const defaults = native().defaults;
  for (const [name, value] of Object.entries(defaults)) assert.equal(optionDefault(solveOption(name)), value, name);
});

test('the ranges the native code depends on are its own: the schema and the binding accept and refuse the same values', () => {
  const { problem } = plantedProblem({ rows: 300, cols: 4, density: 1, seed: 2 });
  const limits = native().limits;
  const field = (f: () => unknown, name: string) => assert.throws(f, (e: unknown) => e instanceof InputError && e.field === name);
  const nativeRefuses = (options: object, name: string) => assert.throws(
    () => native().solveSync(problem.handle, { ...resolveSolveOptions(problem, {}), ...options }),
    (e: unknown) => e instanceof TypeError && e.message.startsWith(`${name}: `),
  );
  const base = { method: 'approx-newton' as const, sketch: 'osnap' as const, sketchRows: 200, maxIter: 1 };
  assert.equal(solveSync(problem, { ...base, osnapNonzeros: limits.osnapNonzerosMax }).iterations, 1);
  field(() => resolveSolveOptions(problem, { ...base, osnapNonzeros: limits.osnapNonzerosMax + 1 }), 'osnapNonzeros');
  nativeRefuses({ osnapNonzeros: limits.osnapNonzerosMax + 1 }, 'osnapNonzeros');
  for (const eps0 of [limits.eps0Above, limits.eps0Below]) {
    field(() => resolveSolveOptions(problem, { eps0 }), 'eps0');
    nativeRefuses({ eps0 }, 'eps0');
    assert.throws(() => native().sketchRowsForEpsilon(100, 4, eps0), /epsilon/);
  }
  assert.ok(resolveSolveOptions(problem, { eps0: 0.999 }).eps0 === 0.999);
  field(() => resolveSolveOptions(problem, { threads: limits.threadsMax + 1 }), 'threads');
  nativeRefuses({ threads: limits.threadsMax + 1 }, 'threads');
  field(() => resolveSolveOptions(problem, { maxIter: limits.maxIterMax + 1 }), 'maxIter');
  nativeRefuses({ maxIter: limits.maxIterMax + 1 }, 'maxIter');
  // The sketch binding reads the same osnap range.
  assert.throws(() => native().sketchGram(problem.handle, new Float64Array(4), { kind: 'osnap', rows: 200, osnapNonzeros: limits.osnapNonzerosMax + 1 }), /osnapNonzeros/);
});

test('every option is documented: the tables in docs/cli.md are what the schema renders (node dist/src/cli/docs-options.js rewrites them)', () => {
  const text = fs.readFileSync(CLI_DOCS, 'utf8');
  assert.equal(text, renderOptionTables(text), 'docs/cli.md is out of date: run node dist/src/cli/docs-options.js');
  for (const spec of [...MODEL_OPTIONS, ...SOLVE_OPTIONS, ...CERTIFY_OPTIONS]) assert.ok(text.includes(`| \`${spec.name}\` |`), spec.name);
  for (const name of ['model', 'solve', 'certify']) assert.ok(text.includes(`<!-- options:${name} -->`), name);
});

test('every flag of the schema is a flag of its command, with its default in the help', () => {
  const generateModel = MODEL_OPTIONS.filter((s) => s.name !== 'w' && s.name !== 'ridge');
  for (const [command, specs] of [['solve', [...MODEL_OPTIONS, ...SOLVE_OPTIONS]], ['certify', [...MODEL_OPTIONS, ...CERTIFY_OPTIONS]], ['eval', MODEL_OPTIONS], ['generate', generateModel]] as const) {
    const help = spawnSync(process.execPath, [CLI, command, '--help'], { encoding: 'utf8' }).stdout.replace(/\s+/g, ' ');
    for (const spec of specs.filter((s) => s.flag)) {
      assert.ok(help.includes(spec.flag!), `${command} --help lacks ${spec.flag}`);
    }
  }
  // A flag's range is the option's: the message names the flag.
  const r = spawnSync(process.execPath, [CLI, 'solve', '--data', 'none.svm', '--cols', '3', '--osnap-nonzeros', String(native().limits.osnapNonzerosMax + 1)], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^softnewton: --osnap-nonzeros: expected an integer from 1 to 64/);
});

test('estimateSolveFootprint with options left out uses the defaults: a finite number, never NaN', () => {
  const { problem } = plantedProblem({ rows: 500, cols: 6, density: 1, seed: 1 });
  for (const shape of [problem, { rows: 500, cols: 6 }]) {
    const f = estimateSolveFootprint(shape);
    assert.ok(Number.isFinite(f.bytes) && f.bytes > 0, String(f.bytes));
    assert.equal(f.parts.reduce((s, [, b]) => s + b, 0), f.bytes);
    for (const method of METHODS) assert.ok(Number.isFinite(estimateSolveFootprint(shape, { method }).bytes), method);
  }
  assert.throws(() => estimateSolveFootprint(problem, { eps0: 2 }), (e: unknown) => e instanceof InputError && e.field === 'eps0');
});

test("a Problem's model options are the schema's: its defaults, its ranges, the field of its errors", () => {
  const C = { rows: 3, cols: 2, data: Float64Array.of(1, 0, 0, 1, 1, 1) };
  const b = [0.2, 0.3, 0.5];
  for (const model of ['softmax-unit', 'softmax', 'relu-softmax'] as const) {
    const p = new Problem(C, b, { model });
    const scale = modelOptionDefault(modelOption('scale'), model);
    assert.deepEqual(Array.from(p.scale), [scale === 'n' ? 3 : scale], model);
    assert.equal(p.scaleRule, scale, model);
    assert.equal(p.unit, optionDefault(modelOption('unit')));
    assert.deepEqual([Array.from(p.bias), Array.from(p.w), p.ridge], [[optionDefault(modelOption('bias'))], [optionDefault(modelOption('w'))], optionDefault(modelOption('ridge'))]);
  }
  assert.equal(new Problem(C, b).model, optionDefault(modelOption('model')));
  const field = (options: object, name: string, message: RegExp) =>
    assert.throws(() => new Problem(C, b, options), (e: unknown) => e instanceof InputError && e.field === name && message.test(e.message));
  field({ model: 'softmax-units' }, 'model', /expected one of softmax-unit, softmax, relu-softmax/);
  field({ unit: 'relux' }, 'unit', /expected one of/);
  field({ w: -1 }, 'w', /^w: /);
  field({ w: [0, -1, 0] }, 'w', /entry 1 is -1/);
  field({ ridge: -1 }, 'ridge', /^ridge: /);
  field({ scale: 'm' }, 'scale', /^scale: /);
  field({ bias: [1, 2] }, 'bias', /^bias: /);
  assert.equal(new Problem(C, b, { scale: 'n' }).scale[0], 3);
  // null is an omitted option, as it was before the schema.
  const nulls = new Problem(C, b, { model: null, unit: null, bias: null, w: null, ridge: null } as unknown as object);
  assert.deepEqual([nulls.model, nulls.unit, nulls.bias[0], nulls.w[0], nulls.ridge], ['softmax-unit', 'identity', 0, 0, 0]);
});

test('CLI errors name the flag the schema gives an option (flagFor), for solve and model options alike', () => {
  for (const spec of [...MODEL_OPTIONS, ...SOLVE_OPTIONS]) assert.equal(flagFor(spec.name), spec.flag?.split(' ')[0], spec.name);
  assert.equal(flagFor('onIteration'), undefined);
  const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  const r = run('eval', '--data', 'none.svm', '--cols', '3', '--x', 'none.json', '--ridge', '-1');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^softnewton: --ridge: expected a finite number ≥ 0|^softnewton: --ridge: expected a finite number >= 0/);
  const u = run('solve', '--data', 'none.svm', '--cols', '3', '--unit', 'sigmod');
  assert.equal(u.status, 2);
  assert.match(u.stderr, /^softnewton: --unit: expected one of .*did you mean "sigmoid"/);
});
