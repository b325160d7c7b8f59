/**
 * LIBSVM / SVMlight text format: one row per line, `label index:value index:value …`, with 1-based
 * indices. See docs/formats.md for exactly what is accepted.
 *
 * The reader streams: the file is decoded chunk by chunk and each line is parsed in place into
 * typed arrays that grow by doubling, so a file of hundreds of MB never exists as one string and
 * costs about 12 bytes per non-zero. `.gz` files are decompressed on the way (read and write).
 *
 * Chunks are decoded as latin1, not UTF-8: every byte becomes one character, so a multi-byte
 * character split across chunks cannot be corrupted, and the format's syntax is pure ASCII anyway.
 * Only the text quoted in an error message is decoded back to UTF-8.
 */
import { DataFormatError, InputError } from '../errors';
import { CsrMatrix, isDense, Matrix, MAX_INDEX, validateMatrix } from '../matrix';
import { requireInteger, requireVector } from '../validate';
import {
  DIGIT_0, DIGIT_9, formatNumber, HASH, LineSink, isBlank as isSeparator, lastScanEnd, LineSplitter, quoteText, readLines,
  requireFileName, scanDecimal, WRITE_CHUNK_CHARS, writeChunks,
} from './text';
import { readLinesInRange } from './text';

export interface LibsvmData {
  C: CsrMatrix;
  /** The labels: one per row. */
  b: Float64Array;
}

export interface LibsvmReadOptions {
  /** The number of columns d. Without it d is the largest index in the file; with it, an index > cols is an error. */
  cols?: number;
}

export interface LibsvmParseOptions extends LibsvmReadOptions {
  /** The name used in error messages (default `<string>`). */
  name?: string;
}

/** The largest number of non-zeros an Int32 `indptr` can address. */
const MAX_NNZ = 2 ** 31 - 1;
const COLON = 58;

/** The end of the token starting at `start`: the next separator, `#` (a trailing comment) or `end`. */
function tokenEnd(text: string, start: number, end: number): number {
  let i = start;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (isSeparator(c) || c === HASH) break;
    i++;
  }
  return i;
}

/** Whether the token that began before `position` ends there. */
function endsToken(text: string, position: number, end: number): boolean {
  if (position === end) return true;
  const c = text.charCodeAt(position);
  return isSeparator(c) || c === HASH;
}

/**
 * Builds CSR arrays line by line. Shared by the streaming reader and {@link parseLibsvm}, so both
 * accept exactly the same text and report the same errors.
 */
class LibsvmBuilder implements LineSink {
  private rows = 0;
  private count = 0;
  private maxIndex = 0;
  private indptr = new Int32Array(1024);
  private labels = new Float64Array(1024);
  private indices = new Int32Array(1 << 16);
  private values = new Float64Array(1 << 16);

  /**
   * @param name the file name for error messages
   * @param cols the fixed column count, if any
   * @param bytesAsLatin1 the text is raw bytes decoded as latin1: quoted snippets are re-decoded as UTF-8
   */
  constructor(
    private readonly name: string,
    private readonly cols: number | undefined,
    private readonly bytesAsLatin1: boolean,
  ) {}

  private fail(lineNumber: number, message: string): DataFormatError {
    return new DataFormatError(this.name, lineNumber, message);
  }

  private quote(text: string, start: number, end: number): string {
    return quoteText(text, start, end, this.bytesAsLatin1);
  }

  private growEntries(lineNumber: number): void {
    const capacity = Math.min(this.indices.length * 2, MAX_NNZ);
    try {
      const indices = new Int32Array(capacity);
      indices.set(this.indices);
      this.indices = indices;
      const values = new Float64Array(capacity);
      values.set(this.values);
      this.values = values;
    } catch (error) {
      // Say what ran out instead of letting a bare "Array buffer allocation failed" look like a bug.
      if (!(error instanceof RangeError)) throw error;
      throw new InputError(this.name, `too large to hold in memory: more than ${this.count} non-zeros by line ${lineNumber}, and ${(capacity * 12 / 2 ** 30).toFixed(1)} GiB more could not be allocated`);
    }
  }

  private growRows(): void {
    const labels = new Float64Array(this.labels.length * 2);
    labels.set(this.labels);
    this.labels = labels;
    const indptr = new Int32Array(this.indptr.length * 2);
    indptr.set(this.indptr);
    this.indptr = indptr;
  }

  /** Parses text[start, end), one line without its line feed, in one left-to-right scan. */
  addLine(text: string, start: number, end: number, lineNumber: number): void {
    let i = start;
    while (i < end && isSeparator(text.charCodeAt(i))) i++;
    if (i === end || text.charCodeAt(i) === HASH) return; // a blank line or a comment

    const label = scanDecimal(text, i, end);
    if (!(Number.isFinite(label) && endsToken(text, lastScanEnd(), end))) {
      throw this.fail(lineNumber, `expected a finite decimal label at the start of the line, found ${this.quote(text, i, tokenEnd(text, i, end))}`);
    }
    if (this.rows === MAX_INDEX) throw this.fail(lineNumber, `more than ${MAX_INDEX} rows`);
    if (this.rows + 1 >= this.indptr.length) this.growRows();
    this.labels[this.rows] = label;

    const rowStart = this.count;
    const cols = this.cols ?? MAX_INDEX;
    let previous = 0;
    let sorted = true;
    i = lastScanEnd();
    for (;;) {
      let c = 0;
      while (i < end && isSeparator((c = text.charCodeAt(i)))) i++;
      if (i === end || c === HASH) break;

      const tokenStart = i;
      let index = 0;
      while (i < end && (c = text.charCodeAt(i)) >= DIGIT_0 && c <= DIGIT_9) {
        index = index * 10 + (c - DIGIT_0);
        i++;
      }
      const wellFormed = i > tokenStart && i < end && c === COLON;
      if (wellFormed && (index === 0 || index > cols)) {
        const range = this.cols === undefined ? `from 1 to ${MAX_INDEX}` : `from 1 to cols = ${cols}`;
        throw this.fail(lineNumber, `expected an index ${range}, found ${this.quote(text, tokenStart, tokenEnd(text, tokenStart, end))}`);
      }
      if (!wellFormed) {
        i = tokenEnd(text, tokenStart, end);
        if (text.startsWith('qid:', tokenStart)) continue; // SVMlight's query id: meaningless for regression
        throw this.fail(lineNumber, `expected index:value with a 1-based integer index, found ${this.quote(text, tokenStart, i)}`);
      }
      const value = scanDecimal(text, i + 1, end);
      if (!(Number.isFinite(value) && endsToken(text, lastScanEnd(), end))) {
        throw this.fail(lineNumber, `expected index:value with a finite decimal value, found ${this.quote(text, tokenStart, tokenEnd(text, tokenStart, end))}`);
      }
      i = lastScanEnd();
      if (index === previous) throw this.fail(lineNumber, `duplicate index ${index}: each index may appear once per line`);
      if (index < previous) sorted = false;
      previous = index;
      if (this.count === this.indices.length) {
        if (this.count === MAX_NNZ) throw this.fail(lineNumber, `more than ${MAX_NNZ} non-zeros, the most Int32 CSR offsets can address`);
        this.growEntries(lineNumber);
      }
      this.indices[this.count] = index - 1;
      this.values[this.count] = value;
      this.count++;
      if (index > this.maxIndex) this.maxIndex = index;
    }
    if (!sorted) this.sortRow(rowStart, lineNumber);
    this.rows++;
    this.indptr[this.rows] = this.count;
  }

  /** Sorts the entries of the current row by index; a duplicate is only visible once they are sorted. */
  private sortRow(rowStart: number, lineNumber: number): void {
    const length = this.count - rowStart;
    const rowIndices = this.indices.slice(rowStart, this.count);
    const rowValues = this.values.slice(rowStart, this.count);
    const order = Array.from({ length }, (_, k) => k).sort((a, b) => rowIndices[a] - rowIndices[b]);
    for (let k = 0; k < length; k++) {
      this.indices[rowStart + k] = rowIndices[order[k]];
      this.values[rowStart + k] = rowValues[order[k]];
      if (k > 0 && this.indices[rowStart + k] === this.indices[rowStart + k - 1]) {
        throw this.fail(lineNumber, `duplicate index ${this.indices[rowStart + k] + 1}: each index may appear once per line`);
      }
    }
  }

  finish(): LibsvmData {
    if (this.rows === 0) {
      throw new DataFormatError(this.name, undefined, 'no data: expected at least one line "label index:value …"');
    }
    const cols = this.cols ?? this.maxIndex;
    if (cols === 0) {
      throw new DataFormatError(this.name, undefined, 'no features: every line has only a label, so the column count is unknown; give cols');
    }
    // Copies to the exact size: the doubling slack would otherwise stay allocated for the matrix's lifetime.
    return {
      C: {
        rows: this.rows,
        cols,
        indptr: this.indptr.slice(0, this.rows + 1),
        indices: this.indices.slice(0, this.count),
        values: this.values.slice(0, this.count),
      },
      b: this.labels.slice(0, this.rows),
    };
  }
}

function requireCols(cols: unknown): number | undefined {
  return cols === undefined ? undefined : requireInteger('cols', cols, 1, MAX_INDEX);
}

/** Reads a LIBSVM file (gzip-compressed when its name ends in `.gz`), streaming. */
export async function readLibsvm(file: string, options: LibsvmReadOptions = {}): Promise<LibsvmData> {
  requireFileName(file);
  const builder = new LibsvmBuilder(file, requireCols(options.cols), true);
  await readLines(file, builder);
  return builder.finish();
}

/** Parses LIBSVM text held in a string (tests, small inputs): the same rules and messages as {@link readLibsvm}. */
export function parseLibsvm(text: string, options: LibsvmParseOptions = {}): LibsvmData {
  if (typeof text !== 'string') throw new InputError('text', 'expected a string');
  const builder = new LibsvmBuilder(options.name ?? '<string>', requireCols(options.cols), false);
  const splitter = new LineSplitter(builder, options.name ?? '<string>');
  splitter.push(text.startsWith('\uFEFF') ? text.slice(1) : text);
  splitter.end();
  return builder.finish();
}

function* libsvmChunks(C: Matrix, b: Float64Array): Generator<string> {
  let chunk = '';
  for (let i = 0; i < C.rows; i++) {
    chunk += formatNumber(b[i]);
    if (isDense(C)) {
      for (let j = 0, offset = i * C.cols; j < C.cols; j++) {
        const v = C.data[offset + j];
        if (v !== 0) chunk += ` ${j + 1}:${formatNumber(v)}`;
      }
    } else {
      for (let p = C.indptr[i]; p < C.indptr[i + 1]; p++) chunk += ` ${C.indices[p] + 1}:${formatNumber(C.values[p])}`;
    }
    chunk += '\n';
    if (chunk.length >= WRITE_CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk.length > 0) yield chunk;
}

/**
 * Writes C and b as LIBSVM text (gzip-compressed when the name ends in `.gz`): 1-based indices,
 * every number with full round-trip precision, so reading the file back gives bit-identical arrays.
 * A CSR matrix's stored zeros are written; a dense matrix's zeros are not. The text goes to a
 * temporary file renamed into place at the end, so a failed write never leaves a truncated file
 * that would still parse.
 */
export async function writeLibsvm(file: string, C: Matrix, b: Float64Array | number[]): Promise<void> {
  requireFileName(file);
  const matrix = validateMatrix(C);
  const labels = requireVector('b', b, matrix.rows);
  await writeChunks(file, libsvmChunks(matrix, labels));
}

/**
 * Reads the lines in bytes [start, end) of a plain LIBSVM file (a distributed shard,
 * src/distributed/shard.ts); both ends must be line starts (lineStartAtOrAfter in text.ts). Line
 * numbers in errors count from 1 at `start`; `lines` says how many lines the range holds, so that
 * the caller can turn them into the file's line numbers.
 */
export async function readLibsvmRange(file: string, options: LibsvmReadOptions & { start: number; end: number }): Promise<LibsvmData & { lines: number }> {
  requireFileName(file);
  const builder = new LibsvmBuilder(file, requireCols(options.cols), true);
  const lines = await readLinesInRange(file, builder, options.start, options.end);
  return { ...builder.finish(), lines };
}
