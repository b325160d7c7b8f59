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
import { isDense, Matrix, nnz, toDense } from '../matrix';
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

/**
 * Reads C and b from `file`, streaming, with the reader its format needs. Exactly one source of b
 * is needed: LIBSVM's labels, a target column, or a target file.
 */
export async function readData(file: string, options: DataReadOptions = {}): Promise<Data> {
  requireFileName(file);
  if (typeof options !== 'object' || options === null) throw new InputError('options', 'expected an object');
  const format = options.format ?? detectFormat(file);
  if (!(DATA_FORMATS as readonly string[]).includes(format)) throw new InputError('format', `expected one of ${DATA_FORMATS.join(', ')}, received ${describe(format)}`);
  const { cols, target, targetColumn } = options;
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
  if (target === undefined && targetColumn === undefined) {
    throw new InputError('target', `${file}: ${format === 'mtx' ? 'Matrix Market' : format === 'csv' ? 'CSV' : 'NumPy'} data has no labels: give a target file (one number per line, or .npy) or a target column`);
  }
  let C: Matrix;
  let b: Float64Array | undefined;
  if (format === 'mtx') ({ C, b } = await readMatrixMarket(file, { cols, targetColumn: targetColumn === undefined ? undefined : positiveIndex(targetColumn) }));
  else if (format === 'npy') ({ C, b } = await readNpyMatrix(file, { cols, targetColumn: targetColumn === undefined ? undefined : positiveIndex(targetColumn) }));
  else ({ C, b } = await readCsv(file, { cols, targetColumn }));
  if (target !== undefined) b = await readTarget(target, { rows: C.rows });
  return { C: denseWhenFull(C), b: b!, format };
}

/** Stored entries per cell above which CSR takes more memory than dense rows (12 bytes an entry against 8 a cell). */
export const DENSE_FILL = 2 / 3;

/**
 * Dense rows stay dense whatever file they came from: a CSR matrix whose entries fill at least
 * {@link DENSE_FILL} of its cells is returned as dense rows, which take no more memory and run
 * through BLAS (a LIBSVM file of dense rows made loss + gradient 3.2× slower in CSR;
 * docs/performance.md). Sparser matrices are returned as they are.
 */
export function denseWhenFull(C: Matrix): Matrix {
  if (isDense(C) || C.rows === 0 || nnz(C) < DENSE_FILL * C.rows * C.cols) return C;
  return toDense(C);
}
