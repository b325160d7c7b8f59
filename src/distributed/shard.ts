/**
 * One rank's block of rows of the data, as a Problem. Rank r of R holds a contiguous block, and the
 * blocks in rank order are the rows of the whole file in order (docs/distributed.md):
 *
 * - a pattern with `{rank}` (`part-{rank}.svm`): each rank reads its own file, whole;
 * - LIBSVM (not gzipped): each rank reads only its byte range, [r·size/R, (r+1)·size/R) moved to
 *   line starts; errors name the line of the whole file;
 * - `.npy` in C order (not gzipped): each rank reads only its rows, ⌊r·n/R⌋ to ⌊(r+1)·n/R⌋;
 * - anything else (CSV, Matrix Market — whose entries need not come in row order —, `.gz`): each
 *   rank reads the whole file and keeps its block; pre-shard such data for large n.
 *
 * A failure on any rank (a malformed line, a missing file) fails every rank with that rank's error,
 * after they agree on it: no rank goes on to a solve that the others will not join.
 */
import * as fs from 'node:fs';
import { InputError, DataFormatError } from '../errors';
import { DataFormat, DataReadOptions, detectFormat, readData } from '../io/data';
import { readLibsvmRange } from '../io/libsvm';
import { readNpyMatrixRows } from '../io/npy';
import { readTarget } from '../io/target';
import { isGzip, lineStartAtOrAfter, systemReason } from '../io/text';
import { isDense, Matrix, nnz } from '../matrix';
import { ModelOptions, Problem } from '../problem';
import { Communicator } from './comm';

export interface ShardOptions extends DataReadOptions, ModelOptions {}

export interface Shard {
  /** This rank's rows as a Problem (scale 'n' is the number of rows of the whole problem). */
  problem: Problem;
  rank: number;
  ranks: number;
  /** The global index of this rank's first row. */
  rowOffset: number;
  /** n, d and nnz of the whole problem. */
  globalRows: number;
  cols: number;
  globalNnz: number;
  /** The file this rank read, and how: 'range' (only its part) or 'whole' (all of it, then its block). */
  file: string;
  read: 'range' | 'whole' | 'own file';
  /** @internal the communicator the shard was read with */
  comm: Communicator;
}

/** Rank r's block of n rows: [⌊r·n/R⌋, ⌊(r+1)·n/R⌋). */
export function blockOf(n: number, rank: number, ranks: number): [number, number] {
  return [Math.floor((rank * n) / ranks), Math.floor(((rank + 1) * n) / ranks)];
}

function sliceRows(C: Matrix, b: Float64Array, start: number, end: number): { C: Matrix; b: Float64Array } {
  if (isDense(C)) return { C: { rows: end - start, cols: C.cols, data: C.data.slice(start * C.cols, end * C.cols) }, b: b.slice(start, end) };
  const from = C.indptr[start];
  const indptr = C.indptr.slice(start, end + 1);
  for (let i = 0; i < indptr.length; i++) indptr[i] -= from;
  return {
    C: { rows: end - start, cols: C.cols, indptr, indices: C.indices.slice(from, C.indptr[end]), values: C.values.slice(from, C.indptr[end]) },
    b: b.slice(start, end),
  };
}

interface LocalData {
  C: Matrix;
  b?: Float64Array;
  /** Byte-range reads: the lines of the range (to turn range line numbers into file line numbers). */
  lines?: number;
  /** Set when this rank already knows its global row offset (whole reads, row ranges). */
  rowOffset?: number;
  read: Shard['read'];
}

async function readLocal(comm: Communicator, file: string, options: ShardOptions, format: DataFormat): Promise<LocalData> {
  const { rank, size } = comm;
  const readOptions: DataReadOptions = { format, cols: options.cols, target: options.target, targetColumn: options.targetColumn };
  if (file.includes('{rank}')) {
    const own = file.replaceAll('{rank}', String(rank));
    const target = options.target?.replaceAll('{rank}', String(rank));
    const { C, b } = await readData(own, { ...readOptions, target });
    return { C, b, read: 'own file' };
  }
  if (format === 'libsvm' && !isGzip(file) && options.target === undefined && options.targetColumn === undefined) {
    let bytes: number;
    try {
      bytes = (await fs.promises.stat(file)).size;
    } catch (error) {
      throw new InputError(file, `cannot read the file: ${systemReason(error)}`);
    }
    const start = await lineStartAtOrAfter(file, Math.floor((rank * bytes) / size));
    const end = await lineStartAtOrAfter(file, Math.floor(((rank + 1) * bytes) / size));
    if (end <= start) {
      throw new InputError(file, `rank ${rank}'s share of the file (bytes ${Math.floor((rank * bytes) / size)} to ${Math.floor(((rank + 1) * bytes) / size)}) holds no line start: the file is too small for ${size} ranks`);
    }
    const { C, b, lines } = await readLibsvmRange(file, { cols: options.cols, start, end });
    return { C, b, lines, read: 'range' };
  }
  if (format === 'npy' && !isGzip(file)) {
    const targetColumn = options.targetColumn === undefined ? undefined : Number(options.targetColumn);
    const part = await readNpyMatrixRows(file, { cols: options.cols, targetColumn, rowRange: (n) => blockOf(n, rank, size) });
    if (part) {
      let b = part.b;
      if (options.target !== undefined) b = (await readTarget(options.target, { rows: part.totalRows })).slice(part.start, part.start + part.C.rows);
      if (b === undefined) throw new InputError('target', `${file}: NumPy data has no labels: give a target file (one number per line, or .npy) or a target column`);
      return { C: part.C, b, rowOffset: part.start, read: 'range' };
    }
  }
  const { C, b } = await readData(file, readOptions);
  const [start, end] = blockOf(C.rows, rank, size);
  if (end <= start) throw new InputError(file, `has ${C.rows} rows: too few for ${size} ranks (each needs at least one)`);
  return { ...sliceRows(C, b, start, end), rowOffset: start, read: 'whole' };
}

/**
 * Collective: reads this rank's block of `file` (or its own file, for a `{rank}` pattern) and builds
 * its Problem. Every rank gets the same error if any rank fails, so that all exit alike.
 */
export async function readShard(comm: Communicator, file: string, options: ShardOptions = {}): Promise<Shard> {
  if (typeof file !== 'string' || file.length === 0) throw new InputError('file', 'expected a file name');
  comm.requireSame('data options', { file, options });
  let local: LocalData | undefined;
  let failure: unknown;
  try {
    local = await readLocal(comm, file, options, options.format ?? detectFormat(file.replaceAll('{rank}', '0')));
  } catch (error) {
    failure = error;
  }
  // One collective for what every rank needs from the others: rows, lines, columns (max and min).
  const R = comm.size;
  const counts = new Float64Array(2 * R + 1);
  counts[comm.rank] = local?.C.rows ?? 0;
  counts[R + comm.rank] = local?.lines ?? 0;
  counts[2 * R] = local ? nnz(local.C) : 0;
  comm.sum(counts);
  if (failure instanceof DataFormatError && failure.line !== undefined && local === undefined && !file.includes('{rank}')) {
    // A byte-range reader counts lines from its range's start; the file's line is after every earlier range's lines.
    let before = 0;
    for (let r = 0; r < comm.rank; r++) before += counts[R + r];
    if (before > 0) failure = new DataFormatError(failure.file, failure.line + before, failure.message.slice(failure.field.length + 2));
  }
  comm.agree(failure);
  const data = local!;
  const colsMax = comm.max(new Float64Array([data.C.cols, -data.C.cols]));
  let rowOffset = 0;
  for (let r = 0; r < comm.rank; r++) rowOffset += counts[r];
  let globalRows = 0;
  for (let r = 0; r < R; r++) globalRows += counts[r];
  let problem: Problem | undefined;
  try {
    if (data.rowOffset !== undefined && data.rowOffset !== rowOffset) throw new Error(`rank ${comm.rank}: row offset ${data.rowOffset} from the reader, ${rowOffset} from the ranks' counts`);
    let C = data.C;
    const cols = colsMax[0];
    if (C.cols !== cols) {
      // LIBSVM without --cols: d is the largest index, which a shard may not reach. Dense data must agree.
      if (isDense(C) || options.cols !== undefined) throw new InputError('cols', `rank ${comm.rank}'s data has ${C.cols} columns, another rank's ${cols}: every shard must have the same columns`);
      C = { ...C, cols };
    } else if (-colsMax[1] !== cols && isDense(C)) {
      throw new InputError('cols', `the ranks' data have between ${-colsMax[1]} and ${cols} columns: every shard must have the same columns`);
    }
    const model: ModelOptions = { model: options.model, unit: options.unit, scale: options.scale === 'n' ? globalRows : options.scale, bias: options.bias, w: options.w, ridge: options.ridge };
    for (const key of ['bias', 'w', 'scale'] as const) {
      const v = model[key];
      if (v !== undefined && typeof v !== 'number') throw new InputError(key, 'a distributed problem takes one number for every row (per-row values would have to be split like the rows)');
    }
    problem = new Problem(C, data.b!, model);
  } catch (error) {
    failure = error;
  }
  comm.agree(failure);
  return {
    problem: problem!, rank: comm.rank, ranks: R, rowOffset, globalRows, cols: problem!.cols, globalNnz: counts[2 * R],
    file: file.replaceAll('{rank}', String(comm.rank)), read: data.read, comm,
  };
}
