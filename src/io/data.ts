/**
 * One entry point for the data (C, b), whatever the file: the reader is chosen by the extension
 * (after an optional `.gz`), or by `format`. See docs/formats.md.
 *
 * | extension                  | format  | b comes from                                            |
 * | -------------------------- | ------- | ------------------------------------------------------- |
 * | `.svm`, `.libsvm`, `.txt`  | libsvm  | the labels                                              |
 * | `.mtx`                     | mtx     | `targetColumn` (1-based) or `target` (a second file)    |
 * | `.csv`                     | csv     | `targetColumn` (name or 1-based index) or `target`      |
 * | `.npy`                     | npy     | `targetColumn` (1-based) or `target`                    |
 */
import { InputError } from '../errors';
import { denseWhenFull, Matrix } from '../matrix';
import { describe } from '../validate';
import { readCsv } from './csv';
import { readLibsvm } from './libsvm';
import { readMatrixMarket } from './mtx';
import { readNpyMatrix } from './npy';
import { readTarget } from './target';
import { requireFileName, withoutGzip } from './text';

export const DATA_FORMATS = ['libsvm', 'mtx', 'csv', 'npy'] as const;
export type DataFormat = (typeof DATA_FORMATS)[number];

const EXTENSIONS: Record<string, DataFormat> = {
  '.svm': 'libsvm', '.libsvm': 'libsvm', '.txt': 'libsvm', '.mtx': 'mtx', '.csv': 'csv', '.npy': 'npy',
};

/** The format a file name implies, or an InputError that lists the extensions understood. */
export function detectFormat(file: string): DataFormat {
  const extension = /\.[^./\\]*$/.exec(withoutGzip(file))?.[0].toLowerCase() ?? '';
  const format = EXTENSIONS[extension];
  if (format === undefined) {
    throw new InputError(file, `cannot tell the data format from the extension ${JSON.stringify(extension)}: expected ` +
      `${Object.keys(EXTENSIONS).join(', ')} (optionally followed by .gz), or give the format`);
  }
  return format;
}

export interface DataReadOptions {
  /** The format; default: from the extension ({@link detectFormat}). */
  format?: DataFormat;
  /** The number of columns d of C. LIBSVM: fixes d (trailing columns may be empty). Other formats: must match the file. */
  cols?: number;
  /** A file holding b (one number per line, or `.npy`), for formats without labels. */
  target?: string;
  /** The column of the file that holds b: a 1-based index, or for CSV also a header name. */
  targetColumn?: string | number;
  /** CSV only: the field separator, the header and the lines to skip (see `readCsv`). */
  delimiter?: string;
  header?: boolean;
  skipRows?: number;
}

export interface Data {
  C: Matrix;
  b: Float64Array;
  format: DataFormat;
}

function positiveIndex(value: string | number): number {
  const index = typeof value === 'number' ? value : /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(index) || index < 1) {
    throw new InputError('targetColumn', `expected a 1-based column index (names are for CSV headers), received ${describe(value)}`);
  }
  return index;
}

/** C and, when the file or the options give one, b; the CSV header's names when there is one. */
export interface Features {
  C: Matrix;
  b?: Float64Array;
  format: DataFormat;
  /** The names of C's columns (CSV with a header). */
  columns?: string[];
  /** The name of the target column (CSV with a header and a target column). */
  target?: string;
}

/**
 * Reads C and b from `file`, streaming, with the reader its format needs. Exactly one source of b
 * is needed: LIBSVM's labels, a target column, or a target file.
 */
export async function readData(file: string, options: DataReadOptions = {}): Promise<Data> {
  const { C, b, format } = await readFeatures(file, options, { requireTarget: true });
  return { C, b: b!, format };
}

/**
 * As {@link readData}, but b is optional (for predictions, where no target is known: Matrix Market,
 * CSV and NumPy files are then read as C alone), and the CSV header's names are returned.
 */
export async function readFeatures(file: string, options: DataReadOptions = {}, { requireTarget = false } = {}): Promise<Features> {
  requireFileName(file);
  if (typeof options !== 'object' || options === null) throw new InputError('options', 'expected an object');
  const format = options.format ?? detectFormat(file);
  if (!(DATA_FORMATS as readonly string[]).includes(format)) throw new InputError('format', `expected one of ${DATA_FORMATS.join(', ')}, received ${describe(format)}`);
  const { cols, target, targetColumn, delimiter, header, skipRows } = options;
  if (format !== 'csv') {
    const csvOnly = (['delimiter', 'header', 'skipRows'] as const).find((k) => options[k] !== undefined);
    if (csvOnly) throw new InputError(csvOnly, `${file}: applies to CSV data only, this is ${format}`);
  }
  if (target !== undefined) requireFileName(target, 'target');
  if (target !== undefined && targetColumn !== undefined) {
    throw new InputError('target', 'give either a target file or a target column, not both');
  }
  if (format === 'libsvm') {
    if (target !== undefined || targetColumn !== undefined) {
      throw new InputError(target !== undefined ? 'target' : 'targetColumn', `${file}: LIBSVM files carry b as the label of each line, so there is no other target to choose`);
    }
    const { C, b } = await readLibsvm(file, { cols });
    return { C: denseWhenFull(C), b, format };
  }
  if (requireTarget && target === undefined && targetColumn === undefined) {
    throw new InputError('target', `${file}: ${format === 'mtx' ? 'Matrix Market' : format === 'csv' ? 'CSV' : 'NumPy'} data has no labels: give a target file (one number per line, or .npy) or a target column`);
  }
  const column = targetColumn === undefined ? undefined : format === 'csv' ? targetColumn : positiveIndex(targetColumn);
  let out: Features;
  if (format === 'mtx') {
    const { C, b } = await readMatrixMarket(file, { cols, targetColumn: column as number | undefined });
    out = { C, b, format };
  } else if (format === 'npy') {
    const { C, b } = await readNpyMatrix(file, { cols, targetColumn: column as number | undefined });
    out = { C, b, format };
  }
  else {
    const csv = await readCsv(file, { cols, targetColumn: column, delimiter, header, skipRows });
    out = { C: csv.C, b: csv.b, format, columns: csv.columns, target: csv.target };
  }
  if (target !== undefined) out.b = await readTarget(target, { rows: out.C.rows });
  out.C = denseWhenFull(out.C);
  return out;
}
