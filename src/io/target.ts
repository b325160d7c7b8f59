/**
 * The target b in a file of its own, for formats without labels (Matrix Market, CSV or NumPy data
 * without a target column): text with one number per line, or a float64 `.npy` vector. `.gz` works
 * on top of either.
 */
import { DataFormatError, InputError } from '../errors';
import { requireInteger } from '../validate';
import { readNpyVector } from './npy';
import { GrowingFloat64, HASH, isBlank, lastScanEnd, LineSink, quoteText, readLines, requireFileName, scanDecimal, withoutGzip } from './text';

class TargetBuilder implements LineSink {
  readonly values = new GrowingFloat64(1 << 12);
  constructor(private readonly name: string) {}

  addLine(text: string, start: number, end: number, line: number): void {
    let i = start;
    while (i < end && isBlank(text.charCodeAt(i))) i++;
    if (i === end || text.charCodeAt(i) === HASH) return;
    const value = scanDecimal(text, i, end);
    let after = lastScanEnd();
    while (after < end && isBlank(text.charCodeAt(after))) after++;
    if (after < end && text.charCodeAt(after) === HASH) after = end; // a trailing comment
    if (!Number.isFinite(value) || after !== end) {
      throw new DataFormatError(this.name, line, `expected one finite decimal number per line, found ${quoteText(text, i, end)}`);
    }
    this.values.push(value, this.name);
  }
}

/**
 * Reads b from `file`: `.npy` (shape (n,), (n, 1) or (1, n)) or text, one number per line (blank
 * lines and `#` comments skipped). With `rows`, the length must match.
 */
export async function readTarget(file: string, options: { rows?: number } = {}): Promise<Float64Array> {
  requireFileName(file);
  const rows = options.rows === undefined ? undefined : requireInteger('rows', options.rows, 0);
  let b: Float64Array;
  if (/\.npy$/i.test(withoutGzip(file))) {
    b = await readNpyVector(file);
  } else {
    const builder = new TargetBuilder(file);
    await readLines(file, builder);
    b = builder.values.finish();
  }
  if (b.length === 0) throw new DataFormatError(file, undefined, 'no data: expected one number per row');
  if (rows !== undefined && b.length !== rows) {
    throw new InputError(file, `expected ${rows} target values (one per row of the data), found ${b.length}`);
  }
  return b;
}
