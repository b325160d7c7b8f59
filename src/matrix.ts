/**
 * The input matrix C: CSR or dense row-major. Arrays are used as given (zero-copy across the
 * native boundary), so they must be the exact typed arrays below.
 *
 * Within a CSR row, column indices must be strictly increasing: unsorted or duplicate indices are
 * rejected, not silently fixed. {@link csrFromTriplets} builds a valid CSR from unordered
 * (row, col, value) triplets, summing duplicates.
 */
import { InputError } from './errors';
import { describe, invalid, requireInteger } from './validate';

export interface CsrMatrix {
  readonly rows: number;
  readonly cols: number;
  /** rows + 1 offsets into indices/values; starts at 0, non-decreasing, ends at nnz. */
  readonly indptr: Int32Array;
  /** 0-based column indices, strictly increasing within each row. */
  readonly indices: Int32Array;
  readonly values: Float64Array;
}

export interface DenseMatrix {
  readonly rows: number;
  readonly cols: number;
  /** rows × cols, row-major. */
  readonly data: Float64Array;
}

export type Matrix = CsrMatrix | DenseMatrix;

export const MAX_INDEX = 2 ** 31 - 2;

export function isDense(c: Matrix): c is DenseMatrix {
  return (c as DenseMatrix).data !== undefined;
}

export function nnz(c: Matrix): number {
  return isDense(c) ? c.rows * c.cols : c.indptr[c.rows];
}

/** Checks every structural rule and that every value is finite; throws an InputError naming the field. */
export function validateMatrix(c: unknown, field = 'C'): Matrix {
  if (typeof c !== 'object' || c === null) throw invalid(field, 'a CSR or dense matrix object', c);
  const m = c as Record<string, unknown>;
  const rows = requireInteger(`${field}.rows`, m.rows, 0, MAX_INDEX);
  const cols = requireInteger(`${field}.cols`, m.cols, 1, MAX_INDEX);
  if (m.data !== undefined) {
    if (!(m.data instanceof Float64Array)) throw invalid(`${field}.data`, 'a Float64Array', m.data);
    if (rows * cols > Number.MAX_SAFE_INTEGER || rows * cols > 2 ** 32) {
      throw new InputError(field, `rows * cols = ${rows} * ${cols} overflows the largest dense matrix (2^32 entries)`);
    }
    if (m.data.length !== rows * cols) {
      throw new InputError(`${field}.data`, `expected length rows * cols = ${rows * cols}, received ${describe(m.data)}`);
    }
    requireFinite(`${field}.data`, m.data);
    return { rows, cols, data: m.data };
  }
  const { indptr, indices, values } = m;
  if (!(indptr instanceof Int32Array)) throw invalid(`${field}.indptr`, 'an Int32Array (or give data for a dense matrix)', indptr);
  if (!(indices instanceof Int32Array)) throw invalid(`${field}.indices`, 'an Int32Array', indices);
  if (!(values instanceof Float64Array)) throw invalid(`${field}.values`, 'a Float64Array', values);
  if (indptr.length !== rows + 1) throw new InputError(`${field}.indptr`, `expected length rows + 1 = ${rows + 1}, received ${indptr.length}`);
  if (indptr[0] !== 0) throw new InputError(`${field}.indptr`, `must start at 0, starts at ${indptr[0]}`);
  for (let i = 0; i < rows; i++) {
    if (indptr[i + 1] < indptr[i]) throw new InputError(`${field}.indptr`, `must be non-decreasing: indptr[${i + 1}] = ${indptr[i + 1]} < indptr[${i}] = ${indptr[i]}`);
  }
  const count = indptr[rows];
  if (indices.length !== count) throw new InputError(`${field}.indptr`, `last entry ${count} must equal the length of ${field}.indices (${indices.length})`);
  if (values.length !== count) throw new InputError(`${field}.values`, `expected length ${count} (as ${field}.indices), received ${values.length}`);
  for (let i = 0; i < rows; i++) {
    let previous = -1;
    for (let p = indptr[i]; p < indptr[i + 1]; p++) {
      const j = indices[p];
      if (j < 0 || j >= cols) throw new InputError(`${field}.indices`, `column ${j} in row ${i} is out of range [0, ${cols})`);
      if (j <= previous) {
        throw new InputError(`${field}.indices`, `row ${i} has ${j === previous ? 'a duplicate' : 'an unsorted'} column index ${j}: indices must be strictly increasing within a row (csrFromTriplets sorts and sums)`);
      }
      previous = j;
    }
  }
  requireFinite(`${field}.values`, values);
  return { rows, cols, indptr, indices, values };
}

function requireFinite(field: string, v: Float64Array): void {
  for (let p = 0; p < v.length; p++) {
    if (!Number.isFinite(v[p])) throw new InputError(field, `entry ${p} is ${v[p]}: every value must be finite`);
  }
}

/** Builds a CSR matrix from (row, col, value) triplets in any order; duplicates are summed. */
export function csrFromTriplets(rows: number, cols: number, rowIdx: ArrayLike<number>, colIdx: ArrayLike<number>, vals: ArrayLike<number>): CsrMatrix {
  requireInteger('rows', rows, 0, MAX_INDEX);
  requireInteger('cols', cols, 1, MAX_INDEX);
  const n = rowIdx.length;
  if (colIdx.length !== n || vals.length !== n) throw new InputError('triplets', 'row, column and value arrays must have the same length');
  const order = Array.from({ length: n }, (_, k) => k);
  for (let k = 0; k < n; k++) {
    if (!(Number.isInteger(rowIdx[k]) && rowIdx[k] >= 0 && rowIdx[k] < rows)) throw new InputError('triplets.rows', `entry ${k} (${rowIdx[k]}) out of range [0, ${rows})`);
    if (!(Number.isInteger(colIdx[k]) && colIdx[k] >= 0 && colIdx[k] < cols)) throw new InputError('triplets.cols', `entry ${k} (${colIdx[k]}) out of range [0, ${cols})`);
  }
  order.sort((a, b) => rowIdx[a] - rowIdx[b] || colIdx[a] - colIdx[b]);
  const indptr = new Int32Array(rows + 1);
  const indices: number[] = [];
  const values: number[] = [];
  let lastRow = -1;
  let lastCol = -1;
  for (const k of order) {
    if (rowIdx[k] === lastRow && colIdx[k] === lastCol) {
      values[values.length - 1] += vals[k];
      continue;
    }
    lastRow = rowIdx[k];
    lastCol = colIdx[k];
    indices.push(lastCol);
    values.push(vals[k]);
    indptr[lastRow + 1]++;
  }
  for (let i = 0; i < rows; i++) indptr[i + 1] += indptr[i];
  return validateMatrix({ rows, cols, indptr, indices: Int32Array.from(indices), values: Float64Array.from(values) }) as CsrMatrix;
}

/** The dense row-major copy of a matrix, written into `data` (zeros, rows × cols) if given. */
export function toDense(c: Matrix, data?: Float64Array): DenseMatrix {
  if (isDense(c)) return c;
  data ??= new Float64Array(c.rows * c.cols);
  for (let i = 0; i < c.rows; i++) {
    for (let p = c.indptr[i]; p < c.indptr[i + 1]; p++) data[i * c.cols + c.indices[p]] = c.values[p];
  }
  return { rows: c.rows, cols: c.cols, data };
}

/** The CSR form of a dense matrix, keeping only non-zeros. */
export function toCsr(c: Matrix): CsrMatrix {
  if (!isDense(c)) return c;
  const indptr = new Int32Array(c.rows + 1);
  const indices: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < c.rows; i++) {
    for (let j = 0; j < c.cols; j++) {
      const v = c.data[i * c.cols + j];
      if (v !== 0) {
        indices.push(j);
        values.push(v);
      }
    }
    indptr[i + 1] = indices.length;
  }
  return { rows: c.rows, cols: c.cols, indptr, indices: Int32Array.from(indices), values: Float64Array.from(values) };
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
  // In a SharedArrayBuffer, which a Problem keeps as it is: a plain array would be copied once
  // more (1.6 GB for the 200k × 1000 benchmark problem).
  return toDense(C, new Float64Array(new SharedArrayBuffer(8 * C.rows * C.cols)));
}
