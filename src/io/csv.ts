/**
 * Dense CSV: one row of C per line, fields separated by commas (or another delimiter, or runs of
 * blanks), perhaps after lines to skip, an optional header line of column
 * names, and the target b in one of the columns (chosen by name or 1-based index). See
 * docs/formats.md for exactly what is accepted.
 *
 * The reader streams the file line by line (gunzipping `.gz`) into a Float64Array that grows by
 * doubling: 8 bytes per value, at most twice that while it grows.
 */
import { DataFormatError, InputError } from '../errors';
import { DenseMatrix, isDense, Matrix, MAX_INDEX, validateMatrix } from '../matrix';
import { describe, requireInteger, requireVector } from '../validate';
import {
  formatNumber, GrowingFloat64, HASH, isBlank, lastScanEnd, LineSink, quoteText, readLines, requireFileName, scanDecimal,
  WRITE_CHUNK_CHARS, writeChunks,
} from './text';

export interface CsvReadOptions {
  /**
   * The column holding the target b: a header name, or a 1-based index (a number, or a string of
   * digits when no header column has that name). It is removed from C. Without it there is no b.
   */
  targetColumn?: string | number;
  /** Whether the first line is a header; default: detected (a header has no numeric field). */
  header?: boolean;
  /** The expected number of columns of C (after removing the target column): a mismatch is an error. */
  cols?: number;
  /** The field separator: one character (default `,`; e.g. `;`, `\t`, `|`) or `'whitespace'`
   *  (runs of spaces and tabs, as NumPy's `savetxt` and many `.dat` files write). */
  delimiter?: string;
  /** Lines to skip at the start of the file, before the header or first row (e.g. scikit-learn's
   *  metadata line). Default 0. */
  skipRows?: number;
}

/** `delimiter` for runs of blanks. */
export const WHITESPACE = 'whitespace';
/** Separators a line may use instead of the one given: the hint in error messages. */
const CANDIDATES: readonly string[] = [',', ';', '\t', '|', WHITESPACE];

/** A printable name of a delimiter, as the flag takes it. */
function delimiterName(delimiter: string): string {
  return delimiter === '\t' ? 'tab' : delimiter === WHITESPACE ? WHITESPACE : JSON.stringify(delimiter);
}

/**
 * The separator text[start, end) seems to use instead of `current`: the candidate with the most
 * occurrences (runs of blanks between non-blanks for whitespace), or undefined.
 */
export function suggestDelimiter(text: string, start: number, end: number, current: string): string | undefined {
  const line = text.slice(start, end).trim();
  let best: string | undefined;
  let bestCount = 0;
  for (const candidate of CANDIDATES) {
    if (candidate === current || (current === WHITESPACE && candidate === '\t')) continue;
    const count = candidate === WHITESPACE ? (line.match(/[^\s][ \t]+(?=[^\s])/g) ?? []).length : line.split(candidate).length - 1;
    if (count > bestCount) {
      best = candidate;
      bestCount = count;
    }
  }
  return best;
}

export interface CsvData {
  C: DenseMatrix;
  /** The target column, when `targetColumn` was given. */
  b?: Float64Array;
  /** The names of C's columns, from the header (absent without one). */
  columns?: string[];
  /** The header name of the target column (absent without a header or a target). */
  target?: string;
}

const QUOTE = 34;
/** The separator code of whitespace mode (no character has it). */
const RUN_OF_BLANKS = -1;

/** Blanks around fields, except the separator itself (a tab can be both). */
function blank(c: number, separator: number): boolean {
  return c !== separator && isBlank(c);
}

/** Where the field starting at `from` ends: the next separator, or `end`. */
function fieldEnd(text: string, from: number, end: number, separator: number): number {
  let i = from;
  if (separator === RUN_OF_BLANKS) {
    while (i < end && !isBlank(text.charCodeAt(i))) i++;
    return i;
  }
  while (i < end && text.charCodeAt(i) !== separator) i++;
  return i;
}

/** The fields of a header line, unquoted (`"a ""b"""` → `a "b"`), trimmed, decoded as UTF-8. */
function splitHeader(text: string, start: number, end: number, separator: number): string[] {
  const fields: string[] = [];
  let i = start;
  if (separator === RUN_OF_BLANKS) while (end > i && isBlank(text.charCodeAt(end - 1))) end--;
  for (;;) {
    while (i < end && blank(text.charCodeAt(i), separator)) i++;
    let field = '';
    if (i < end && text.charCodeAt(i) === QUOTE) {
      i++;
      for (;;) {
        const close = text.indexOf('"', i);
        if (close < 0 || close >= end) throw new Error('unterminated quote');
        field += text.slice(i, close);
        i = close + 1;
        if (i < end && text.charCodeAt(i) === QUOTE) {
          field += '"';
          i++;
        } else break;
      }
      const after = i;
      while (i < end && blank(text.charCodeAt(i), separator)) i++;
      if (i < end && (separator === RUN_OF_BLANKS ? i === after : text.charCodeAt(i) !== separator)) throw new Error('text after a closing quote');
    } else {
      const stop = fieldEnd(text, i, end, separator);
      field = text.slice(i, stop).trim();
      i = stop;
    }
    fields.push(Buffer.from(field, 'latin1').toString('utf8'));
    if (i >= end) return fields;
    if (separator === RUN_OF_BLANKS) {
      while (i < end && isBlank(text.charCodeAt(i))) i++;
    } else i++; // the separator
  }
}

/** Whether text[start, end) is one finite decimal number, perhaps quoted and padded with blanks. */
function isNumberField(field: string): boolean {
  const text = field.trim();
  const value = scanDecimal(text, 0, text.length);
  return Number.isFinite(value) && lastScanEnd() === text.length;
}

class CsvBuilder implements LineSink {
  private fields = -1;
  private fieldsLine = 0;
  private names: string[] | undefined;
  private target = -1;
  private rows = 0;
  private readonly data = new GrowingFloat64(1 << 16);
  private readonly labels = new GrowingFloat64(1 << 10);
  private readonly separator: number;
  private readonly delimiter: string;
  /** The delimiter hint for a first line of one field (told with errors about the target column). */
  private firstLineHint = '';

  constructor(
    private readonly name: string,
    private readonly options: CsvReadOptions,
  ) {
    this.delimiter = options.delimiter ?? ',';
    this.separator = this.delimiter === WHITESPACE ? RUN_OF_BLANKS : this.delimiter.charCodeAt(0);
  }

  private fail(line: number, message: string): DataFormatError {
    return new DataFormatError(this.name, line, message);
  }

  /** The hint for a line that holds one field where many were expected: the separator it seems to use. */
  private hint(text: string, start: number, end: number): string {
    if (this.separator !== RUN_OF_BLANKS && text.slice(start, end).includes(this.delimiter)) return '';
    const guess = suggestDelimiter(text, start, end, this.delimiter);
    if (guess === undefined) return '';
    return ` (the line has no ${delimiterName(this.delimiter)} but looks separated by ${delimiterName(guess)}: set the delimiter, --delimiter ${guess === '\t' ? 'tab' : guess === WHITESPACE ? WHITESPACE : `'${guess}'`})`;
  }

  addLine(text: string, start: number, end: number, line: number): void {
    if (line <= (this.options.skipRows ?? 0)) return;
    let i = start;
    while (i < end && isBlank(text.charCodeAt(i))) i++;
    if (i === end || text.charCodeAt(i) === HASH) return; // blank lines and # comments
    if (this.fields < 0) return this.first(text, start, end, line);
    this.row(text, start, end, line);
  }

  /** The first line: a header, or the first row, which fixes the number of fields. */
  private first(text: string, start: number, end: number, line: number): void {
    let fields: string[];
    try {
      fields = splitHeader(text, start, end, this.separator);
    } catch (error) {
      throw this.fail(line, `expected a header of column names or a row of numbers, found ${quoteText(text, start, end)} (${(error as Error).message})`);
    }
    this.fields = fields.length;
    this.fieldsLine = line;
    if (fields.length === 1) this.firstLineHint = this.hint(text, start, end);
    let header = this.options.header;
    if (header === undefined) {
      const numeric = fields.filter(isNumberField).length;
      if (numeric > 0 && numeric < fields.length) {
        throw this.fail(line, `cannot tell whether the first line is a header: ${numeric} of its ${fields.length} fields are numbers (a header has none, a row has only numbers; ` +
          `a line of metadata before the header can be skipped: skipRows, --skip-rows ${line})`);
      }
      header = numeric === 0;
    }
    if (header) this.names = fields;
    this.target = this.resolveTarget();
    if (!header) this.row(text, start, end, line);
  }

  private resolveTarget(): number {
    const t = this.options.targetColumn;
    if (t === undefined) return -1;
    if (this.names && typeof t === 'string') {
      const matches = this.names.reduce<number[]>((found, name, k) => (name === t ? [...found, k] : found), []);
      if (matches.length > 1) throw new InputError('targetColumn', `${this.name}: ${matches.length} columns are named ${JSON.stringify(t)} (columns ${matches.map((k) => k + 1).join(', ')}): give the index instead`);
      if (matches.length === 1) return matches[0];
    }
    const index = typeof t === 'number' ? t : /^\d+$/.test(t) ? Number(t) : NaN;
    if (!Number.isInteger(index)) {
      const names = this.names ? `its columns are ${this.names.map((n) => JSON.stringify(n)).join(', ')}` : 'it has no header, so give a 1-based column index';
      throw new InputError('targetColumn', `${this.name}: no column named ${JSON.stringify(t)}; ${names}${this.firstLineHint}`);
    }
    if (index < 1 || index > this.fields) {
      throw new InputError('targetColumn', `${this.name}: expected a column from 1 to ${this.fields} (its fields per line), received ${describe(t)}${this.firstLineHint}`);
    }
    if (this.fields === 1) throw new InputError('targetColumn', `${this.name}: the file has one column: taking it as the target would leave C without columns${this.firstLineHint}`);
    return index - 1;
  }

  private columnName(k: number): string {
    return this.names ? `column ${k + 1} (${JSON.stringify(this.names[k])})` : `column ${k + 1}`;
  }

  private row(text: string, start: number, end: number, line: number): void {
    const source = this.names ? `the header on line ${this.fieldsLine}` : `line ${this.fieldsLine}`;
    const separator = this.separator;
    const whitespace = separator === RUN_OF_BLANKS;
    if (whitespace) while (end > start && isBlank(text.charCodeAt(end - 1))) end--;
    let i = start;
    let k = 0;
    for (;;) {
      if (k === this.fields) throw this.fail(line, `expected ${this.fields} fields (as ${source}), found more`);
      while (i < end && blank(text.charCodeAt(i), separator)) i++;
      const fieldStart = i;
      const quoted = i < end && text.charCodeAt(i) === QUOTE;
      if (quoted) i++;
      const value = scanDecimal(text, i, end);
      i = lastScanEnd();
      if (quoted) i = i < end && text.charCodeAt(i) === QUOTE ? i + 1 : -1;
      const afterValue = i;
      if (i >= 0) while (i < end && blank(text.charCodeAt(i), separator)) i++;
      const separated = whitespace ? i > afterValue : text.charCodeAt(i) === separator;
      if (!Number.isFinite(value) || i < 0 || (i < end && !separated)) {
        const stop = fieldEnd(text, fieldStart, end, separator);
        throw this.fail(line, `expected a finite decimal number in ${this.columnName(k)}, found ${quoteText(text, fieldStart, stop)}${this.hint(text, start, end)}`);
      }
      if (k === this.target) this.labels.push(value, this.name);
      else this.data.push(value, this.name);
      k++;
      if (i >= end) break;
      if (!whitespace) i++; // the separator
    }
    if (k < this.fields) throw this.fail(line, `expected ${this.fields} fields (as ${source}), found ${k}${this.hint(text, start, end)}`);
    if (this.rows === MAX_INDEX) throw this.fail(line, `more than ${MAX_INDEX} rows`);
    this.rows++;
  }

  finish(): CsvData {
    if (this.rows === 0) throw new DataFormatError(this.name, undefined, `no data: expected at least one row of numbers${this.names ? ' after the header' : ''}`);
    const cols = this.fields - (this.target >= 0 ? 1 : 0);
    if (cols === 0 && this.fields > 0) {
      throw new DataFormatError(this.name, undefined, 'the only column is the target: C would have no columns');
    }
    if (this.options.cols !== undefined && this.options.cols !== cols) {
      throw new InputError('cols', `expected ${cols} (${this.name} has ${this.fields} columns${this.target >= 0 ? ', one of them the target' : ''}), received ${this.options.cols}`);
    }
    const out: CsvData = { C: { rows: this.rows, cols, data: this.data.finish() } };
    if (this.target >= 0) out.b = this.labels.finish();
    if (this.names) {
      out.columns = this.names.filter((_, k) => k !== this.target);
      if (this.target >= 0) out.target = this.names[this.target];
    }
    return out;
  }
}

function checkOptions(options: CsvReadOptions): CsvReadOptions {
  if (typeof options !== 'object' || options === null) throw new InputError('options', 'expected an object');
  const { targetColumn, header, cols, delimiter, skipRows } = options;
  if (delimiter !== undefined && !(delimiter === WHITESPACE || (typeof delimiter === 'string' && delimiter.length === 1 && !/[0-9.eE+\-"\n\r]/.test(delimiter)))) {
    throw new InputError('delimiter', `expected one character (not a digit, sign, point, e or quote) or "${WHITESPACE}", received ${describe(delimiter)}`);
  }
  if (targetColumn !== undefined && !(typeof targetColumn === 'string' && targetColumn.length > 0) && !Number.isInteger(targetColumn)) {
    throw new InputError('targetColumn', `expected a column name or a 1-based index, received ${describe(targetColumn)}`);
  }
  if (header !== undefined && typeof header !== 'boolean') throw new InputError('header', `expected true or false, received ${describe(header)}`);
  return {
    targetColumn, header, delimiter,
    cols: cols === undefined ? undefined : requireInteger('cols', cols, 1, MAX_INDEX),
    skipRows: skipRows === undefined ? undefined : requireInteger('skipRows', skipRows, 0, MAX_INDEX),
  };
}

/** Reads a dense CSV file (gzip-compressed when its name ends in `.gz`), streaming. */
export async function readCsv(file: string, options: CsvReadOptions = {}): Promise<CsvData> {
  requireFileName(file);
  const builder = new CsvBuilder(file, checkOptions(options));
  await readLines(file, builder);
  return builder.finish();
}

/** Parses CSV text held in a string (tests, small inputs): the same rules and messages as {@link readCsv}. */
export function parseCsv(text: string, options: CsvReadOptions & { name?: string } = {}): CsvData {
  if (typeof text !== 'string') throw new InputError('text', 'expected a string');
  const builder = new CsvBuilder(options.name ?? '<string>', checkOptions(options));
  const body = Buffer.from(text.startsWith('\uFEFF') ? text.slice(1) : text, 'utf8').toString('latin1');
  let start = 0;
  let line = 0;
  while (start < body.length) {
    let newline = body.indexOf('\n', start);
    if (newline < 0) newline = body.length;
    builder.addLine(body, start, newline, ++line);
    start = newline + 1;
  }
  return builder.finish();
}

function quoteName(name: string): string {
  return /[",\n\r]|^\s|\s$/.test(name) ? `"${name.replace(/"/g, '""')}"` : name;
}

function* csvChunks(C: Matrix, b: Float64Array | undefined, names: string[], targetName: string): Generator<string> {
  let chunk = `${[...names, ...(b ? [targetName] : [])].map(quoteName).join(',')}\n`;
  const cols = C.cols;
  const row = new Array<string>(cols);
  for (let i = 0; i < C.rows; i++) {
    if (isDense(C)) {
      for (let j = 0; j < cols; j++) row[j] = formatNumber(C.data[i * cols + j]);
    } else {
      row.fill('0');
      for (let p = C.indptr[i]; p < C.indptr[i + 1]; p++) row[C.indices[p]] = formatNumber(C.values[p]);
    }
    chunk += row.join(',');
    if (b) chunk += `,${formatNumber(b[i])}`;
    chunk += '\n';
    if (chunk.length >= WRITE_CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk.length > 0) yield chunk;
}

/**
 * Writes C (CSR or dense; zeros are written) and, when given, b as the last column, with a header
 * line: `columns` (default x1 … xd) and `targetName` (default y). Every value has full round-trip
 * precision; a name ending in `.gz` is gzip-compressed.
 */
export async function writeCsv(
  file: string,
  C: Matrix,
  b?: Float64Array | number[],
  options: { columns?: string[]; targetName?: string } = {},
): Promise<void> {
  requireFileName(file);
  const matrix = validateMatrix(C);
  const labels = b === undefined ? undefined : requireVector('b', b, matrix.rows);
  const names = options.columns ?? Array.from({ length: matrix.cols }, (_, j) => `x${j + 1}`);
  if (names.length !== matrix.cols) throw new InputError('columns', `expected ${matrix.cols} names, received ${names.length}`);
  await writeChunks(file, csvChunks(matrix, labels, names, options.targetName ?? 'y'));
}
