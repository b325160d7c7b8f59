/**
 * Column standardisation, the one preprocessing a Model records (docs/models.md): training computes
 * it from the training data, and the same transform is applied to every batch the model predicts.
 *
 * Dense C: column j becomes (C_j − μ_j) / σ_j. Sparse C keeps its zeros (centring would fill
 * them): μ_j = 0 and column j is divided by σ_j, as scikit-learn's `StandardScaler(with_mean=False)`
 * does. σ_j is the population standard deviation over all n rows (zeros included); a constant
 * column gets σ_j = 1, so it is only centred.
 */
import { InputError } from '../errors';
import { isDense, Matrix, toDense, validateMatrix } from '../matrix';

export interface Standardization {
  /** μ: subtracted from each column (all 0 for sparse training data). */
  center: Float64Array;
  /** σ: each column is divided by it (> 0). */
  scale: Float64Array;
}

/** The standardisation of C's columns (see the module comment for dense and sparse C). */
export function fitStandardization(C: Matrix): Standardization {
  const matrix = validateMatrix(C);
  const { rows, cols } = matrix;
  const sum = new Float64Array(cols);
  const sumSquares = new Float64Array(cols);
  if (isDense(matrix)) {
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) sum[j] += matrix.data[i * cols + j];
  } else {
    for (let p = 0; p < matrix.indptr[rows]; p++) sum[matrix.indices[p]] += matrix.values[p];
  }
  const mean = sum.map((s) => (rows > 0 ? s / rows : 0));
  // Two passes (mean, then squared deviations) rather than Σx² − nμ², which cancels badly.
  if (isDense(matrix)) {
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const e = matrix.data[i * cols + j] - mean[j];
        sumSquares[j] += e * e;
      }
    }
  } else {
    const stored = new Float64Array(cols);
    for (let p = 0; p < matrix.indptr[rows]; p++) {
      const j = matrix.indices[p];
      const e = matrix.values[p] - mean[j];
      sumSquares[j] += e * e;
      stored[j]++;
    }
    // The implicit zeros each deviate by −μ.
    for (let j = 0; j < cols; j++) sumSquares[j] += (rows - stored[j]) * mean[j] * mean[j];
  }
  const scale = sumSquares.map((s) => {
    const sigma = rows > 0 ? Math.sqrt(s / rows) : 0;
    return sigma > 0 && Number.isFinite(sigma) ? sigma : 1;
  });
  return { center: isDense(matrix) ? mean : new Float64Array(cols), scale };
}

/**
 * C with `standardization` applied (a new matrix; C is not changed). A sparse batch keeps its
 * structure when the transform does not centre; otherwise it is made dense first.
 */
export function applyStandardization(C: Matrix, standardization: Standardization): Matrix {
  const matrix = validateMatrix(C);
  const { center, scale } = standardization;
  if (center.length !== matrix.cols || scale.length !== matrix.cols) {
    throw new InputError('C', `expected ${center.length} columns (those the standardisation was fitted on), received ${matrix.cols}`);
  }
  const centres = center.some((m) => m !== 0);
  if (!isDense(matrix) && !centres) {
    const values = new Float64Array(matrix.values.length);
    for (let p = 0; p < values.length; p++) values[p] = matrix.values[p] / scale[matrix.indices[p]];
    return { rows: matrix.rows, cols: matrix.cols, indptr: matrix.indptr, indices: matrix.indices, values };
  }
  const dense = isDense(matrix) ? matrix : toDense(matrix);
  const { rows, cols } = dense;
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) data[i * cols + j] = (dense.data[i * cols + j] - center[j]) / scale[j];
  }
  return { rows, cols, data };
}
