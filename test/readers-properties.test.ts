/**
 * Property tests (fast-check) of the streaming file readers: LIBSVM, CSV, Matrix Market, target
 * vectors and .npy, each plain and gzip-compressed. A valid file of 64–200 KiB is damaged at a
 * position near a multiple of the 64 KiB read chunk (where a line, a number or gunzip's output is
 * cut in two) or anywhere else; whatever the damage, the read is either a valid result (a matrix
 * that validates, finite values) or an InputError / DataFormatError whose message names the file.
 * Anything else (a RangeError, an AbortError from tearing gunzip down, a crash) fails. Before
 * these tests a parse error past the first chunk of a .gz file ended as an internal AbortError.
 * FC_SEED=<n> replays another sequence, FC_RUNS=<n> runs more cases per format.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import fc from 'fast-check';

import { InputError } from '../src/errors';
import { validateMatrix } from '../src/matrix';
import { readCsv } from '../src/io/csv';
import { readLibsvm } from '../src/io/libsvm';
import { readMatrixMarket } from '../src/io/mtx';
import { readNpyMatrix, npyHeader } from '../src/io/npy';
import { readTarget } from '../src/io/target';
import { READ_CHUNK_BYTES } from '../src/io/text';

const SEED = Number(process.env.FC_SEED ?? 20261130);
const RUNS = Number(process.env.FC_RUNS ?? 30);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'softnewton-readers-'));
let fileNumber = 0;

/** Small numbers in the formats' own spellings. */
const number = fc.oneof(fc.integer({ min: -999, max: 999 }).map(String), fc.double({ min: -1e6, max: 1e6, noNaN: true }).map(String),
  fc.constantFrom('0', '-0', '1e-300', '2.5E+3', '.5', '7.'));

/** Damage: an inserted token (many harmless, many not), a deleted byte range, or a cut end. */
const DAMAGE_TOKENS = ['x', 'nan', 'inf', '1e999', '\0', ':', ',', ' ', '\t', '\n', '\r\n', '#', '-', '+', '.', 'é', '\uFEFF', '0:1', '99999999999', '1e5', '"', '%'];
const damage = fc.record({
  kind: fc.constantFrom('insert', 'delete', 'truncate', 'none'),
  token: fc.constantFrom(...DAMAGE_TOKENS),
  length: fc.integer({ min: 1, max: 40 }),
  // Near a chunk boundary (k · 64 KiB ± 8 bytes) or a uniformly random place.
  boundary: fc.integer({ min: 1, max: 2 }),
  offset: fc.integer({ min: -8, max: 8 }),
  anywhere: fc.boolean(),
  fraction: fc.double({ min: 0, max: 1, noNaN: true }),
});

type Damage = typeof damage extends fc.Arbitrary<infer T> ? T : never;

function damaged(bytes: Buffer, d: Damage, protect = 0): Buffer {
  if (d.kind === 'none') return bytes;
  const span = bytes.length - protect;
  const at = protect + Math.min(span - 1, Math.max(0, d.anywhere ? Math.floor(d.fraction * span) : d.boundary * READ_CHUNK_BYTES + d.offset - protect));
  if (d.kind === 'truncate') return bytes.subarray(0, at);
  if (d.kind === 'delete') return Buffer.concat([bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + d.length))]);
  return Buffer.concat([bytes.subarray(0, at), Buffer.from(d.token, d.token === 'é' || d.token === '\uFEFF' ? 'utf8' : 'latin1'), bytes.subarray(at)]);
}

/** Lines until the text passes `bytes` (so that chunk boundaries fall inside it). */
function fill(line: (i: number) => string, bytes: number): { text: string; lines: number } {
  const parts: string[] = [];
  let length = 0;
  let i = 0;
  while (length < bytes) {
    const l = line(i++);
    parts.push(l);
    length += l.length;
  }
  return { text: parts.join(''), lines: i };
}

/** Writes the content (gzipped for a .gz name) and reads it; the outcome must be valid or a typed error naming the file. */
async function check(extension: string, content: Buffer, gz: boolean, read: (file: string) => Promise<unknown>, validate: (result: never) => void) {
  const file = path.join(dir, `f${fileNumber++}${extension}${gz ? '.gz' : ''}`);
  fs.writeFileSync(file, gz ? zlib.gzipSync(content) : content);
  let result: unknown;
  try {
    result = await read(file);
  } catch (error) {
    assert.ok(error instanceof InputError, `${path.basename(file)}: expected an InputError or DataFormatError, got ${error instanceof Error ? error.stack : error}`);
    assert.ok(error.message.includes(path.basename(file)), `the message names the file: ${error.message}`);
    return;
  } finally {
    if (fs.existsSync(file)) fs.rmSync(file);
  }
  validate(result as never);
}

function finite(values: ArrayLike<number>) {
  for (let k = 0; k < values.length; k++) assert.ok(Number.isFinite(values[k]), `entry ${k} is ${values[k]}`);
}

function validData({ C, b }: { C: Parameters<typeof validateMatrix>[0]; b?: Float64Array }) {
  const m = validateMatrix(C); // throws on anything invalid, non-finite values included
  if (b) {
    assert.equal(b.length, m.rows);
    finite(b);
  }
}

const size = fc.integer({ min: 64 * 1024, max: 200 * 1024 });
const params = { seed: SEED, numRuns: RUNS };

test('LIBSVM, damaged anywhere, plain or .gz: a valid read or an error naming the file', async () => {
  await fc.assert(fc.asyncProperty(fc.array(number, { minLength: 8, maxLength: 8 }), size, damage, fc.boolean(), async (values, bytes, d, gz) => {
    const { text } = fill((i) => `${values[i % 8]} ${1 + (i % 3)}:${values[(i + 1) % 8]} 5:${values[(i + 2) % 8]}\n`, bytes);
    await check('.svm', damaged(Buffer.from(text, 'latin1'), d), gz, (f) => readLibsvm(f, { cols: 5 }), validData);
  }), params);
});

test('CSV, damaged anywhere, plain or .gz: a valid read or an error naming the file', async () => {
  await fc.assert(fc.asyncProperty(fc.array(number, { minLength: 8, maxLength: 8 }), size, damage, fc.boolean(), async (values, bytes, d, gz) => {
    const { text } = fill((i) => `${values[i % 8]},${values[(i + 3) % 8]},${values[(i + 5) % 8]}\n`, bytes);
    await check('.csv', damaged(Buffer.from(`a,b,y\n${text}`, 'latin1'), d), gz, (f) => readCsv(f, { targetColumn: 'y' }), validData);
  }), params);
});

test('Matrix Market, damaged anywhere, plain or .gz: a valid read or an error naming the file', async () => {
  await fc.assert(fc.asyncProperty(fc.array(number, { minLength: 8, maxLength: 8 }), size, damage, fc.boolean(), async (values, bytes, d, gz) => {
    const { text, lines } = fill((i) => `${1 + i} ${1 + (i % 3)} ${values[i % 8]}\n`, bytes);
    const header = `%%MatrixMarket matrix coordinate real general\n${lines} 3 ${lines}\n`;
    await check('.mtx', damaged(Buffer.from(header + text, 'latin1'), d), gz, (f) => readMatrixMarket(f, { targetColumn: 3 }), validData);
  }), params);
});

test('target files, damaged anywhere, plain or .gz: a valid read or an error naming the file', async () => {
  await fc.assert(fc.asyncProperty(fc.array(number, { minLength: 8, maxLength: 8 }), size, damage, fc.boolean(), async (values, bytes, d, gz) => {
    const { text } = fill((i) => `${values[i % 8]}\n`, bytes);
    await check('.txt', damaged(Buffer.from(text, 'latin1'), d), gz, (f) => readTarget(f), (b: Float64Array) => finite(b));
  }), params);
});

test('.npy, damaged anywhere, plain or .gz: a valid read or an error naming the file', async () => {
  await fc.assert(fc.asyncProperty(fc.integer({ min: 2, max: 6 }), size, damage, fc.boolean(), fc.boolean(), async (cols, bytes, d, gz, inHeader) => {
    const rows = Math.ceil(bytes / (8 * cols));
    const data = Float64Array.from({ length: rows * cols }, (_, k) => Math.sin(k) * 100);
    const header = npyHeader([rows, cols]);
    const file = Buffer.concat([header, Buffer.from(data.buffer)]);
    // Damage in the header (a byte of it replaced by a token's first byte) or anywhere in the file.
    let content = damaged(file, d);
    if (inHeader && d.kind === 'insert') {
      content = Buffer.from(file);
      content[Math.floor(d.fraction * header.length)] = Buffer.from(d.token, 'latin1')[0] ?? 0;
    }
    await check('.npy', content, gz, (f) => readNpyMatrix(f, { targetColumn: cols }), validData);
  }), params);
});
