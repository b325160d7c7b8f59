/**
 * NumPy's `.npy` format (versions 1.0, 2.0 and 3.0): a magic string, a header that is a Python dict
 * literal `{'descr': '<f8', 'fortran_order': False, 'shape': (n, d), }`, then the raw values.
 * Only float64 is read (`<f8`, and big-endian `>f8`, byte-swapped); any other dtype is refused with
 * its name. C order is copied straight into the result; Fortran order is scattered into row-major
 * positions as it arrives. Either way the file is read in chunks (gunzipped for `.gz`) into one
 * Float64Array, never as a whole.
 */
import { DataFormatError, InputError } from '../errors';
import { DenseMatrix, isDense, Matrix, MAX_INDEX, validateMatrix } from '../matrix';
import { describe, requireInteger } from '../validate';
import { allocate, consumeBytes, quoteText, requireFileName, writeChunks } from './text';
import * as fs from 'node:fs';
import { fileError } from './text';

export interface NpyArray {
  /** The shape as stored: [] for a scalar, [n] or [n, d]. */
  shape: number[];
  /** The values in row-major (C) order, whatever the file's order. */
  data: Float64Array;
  /** Whether the file stored the values in Fortran (column-major) order. */
  fortranOrder: boolean;
}

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY
/** A header longer than this is not a float64 array header; refuse it rather than buffer it. */
const MAX_HEADER_BYTES = 1 << 20;

interface Header {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** The byte offset at which the values start. */
  dataOffset: number;
}

/** A strict parser for the one dict literal numpy writes: string keys, a string, a bool and a tuple of ints. */
/** The header quoted in a message, cut to 60 characters: a nested 20 KB header made a 20 KB error line. */
function quoteHeader(text: string): string {
  const trimmed = text.trim();
  return quoteText(trimmed, 0, trimmed.length, false);
}

function parseHeaderDict(text: string, fail: (message: string) => never): Omit<Header, 'dataOffset'> {
  let i = 0;
  const skip = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const expect = (c: string) => {
    skip();
    if (text[i] !== c) fail(`expected "${c}" at character ${i} of the header ${quoteHeader(text)}`);
    i++;
  };
  const string = (): string => {
    skip();
    const quote = text[i];
    if (quote !== "'" && quote !== '"') fail(`expected a quoted string at character ${i} of the header ${quoteHeader(text)}`);
    const close = text.indexOf(quote, i + 1);
    if (close < 0) fail('unterminated string in the header');
    const s = text.slice(i + 1, close);
    i = close + 1;
    return s;
  };
  const value = (): unknown => {
    skip();
    if (text[i] === "'" || text[i] === '"') return string();
    if (text.startsWith('True', i)) {
      i += 4;
      return true;
    }
    if (text.startsWith('False', i)) {
      i += 5;
      return false;
    }
    if (text[i] === '(') {
      i++;
      const items: number[] = [];
      for (;;) {
        skip();
        if (text[i] === ')') {
          i++;
          return items;
        }
        const m = /^\d+/.exec(text.slice(i, i + 20));
        // Beyond 15 digits Number() is inexact (99999999999999999999 printed as 100000000000000000000).
        if (m && m[0].length > 15) fail(`a shape dimension has more than 15 digits (${m[0].length === 20 ? 'at least ' : ''}${m[0].length}): beyond any array this reader can hold`);
        if (!m) fail(`expected a tuple of non-negative integers for shape in the header ${quoteHeader(text)}`);
        items.push(Number(m[0]));
        i += m[0].length;
        skip();
        if (text[i] === ',') i++;
        else if (text[i] !== ')') fail(`expected "," or ")" in the shape in the header ${quoteHeader(text)}`);
      }
    }
    if (text[i] === '[') fail(`expected a plain dtype such as '<f8', found a structured dtype in the header ${quoteHeader(text)}`);
    return fail(`unexpected value at character ${i} of the header ${quoteHeader(text)}`);
  };
  const dict: Record<string, unknown> = {};
  expect('{');
  for (;;) {
    skip();
    if (text[i] === '}') break;
    const key = string();
    expect(':');
    dict[key] = value();
    skip();
    if (text[i] === ',') i++;
    else if (text[i] !== '}') fail(`expected "," or "}" at character ${i} of the header ${quoteHeader(text)}`);
  }
  for (const key of ['descr', 'fortran_order', 'shape']) {
    if (!(key in dict)) fail(`the header has no '${key}' key: ${quoteHeader(text)}`);
  }
  if (typeof dict.descr !== 'string') fail('the header\'s descr is not a string');
  if (typeof dict.fortran_order !== 'boolean') fail('the header\'s fortran_order is not True or False');
  if (!Array.isArray(dict.shape)) fail('the header\'s shape is not a tuple');
  return { descr: dict.descr as string, fortranOrder: dict.fortran_order as boolean, shape: dict.shape as number[] };
}

/** Reads the magic string and the header from the first bytes; returns undefined until enough bytes have arrived. */
function parseHeader(file: string, head: Buffer): Header | undefined {
  const fail = (offset: number, message: string): never => {
    throw new DataFormatError(file, undefined, `byte ${offset}: ${message}`);
  };
  if (head.length < 10) return undefined;
  if (!head.subarray(0, 6).equals(MAGIC)) {
    fail(0, `expected the NumPy magic string "\\x93NUMPY", found ${JSON.stringify(head.subarray(0, 6).toString('latin1'))}: not a .npy file`);
  }
  const major = head[6];
  if (major !== 1 && major !== 2 && major !== 3) fail(6, `expected format version 1, 2 or 3, found ${major}.${head[7]}`);
  const prefix = major === 1 ? 10 : 12;
  if (head.length < prefix) return undefined;
  const headerLength = major === 1 ? head.readUInt16LE(8) : head.readUInt32LE(8);
  if (headerLength > MAX_HEADER_BYTES) fail(8, `the header declares ${headerLength} bytes: not a float64 array header`);
  if (head.length < prefix + headerLength) return undefined;
  const text = head.subarray(prefix, prefix + headerLength).toString(major === 3 ? 'utf8' : 'latin1');
  const dict = parseHeaderDict(text, (message) => fail(prefix, message));
  if (dict.descr !== '<f8' && dict.descr !== '>f8') {
    const hint = /^[<>|=]?[fiub]\d+$/.test(dict.descr) ? ' (convert with a.astype(np.float64))' : '';
    fail(prefix, `expected dtype float64 ('<f8'), found '${dict.descr}'${hint}`);
  }
  return { ...dict, dataOffset: prefix + headerLength };
}

/** Copies arriving bytes into the result: straight for little-endian C order, element by element otherwise. */
class NpySink {
  readonly data: Float64Array;
  private readonly bytes: Uint8Array;
  private received = 0;
  private readonly carry = Buffer.alloc(8);
  private carried = 0;
  private readonly direct: boolean;
  private readonly littleEndian: boolean;
  private readonly rows: number;
  private readonly cols: number;

  constructor(file: string, private readonly header: Header) {
    const count = header.shape.reduce((a, b) => a * b, 1);
    this.data = allocate(file, `${count} float64 values (${(count * 8 / 2 ** 30).toFixed(1)} GiB)`, () => new Float64Array(count));
    this.bytes = new Uint8Array(this.data.buffer);
    this.littleEndian = header.descr === '<f8';
    // Fortran order of a 1-D array is C order; so is that of an n × 1 or 1 × d array.
    const rows = header.shape[0] ?? 1;
    const cols = header.shape.length >= 2 ? count / Math.max(rows, 1) : 1;
    this.rows = rows;
    this.cols = cols;
    this.direct = this.littleEndian && (!header.fortranOrder || rows <= 1 || cols <= 1) && new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;
  }

  get byteLength(): number {
    return this.bytes.length;
  }

  get receivedBytes(): number {
    return this.received;
  }

  /** Takes what fits; returns how many bytes of `chunk` were used (the rest is excess). */
  push(chunk: Buffer): number {
    const room = this.bytes.length - this.received;
    const used = Math.min(room, chunk.length);
    if (used === 0) return 0;
    if (this.direct) {
      this.bytes.set(chunk.subarray(0, used), this.received);
    } else {
      this.scatter(chunk.subarray(0, used));
    }
    this.received += used;
    return used;
  }

  private scatter(chunk: Buffer): void {
    let offset = 0;
    let element = (this.received - this.carried) / 8;
    if (this.carried > 0) {
      const take = Math.min(8 - this.carried, chunk.length);
      chunk.copy(this.carry, this.carried, 0, take);
      this.carried += take;
      offset = take;
      if (this.carried < 8) return;
      this.store(element++, this.littleEndian ? this.carry.readDoubleLE(0) : this.carry.readDoubleBE(0));
      this.carried = 0;
    }
    for (; offset + 8 <= chunk.length; offset += 8) {
      this.store(element++, this.littleEndian ? chunk.readDoubleLE(offset) : chunk.readDoubleBE(offset));
    }
    if (offset < chunk.length) {
      chunk.copy(this.carry, 0, offset);
      this.carried = chunk.length - offset;
    }
  }

  private store(k: number, value: number): void {
    if (!this.header.fortranOrder || this.rows <= 1 || this.cols <= 1) {
      this.data[k] = value;
    } else {
      // Element k of a column-major n × d array is row k mod n of column ⌊k / n⌋ (n × d × … arrays are refused earlier).
      const i = k % this.rows;
      const j = (k - i) / this.rows;
      this.data[i * this.cols + j] = value;
    }
  }
}

export interface NpyReadOptions {
  /** Accepted numbers of dimensions (default 1 and 2). */
  dimensions?: number[];
}

/** Reads a float64 `.npy` file (gzip-compressed when its name ends in `.gz`) in chunks. */
export async function readNpy(file: string, options: NpyReadOptions = {}): Promise<NpyArray> {
  requireFileName(file);
  const dimensions = options.dimensions ?? [1, 2];
  let head = Buffer.alloc(0);
  let header: Header | undefined;
  let sink: NpySink | undefined;
  let excess = 0;
  await consumeBytes(file, async (chunks) => {
    for await (const chunk of chunks) {
      let rest: Buffer = chunk;
      if (!header) {
        head = Buffer.concat([head, chunk]);
        header = parseHeader(file, head);
        if (!header) continue;
        const shape = header.shape;
        if (!dimensions.includes(shape.length)) {
          throw new DataFormatError(file, undefined, `byte ${header.dataOffset}: expected an array of ${dimensions.map((d) => `${d}`).join(' or ')} dimension${dimensions.length > 1 || dimensions[0] !== 1 ? 's' : ''}, found shape (${shape.join(', ')}${shape.length === 1 ? ',' : ''})`);
        }
        if (shape.some((s) => s > MAX_INDEX)) throw new DataFormatError(file, undefined, `byte ${header.dataOffset}: shape (${shape.join(', ')}) has a dimension above ${MAX_INDEX}`);
        sink = new NpySink(file, header);
        rest = head.subarray(header.dataOffset);
        head = Buffer.alloc(0);
      }
      const used = sink!.push(rest);
      excess += rest.length - used;
    }
  });
  if (!header) {
    throw new DataFormatError(file, undefined, head.length >= 6 && head.subarray(0, 6).equals(MAGIC)
      ? `byte ${head.length}: the file ends inside the header`
      : `byte 0: expected the NumPy magic string "\\x93NUMPY": not a .npy file${head.length === 0 ? ' (the file is empty)' : ''}`);
  }
  const s = sink!;
  const shapeText = `(${header.shape.join(', ')}${header.shape.length === 1 ? ',' : ''})`;
  if (s.receivedBytes < s.byteLength) {
    throw new DataFormatError(file, undefined, `byte ${header.dataOffset + s.receivedBytes}: the data ends after ${s.receivedBytes} of the ${s.byteLength} bytes that shape ${shapeText} of float64 needs: is the file truncated?`);
  }
  if (excess > 0) {
    throw new DataFormatError(file, undefined, `byte ${header.dataOffset + s.byteLength}: ${excess} bytes after the ${s.byteLength} bytes that shape ${shapeText} of float64 needs`);
  }
  return { shape: header.shape, data: s.data, fortranOrder: header.fortranOrder };
}

/** The first non-finite value of a row-major array, as "row i, column j" (1-based) or "entry k". */
function firstNonFinite(data: Float64Array, cols: number | undefined): string | undefined {
  for (let k = 0; k < data.length; k++) {
    if (!Number.isFinite(data[k])) {
      const where = cols === undefined ? `entry ${k + 1}` : `row ${Math.floor(k / cols) + 1}, column ${(k % cols) + 1}`;
      return `${where} is ${data[k]}: every value must be finite`;
    }
  }
  return undefined;
}

export interface NpyMatrixOptions {
  /** The 1-based column that holds the target b; it is removed from C. */
  targetColumn?: number;
  /** The expected number of columns of C (after removing the target column): a mismatch is an error. */
  cols?: number;
}

/** Reads a 2-D float64 `.npy` file as the dense matrix C (and, with targetColumn, the target b). */
export async function readNpyMatrix(file: string, options: NpyMatrixOptions = {}): Promise<{ C: DenseMatrix; b?: Float64Array }> {
  const targetColumn = options.targetColumn === undefined ? undefined : requireInteger('targetColumn', options.targetColumn, 1, MAX_INDEX);
  const expectedCols = options.cols === undefined ? undefined : requireInteger('cols', options.cols, 1, MAX_INDEX);
  const array = await readNpy(file, { dimensions: [2] });
  const [rows, fileCols] = array.shape;
  if (rows === 0 || fileCols === 0) throw new DataFormatError(file, undefined, `no data: shape (${rows}, ${fileCols})`);
  const bad = firstNonFinite(array.data, fileCols);
  if (bad) throw new DataFormatError(file, undefined, bad);
  if (targetColumn === undefined) {
    if (expectedCols !== undefined && expectedCols !== fileCols) throw new InputError('cols', `expected ${fileCols} (${file} has shape (${rows}, ${fileCols})), received ${expectedCols}`);
    return { C: { rows, cols: fileCols, data: array.data } };
  }
  if (targetColumn > fileCols) throw new InputError('targetColumn', `${file}: expected a column from 1 to ${fileCols}, received ${targetColumn}`);
  if (fileCols === 1) throw new InputError('targetColumn', `${file}: the array has one column: taking it as the target would leave C without columns`);
  const cols = fileCols - 1;
  if (expectedCols !== undefined && expectedCols !== cols) throw new InputError('cols', `expected ${cols} (${file} has shape (${rows}, ${fileCols}), one column the target), received ${expectedCols}`);
  // Compacts the rows in place, moving the target column out; no second n × d array.
  const t = targetColumn - 1;
  const b = new Float64Array(rows);
  const data = array.data;
  for (let i = 0; i < rows; i++) {
    const from = i * fileCols;
    b[i] = data[from + t];
    data.copyWithin(i * cols, from, from + t);
    data.copyWithin(i * cols + t, from + t + 1, from + fileCols);
  }
  return { C: { rows, cols, data: data.slice(0, rows * cols) }, b };
}

/** Reads a float64 vector from `.npy`: shape (n,), (n, 1) or (1, n). */
export async function readNpyVector(file: string): Promise<Float64Array> {
  const array = await readNpy(file, { dimensions: [1, 2] });
  const { shape } = array;
  if (shape.length === 2 && shape[0] !== 1 && shape[1] !== 1) {
    throw new DataFormatError(file, undefined, `expected a vector: shape (n,), (n, 1) or (1, n), found (${shape.join(', ')})`);
  }
  const bad = firstNonFinite(array.data, undefined);
  if (bad) throw new DataFormatError(file, undefined, bad);
  return array.data;
}

/** The .npy v1.0 header for a little-endian float64 C-order array, padded so that the data starts at a multiple of 64. */
export function npyHeader(shape: readonly number[]): Buffer {
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '<f8', 'fortran_order': False, 'shape': ${tuple}, }`;
  const unpadded = 10 + dict.length + 1;
  dict += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = Buffer.alloc(10 + dict.length);
  MAGIC.copy(out, 0);
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(dict.length, 8);
  out.write(dict, 10, 'latin1');
  return out;
}

function* npyChunks(data: Float64Array, shape: readonly number[]): Generator<Uint8Array> {
  yield npyHeader(shape);
  const bigEndianHost = new Uint8Array(new Float64Array([1]).buffer)[0] === 0x3f;
  const step = 1 << 13; // 64 KiB of values per chunk
  for (let k = 0; k < data.length; k += step) {
    const part = data.subarray(k, Math.min(data.length, k + step));
    const bytes = Buffer.from(part.buffer, part.byteOffset, part.byteLength);
    if (bigEndianHost) {
      const copy = Buffer.from(bytes);
      copy.swap64();
      yield copy;
    } else {
      // A copy: the stream may hold on to the chunk after the caller changes the array.
      yield Buffer.from(bytes);
    }
  }
}

/**
 * Writes a float64 array as `.npy` (version 1.0, little-endian, C order; gzip-compressed when the
 * name ends in `.gz`). `shape` defaults to [data.length]; a matrix is written with shape (rows, cols).
 */
export async function writeNpy(file: string, data: Float64Array | Matrix, shape?: readonly number[]): Promise<void> {
  requireFileName(file);
  let values: Float64Array;
  let dims: number[];
  if (data instanceof Float64Array) {
    values = data;
    dims = shape ? [...shape] : [data.length];
    if (!dims.every((d) => Number.isSafeInteger(d) && d >= 0) || dims.reduce((a, b) => a * b, 1) !== data.length) {
      throw new InputError('shape', `expected non-negative integers whose product is ${data.length}, received ${describe(shape)}`);
    }
  } else {
    const matrix = validateMatrix(data);
    const dense = isDense(matrix) ? matrix.data : denseValues(matrix);
    values = dense;
    dims = [matrix.rows, matrix.cols];
  }
  await writeChunks(file, npyChunks(values, dims));
}

function denseValues(c: Exclude<Matrix, DenseMatrix>): Float64Array {
  const out = new Float64Array(c.rows * c.cols);
  for (let i = 0; i < c.rows; i++) {
    for (let p = c.indptr[i]; p < c.indptr[i + 1]; p++) out[i * c.cols + c.indices[p]] = c.values[p];
  }
  return out;
}

/**
 * Reads rows [start, end) of a plain (not gzip), C-order 2-D float64 `.npy` file — a distributed
 * shard (src/distributed/shard.ts) — seeking to them, so a rank reads only its rows. `rowRange`
 * receives the file's row count and returns the range. With targetColumn, that column becomes b.
 * Returns undefined for a file it cannot seek in (`.gz`, Fortran order): read it whole instead.
 */
export async function readNpyMatrixRows(
  file: string,
  options: NpyMatrixOptions & { rowRange: (rows: number) => [number, number] },
): Promise<{ C: DenseMatrix; b?: Float64Array; totalRows: number; start: number } | undefined> {
  requireFileName(file);
  if (/\.gz$/i.test(file)) return undefined;
  const targetColumn = options.targetColumn === undefined ? undefined : requireInteger('targetColumn', options.targetColumn, 1, MAX_INDEX);
  const expectedCols = options.cols === undefined ? undefined : requireInteger('cols', options.cols, 1, MAX_INDEX);
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(file, 'r');
    const size = (await handle.stat()).size;
    let head = Buffer.alloc(0);
    let header: Header | undefined;
    while (!header) {
      const chunk = Buffer.alloc(1 << 16);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, head.length);
      head = Buffer.concat([head, chunk.subarray(0, bytesRead)]);
      header = parseHeader(file, head);
      if (!header && bytesRead === 0) {
        throw new DataFormatError(file, undefined, head.length === 0 ? 'byte 0: the file is empty' : `byte ${head.length}: the file ends inside the header`);
      }
    }
    const shape = header.shape;
    if (shape.length !== 2) throw new DataFormatError(file, undefined, `byte ${header.dataOffset}: expected an array of 2 dimensions, found shape (${shape.join(', ')}${shape.length === 1 ? ',' : ''})`);
    const [rows, fileCols] = shape;
    if (header.fortranOrder && rows > 1 && fileCols > 1) return undefined;
    if (rows === 0 || fileCols === 0) throw new DataFormatError(file, undefined, `no data: shape (${rows}, ${fileCols})`);
    const needed = header.dataOffset + rows * fileCols * 8;
    if (size < needed) throw new DataFormatError(file, undefined, `byte ${size}: the data ends before the ${rows * fileCols * 8} bytes that shape (${rows}, ${fileCols}) of float64 needs: is the file truncated?`);
    if (size > needed) throw new DataFormatError(file, undefined, `byte ${needed}: ${size - needed} bytes after the data that shape (${rows}, ${fileCols}) of float64 needs`);
    const [start, end] = options.rowRange(rows);
    const count = end - start;
    const bytes = allocate(file, `rows ${start + 1} to ${end}`, () => Buffer.alloc(count * fileCols * 8));
    await handle.read(bytes, 0, bytes.length, header.dataOffset + start * fileCols * 8);
    const data = new Float64Array(count * fileCols);
    const littleEndian = header.descr === '<f8';
    for (let k = 0; k < data.length; k++) data[k] = littleEndian ? bytes.readDoubleLE(8 * k) : bytes.readDoubleBE(8 * k);
    for (let k = 0; k < data.length; k++) {
      if (!Number.isFinite(data[k])) {
        throw new DataFormatError(file, undefined, `row ${start + Math.floor(k / fileCols) + 1}, column ${(k % fileCols) + 1} is ${data[k]}: every value must be finite`);
      }
    }
    const cols = targetColumn === undefined ? fileCols : fileCols - 1;
    if (targetColumn !== undefined && targetColumn > fileCols) throw new InputError('targetColumn', `${file}: expected a column from 1 to ${fileCols}, received ${targetColumn}`);
    if (targetColumn !== undefined && fileCols === 1) throw new InputError('targetColumn', `${file}: the array has one column: taking it as the target would leave C without columns`);
    if (expectedCols !== undefined && expectedCols !== cols) throw new InputError('cols', `expected ${cols} (${file} has shape (${rows}, ${fileCols})${targetColumn === undefined ? '' : ', one column the target'}), received ${expectedCols}`);
    if (targetColumn === undefined) return { C: { rows: count, cols, data }, totalRows: rows, start };
    const t = targetColumn - 1;
    const b = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const from = i * fileCols;
      b[i] = data[from + t];
      data.copyWithin(i * cols, from, from + t);
      data.copyWithin(i * cols + t, from + t + 1, from + fileCols);
    }
    return { C: { rows: count, cols, data: data.slice(0, count * cols) }, b, totalRows: rows, start };
  } catch (error) {
    throw fileError(file, 'read', error);
  } finally {
    await handle?.close();
  }
}
