/**
 * The LIBSVM reader and writer (src/io/libsvm.ts; docs/formats.md): what is accepted, every
 * malformed case with its file and line, bit-identical round trips (plain and gzip), lines that
 * straddle the reader's chunks, and a file of about 50 MB streamed through both directions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { DataFormatError, InputError } from '../src/errors';
import { CsrMatrix, validateMatrix } from '../src/matrix';
import { LibsvmData, parseLibsvm, readLibsvm, writeLibsvm } from '../src/io/libsvm';

function temporaryDirectory(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'softnewton-libsvm-'));
}

/** The same bits, so -0 ≠ 0 and every NaN payload counts (deepStrictEqual would call -0 and 0 equal for typed arrays). */
function assertSameBits(actual: ArrayBufferView, expected: ArrayBufferView, what: string): void {
  assert.equal(actual.constructor, expected.constructor, `${what}: array type`);
  assert.ok(
    Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength).equals(Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength)),
    `${what}: not bit-identical`,
  );
}

function assertSameData(actual: LibsvmData, expected: LibsvmData): void {
  assert.equal(actual.C.rows, expected.C.rows, 'rows');
  assert.equal(actual.C.cols, expected.C.cols, 'cols');
  assertSameBits(actual.C.indptr, expected.C.indptr, 'indptr');
  assertSameBits(actual.C.indices, expected.C.indices, 'indices');
  assertSameBits(actual.C.values, expected.C.values, 'values');
  assertSameBits(actual.b, expected.b, 'b');
}

function csr(rows: number, cols: number, entries: Array<Array<[number, number]>>): CsrMatrix {
  const indptr = new Int32Array(rows + 1);
  const indices: number[] = [];
  const values: number[] = [];
  entries.forEach((row, i) => {
    for (const [j, v] of row) {
      indices.push(j);
      values.push(v);
    }
    indptr[i + 1] = indices.length;
  });
  return { rows, cols, indptr, indices: Int32Array.from(indices), values: Float64Array.from(values) };
}

/** Expects parsing `text` to fail at `line` with a message matching `pattern` (after the `name:line: ` prefix). */
function assertMalformed(text: string, line: number | undefined, pattern: RegExp, options: { cols?: number } = {}): void {
  assert.throws(
    () => parseLibsvm(text, { ...options, name: 'data.svm' }),
    (error: unknown) => {
      assert.ok(error instanceof DataFormatError, `expected a DataFormatError, got ${error}`);
      assert.equal(error.file, 'data.svm');
      assert.equal(error.line, line);
      const prefix = line === undefined ? 'data.svm: ' : `data.svm:${line}: `;
      assert.ok(error.message.startsWith(prefix), `message ${JSON.stringify(error.message)} should start with ${prefix}`);
      assert.match(error.message.slice(prefix.length), pattern);
      return true;
    },
    `text ${JSON.stringify(text)}`,
  );
}

// ---------------------------------------------------------------------------------------------
// accepted input

test('parses labels, 1-based indices, comments, qid, blank and label-only lines, unsorted lines', () => {
  const text = [
    '# a full-line comment',
    '1.5 1:0.25 3:-2',
    '',
    '   ',
    '-1 qid:7 2:1e-3 # a trailing comment',
    '+0.5',
    '2 3:4 1:5 2:6',
    '\t0\t2:.5\t',
  ].join('\n');
  const { C, b } = parseLibsvm(text);
  assert.deepEqual(Array.from(b), [1.5, -1, 0.5, 2, 0]);
  assert.equal(C.rows, 5);
  assert.equal(C.cols, 3);
  assert.deepEqual(Array.from(C.indptr), [0, 2, 3, 3, 6, 7]);
  assert.deepEqual(Array.from(C.indices), [0, 2, 1, 0, 1, 2, 1]);
  assert.deepEqual(Array.from(C.values), [0.25, -2, 1e-3, 5, 6, 4, 0.5]);
  validateMatrix(C);
});

test('cols fixes d when the last columns are empty; without it d is the largest index', () => {
  const text = '1 1:1\n2 2:2\n';
  assert.equal(parseLibsvm(text).C.cols, 2);
  const wide = parseLibsvm(text, { cols: 5 });
  assert.equal(wide.C.cols, 5);
  validateMatrix(wide.C);
  // A file of label-only lines is legal once cols says how wide it is.
  const empty = parseLibsvm('1\n2\n', { cols: 3 });
  assert.deepEqual(Array.from(empty.C.indptr), [0, 0, 0]);
  assert.equal(empty.C.cols, 3);
});

test('accepts CRLF line endings, a byte order mark, a missing final newline and every decimal form', () => {
  const { C, b } = parseLibsvm('\uFEFF1 1:1.\r\n-0 2:-0.0 3:+7E2\r\n3e0 1:1e+2 2:-1.25e-2 3:12345678901234567890');
  assert.deepEqual(Array.from(b), [1, -0, 3]);
  assert.ok(Object.is(b[1], -0), 'label -0 keeps its sign');
  assert.ok(Object.is(C.values[1], -0), 'value -0.0 keeps its sign');
  assert.deepEqual(Array.from(C.values), [1, -0, 700, 100, -0.0125, 12345678901234567890]);
});

test('decimal values parse to the same double as Number() (the fast path rounds correctly)', () => {
  // 15 significant digits take the exact-division path; 16 and more take Number(): both must agree with it.
  const samples = ['0.1', '0.3', '123456789012345', '0.000000000000001', '9.99999999999999', '1.00000000000001',
    '0.1234567890123456', '2.2250738585072014e-308', '4.9e-324', '1.7976931348623157e308', '0.30000000000000004'];
  const text = samples.map((s, k) => `${s} ${k + 1}:-${s}`).join('\n');
  const { C, b } = parseLibsvm(text);
  samples.forEach((s, k) => {
    assert.ok(Object.is(b[k], Number(s)), `label ${s}`);
    assert.ok(Object.is(C.values[k], -Number(s)), `value -${s}`);
  });
});

// ---------------------------------------------------------------------------------------------
// malformed input: a DataFormatError with the file, the 1-based line and what was expected

test('index 0, a non-integer index and a missing colon name the line and the token', () => {
  assertMalformed('1 1:1\n\n# c\n2 0:1.5\n', 4, /^expected an index from 1 to 2147483646, found "0:1\.5"$/);
  assertMalformed('1 1.5:2\n', 1, /1-based integer index, found "1\.5:2"$/);
  assertMalformed('1 1:1\n1 -3:2\n', 2, /1-based integer index, found "-3:2"$/);
  assertMalformed('1 a:2\n', 1, /1-based integer index, found "a:2"$/);
  assertMalformed('1 3\n', 1, /1-based integer index, found "3"$/);
  assertMalformed('1 :3\n', 1, /1-based integer index, found ":3"$/);
  assertMalformed('1 99999999999:3\n', 1, /^expected an index from 1 to 2147483646, found "99999999999:3"$/);
});

test('non-finite or non-decimal values are refused', () => {
  for (const value of ['nan', 'NaN', 'inf', '-inf', 'Infinity', '1e999', '-1e999', '', '0x10', '1.5abc', '1e', '.', '--1', '1:2']) {
    assertMalformed(`0 1:1\n1 2:${value}\n`, 2, /^expected index:value with a finite decimal value, found "2:/);
  }
});

test('a non-numeric or non-finite label is refused', () => {
  for (const label of ['abc', '1a', 'nan', 'inf', '1e999', '+', '1:2']) {
    assertMalformed(`1 1:1\n${label} 1:1\n`, 2, /^expected a finite decimal label at the start of the line, found "/);
  }
  assertMalformed('abc 1:1\n', 1, /found "abc"$/);
});

test('a duplicate index is an error, in sorted and in unsorted lines', () => {
  assertMalformed('1 2:1 2:3\n', 1, /^duplicate index 2: each index may appear once per line$/);
  assertMalformed('1 1:1\n1 3:1 1:1 3:2\n', 2, /^duplicate index 3/);
});

test('an index beyond cols is an error', () => {
  assertMalformed('1 1:1\n1 4:1\n', 2, /^expected an index from 1 to cols = 3, found "4:1"$/, { cols: 3 });
});

test('a file without rows, or with rows but no columns and no cols, is an error', () => {
  assertMalformed('', undefined, /^no data/);
  assertMalformed('# only a comment\n\n   \n', undefined, /^no data/);
  assertMalformed('1\n2\n', undefined, /^no features/);
});

test('an invalid cols option is an InputError naming cols', () => {
  assert.throws(() => parseLibsvm('1 1:1', { cols: 0 }), (e: unknown) => e instanceof InputError && e.field === 'cols');
  assert.throws(() => parseLibsvm('1 1:1', { cols: 1.5 }), (e: unknown) => e instanceof InputError && e.field === 'cols');
});

// ---------------------------------------------------------------------------------------------
// files: streaming, round trips, gzip, file system errors

test('the streaming reader gives the same result and line numbers as the string parser across chunk boundaries', async () => {
  const dir = temporaryDirectory();
  try {
    // Lines of very different lengths, so many of them straddle the reader's 64 KiB chunks; one line
    // alone is longer than a chunk.
    const lines: string[] = [];
    for (let i = 0; i < 6000; i++) {
      const width = i === 3000 ? 20000 : 1 + ((i * 7919) % 37);
      const entries = Array.from({ length: width }, (_, k) => `${k + 1}:${((i + 1) * (k + 3)) / 7}`);
      lines.push(`${i % 5} ${entries.join(' ')}${i % 11 === 0 ? ' # comment' : ''}`);
      if (i % 13 === 0) lines.push('');
    }
    const text = `${lines.join('\n')}\n`;
    const file = path.join(dir, 'chunks.svm');
    fs.writeFileSync(file, text);
    assertSameData(await readLibsvm(file), parseLibsvm(text));

    // A malformed line far into the file reports its own line number.
    const badLine = 5123;
    const broken = [...lines.slice(0, badLine - 1), '1 4:1 4:2', ...lines.slice(badLine - 1)].join('\n');
    fs.writeFileSync(file, broken);
    await assert.rejects(readLibsvm(file), (e: unknown) =>
      e instanceof DataFormatError && e.file === file && e.line === badLine && e.message === `${file}:${badLine}: duplicate index 4: each index may appear once per line`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('non-ASCII text: quoted as written in errors (the reader decodes bytes as latin1 internally), a byte order mark skipped', async () => {
  const dir = temporaryDirectory();
  try {
    const file = path.join(dir, 'utf8.svm');
    fs.writeFileSync(file, '# é\n1 1:1\n1 é:2\n');
    await assert.rejects(readLibsvm(file), (e: unknown) => e instanceof DataFormatError && e.line === 3 && e.message.endsWith('found "é:2"'));
    // A UTF-8 byte order mark is skipped, not read as part of the first label.
    fs.writeFileSync(file, '\uFEFF2.5 1:1\n');
    assert.deepEqual(Array.from((await readLibsvm(file)).b), [2.5]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** Values that stress the number formatting: -0, subnormals, extremes, 17-digit values, integers. */
function awkwardData(): LibsvmData {
  const special = [-0, 5e-324, -2.2250738585072014e-308, 1.7976931348623157e308, 0.1 + 0.2, 1 / 3, -123456789, 1e21, 1e-7, 0];
  const C = csr(4, 12, [
    special.slice(0, 5).map((v, k) => [k * 2, v] as [number, number]),
    [],
    special.slice(5).map((v, k) => [k + 7, v] as [number, number]),
    [[11, Math.PI]],
  ]);
  return { C, b: Float64Array.from([-0, 5e-324, Math.E, -1e300]) };
}

test('write → read is bit-identical, -0, subnormals and stored zeros included', async () => {
  const dir = temporaryDirectory();
  try {
    const file = path.join(dir, 'round.svm');
    const data = awkwardData();
    await writeLibsvm(file, data.C, data.b);
    assertSameData(await readLibsvm(file, { cols: data.C.cols }), data);
    // 1-based indices in the text; the empty row is a label-only line.
    const text = fs.readFileSync(file, 'utf8').split('\n');
    assert.equal(text[0], '-0 1:-0 3:5e-324 5:-2.2250738585072014e-308 7:1.7976931348623157e+308 9:0.30000000000000004');
    assert.equal(text[1], '5e-324');
    assert.deepEqual(fs.readdirSync(dir), ['round.svm'], 'no temporary file is left behind');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a dense matrix is written without its zeros', async () => {
  const dir = temporaryDirectory();
  try {
    const file = path.join(dir, 'dense.svm');
    await writeLibsvm(file, { rows: 2, cols: 3, data: Float64Array.from([0, 1.5, 0, 0, 0, -2]) }, [1, 2]);
    assert.equal(fs.readFileSync(file, 'utf8'), '1 2:1.5\n2 3:-2\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('gzip round trip by the .gz extension, and a corrupt .gz is a DataFormatError', async () => {
  const dir = temporaryDirectory();
  try {
    const file = path.join(dir, 'round.svm.gz');
    const data = awkwardData();
    await writeLibsvm(file, data.C, data.b);
    const bytes = fs.readFileSync(file);
    assert.deepEqual([bytes[0], bytes[1]], [0x1f, 0x8b], 'gzip magic number');
    assertSameData(await readLibsvm(file, { cols: data.C.cols }), data);

    const corrupt = path.join(dir, 'corrupt.svm.gz');
    fs.writeFileSync(corrupt, '1 1:1\n');
    await assert.rejects(readLibsvm(corrupt), (e: unknown) =>
      e instanceof DataFormatError && e.file === corrupt && /not a valid gzip file/.test(e.message));
    const truncated = path.join(dir, 'truncated.svm.gz');
    fs.writeFileSync(truncated, bytes.subarray(0, bytes.length - 12));
    await assert.rejects(readLibsvm(truncated), (e: unknown) => e instanceof DataFormatError && /not a valid gzip file/.test(e.message));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('file system failures are InputErrors naming the file', async () => {
  const dir = temporaryDirectory();
  try {
    const missing = path.join(dir, 'missing.svm');
    await assert.rejects(readLibsvm(missing), (e: unknown) =>
      e instanceof InputError && e.message === `${missing}: cannot read the file: no such file or directory`);
    await assert.rejects(readLibsvm(dir), (e: unknown) => e instanceof InputError && e.field === dir && /cannot read/.test(e.message));
    const unwritable = path.join(dir, 'no', 'such', 'dir.svm');
    await assert.rejects(writeLibsvm(unwritable, awkwardData().C, awkwardData().b), (e: unknown) =>
      e instanceof InputError && e.message.startsWith(`${unwritable}: cannot write the file`));
    await assert.rejects(writeLibsvm(path.join(dir, 'x.svm'), awkwardData().C, [1, 2]), (e: unknown) => e instanceof InputError && e.field === 'b');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a file of about 50 MB streams through the writer and the reader', async (t) => {
  const dir = temporaryDirectory();
  try {
    const rows = 200_000;
    const perRow = 10;
    const cols = 100_000;
    // 17-digit values: the slowest numbers to format and to parse.
    let state = 0x9e3779b9;
    const uniform = () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state / 2 ** 32;
    };
    const indptr = new Int32Array(rows + 1);
    const indices = new Int32Array(rows * perRow);
    const values = new Float64Array(rows * perRow);
    for (let i = 0; i < rows; i++) {
      let j = -1;
      for (let k = 0; k < perRow; k++) {
        j += 1 + Math.floor(uniform() * (cols / perRow - 1));
        indices[i * perRow + k] = j;
        values[i * perRow + k] = uniform() * 2 - 1;
      }
      indptr[i + 1] = (i + 1) * perRow;
    }
    const b = Float64Array.from({ length: rows }, uniform);
    const C: CsrMatrix = { rows, cols, indptr, indices, values };

    const file = path.join(dir, 'large.svm');
    await writeLibsvm(file, C, b);
    const size = fs.statSync(file).size;
    assert.ok(size > 45e6, `the file has ${size} bytes`);

    const started = process.hrtime.bigint();
    const read = await readLibsvm(file, { cols });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    t.diagnostic(`read ${(size / 1e6).toFixed(1)} MB in ${seconds.toFixed(2)} s: ${(size / 1e6 / seconds).toFixed(0)} MB/s`);

    assert.equal(read.C.rows, rows);
    assert.equal(read.C.indptr[rows], rows * perRow, 'nnz');
    assert.equal(read.C.values.length, rows * perRow, 'arrays trimmed to nnz');
    for (const p of [0, 1, 123_457, rows * perRow - 1]) {
      assert.equal(read.C.indices[p], indices[p]);
      assert.ok(Object.is(read.C.values[p], values[p]));
    }
    assert.ok(Object.is(read.b[rows - 1], b[rows - 1]));
    assertSameData(read, { C, b });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
