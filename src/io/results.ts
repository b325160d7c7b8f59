/**
 * Writers for what a solve produces: the solution x (JSON or `.npy`) and the trace (CSV or JSON),
 * chosen by the file's extension; `.gz` on top of either compresses it. Numbers are written with
 * full round-trip precision.
 */
import { InputError } from '../errors';
import { TRACE_FIELDS, TraceRow } from '../types';
import { describe, requireVector } from '../validate';
import { writeNpy } from './npy';
import { formatNumber, requireFileName, withoutGzip, WRITE_CHUNK_CHARS, writeChunks } from './text';

/** Writes a vector (the solution x) as a JSON array (`.json`) or a float64 `.npy` of shape (d,). */
export async function writeVector(file: string, x: Float64Array | number[]): Promise<void> {
  requireFileName(file);
  const values = requireVector('x', x, Array.isArray(x) ? x.length : (x as Float64Array)?.length ?? 0);
  const extension = /\.[^./\\]*$/.exec(withoutGzip(file))?.[0].toLowerCase();
  if (extension === '.npy') return writeNpy(file, values);
  if (extension === '.json') return writeChunks(file, [`${JSON.stringify(Array.from(values))}\n`]);
  throw new InputError(file, `cannot tell how to write a vector from the extension ${JSON.stringify(extension ?? '')}: expected .json or .npy (optionally + .gz)`);
}

/** One run's trace; `run` labels it (a start number, a sketch name, …). */
export interface TraceRun {
  run: string | number;
  trace: readonly TraceRow[];
}

/** The trace columns in their documented order (src/types.ts lists them once); any further fields of the rows follow. */
export const TRACE_COLUMNS = TRACE_FIELDS;

function columnsOf(runs: readonly TraceRun[]): string[] {
  const columns: string[] = ['run', ...TRACE_COLUMNS];
  const known = new Set(columns);
  for (const { trace } of runs) {
    for (const row of trace) {
      for (const key of Object.keys(row)) {
        if (!known.has(key)) {
          known.add(key);
          columns.push(key);
        }
      }
    }
  }
  return columns;
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return formatNumber(value);
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function* traceCsv(runs: readonly TraceRun[]): Generator<string> {
  const columns = columnsOf(runs);
  let chunk = `${columns.join(',')}\n`;
  for (const { run, trace } of runs) {
    for (const row of trace) {
      const record = row as unknown as Record<string, unknown>;
      chunk += `${columns.map((c) => csvCell(c === 'run' ? run : record[c])).join(',')}\n`;
      if (chunk.length >= WRITE_CHUNK_CHARS) {
        yield chunk;
        chunk = '';
      }
    }
  }
  yield chunk;
}

function* traceJson(runs: readonly TraceRun[]): Generator<string> {
  let first = true;
  yield '[';
  for (const { run, trace } of runs) {
    for (const row of trace) {
      yield `${first ? '' : ','}\n${JSON.stringify({ run, ...row })}`;
      first = false;
    }
  }
  yield '\n]\n';
}

function checkRuns(runs: unknown): TraceRun[] {
  if (!Array.isArray(runs)) throw new InputError('trace', `expected an array of trace rows or of {run, trace}, received ${describe(runs)}`);
  // A plain trace (rows with an iteration) is one run labelled 0.
  if (runs.length === 0 || (typeof runs[0] === 'object' && runs[0] !== null && 'iteration' in runs[0])) return [{ run: 0, trace: runs as TraceRow[] }];
  return runs.map((r, k) => {
    if (typeof r !== 'object' || r === null || !Array.isArray((r as TraceRun).trace)) throw new InputError(`trace[${k}]`, 'expected {run, trace}');
    return r as TraceRun;
  });
}

/**
 * Writes the trace as CSV (`.csv`: a header line, then one line per iterate) or JSON (`.json`: an
 * array of row objects). Both hold the same table: a `run` column, then the trace fields
 * ({@link TRACE_COLUMNS}); empty CSV cells and JSON nulls are values that do not apply.
 */
export async function writeTrace(file: string, trace: readonly TraceRow[] | readonly TraceRun[]): Promise<void> {
  requireFileName(file);
  const runs = checkRuns(trace);
  const extension = /\.[^./\\]*$/.exec(withoutGzip(file))?.[0].toLowerCase();
  if (extension === '.csv') return writeChunks(file, traceCsv(runs));
  if (extension === '.json') return writeChunks(file, traceJson(runs));
  throw new InputError(file, `cannot tell how to write a trace from the extension ${JSON.stringify(extension ?? '')}: expected .csv or .json (optionally + .gz)`);
}
