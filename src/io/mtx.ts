/**
 * Matrix Market exchange format, coordinate form: a banner line, `%` comments, a size line
 * `rows cols entries`, then one `row col value` line per stored entry (1-based). See
 * docs/formats.md for exactly what is accepted.
 *
 * The reader streams the file line by line (gunzipping `.gz`) into typed arrays sized by the size
 * line, then builds CSR with one counting sort by row; entries may come in any order. Because the
 * format has no labels, `b` comes from elsewhere: a column of the file (`targetColumn`) or a
 * separate file (see readTarget in target.ts).
 */
import { DataFormatError, InputError } from '../errors';
import { CsrMatrix, isDense, Matrix, MAX_INDEX, validateMatrix } from '../matrix';
import { requireInteger } from '../validate';
import { defaultMaxMemoryBytes, formatBytes } from '../limits';

/** What reading a Matrix Market file holds per declared row (indptr, b, the build's row cursors and
 *  target marks, the Problem's copy of b) and per entry (coordinates, value, then CSR and order). */
const BYTES_PER_ROW = 28;
const BYTES_PER_ENTRY = 28;
import {
  allocate, DIGIT_0, DIGIT_9, formatNumber, isBlank, lastScanEnd, LineSink, quoteText, readLines, requireFileName,
  scanDecimal, WRITE_CHUNK_CHARS, writeChunks,
} from './text';

export interface MatrixMarketReadOptions {
  /**
   * The 1-based column of the file that holds the target b; it is removed from C (so C has one
   * column fewer) and rows without an entry in it have b = 0.
   */
  targetColumn?: number;
  /** The expected number of columns of C (after removing the target column): a mismatch is an error. */
  cols?: number;
}

export interface MatrixMarketData {
  C: CsrMatrix;
  /** The target column, when `targetColumn` was given. */
  b?: Float64Array;
  /** The field of the banner: real, integer or pattern (every stored value 1). */
  field: 'real' | 'integer' | 'pattern';
}

const PERCENT = 37;
const MAX_NNZ = 2 ** 31 - 1;

type Field = MatrixMarketData['field'];

/** Reads the banner, the size line and the entries, in that order, line by line. */
class MatrixMarketBuilder implements LineSink {
  private state: 'banner' | 'size' | 'entries' = 'banner';
  private field: Field = 'real';
  private rows = 0;
  private cols = 0;
  private declared = 0;
  private count = 0;
  private rowIndex = new Int32Array(0);
  private colIndex = new Int32Array(0);
  private values = new Float64Array(0);
  /** Line of the first entry, and the entry numbers before which blank or comment lines were skipped. */
  private firstEntryLine = 0;
  private skippedBefore: number[] = [];

  constructor(private readonly name: string) {}

  private fail(line: number, message: string): DataFormatError {
    return new DataFormatError(this.name, line, message);
  }

  addLine(text: string, start: number, end: number, line: number): void {
    if (this.state === 'banner') return this.banner(text, start, end, line);
    let i = start;
    while (i < end && isBlank(text.charCodeAt(i))) i++;
    if (i === end || text.charCodeAt(i) === PERCENT) {
      // Blank and comment lines may sit anywhere after the banner; remember where, for line numbers.
      if (this.state === 'entries' && this.count > 0) this.skippedBefore.push(this.count);
      return;
    }
    if (this.state === 'size') return this.size(text, i, end, line);
    this.entry(text, i, end, line);
  }

  private banner(text: string, start: number, end: number, line: number): void {
    const header = Buffer.from(text.slice(start, end), 'latin1').toString('utf8').trim();
    const words = header.split(/\s+/);
    if (words[0]?.toLowerCase() !== '%%matrixmarket') {
      throw this.fail(line, `expected the banner "%%MatrixMarket matrix coordinate real general" on the first line, found ${quoteText(text, start, end)}`);
    }
    const [object, format, field, symmetry] = words.slice(1).map((w) => w.toLowerCase());
    if (object !== 'matrix') throw this.fail(line, `expected object "matrix" in the banner, found ${JSON.stringify(words[1] ?? '')}`);
    if (format !== 'coordinate') {
      throw this.fail(line, `expected format "coordinate" in the banner, found ${JSON.stringify(words[2] ?? '')}` +
        (format === 'array' ? ' (dense "array" files are not read: use .npy or .csv for dense data)' : ''));
    }
    if (field !== 'real' && field !== 'integer' && field !== 'pattern') {
      throw this.fail(line, `expected field "real", "integer" or "pattern" in the banner, found ${JSON.stringify(words[3] ?? '')}`);
    }
    if (symmetry !== 'general') {
      throw this.fail(line, `expected symmetry "general" in the banner, found ${JSON.stringify(words[4] ?? '')}` +
        (symmetry === 'symmetric' || symmetry === 'skew-symmetric' || symmetry === 'hermitian' ? ' (only one triangle is stored; write the full matrix as general)' : ''));
    }
    if (words.length > 5) throw this.fail(line, `expected 5 words in the banner, found ${words.length}`);
    this.field = field;
    this.state = 'size';
  }

  /** A non-negative integer token at `i` (digits only) that ends at a blank or the line's end; NaN if not. */
  private integer(text: string, i: number, end: number): number {
    let value = 0;
    const start = i;
    let c = 0;
    while (i < end && (c = text.charCodeAt(i)) >= DIGIT_0 && c <= DIGIT_9) {
      value = value * 10 + (c - DIGIT_0);
      i++;
    }
    this.position = i;
    if (i === start || (i < end && !isBlank(c)) || i - start > 16) return NaN;
    return value;
  }

  private position = 0;

  private skipBlanks(text: string, i: number, end: number): number {
    while (i < end && isBlank(text.charCodeAt(i))) i++;
    return i;
  }

  private tokenEnd(text: string, i: number, end: number): number {
    while (i < end && !isBlank(text.charCodeAt(i))) i++;
    return i;
  }

  private size(text: string, start: number, end: number, line: number): void {
    const numbers: number[] = [];
    let i = start;
    while (i < end && numbers.length < 4) {
      const value = this.integer(text, i, end);
      if (Number.isNaN(value)) {
        const tokenEnd = this.tokenEnd(text, i, end);
        const token = quoteText(text, i, tokenEnd);
        if (/^[0-9]+$/.test(text.slice(i, Math.min(tokenEnd, i + 100)))) {
          throw this.fail(line, `size line: ${['rows', 'cols', 'entries'][numbers.length] ?? 'a fourth number'} ${token} has more than 16 digits, beyond any size this reader can hold`);
        }
        throw this.fail(line, `expected the size line "rows cols entries" (three integers), found ${token}, which is not a non-negative integer, in ${quoteText(text, start, end)}`);
      }
      numbers.push(value);
      i = this.skipBlanks(text, this.position, end);
    }
    if (numbers.length !== 3) {
      const found = numbers.length < 3 ? `only ${numbers.length} integer${numbers.length === 1 ? '' : 's'}` : 'more than three integers';
      throw this.fail(line, `expected the size line "rows cols entries" (three integers), found ${found}: ${quoteText(text, start, end)}`);
    }
    const [rows, cols, declared] = numbers;
    if (rows < 1 || rows > MAX_INDEX) throw this.fail(line, `expected rows from 1 to ${MAX_INDEX} on the size line, found ${rows}`);
    if (cols < 1 || cols > MAX_INDEX) throw this.fail(line, `expected cols from 1 to ${MAX_INDEX} on the size line, found ${cols}`);
    if (declared > rows * cols) throw this.fail(line, `expected at most rows × cols = ${rows * cols} entries on the size line, found ${declared}`);
    if (declared > MAX_NNZ) throw this.fail(line, `${declared} entries: more than the ${MAX_NNZ} that Int32 CSR offsets can address`);
    // Rows size indptr, b and the build's per-row scratch, allocated before any entry is read: a
    // size line of 2147483646 rows and one entry asked for ≈ 56 GiB and ended as a RangeError (or
    // the OOM killer). What reading needs (≈ 28 bytes per row and per entry) must fit the memory cap.
    const needed = BYTES_PER_ROW * rows + BYTES_PER_ENTRY * declared;
    const cap = defaultMaxMemoryBytes();
    if (needed > cap) {
      throw this.fail(line, `the size line (${rows} rows, ${declared} entries) needs at least ${formatBytes(needed)} to read, more than the memory cap of ${formatBytes(cap)} (half the machine's memory)`);
    }
    this.rows = rows;
    this.cols = cols;
    this.declared = declared;
    // The size line says how many entries follow, so the arrays are allocated once, exactly.
    allocate(this.name, `${declared} entries (${(declared * 16 / 2 ** 30).toFixed(1)} GiB)`, () => {
      this.rowIndex = new Int32Array(declared);
      this.colIndex = new Int32Array(declared);
      this.values = new Float64Array(this.field === 'pattern' ? 0 : declared);
    });
    this.state = 'entries';
  }

  private entry(text: string, start: number, end: number, line: number): void {
    if (this.count === 0) this.firstEntryLine = line;
    if (this.count === this.declared) {
      throw this.fail(line, `expected no more entries: the size line declares ${this.declared}`);
    }
    const what = this.field === 'pattern' ? '"row col"' : '"row col value"';
    const row = this.integer(text, start, end);
    let i = this.skipBlanks(text, this.position, end);
    const col = i < end ? this.integer(text, i, end) : NaN;
    if (Number.isNaN(row) || Number.isNaN(col)) {
      throw this.fail(line, `expected an entry ${what} with 1-based integer indices, found ${quoteText(text, start, end)}`);
    }
    if (row < 1 || row > this.rows) throw this.fail(line, `expected a row from 1 to ${this.rows}, found ${row}`);
    if (col < 1 || col > this.cols) throw this.fail(line, `expected a column from 1 to ${this.cols}, found ${col}`);
    i = this.skipBlanks(text, this.position, end);
    if (this.field !== 'pattern') {
      const valueStart = i;
      const value = i < end ? scanDecimal(text, i, end) : NaN;
      const after = lastScanEnd();
      const valueEnd = this.tokenEnd(text, valueStart, end);
      if (!Number.isFinite(value) || after !== valueEnd) {
        throw this.fail(line, `expected an entry ${what} with a finite decimal value, found ${quoteText(text, start, end)}`);
      }
      if (this.field === 'integer' && !Number.isInteger(value)) {
        throw this.fail(line, `expected an integer value (the banner says "integer"), found ${quoteText(text, valueStart, valueEnd)}`);
      }
      this.values[this.count] = value;
      i = this.skipBlanks(text, valueEnd, end);
    }
    if (i < end) throw this.fail(line, `expected an entry ${what} and nothing after it, found ${quoteText(text, start, end)}`);
    this.rowIndex[this.count] = row - 1;
    this.colIndex[this.count] = col - 1;
    this.count++;
  }

  /** The line of entry k (0-based), from the first entry's line and the blank or comment lines since. */
  private lineOf(k: number): number {
    let skipped = 0;
    for (const before of this.skippedBefore) if (before <= k) skipped++;
    return this.firstEntryLine + k + skipped;
  }

  finish(options: MatrixMarketReadOptions): MatrixMarketData {
    if (this.state === 'banner') throw new DataFormatError(this.name, undefined, 'no data: expected the banner "%%MatrixMarket matrix coordinate real general"');
    if (this.state === 'size') throw new DataFormatError(this.name, undefined, 'no size line: expected "rows cols entries" after the banner');
    if (this.count < this.declared) {
      throw new DataFormatError(this.name, undefined, `expected ${this.declared} entries (as the size line declares), found ${this.count}: is the file truncated?`);
    }
    const target = options.targetColumn;
    if (target !== undefined && (target < 1 || target > this.cols)) {
      throw new InputError('targetColumn', `expected a column from 1 to ${this.cols} (the file's columns), received ${target}`);
    }
    if (target !== undefined && this.cols === 1) {
      throw new InputError('targetColumn', 'the file has one column: taking it as the target would leave C without columns');
    }
    const cols = target === undefined ? this.cols : this.cols - 1;
    if (options.cols !== undefined && options.cols !== cols) {
      throw new InputError('cols', `expected ${cols} (the file has ${this.cols} columns${target === undefined ? '' : ', one of them the target'}), received ${options.cols}`);
    }
    return this.build(target === undefined ? -1 : target - 1, cols);
  }

  /** CSR by a stable counting sort on the row; each row is then sorted by column where it is not already. */
  private build(targetCol: number, cols: number): MatrixMarketData {
    const n = this.rows;
    const b = targetCol >= 0 ? new Float64Array(n) : undefined;
    const indptr = new Int32Array(n + 1);
    let kept = 0;
    for (let k = 0; k < this.count; k++) {
      if (this.colIndex[k] === targetCol) continue;
      indptr[this.rowIndex[k] + 1]++;
      kept++;
    }
    for (let i = 0; i < n; i++) indptr[i + 1] += indptr[i];
    const next = indptr.slice(0, n);
    const indices = allocate(this.name, `${kept} column indices`, () => new Int32Array(kept));
    const values = allocate(this.name, `${kept} values`, () => new Float64Array(kept));
    const entryOf = allocate(this.name, `${kept} entry numbers`, () => new Int32Array(kept));
    const pattern = this.field === 'pattern';
    const seenTarget = b ? new Int32Array(n).fill(-1) : undefined;
    for (let k = 0; k < this.count; k++) {
      const row = this.rowIndex[k];
      let col = this.colIndex[k];
      const value = pattern ? 1 : this.values[k];
      if (col === targetCol) {
        if (seenTarget![row] >= 0) this.duplicate(seenTarget![row], k, row, col);
        seenTarget![row] = k;
        b![row] = value;
        continue;
      }
      if (targetCol >= 0 && col > targetCol) col--;
      const p = next[row]++;
      indices[p] = col;
      values[p] = value;
      entryOf[p] = k;
    }
    for (let i = 0; i < n; i++) {
      let sorted = true;
      for (let p = indptr[i] + 1; p < indptr[i + 1]; p++) {
        if (indices[p] <= indices[p - 1]) {
          sorted = false;
          break;
        }
      }
      if (!sorted) this.sortRow(indptr[i], indptr[i + 1], indices, values, entryOf, i, targetCol);
    }
    return { C: { rows: n, cols, indptr, indices, values }, b, field: this.field };
  }

  private sortRow(from: number, to: number, indices: Int32Array, values: Float64Array, entryOf: Int32Array, row: number, targetCol: number): void {
    const order = Array.from({ length: to - from }, (_, k) => from + k).sort((a, c) => indices[a] - indices[c] || entryOf[a] - entryOf[c]);
    const sortedIndices = order.map((p) => indices[p]);
    const sortedValues = order.map((p) => values[p]);
    const sortedEntries = order.map((p) => entryOf[p]);
    for (let k = 0; k < order.length; k++) {
      if (k > 0 && sortedIndices[k] === sortedIndices[k - 1]) {
        const col = sortedIndices[k] + (targetCol >= 0 && sortedIndices[k] >= targetCol ? 1 : 0);
        this.duplicate(sortedEntries[k - 1], sortedEntries[k], row, col);
      }
      indices[from + k] = sortedIndices[k];
      values[from + k] = sortedValues[k];
      entryOf[from + k] = sortedEntries[k];
    }
  }

  private duplicate(first: number, second: number, row: number, col: number): never {
    throw this.fail(this.lineOf(second), `duplicate entry for row ${row + 1}, column ${col + 1} (first given on line ${this.lineOf(first)}): each entry may appear once`);
  }
}

/** Reads a Matrix Market coordinate file (gzip-compressed when its name ends in `.gz`), streaming. */
export async function readMatrixMarket(file: string, options: MatrixMarketReadOptions = {}): Promise<MatrixMarketData> {
  requireFileName(file);
  const o = checkOptions(options);
  const builder = new MatrixMarketBuilder(file);
  await readLines(file, builder);
  return builder.finish(o);
}

/** Parses Matrix Market text held in a string (tests, small inputs): the same rules and messages as {@link readMatrixMarket}. */
export function parseMatrixMarket(text: string, options: MatrixMarketReadOptions & { name?: string } = {}): MatrixMarketData {
  if (typeof text !== 'string') throw new InputError('text', 'expected a string');
  const o = checkOptions(options);
  const builder = new MatrixMarketBuilder(options.name ?? '<string>');
  let start = 0;
  let line = 0;
  const body = Buffer.from(text.startsWith('\uFEFF') ? text.slice(1) : text, 'utf8').toString('latin1');
  while (start < body.length) {
    let newline = body.indexOf('\n', start);
    if (newline < 0) newline = body.length;
    builder.addLine(body, start, newline, ++line);
    start = newline + 1;
  }
  return builder.finish(o);
}

function checkOptions(options: MatrixMarketReadOptions): MatrixMarketReadOptions {
  if (typeof options !== 'object' || options === null) throw new InputError('options', 'expected an object');
  return {
    targetColumn: options.targetColumn === undefined ? undefined : requireInteger('targetColumn', options.targetColumn, 1, MAX_INDEX),
    cols: options.cols === undefined ? undefined : requireInteger('cols', options.cols, 1, MAX_INDEX),
  };
}

function* matrixMarketChunks(C: Matrix, comment: string | undefined): Generator<string> {
  const count = isDense(C) ? C.data.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0) : C.indptr[C.rows];
  let chunk = '%%MatrixMarket matrix coordinate real general\n';
  if (comment) for (const line of comment.split('\n')) chunk += `%${line}\n`;
  chunk += `${C.rows} ${C.cols} ${count}\n`;
  for (let i = 0; i < C.rows; i++) {
    if (isDense(C)) {
      for (let j = 0, offset = i * C.cols; j < C.cols; j++) {
        const v = C.data[offset + j];
        if (v !== 0) chunk += `${i + 1} ${j + 1} ${formatNumber(v)}\n`;
      }
    } else {
      for (let p = C.indptr[i]; p < C.indptr[i + 1]; p++) chunk += `${i + 1} ${C.indices[p] + 1} ${formatNumber(C.values[p])}\n`;
    }
    if (chunk.length >= WRITE_CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk.length > 0) yield chunk;
}

/**
 * Writes C as a Matrix Market `coordinate real general` file (gzip-compressed when the name ends
 * in `.gz`), row by row, every value with full round-trip precision. A CSR matrix's stored zeros
 * are written; a dense matrix's zeros are not. `comment` (may span lines) goes after the banner.
 */
export async function writeMatrixMarket(file: string, C: Matrix, options: { comment?: string } = {}): Promise<void> {
  requireFileName(file);
  const matrix = validateMatrix(C);
  await writeChunks(file, matrixMarketChunks(matrix, options.comment));
}
