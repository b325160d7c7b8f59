/**
 * The data formats beyond LIBSVM (docs/formats.md): Matrix Market, CSV, NumPy .npy and target
 * files — what each accepts, every malformed case with its file and line or byte offset, the
 * writers' round trips, large streamed files, the same planted problem loaded from every format
 * as the same Problem (API and CLI), and the CLI's data flags, outputs and --config.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

import { EXIT } from '../src/cli/common';
import { configArgument } from '../src/cli/config';
import { benchScript, runScript } from '../src/cli/bench';
import { DataFormatError, InputError } from '../src/errors';
import { parseCsv, readCsv, writeCsv } from '../src/io/csv';
import { detectFormat, readData } from '../src/io/data';
import { writeLibsvm } from '../src/io/libsvm';
import { parseMatrixMarket, readMatrixMarket, writeMatrixMarket } from '../src/io/mtx';
import { npyHeader, readNpy, readNpyMatrix, readNpyVector, writeNpy } from '../src/io/npy';
import { TRACE_COLUMNS, writeTrace, writeVector } from '../src/io/results';
import { readTarget } from '../src/io/target';
import { CsrMatrix, Matrix, toDense, validateMatrix } from '../src/matrix';
import { generatePlanted } from '../src/planted';
import { Problem } from '../src/problem';
import { solveSync, TraceRow } from '../src/solve';

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'softnewton-formats-'));
process.on('exit', () => fs.rmSync(workDir, { recursive: true, force: true }));
const inWork = (name: string) => path.join(workDir, name);
const MAIN = path.resolve(__dirname, '..', 'src', 'cli', 'main.js');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The command as users run it: a child process (for exit codes and output as the shell sees them). */
function softnewton(...args: string[]): Run {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd: workDir, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Several command lines in one child process, one after another (a Node start costs half a second on
 * a busy machine): a driver calls main(), which returns the exit code the process would have, with
 * stdout and stderr captured per command line and process.exitCode reset between them.
 */
const DRIVER = `
const { main } = require(${JSON.stringify(path.resolve(__dirname, '..', 'src', 'cli', 'main.js'))});
const fs = require('fs');
(async () => {
  const [casesFile, resultFile] = process.argv.slice(2);
  const results = [];
  for (const args of JSON.parse(fs.readFileSync(casesFile, 'utf8'))) {
    const out = [], err = [];
    const writeOut = process.stdout.write, writeErr = process.stderr.write;
    process.stdout.write = (chunk) => (out.push(String(chunk)), true);
    process.stderr.write = (chunk) => (err.push(String(chunk)), true);
    let status;
    try { status = await main(['node', 'softnewton', ...args]); }
    finally { process.stdout.write = writeOut; process.stderr.write = writeErr; process.exitCode = undefined; }
    results.push({ status, stdout: out.join(''), stderr: err.join('') });
  }
  fs.writeFileSync(resultFile, JSON.stringify(results));
})();
`;

function cliMany(cases: string[][]): Run[] {
  const driver = inWork('driver.js');
  if (!fs.existsSync(driver)) fs.writeFileSync(driver, DRIVER);
  fs.writeFileSync(inWork('cases.json'), JSON.stringify(cases));
  const r = spawnSync(process.execPath, [driver, 'cases.json', 'results.json'], { cwd: workDir, encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw r.error;
  assert.equal(r.status, 0, `driver: ${r.stderr}`);
  return JSON.parse(fs.readFileSync(inWork('results.json'), 'utf8'));
}

/** Exit 2 with one line on stderr, no stack trace, naming each of `names`. */
function assertUserError(run: Run, ...names: string[]): void {
  assert.equal(run.status, EXIT.userError, `exit code; stderr: ${run.stderr}`);
  assert.equal(run.stdout, '');
  const lines = run.stderr.split('\n');
  assert.equal(lines.length, 2, `one line on stderr, got ${JSON.stringify(run.stderr)}`);
  assert.ok(lines[0].startsWith('softnewton: '), lines[0]);
  assert.doesNotMatch(run.stderr, /\n\s+at |Error:/, 'no stack trace');
  for (const name of names) assert.ok(lines[0].includes(name), `${JSON.stringify(lines[0])} should name ${name}`);
}

function sameBits(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Expects `f` to throw a DataFormatError for `file` at `line` whose message (after the prefix) matches `pattern`. */
function assertMalformed(f: () => unknown, file: string, line: number | undefined, pattern: RegExp): void {
  assert.throws(f, (error: unknown) => {
    assert.ok(error instanceof DataFormatError, `expected a DataFormatError, got ${error}`);
    assert.equal(error.file, file);
    assert.equal(error.line, line, `line of ${error.message}`);
    const prefix = line === undefined ? `${file}: ` : `${file}:${line}: `;
    assert.ok(error.message.startsWith(prefix), `${JSON.stringify(error.message)} should start with ${prefix}`);
    assert.match(error.message.slice(prefix.length), pattern);
    return true;
  });
}

async function assertRejectsMalformed(p: Promise<unknown>, file: string, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (error: unknown) => {
    assert.ok(error instanceof DataFormatError, `expected a DataFormatError, got ${error}`);
    assert.equal(error.file, file);
    assert.match(error.message, pattern);
    return true;
  });
}

// ---------------------------------------------------------------------------------------------
// The same planted problem from every format

const planted = generatePlanted({ rows: 240, cols: 7, density: 0.5, unit: 'sigmoid', bias: -0.2, seed: 5 });
const MODEL = { ...planted.model, w: 0.05 };

/** C with b inserted as column `at` (0-based), as CSR. */
function withColumn(C: CsrMatrix, b: Float64Array, at: number): CsrMatrix {
  const indptr = new Int32Array(C.rows + 1);
  const indices: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < C.rows; i++) {
    let placed = false;
    for (let p = C.indptr[i]; p < C.indptr[i + 1]; p++) {
      if (!placed && C.indices[p] >= at) {
        indices.push(at);
        values.push(b[i]);
        placed = true;
      }
      indices.push(C.indices[p] >= at ? C.indices[p] + 1 : C.indices[p]);
      values.push(C.values[p]);
    }
    if (!placed) {
      indices.push(at);
      values.push(b[i]);
    }
    indptr[i + 1] = indices.length;
  }
  return { rows: C.rows, cols: C.cols + 1, indptr, indices: Int32Array.from(indices), values: Float64Array.from(values) };
}

const TARGET_TEXT = `${Array.from(planted.b, (v) => String(v)).join('\n')}\n`;

/** Every format (and .gz) holding the planted problem, with the readData options that load it. */
async function writeAllFormats(): Promise<Array<{ file: string; options: { target?: string; targetColumn?: string | number; cols?: number }; cli: string[] }>> {
  const { C, b } = planted;
  fs.writeFileSync(inWork('b.txt'), TARGET_TEXT);
  await writeNpy(inWork('b.npy'), b);
  await writeLibsvm(inWork('p.svm'), C, b);
  await writeLibsvm(inWork('p.libsvm.gz'), C, b);
  await writeMatrixMarket(inWork('p.mtx'), C);
  await writeMatrixMarket(inWork('p-target.mtx.gz'), withColumn(C, b, 3));
  await writeCsv(inWork('p.csv'), C, b, { targetName: 'label' });
  await writeCsv(inWork('p.csv.gz'), C, b);
  await writeNpy(inWork('p.npy'), C);
  await writeNpy(inWork('p-target.npy.gz'), toDense(withColumn(C, b, 0)));
  return [
    { file: 'p.svm', options: { cols: 7 }, cli: ['--cols', '7'] },
    { file: 'p.libsvm.gz', options: { cols: 7 }, cli: ['--cols', '7'] },
    { file: 'p.mtx', options: { target: inWork('b.txt') }, cli: ['--target', 'b.txt'] },
    { file: 'p-target.mtx.gz', options: { targetColumn: 4 }, cli: ['--target-column', '4'] },
    { file: 'p.csv', options: { targetColumn: 'label' }, cli: ['--target-column', 'label'] },
    { file: 'p.csv.gz', options: { targetColumn: 8 }, cli: ['--target-column', '8', '--cols', '7'] },
    { file: 'p.npy', options: { target: inWork('b.npy') }, cli: ['--target', 'b.npy'] },
    { file: 'p-target.npy.gz', options: { targetColumn: '1' }, cli: ['--target-column', '1'] },
  ];
}

let formats: Awaited<ReturnType<typeof writeAllFormats>> | undefined;
async function allFormats() {
  formats ??= await writeAllFormats();
  return formats;
}

test('the same planted problem loads from every format (and .gz) as the same C, b and Problem', async () => {
  const reference = new Problem(planted.C, planted.b, MODEL);
  const x = Float64Array.from(planted.xStar, (v, j) => v + 0.1 * Math.sin(j + 1));
  const expected = reference.evaluate(x);
  const dense = toDense(planted.C).data;
  for (const { file, options } of await allFormats()) {
    const data = await readData(inWork(file), options);
    assert.equal(data.C.rows, planted.C.rows, file);
    assert.equal(data.C.cols, planted.C.cols, file);
    assert.ok(sameBits(toDense(data.C).data, dense), `${file}: C differs`);
    assert.ok(sameBits(data.b, planted.b), `${file}: b differs`);
    const problem = new Problem(data.C, data.b, MODEL);
    const got = problem.evaluate(x);
    // CSR and dense rows take different native paths: the same value up to rounding.
    assert.ok(Math.abs(got.loss - expected.loss) <= 1e-12 * Math.abs(expected.loss), `${file}: loss ${got.loss} vs ${expected.loss}`);
    for (let j = 0; j < x.length; j++) {
      assert.ok(Math.abs(got.gradient[j] - expected.gradient[j]) <= 1e-10 * (1 + Math.abs(expected.gradient[j])), `${file}: gradient ${j}`);
    }
  }
});

test('the CLI evaluates the same problem from every format (eval --data with --target / --target-column)', async () => {
  fs.writeFileSync(inWork('x.json'), JSON.stringify(Array.from(planted.xStar)));
  const model = ['--unit', 'sigmoid', '--bias', '-0.2', '--scale', 'n', '--w', '0.05'];
  let first: { loss: number; gradient: number[] } | undefined;
  const all = await allFormats();
  const runs = cliMany(all.map(({ file, cli }) => ['eval', '--data', file, ...cli, '--x', 'x.json', ...model]));
  for (const [k, { file }] of all.entries()) {
    const run = runs[k];
    assert.equal(run.status, EXIT.ok, `${file}: ${run.stderr}`);
    const out = JSON.parse(run.stdout);
    first ??= out;
    assert.ok(Math.abs(out.loss - first!.loss) <= 1e-12 * Math.abs(first!.loss), `${file}: ${out.loss} vs ${first!.loss}`);
    out.gradient.forEach((g: number, j: number) => assert.ok(Math.abs(g - first!.gradient[j]) <= 1e-10 * (1 + Math.abs(g)), `${file}: gradient ${j}`));
  }
});

// ---------------------------------------------------------------------------------------------
// Matrix Market

test('Matrix Market: coordinate real/integer/pattern general, comments, blank lines, any entry order, CRLF', () => {
  const text = [
    '%%MatrixMarket matrix coordinate real general',
    '% a comment',
    '%',
    '3 4 5',
    '3 1 -2.5',
    '1 4 1e-3',
    '',
    '% between entries',
    '1 2 .5',
    '2 3 7',
    '3 4 +8',
  ].join('\r\n');
  const { C, field } = parseMatrixMarket(text);
  assert.equal(field, 'real');
  assert.equal(C.rows, 3);
  assert.equal(C.cols, 4);
  assert.deepEqual(Array.from(C.indptr), [0, 2, 3, 5]);
  assert.deepEqual(Array.from(C.indices), [1, 3, 2, 0, 3]);
  assert.deepEqual(Array.from(C.values), [0.5, 1e-3, 7, -2.5, 8]);
  validateMatrix(C);

  const pattern = parseMatrixMarket('%%matrixmarket MATRIX Coordinate PATTERN General\n2 2 2\n2 1\n1 2\n');
  assert.equal(pattern.field, 'pattern');
  assert.deepEqual(Array.from(pattern.C.values), [1, 1]);
  assert.deepEqual(Array.from(pattern.C.indices), [1, 0]);

  const integer = parseMatrixMarket('%%MatrixMarket matrix coordinate integer general\n1 2 1\n1 2 -4\n');
  assert.deepEqual(Array.from(integer.C.values), [-4]);

  // A target column: its entries become b (0 where absent); the columns after it shift left.
  const target = parseMatrixMarket('%%MatrixMarket matrix coordinate real general\n3 3 4\n1 1 1\n1 2 5\n2 3 6\n3 2 7\n', { targetColumn: 2 });
  assert.deepEqual(Array.from(target.b!), [5, 0, 7]);
  assert.equal(target.C.cols, 2);
  assert.deepEqual(Array.from(target.C.indices), [0, 1]);
  assert.deepEqual(Array.from(target.C.indptr), [0, 1, 2, 2]);
  // Rows without entries and an empty matrix are legal.
  const empty = parseMatrixMarket('%%MatrixMarket matrix coordinate real general\n2 3 0\n');
  assert.deepEqual(Array.from(empty.C.indptr), [0, 0, 0]);
});

test('Matrix Market: each malformed case names the file, the line and what was expected', () => {
  const banner = '%%MatrixMarket matrix coordinate real general';
  const cases: Array<[string, number | undefined, RegExp]> = [
    ['hello\n1 1 1\n', 1, /expected the banner "%%MatrixMarket matrix coordinate real general" on the first line, found "hello"/],
    ['%%MatrixMarket vector coordinate real general\n', 1, /expected object "matrix"/],
    ['%%MatrixMarket matrix array real general\n2 2\n', 1, /expected format "coordinate".*dense "array" files are not read: use \.npy or \.csv/],
    ['%%MatrixMarket matrix coordinate complex general\n', 1, /expected field "real", "integer" or "pattern" in the banner, found "complex"/],
    ['%%MatrixMarket matrix coordinate real symmetric\n', 1, /expected symmetry "general" in the banner, found "symmetric" \(only one triangle is stored; write the full matrix as general\)/],
    [`${banner}\n% c\n3 3\n`, 3, /expected the size line "rows cols entries" \(three integers\), found only 2 integers: "3 3"/],
    [`${banner}\n3 x 1\n`, 2, /expected the size line/],
    [`${banner}\n0 3 0\n`, 2, /expected rows from 1 to/],
    [`${banner}\n2 2 5\n`, 2, /expected at most rows × cols = 4 entries/],
    [`${banner}\n3 3 2\n1 1 1\n4 1 1\n`, 4, /expected a row from 1 to 3, found 4/],
    [`${banner}\n3 3 1\n1 0 1\n`, 3, /expected a column from 1 to 3, found 0/],
    [`${banner}\n3 3 1\n1 1 abc\n`, 3, /expected an entry "row col value" with a finite decimal value, found "1 1 abc"/],
    [`${banner}\n3 3 1\n1 1 nan\n`, 3, /finite decimal value/],
    [`${banner}\n3 3 1\n1 1 1e999\n`, 3, /finite decimal value/],
    [`${banner}\n3 3 1\n1 1\n`, 3, /finite decimal value, found "1 1"/],
    [`${banner}\n3 3 1\n1.5 1 2\n`, 3, /1-based integer indices/],
    [`${banner}\n3 3 1\n1 1 2 5\n`, 3, /expected an entry "row col value" and nothing after it, found "1 1 2 5"/],
    ['%%MatrixMarket matrix coordinate pattern general\n3 3 1\n1 1 2\n', 3, /expected an entry "row col" and nothing after it/],
    ['%%MatrixMarket matrix coordinate integer general\n3 3 1\n1 1 2.5\n', 3, /expected an integer value \(the banner says "integer"\), found "2.5"/],
    [`${banner}\n3 3 1\n1 1 1\n2 2 2\n`, 4, /expected no more entries: the size line declares 1/],
    [`${banner}\n3 3 3\n1 1 1\n2 2 2\n`, undefined, /expected 3 entries \(as the size line declares\), found 2: is the file truncated\?/],
    [`${banner}\n3 3 3\n1 2 1\n% skip\n2 2 2\n1 2 3\n`, 6, /duplicate entry for row 1, column 2 \(first given on line 3\): each entry may appear once/],
    [`${banner}\n3 3 3\n2 3 1\n2 1 2\n2 3 3\n`, 5, /duplicate entry for row 2, column 3 \(first given on line 3\)/],
    ['', undefined, /no data: expected the banner/],
    [`${banner}\n% only comments\n`, undefined, /no size line/],
  ];
  for (const [text, line, pattern] of cases) assertMalformed(() => parseMatrixMarket(text, { name: 'C.mtx' }), 'C.mtx', line, pattern);
  // A duplicate inside the target column, too.
  assertMalformed(() => parseMatrixMarket(`${banner}\n2 2 2\n1 2 1\n1 2 3\n`, { name: 'C.mtx', targetColumn: 2 }), 'C.mtx', 4, /duplicate entry for row 1, column 2/);
  assert.throws(() => parseMatrixMarket(`${banner}\n2 2 1\n1 1 1\n`, { targetColumn: 3 }), (e: unknown) => e instanceof InputError && e.field === 'targetColumn' && /from 1 to 2/.test(e.message));
  assert.throws(() => parseMatrixMarket(`${banner}\n2 1 1\n1 1 1\n`, { targetColumn: 1 }), (e: unknown) => e instanceof InputError && /without columns/.test(e.message));
  assert.throws(() => parseMatrixMarket(`${banner}\n2 3 1\n1 1 1\n`, { cols: 4 }), (e: unknown) => e instanceof InputError && e.field === 'cols' && /expected 3/.test(e.message));
});

test('Matrix Market: the streaming reader gives the same result and line numbers across chunk boundaries, and .gz', async () => {
  // Long comment lines push entries across the 64 KiB chunk boundaries.
  const lines = ['%%MatrixMarket matrix coordinate real general', `%${'x'.repeat(70_000)}`, '50 4 200'];
  for (let k = 0; k < 200; k++) lines.push(`${(k % 50) + 1} ${Math.floor(k / 50) + 1} ${(k * 0.37 - 3).toPrecision(17)}${k % 7 === 0 ? ' '.repeat(900) : ''}`);
  const text = `${lines.join('\n')}\n`;
  fs.writeFileSync(inWork('chunks.mtx'), text);
  fs.writeFileSync(inWork('chunks.mtx.gz'), zlib.gzipSync(text));
  const expected = parseMatrixMarket(text);
  for (const name of ['chunks.mtx', 'chunks.mtx.gz']) {
    const got = await readMatrixMarket(inWork(name));
    assert.ok(sameBits(got.C.indptr, expected.C.indptr) && sameBits(got.C.indices, expected.C.indices) && sameBits(got.C.values, expected.C.values), name);
  }
  fs.writeFileSync(inWork('bad.mtx'), text.replace(/\n20 4 [^\n]*\n/, '\n20 4 oops\n'));
  const badLine = text.split('\n').findIndex((l) => l.startsWith('20 4 ')) + 1;
  await assert.rejects(readMatrixMarket(inWork('bad.mtx')), (e: unknown) => e instanceof DataFormatError && e.line === badLine && e.file === inWork('bad.mtx'));
  fs.writeFileSync(inWork('corrupt.mtx.gz'), zlib.gzipSync(text).subarray(0, 500));
  await assertRejectsMalformed(readMatrixMarket(inWork('corrupt.mtx.gz')), inWork('corrupt.mtx.gz'), /not a valid gzip file/);
  await assert.rejects(readMatrixMarket(inWork('missing.mtx')), (e: unknown) => e instanceof InputError && /cannot read the file: no such file or directory/.test(e.message));
});

// ---------------------------------------------------------------------------------------------
// CSV

test('CSV: a detected header, target by name or index, quotes, blanks and comments, CRLF, a byte order mark', () => {
  const text = '\uFEFF# exported\r\n"x 1", x2 ,"y ""target"""\r\n1, 2.5 ,3\r\n\r\n"4",-5e-1,  6  \r\n';
  const byName = parseCsv(text, { targetColumn: 'y "target"' });
  assert.deepEqual(byName.columns, ['x 1', 'x2']);
  assert.equal(byName.target, 'y "target"');
  assert.deepEqual(Array.from(byName.C.data), [1, 2.5, 4, -0.5]);
  assert.deepEqual(Array.from(byName.b!), [3, 6]);
  const byIndex = parseCsv(text, { targetColumn: 1 });
  assert.deepEqual(Array.from(byIndex.b!), [1, 4]);
  assert.deepEqual(Array.from(byIndex.C.data), [2.5, 3, -0.5, 6]);
  // No header: every line is a row; the target is an index (a string of digits works too).
  const plain = parseCsv('1,2,3\n4,5,6\n', { targetColumn: '3' });
  assert.equal(plain.columns, undefined);
  assert.deepEqual(Array.from(plain.b!), [3, 6]);
  assert.deepEqual(Array.from(plain.C.data), [1, 2, 4, 5]);
  // A header of numbers is read as a header when told so; its names match before indices do.
  const numeric = parseCsv('3,1,2\n10,20,30\n', { header: true, targetColumn: '1' });
  assert.deepEqual(Array.from(numeric.b!), [20]);
  // Without a target column there is no b.
  assert.equal(parseCsv('1,2\n').b, undefined);
});

test('CSV: each malformed case names the file, the line and what was expected', () => {
  const cases: Array<[string, number | undefined, RegExp]> = [
    ['a,1,b\n1,2,3\n', 1, /cannot tell whether the first line is a header: 1 of its 3 fields are numbers/],
    ['a,b,c\n1,2\n', 2, /expected 3 fields \(as the header on line 1\), found 2/],
    ['a,b\n1,2,3\n', 2, /expected 2 fields \(as the header on line 1\), found more/],
    ['1,2\n1,2,\n', 2, /expected 2 fields \(as line 1\), found more/],
    ['a,b\n1,abc\n', 2, /expected a finite decimal number in column 2 \("b"\), found "abc"/],
    ['1,2\n3,\n', 2, /expected a finite decimal number in column 2, found ""/],
    ['a,b\n1,nan\n', 2, /column 2 \("b"\), found "nan"/],
    ['a,b\n1,"2\n', 2, /column 2 \("b"\), found "\\"2"/],
    ['"a,b\n1,2\n', 1, /unterminated quote/],
    ['a,b\n', undefined, /no data: expected at least one row of numbers after the header/],
    ['# only a comment\n', undefined, /no data/],
  ];
  for (const [text, line, pattern] of cases) assertMalformed(() => parseCsv(text, { name: 't.csv' }), 't.csv', line, pattern);
  const inputError = (text: string, options: object, pattern: RegExp) =>
    assert.throws(() => parseCsv(text, { name: 't.csv', ...options }), (e: unknown) => e instanceof InputError && !(e instanceof DataFormatError) && pattern.test(e.message), String(pattern));
  inputError('a,b\n1,2\n', { targetColumn: 'c' }, /targetColumn: t\.csv: no column named "c"; its columns are "a", "b"/);
  inputError('1,2\n', { targetColumn: 'c' }, /it has no header, so give a 1-based column index/);
  inputError('a,a\n1,2\n', { targetColumn: 'a' }, /2 columns are named "a" \(columns 1, 2\): give the index instead/);
  inputError('a,b\n1,2\n', { targetColumn: 3 }, /expected a column from 1 to 2/);
  inputError('a,b\n1,2\n', { targetColumn: 2, cols: 2 }, /cols: expected 1/);
  inputError('a\n1\n', { targetColumn: 1 }, /without columns/);
});

// ---------------------------------------------------------------------------------------------
// NumPy

/** A .npy file with any header dict, version and data bytes. */
function npyBytes(dict: string, data: Buffer, version = 1, pad = true): Buffer {
  let header = dict;
  const prefix = version === 1 ? 10 : 12;
  if (pad) header += ' '.repeat((64 - ((prefix + header.length + 1) % 64)) % 64);
  header += '\n';
  const out = Buffer.alloc(prefix + header.length);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]).copy(out);
  if (version === 1) out.writeUInt16LE(header.length, 8);
  else out.writeUInt32LE(header.length, 8);
  out.write(header, prefix, 'latin1');
  return Buffer.concat([out, data]);
}

function doubles(values: number[], bigEndian = false): Buffer {
  const out = Buffer.alloc(values.length * 8);
  values.forEach((v, k) => (bigEndian ? out.writeDoubleBE(v, k * 8) : out.writeDoubleLE(v, k * 8)));
  return out;
}

test('NumPy: C and Fortran order, big-endian, versions 1–3, vectors of shape (n,), (n, 1) and (1, n), .gz', async () => {
  // The 2 × 3 matrix [[1, 2, 3], [4, 5, 6]].
  const rowMajor = [1, 2, 3, 4, 5, 6];
  const colMajor = [1, 4, 2, 5, 3, 6];
  const files: Array<[string, Buffer]> = [
    ['c.npy', npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", doubles(rowMajor))],
    ['f.npy', npyBytes("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", doubles(colMajor))],
    ['be.npy', npyBytes("{'descr': '>f8', 'fortran_order': False, 'shape': (2, 3), }", doubles(rowMajor, true))],
    ['fbe.npy', npyBytes('{"descr": ">f8", "fortran_order": True, "shape": (2,3)}', doubles(colMajor, true), 2)],
    ['v3.npy', npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", doubles(rowMajor), 3)],
  ];
  for (const [name, bytes] of files) {
    fs.writeFileSync(inWork(name), bytes);
    fs.writeFileSync(inWork(`${name}.gz`), zlib.gzipSync(bytes));
    for (const file of [name, `${name}.gz`]) {
      const a = await readNpy(inWork(file));
      assert.deepEqual(a.shape, [2, 3], file);
      assert.deepEqual(Array.from(a.data), rowMajor, file);
    }
  }
  const { C, b } = await readNpyMatrix(inWork('f.npy'), { targetColumn: 2 });
  assert.deepEqual(Array.from(C.data), [1, 3, 4, 6]);
  assert.deepEqual(Array.from(b!), [2, 5]);
  for (const shape of ['(3,)', '(3, 1)', '(1, 3)']) {
    fs.writeFileSync(inWork('v.npy'), npyBytes(`{'descr': '<f8', 'fortran_order': True, 'shape': ${shape}, }`, doubles([7, 8, 9])));
    assert.deepEqual(Array.from(await readNpyVector(inWork('v.npy'))), [7, 8, 9], shape);
  }
});

test('NumPy: Fortran and big-endian data whose elements straddle the read chunks', async () => {
  // An unpadded header puts the data at an odd offset, so 8-byte elements cross the 64 KiB chunk boundaries.
  const rows = 3001, cols = 7;
  const value = (i: number, j: number) => Math.sin(i * 31 + j) * 1e3;
  const colMajor: number[] = [];
  for (let j = 0; j < cols; j++) for (let i = 0; i < rows; i++) colMajor.push(value(i, j));
  for (const [name, descr, big] of [['odd-f.npy', '<f8', false], ['odd-be.npy', '>f8', true]] as const) {
    let dict = `{'descr': '${descr}', 'fortran_order': True, 'shape': (${rows}, ${cols}), }`;
    while ((10 + dict.length + 1) % 8 !== 3) dict += ' ';
    const bytes = npyBytes(dict, doubles(colMajor, big), 1, false);
    assert.notEqual((bytes.length - rows * cols * 8) % 8, 0, 'the data starts at an odd offset');
    fs.writeFileSync(inWork(name), bytes);
    const a = await readNpy(inWork(name));
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) assert.equal(a.data[i * cols + j], value(i, j), `${name} (${i}, ${j})`);
  }
});

test('NumPy: other dtypes, shapes, truncation, trailing bytes and non-finite values are refused with the byte offset', async () => {
  const good = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }";
  const cases: Array<[Buffer, RegExp]> = [
    [Buffer.from('not a npy file at all'), /^byte 0: expected the NumPy magic string "\\x93NUMPY", found "not a ": not a \.npy file/],
    [npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", Buffer.alloc(16)), /^byte 10: expected dtype float64 \('<f8'\), found '<f4' \(convert with a\.astype\(np\.float64\)\)/],
    [npyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (2, 2), }", Buffer.alloc(32)), /found '<i8'/],
    [npyBytes("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (2,), }", Buffer.alloc(16)), /structured dtype/],
    [npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2, 2), }", Buffer.alloc(64)), /expected an array of 2 dimensions, found shape \(2, 2, 2\)/],
    [npyBytes("{'descr': '<f8', 'shape': (2, 2), }", Buffer.alloc(32)), /the header has no 'fortran_order' key/],
    [npyBytes(good, doubles([1, 2, 3])), /^byte 152: the data ends after 24 of the 32 bytes that shape \(2, 2\) of float64 needs: is the file truncated\?/],
    [npyBytes(good, doubles([1, 2, 3, 4, 5])), /^byte 160: 8 bytes after the 32 bytes that shape \(2, 2\) of float64 needs/],
    [npyBytes(good, doubles([1, 2, NaN, 4])), /row 2, column 1 is NaN: every value must be finite/],
    [npyBytes(good, Buffer.alloc(0)).subarray(0, 40), /^byte 40: the file ends inside the header/],
    [Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 9, 0]), Buffer.alloc(8)]), /^byte 6: expected format version 1, 2 or 3, found 9\.0/],
    [Buffer.alloc(0), /byte 0: .*\(the file is empty\)/],
  ];
  for (const [k, [bytes, pattern]] of cases.entries()) {
    const file = inWork(`bad${k}.npy`);
    fs.writeFileSync(file, bytes);
    await assert.rejects(readNpyMatrix(file), (error: unknown) => {
      assert.ok(error instanceof DataFormatError && error.file === file && error.line === undefined, `case ${k}: ${error}`);
      assert.ok(error.message.startsWith(`${file}: `), error.message);
      assert.match(error.message.slice(file.length + 2), pattern, `case ${k}`);
      return true;
    });
  }
  fs.writeFileSync(inWork('m.npy'), npyBytes(good, doubles([1, 2, 3, 4])));
  await assertRejectsMalformed(readNpyVector(inWork('m.npy')), inWork('m.npy'), /expected a vector: shape \(n,\), \(n, 1\) or \(1, n\), found \(2, 2\)/);
  await assert.rejects(readNpyMatrix(inWork('m.npy'), { cols: 3 }), (e: unknown) => e instanceof InputError && e.field === 'cols');
});

// ---------------------------------------------------------------------------------------------
// Target files and readData

test('target files: one number per line (comments, blank lines, CRLF) or .npy; the length must match', async () => {
  fs.writeFileSync(inWork('t.txt'), '# b\r\n1.5\r\n\r\n-2 # trailing\r\n3e1');
  assert.deepEqual(Array.from(await readTarget(inWork('t.txt'), { rows: 3 })), [1.5, -2, 30]);
  await assert.rejects(readTarget(inWork('t.txt'), { rows: 4 }), (e: unknown) => e instanceof InputError && /expected 4 target values \(one per row of the data\), found 3/.test(e.message));
  fs.writeFileSync(inWork('t2.txt'), '1\n2 3\n');
  await assert.rejects(readTarget(inWork('t2.txt')), (e: unknown) => e instanceof DataFormatError && e.line === 2 && /expected one finite decimal number per line, found "2 3"/.test(e.message));
  fs.writeFileSync(inWork('t3.txt'), '\n# nothing\n');
  await assertRejectsMalformed(readTarget(inWork('t3.txt')), inWork('t3.txt'), /no data/);
  await writeNpy(inWork('t.npy.gz'), Float64Array.of(4, 5));
  assert.deepEqual(Array.from(await readTarget(inWork('t.npy.gz'), { rows: 2 })), [4, 5]);
});

test('readData picks the reader by extension and refuses what cannot work, naming the option', async () => {
  assert.equal(detectFormat('a.SVM'), 'libsvm');
  assert.equal(detectFormat('dir.v2/a.txt.GZ'), 'libsvm');
  assert.equal(detectFormat('a.mtx.gz'), 'mtx');
  assert.equal(detectFormat('a.csv'), 'csv');
  assert.equal(detectFormat('a.npy'), 'npy');
  assert.throws(() => detectFormat('a9a'), (e: unknown) => e instanceof InputError && e.field === 'a9a' && /expected \.svm, \.libsvm, \.txt, \.mtx, \.csv, \.npy \(optionally followed by \.gz\)/.test(e.message));
  await allFormats();
  const rejects = (file: string, options: object, field: string, pattern: RegExp) =>
    assert.rejects(readData(inWork(file), options), (e: unknown) => e instanceof InputError && e.field === field && pattern.test(e.message), `${file} ${JSON.stringify(options)}`);
  await rejects('p.svm', { cols: 7, target: inWork('b.txt') }, 'target', /LIBSVM files carry b as the label/);
  await rejects('p.mtx', {}, 'target', /Matrix Market data has no labels: give a target file/);
  await rejects('p.npy', { target: inWork('b.txt'), targetColumn: 1 }, 'target', /not both/);
  await rejects('p.npy', { targetColumn: 'price' }, 'targetColumn', /names are for CSV headers/);
  // An explicit format reads a file whatever its name.
  fs.copyFileSync(inWork('p.svm'), inWork('a9a'));
  assert.equal((await readData(inWork('a9a'), { format: 'libsvm', cols: 7 })).C.rows, planted.C.rows);
});

// ---------------------------------------------------------------------------------------------
// Writers

test('writers round-trip bit for bit: Matrix Market, CSV, .npy (CSR and dense, -0, .gz)', async () => {
  const C: Matrix = { rows: 3, cols: 3, indptr: Int32Array.of(0, 2, 2, 4), indices: Int32Array.of(0, 2, 1, 2), values: Float64Array.of(-0, 0.1 + 0.2, 1e-300, -1.7976931348623157e308) };
  const b = Float64Array.of(-0, 5e-324, 1 / 3);
  await writeMatrixMarket(inWork('rt.mtx.gz'), C, { comment: 'two\nlines' });
  const m = await readMatrixMarket(inWork('rt.mtx.gz'));
  assert.ok(sameBits(m.C.values, C.values) && sameBits(m.C.indices, C.indices) && sameBits(m.C.indptr, C.indptr));
  await writeCsv(inWork('rt.csv'), C, b);
  const c = await readCsv(inWork('rt.csv'), { targetColumn: 'y' });
  assert.ok(sameBits(c.C.data, toDense(C).data.map((v, k) => (k === 0 ? -0 : v))), 'csv C');
  assert.ok(sameBits(c.b!, b), 'csv b');
  await writeNpy(inWork('rt.npy.gz'), C);
  const n = await readNpyMatrix(inWork('rt.npy.gz'));
  assert.ok(sameBits(n.C.data, toDense(C).data.map((v, k) => (k === 0 ? -0 : v))), 'npy');
  // The header numpy itself would write: 64-byte aligned data, a newline-terminated dict.
  const header = npyHeader([3, 3]);
  assert.equal(header.length % 64, 0);
  assert.match(header.toString('latin1', 10), /^\{'descr': '<f8', 'fortran_order': False, 'shape': \(3, 3\), \} *\n$/);
  assert.match(npyHeader([4]).toString('latin1'), /'shape': \(4,\)/);
});

test('writeVector (JSON, .npy) and writeTrace (CSV, JSON) round-trip; other extensions are refused', async () => {
  const x = Float64Array.of(0.1, -0, 1e308, -2.5e-320);
  await writeVector(inWork('x.json'), x);
  assert.ok(sameBits(Float64Array.from(JSON.parse(fs.readFileSync(inWork('x.json'), 'utf8'))), Float64Array.of(0.1, 0, 1e308, -2.5e-320)));
  await writeVector(inWork('x.npy'), x);
  assert.ok(sameBits(await readNpyVector(inWork('x.npy')), x));
  await assert.rejects(writeVector(inWork('x.txt'), x), (e: unknown) => e instanceof InputError && /expected \.json or \.npy/.test(e.message));

  const { problem } = { problem: new Problem(planted.C, planted.b, MODEL) };
  const result = solveSync(problem, { method: 'approx-newton', sketch: 'leverage', xStar: planted.xStar, maxIter: 6 });
  const runs = [{ run: 'start 1', trace: result.trace }, { run: 'start 2', trace: result.trace.slice(0, 3) }];
  await writeTrace(inWork('trace.csv.gz'), runs);
  const lines = zlib.gunzipSync(fs.readFileSync(inWork('trace.csv.gz'))).toString('utf8').trimEnd().split('\n');
  assert.deepEqual(lines[0].split(','), ['run', ...TRACE_COLUMNS]);
  assert.equal(lines.length, 1 + result.trace.length + 3);
  const row = (k: number) => Object.fromEntries(lines[0].split(',').map((c, j) => [c, lines[k].split(',')[j]]));
  const first = row(1);
  assert.equal(first.run, 'start 1');
  assert.equal(first.decrement, '', 'null is an empty cell');
  result.trace.forEach((t: TraceRow, k: number) => {
    const r = row(k + 1);
    assert.equal(Number(r.loss), t.loss);
    assert.equal(Number(r.gradNorm), t.gradNorm);
    assert.equal(Number(r.distance), t.distance);
    assert.equal(r.sketch, t.sketch);
  });
  assert.equal(row(lines.length - 1).run, 'start 2');
  await writeTrace(inWork('trace.json'), result.trace);
  const json = JSON.parse(fs.readFileSync(inWork('trace.json'), 'utf8'));
  assert.deepEqual(json, result.trace.map((t) => ({ run: 0, ...t })));
  await assert.rejects(writeTrace(inWork('trace.tsv'), result.trace), (e: unknown) => e instanceof InputError && /expected \.csv or \.json/.test(e.message));
});

// ---------------------------------------------------------------------------------------------
// Large files, streamed

test('large files stream through every reader: Matrix Market, CSV and .npy (about 25 MB each)', async (t) => {
  const rows = 60_000, cols = 20;
  let state = 12345;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
  const data = Float64Array.from({ length: rows * cols }, uniform);
  const dense = { rows, cols, data };
  const b = Float64Array.from({ length: rows }, uniform);
  const rate = async (name: string, read: () => Promise<{ C: Matrix; b?: Float64Array }>) => {
    const file = inWork(name);
    const size = fs.statSync(file).size;
    const started = process.hrtime.bigint();
    const got = await read();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    t.diagnostic(`${name}: ${(size / 1e6).toFixed(1)} MB in ${seconds.toFixed(2)} s: ${(size / 1e6 / seconds).toFixed(0)} MB/s`);
    assert.ok(sameBits(toDense(got.C).data, data), `${name}: C`);
    if (got.b) assert.ok(sameBits(got.b, b), `${name}: b`);
  };
  await writeCsv(inWork('large.csv'), dense, b);
  await rate('large.csv', () => readCsv(inWork('large.csv'), { targetColumn: 'y' }));
  await writeMatrixMarket(inWork('large.mtx'), dense);
  await rate('large.mtx', () => readMatrixMarket(inWork('large.mtx')));
  await writeNpy(inWork('large.npy'), dense);
  await rate('large.npy', () => readNpyMatrix(inWork('large.npy')));
  for (const name of ['large.csv', 'large.mtx', 'large.npy']) fs.rmSync(inWork(name));
});

// ---------------------------------------------------------------------------------------------
// The command line: data flags, outputs, --config, bench

test('CLI: malformed data and wrong data flags exit 2 with one line naming the file, line or flag', async () => {
  await allFormats();
  fs.writeFileSync(inWork('x7.json'), JSON.stringify(Array.from(planted.xStar)));
  fs.writeFileSync(inWork('bad.csv'), 'a,b,y\n1,2,3\n1,x,3\n');
  fs.writeFileSync(inWork('bad.mtx'), '%%MatrixMarket matrix coordinate real symmetric\n2 2 1\n1 1 1\n');
  fs.writeFileSync(inWork('bad.npy'), npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", Buffer.alloc(16)));
  const cases: Array<[string[], ...string[]]> = [
    [['eval', '--data', 'bad.csv', '--target-column', 'y', '--x', 'x7.json'], 'bad.csv:3: expected a finite decimal number in column 2 ("b"), found "x"'],
    [['eval', '--data', 'bad.mtx', '--target', 'b.txt', '--x', 'x7.json'], 'bad.mtx:1: expected symmetry "general"'],
    [['eval', '--data', 'bad.npy', '--target', 'b.txt', '--x', 'x7.json'], 'bad.npy: byte 10: expected dtype float64'],
    [['eval', '--data', 'p.mtx', '--x', 'x7.json'], '--target', 'p.mtx', 'no labels'],
    [['eval', '--data', 'p.csv', '--target-column', 'nope', '--x', 'x7.json'], '--target-column', 'no column named "nope"'],
    [['eval', '--data', 'p.svm', '--target', 'b.txt', '--cols', '7', '--x', 'x7.json'], '--target', 'LIBSVM files carry b'],
    [['eval', '--data', 'p.npy', '--target', 'short.txt', '--x', 'x7.json'], 'short.txt', 'expected 240 target values'],
    [['eval', '--data', 'p.npy', '--target', 'b.txt', '--cols', '6', '--x', 'x6.json'], '--cols', 'expected 7'],
    [['eval', '--data', 'data.parquet', '--x', 'x7.json'], '--data', 'data.parquet', '--format libsvm|mtx|csv|npy'],
    [['eval', '--data', 'p.svm', '--format', 'xls', '--cols', '7', '--x', 'x7.json'], '--format', 'expected one of libsvm, mtx, csv, npy'],
    [['eval', '--data', 'p.svm', '--x', 'x7.json'], '--cols', 'required for LIBSVM'],
    [['solve', '--data', 'p.svm', '--cols', '7', '--out-x', 'x.txt'], '--out-x', '.json or .npy'],
    [['solve', '--data', 'p.svm', '--cols', '7', '--plot', 'conv.pdf'], '--plot', '.svg or .png'],
  ];
  fs.writeFileSync(inWork('short.txt'), '1\n2\n');
  fs.writeFileSync(inWork('x6.json'), JSON.stringify([1, 2, 3, 4, 5, 6]));
  const runs = cliMany(cases.map(([args]) => args));
  cases.forEach(([, ...names], k) => assertUserError(runs[k], ...names));
  // And once as a child process: exit status 2 and a single line, as the shell sees them.
  assertUserError(softnewton(...cases[0][0]), cases[0][1]);
});

test('CLI: solve writes x (.json, .npy), the trace (.csv, .json) and the plot; exit 1 without convergence', async () => {
  await allFormats();
  const [run, stopped] = cliMany([['solve', '--data', 'p.npy', '--target', 'b.npy', '--unit', 'sigmoid', '--bias', '-0.2', '--scale', 'n', '--xstar', 'x7.json',
    '--method', 'approx-newton', '--out-x', 'sol.npy', '--out-trace', 'tr.csv', '--plot', 'conv.svg', '--no-progress', '--json'],
    ['solve', '--data', 'p.svm', '--cols', '7', '--unit', 'sigmoid', '--scale', 'n', '--max-iter', '1', '--out-x', 'one.json', '--out-trace', 'one.json.gz', '--no-progress']]);
  assert.equal(run.status, EXIT.ok, run.stderr);
  const printed = JSON.parse(run.stdout);
  assert.ok(sameBits(await readNpyVector(inWork('sol.npy')), Float64Array.from(printed.x)));
  const rows = fs.readFileSync(inWork('tr.csv'), 'utf8').trimEnd().split('\n');
  assert.equal(rows.length, printed.trace.length + 1);
  assert.match(fs.readFileSync(inWork('conv.svg'), 'utf8'), /^<svg[^>]*>[\s\S]*‖∇L\(x_t\)‖[\s\S]*<\/svg>$/);
  assert.equal(stopped.status, EXIT.notConverged, stopped.stderr);
  assert.equal(JSON.parse(fs.readFileSync(inWork('one.json'), 'utf8')).length, 7);
  assert.equal(JSON.parse(zlib.gunzipSync(fs.readFileSync(inWork('one.json.gz'))).toString()).length, 2);
});

test('CLI: --config supplies options by long flag name; the command line wins; unknown keys are refused', async () => {
  await allFormats();
  assert.equal(configArgument(['--data', 'a', '--config', 'c.json']), 'c.json');
  assert.equal(configArgument(['--config=d.json']), 'd.json');
  assert.equal(configArgument(['--', '--config', 'e.json']), undefined);
  fs.writeFileSync(inWork('cfg.json'), JSON.stringify({ data: 'p.svm', cols: 7, unit: 'sigmoid', bias: -0.2, scale: 'n', 'max-iter': 1, json: true, 'no-progress': true }));
  const fromConfig = softnewton('solve', '--config', 'cfg.json');
  assert.equal(fromConfig.status, EXIT.notConverged, fromConfig.stderr);
  assert.equal(JSON.parse(fromConfig.stdout).iterations, 1);
  fs.writeFileSync(inWork('typo.json'), JSON.stringify({ data: 'p.svm', colz: 7 }));
  fs.writeFileSync(inWork('kind.json'), JSON.stringify({ data: 'p.svm', cols: [7] }));
  fs.writeFileSync(inWork('switch.json'), JSON.stringify({ hessian: 'yes' }));
  fs.writeFileSync(inWork('broken.json'), '{"data": ');
  fs.writeFileSync(inWork('array.json'), '[1]');
  // Required options given by the config count as given.
  fs.writeFileSync(inWork('evalcfg.json'), JSON.stringify({ data: 'p.svm', cols: 7, x: 'x7.json', hessian: true }));
  const [overridden, typo, kind, toggle, broken, array, absent, evaluated] = cliMany([
    ['solve', '--config=cfg.json', '--max-iter', '50'],
    ['solve', '--config', 'typo.json'],
    ['eval', '--config', 'kind.json', '--x', 'x7.json'],
    ['eval', '--config', 'switch.json'],
    ['solve', '--config', 'broken.json'],
    ['solve', '--config', 'array.json'],
    ['solve', '--config', 'absent.json'],
    ['eval', '--config', 'evalcfg.json'],
  ]);
  assert.equal(overridden.status, EXIT.ok, overridden.stderr);
  assert.ok(JSON.parse(overridden.stdout).converged);
  assertUserError(typo, '--config', '"typo.json"', 'unknown key "colz"', 'has no --colz');
  assertUserError(kind, '--config', '"cols" expects a value');
  assertUserError(toggle, '--config', '"hessian" is a switch');
  assertUserError(broken, '--config', 'not valid JSON');
  assertUserError(array, '--config', 'must hold a JSON object');
  assertUserError(absent, '--config', 'absent.json', 'no such file');
  assert.equal(evaluated.status, EXIT.ok, evaluated.stderr);
  assert.equal(JSON.parse(evaluated.stdout).hessian.length, 7);
});

test('CLI: --help lists every command with examples; bench runs dist/bench/run.js or says it is missing', async () => {
  const help = softnewton('--help');
  assert.equal(help.status, EXIT.ok);
  for (const command of ['generate', 'eval', 'solve', 'certify', 'bench']) assert.match(help.stdout, new RegExp(`\\n  ${command}\\b`), command);
  assert.match(help.stdout, /Examples:/);
  assert.match(help.stdout, /Exit codes: 0 ok, 1 did not converge/);
  const commands = ['generate', 'eval', 'solve', 'certify'];
  // `bench` runs the real suite when it is built: only its absence is checked here.
  const missing = !fs.existsSync(benchScript());
  const [bench, ...helps] = cliMany([missing ? ['bench'] : ['--version'], ...commands.map((c) => [c, '--help'])]);
  for (const [k, command] of commands.entries()) {
    const sub = helps[k];
    assert.equal(sub.status, EXIT.ok);
    assert.match(sub.stdout, /Examples:\n  softnewton /, command);
    assert.match(sub.stdout, /--config <file>/, command);
    if (command !== 'generate') assert.match(sub.stdout, /--target-column <col>/, command);
  }
  assert.equal(benchScript(), path.resolve(__dirname, '..', 'bench', 'run.js'));
  if (missing) {
    assertUserError(bench, 'bench', 'the benchmark suite is not built', 'run.js');
  }
  // The runner passes arguments through and returns the script's exit code.
  const script = inWork('fake-bench.js');
  fs.writeFileSync(script, 'require("fs").writeFileSync(process.argv[2], JSON.stringify(process.argv.slice(3))); process.exit(7);');
  assert.equal(await runScript(script, [inWork('args.json'), '--size', 'small', 'x']), 7);
  assert.deepEqual(JSON.parse(fs.readFileSync(inWork('args.json'), 'utf8')), ['--size', 'small', 'x']);
});
