/**
 * What every reader and writer shares: opening a file as a stream of byte chunks (gunzipped when
 * the name ends in `.gz`), cutting text chunks into lines without ever holding the file as one
 * string, the one decimal-number syntax all text formats accept, and the errors that name the file.
 *
 * Text is decoded as latin1, not UTF-8: every byte becomes one character, so a multi-byte character
 * split across chunks cannot be corrupted, and every format's syntax is pure ASCII anyway. Only
 * text quoted in an error message is decoded back to UTF-8 ({@link quoteText}).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { DataFormatError, InputError, SoftnewtonError } from '../errors';

// 64 KiB chunks decode to strings small enough for V8's young generation, whose memory is recycled;
// 1 MiB strings go to the large-object space, fresh pages for every chunk (measured slower).
export const READ_CHUNK_BYTES = 1 << 16;
export const WRITE_CHUNK_CHARS = 1 << 16;

export const TAB = 9;
export const CARRIAGE_RETURN = 13;
export const SPACE = 32;
export const HASH = 35;
const PLUS = 43;
const MINUS = 45;
const DOT = 46;
export const DIGIT_0 = 48;
export const DIGIT_9 = 57;
const UPPER_E = 69;
const LOWER_E = 101;

/** Exact powers of ten: m / 10^k is correctly rounded when m < 2^53 and k ≤ 22 (Clinger's fast path). */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);

/** Where the last {@link scanDecimal} stopped (a module variable: returning a pair would allocate per number). */
let scanEnd = 0;

/** The position just after the number the last {@link scanDecimal} call read. */
export function lastScanEnd(): number {
  return scanEnd;
}

/**
 * Scans the decimal number `[+-]?(digits[.digits]|.digits)([eE][+-]?digits)?` starting at `start`
 * and returns its value, leaving {@link lastScanEnd} just after it; returns NaN when no number
 * starts there (so `nan`, `inf` and the empty string are rejected). The caller checks that the
 * token ends at lastScanEnd() (so `0x10` and `1.5abc` are rejected) and that the value is finite
 * (`1e999` is not). Every value is the double that `Number()` gives for the same text.
 */
export function scanDecimal(text: string, start: number, end: number): number {
  let i = start;
  let c = i < end ? text.charCodeAt(i) : -1;
  const negative = c === MINUS;
  if (negative || c === PLUS) c = ++i < end ? text.charCodeAt(i) : -1;
  let mantissa = 0;
  let digits = 0;
  let fractionDigits = 0;
  while (c >= DIGIT_0 && c <= DIGIT_9) {
    mantissa = mantissa * 10 + (c - DIGIT_0);
    digits++;
    c = ++i < end ? text.charCodeAt(i) : -1;
  }
  if (c === DOT) {
    c = ++i < end ? text.charCodeAt(i) : -1;
    while (c >= DIGIT_0 && c <= DIGIT_9) {
      mantissa = mantissa * 10 + (c - DIGIT_0);
      digits++;
      fractionDigits++;
      c = ++i < end ? text.charCodeAt(i) : -1;
    }
  }
  scanEnd = i;
  if (digits === 0) return NaN;
  if (c === LOWER_E || c === UPPER_E) {
    c = ++i < end ? text.charCodeAt(i) : -1;
    if (c === PLUS || c === MINUS) c = ++i < end ? text.charCodeAt(i) : -1;
    const exponentStart = i;
    while (c >= DIGIT_0 && c <= DIGIT_9) c = ++i < end ? text.charCodeAt(i) : -1;
    scanEnd = i;
    if (i === exponentStart) return NaN;
    return Number(text.slice(start, i));
  }
  // Up to 15 digits the mantissa is an exact integer below 2^53, so one division rounds correctly;
  // longer numbers (such as the 17 digits a round-trip double needs) go through V8's exact parser.
  if (digits <= 15) {
    const magnitude = mantissa / POWERS_OF_TEN[fractionDigits];
    return negative ? -magnitude : magnitude;
  }
  return Number(text.slice(start, i));
}

/** A space, a tab or a carriage return (so `\r\n` line endings need no special case). */
export function isBlank(c: number): boolean {
  return c === SPACE || c === TAB || c === CARRIAGE_RETURN;
}

/** Quotes text[start, end) for an error message (at most 60 characters), decoding latin1 bytes back to UTF-8. */
export function quoteText(text: string, start: number, end: number, bytesAsLatin1 = true): string {
  // 60 characters as written, whether the text is characters or bytes: a character is up to 4 bytes,
  // so 240 bytes hold at least 60 whole ones. (Cutting at 60 bytes made the file reader's message
  // differ from the string parser's for the same non-ASCII text, and could split a character.)
  const limit = bytesAsLatin1 ? 240 : 60;
  let snippet = text.slice(start, Math.min(end, start + limit));
  if (bytesAsLatin1) snippet = Buffer.from(snippet, 'latin1').toString('utf8');
  const cut = end - start > limit || snippet.length > 60;
  return JSON.stringify(cut ? `${snippet.slice(0, 60)}…` : snippet);
}

/**
 * The longest line any reader accepts, in bytes: 2^27 (128 MiB). V8 cannot hold a string much
 * beyond 2^29 characters, and joining a line that long failed with `RangeError: Invalid string
 * length` (`--data /dev/zero`); a data line this long is not data any format here describes.
 */
export const MAX_LINE_BYTES = 2 ** 27;

/** Receives whole lines, without their line feed; `lineNumber` is 1-based. */
export interface LineSink {
  addLine(text: string, start: number, end: number, lineNumber: number): void;
}

/** Cuts text arriving in chunks into lines, carrying the unfinished last line over to the next chunk. */
export class LineSplitter {
  private pending = '';
  private lineNumber = 0;

  /** `file` names the file in the error for a line longer than {@link MAX_LINE_BYTES}. */
  constructor(private readonly sink: LineSink, private readonly file = 'text') {}

  private tooLong(): never {
    throw new DataFormatError(this.file, this.lineNumber + 1, `line longer than ${MAX_LINE_BYTES} bytes (no line feed within 128 MiB): not a text data file`);
  }

  push(chunk: string): void {
    // Search only the new chunk for the first line feed, so a line longer than a chunk costs linear time.
    let newline = chunk.indexOf('\n');
    if (newline < 0) {
      if (this.pending.length + chunk.length > MAX_LINE_BYTES) this.tooLong();
      this.pending += chunk;
      return;
    }
    if (this.pending.length + newline > MAX_LINE_BYTES) this.tooLong();
    let start = 0;
    if (this.pending.length > 0) {
      // Only the line that straddles the chunk boundary is joined: the rest is parsed from the chunk
      // itself, which stays one flat string (a joined chunk would be a rope V8 has to flatten).
      const line = this.pending + chunk.slice(0, newline);
      this.sink.addLine(line, 0, line.length, ++this.lineNumber);
      start = newline + 1;
      newline = chunk.indexOf('\n', start);
    }
    while (newline >= 0) {
      this.sink.addLine(chunk, start, newline, ++this.lineNumber);
      start = newline + 1;
      newline = chunk.indexOf('\n', start);
    }
    if (chunk.length - start > MAX_LINE_BYTES) this.tooLong();
    this.pending = chunk.slice(start);
  }

  end(): void {
    if (this.pending.length > 0) this.sink.addLine(this.pending, 0, this.pending.length, ++this.lineNumber);
    this.pending = '';
  }

  /** Lines delivered so far. */
  get lines(): number {
    return this.lineNumber;
  }
}

export function isGzip(file: string): boolean {
  return /\.gz$/i.test(file);
}

/** The file name without a final `.gz` (any case), to read the format's own extension. */
export function withoutGzip(file: string): string {
  return file.replace(/\.gz$/i, '');
}

/** Node's `ENOENT: no such file or directory, open 'x'` → `no such file or directory`. */
export function systemReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return /^[A-Z]+: ([^,]*)/.exec(message)?.[1] ?? message;
}

/**
 * A failure of the file system or of gzip, as an error that names the file. Node's system errors
 * read `ENOENT: no such file or directory, open 'x'`; the part before the comma is what users need.
 */
export function fileError(file: string, verb: 'read' | 'write', error: unknown): Error {
  if (error instanceof SoftnewtonError || !(error instanceof Error)) return error as Error;
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return new DataFormatError(file, undefined, `not a valid gzip file (${error.message})`);
  }
  if (typeof code === 'string' && 'syscall' in error) {
    return new InputError(file, `cannot ${verb} the file: ${systemReason(error)}`);
  }
  return error;
}

export function requireFileName(file: unknown, field = 'file'): string {
  if (typeof file !== 'string' || file.length === 0) throw new InputError(field, 'expected a file name');
  return file;
}

/**
 * Streams the file's bytes (decompressed when the name ends in `.gz`) through `consume`, in chunks
 * of {@link READ_CHUNK_BYTES}; file-system and gzip failures become errors naming the file.
 */
export async function consumeBytes(file: string, consume: (chunks: AsyncIterable<Buffer>) => Promise<void>): Promise<void> {
  const source = fs.createReadStream(file, { highWaterMark: READ_CHUNK_BYTES });
  // The consumer's own error (a DataFormatError naming a line) is the one to report: when it throws
  // while gunzip still has output, pipeline() rejects with an AbortError from tearing gunzip down
  // instead, which ended as an internal error (exit 3) for any parse error past the first chunk.
  let consumerError: unknown;
  const consumeAndKeepError = async (chunks: AsyncIterable<Buffer>) => {
    try {
      await consume(chunks);
    } catch (error) {
      consumerError ??= error;
      throw error;
    }
  };
  try {
    if (isGzip(file)) await pipeline(source, zlib.createGunzip({ chunkSize: READ_CHUNK_BYTES }), consumeAndKeepError);
    else await pipeline(source, consumeAndKeepError);
  } catch (error) {
    throw fileError(file, 'read', consumerError ?? error);
  }
}

/** Streams a text file line by line into `sink` (a UTF-8 byte order mark is skipped); returns the line count. */
export async function readLines(file: string, sink: LineSink): Promise<number> {
  const splitter = new LineSplitter(sink, file);
  await consumeBytes(file, async (chunks) => {
    let first = true;
    for await (const chunk of chunks) {
      let text = chunk.toString('latin1');
      if (first && chunk.length > 0) {
        first = false;
        if (text.startsWith('\xEF\xBB\xBF')) text = text.slice(3); // a UTF-8 byte order mark, read as latin1
      }
      splitter.push(text);
    }
    splitter.end();
  });
  return splitter.lines;
}

/** Number → text that parses back to the same double; String(-0) is "0", which would lose the sign. */
export function formatNumber(v: number): string {
  return v === 0 && 1 / v < 0 ? '-0' : String(v);
}

/**
 * The file a write to `file` should replace: `file` itself, or, when it is a symbolic link, the file
 * the link points to (followed to the end; a dangling link names the file to create). Writing goes
 * through a temporary file renamed into place, and renaming onto the link would have replaced the
 * link itself, leaving its target stale (docs/reliability.md, "Outputs").
 */
export async function outputTarget(file: string): Promise<string> {
  let current = file;
  for (let hops = 0; hops < 40; hops++) {
    let link: string;
    try {
      if (!(await fs.promises.lstat(current)).isSymbolicLink()) return current;
      link = await fs.promises.readlink(current);
    } catch {
      return current; // not there yet (or not readable: the write will say so)
    }
    current = path.resolve(path.dirname(current), link);
  }
  return current;
}

/**
 * Writes the chunks (strings or bytes) to `file`, gzip-compressed when the name ends in `.gz`. The
 * data goes to a temporary file in the same directory, renamed into place once complete: a failed
 * write never leaves a truncated file that would still parse. Back-pressure keeps memory flat.
 */
export async function writeChunks(name: string, chunks: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>): Promise<void> {
  const file = await outputTarget(name);
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const source = Readable.from(chunks, { objectMode: false });
  try {
    if (isGzip(name)) await pipeline(source, zlib.createGzip(), fs.createWriteStream(temporary));
    else await pipeline(source, fs.createWriteStream(temporary));
    await fs.promises.rename(temporary, file);
  } catch (error) {
    await fs.promises.rm(temporary, { force: true }).catch(() => undefined);
    throw fileError(name, 'write', error);
  }
}

/**
 * A typed array that grows by doubling, for readers that do not know their size in advance.
 * `what` names the data in the error raised when memory runs out.
 */
export class GrowingFloat64 {
  data: Float64Array;
  length = 0;
  constructor(initial = 1 << 12) {
    this.data = new Float64Array(initial);
  }
  push(v: number, file: string): void {
    if (this.length === this.data.length) this.grow(file);
    this.data[this.length++] = v;
  }
  grow(file: string): void {
    const capacity = this.data.length * 2;
    let next: Float64Array;
    try {
      next = new Float64Array(capacity);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      throw new InputError(file, `too large to hold in memory: more than ${this.length} numbers, and ${(capacity * 8 / 2 ** 30).toFixed(1)} GiB could not be allocated`);
    }
    next.set(this.data);
    this.data = next;
  }
  /** The values, copied to their exact size (the doubling slack is released). */
  finish(): Float64Array {
    return this.data.slice(0, this.length);
  }
}

/** Allocates a typed array, turning an allocation failure into an error that says what did not fit. */
export function allocate<T>(file: string, what: string, make: () => T): T {
  try {
    return make();
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new InputError(file, `too large to hold in memory: ${what} could not be allocated`);
  }
}

/**
 * The first line start at or after byte `position` of a plain (not gzip) file: 0, or just after
 * the first line feed at or after `position − 1`; the file size when there is none. Cutting a file
 * at these points gives consecutive byte ranges that hold whole lines (a distributed shard,
 * src/distributed/shard.ts).
 */
export async function lineStartAtOrAfter(file: string, position: number): Promise<number> {
  if (position <= 0) return 0;
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(file, 'r');
    const size = (await handle.stat()).size;
    const buffer = Buffer.alloc(READ_CHUNK_BYTES);
    for (let at = position - 1; at < size; at += READ_CHUNK_BYTES) {
      const { bytesRead } = await handle.read(buffer, 0, READ_CHUNK_BYTES, at);
      const newline = buffer.subarray(0, bytesRead).indexOf(10);
      if (newline >= 0) return at + newline + 1;
      if (bytesRead === 0) break;
    }
    return size;
  } catch (error) {
    throw fileError(file, 'read', error);
  } finally {
    await handle?.close();
  }
}

/**
 * Streams the lines of bytes [start, end) of a plain (not gzip) file into `sink`, like
 * {@link readLines}; both ends should be line starts ({@link lineStartAtOrAfter}). Line numbers
 * count from 1 at `start`. Returns the number of lines.
 */
export async function readLinesInRange(file: string, sink: LineSink, start: number, end: number): Promise<number> {
  const splitter = new LineSplitter(sink);
  if (end <= start) return 0;
  try {
    const source = fs.createReadStream(file, { highWaterMark: READ_CHUNK_BYTES, start, end: end - 1 });
    let first = start === 0;
    for await (const chunk of source as AsyncIterable<Buffer>) {
      let text = chunk.toString('latin1');
      if (first && chunk.length > 0) {
        first = false;
        if (text.startsWith('\xEF\xBB\xBF')) text = text.slice(3);
      }
      splitter.push(text);
    }
    splitter.end();
  } catch (error) {
    throw fileError(file, 'read', error);
  }
  return splitter.lines;
}
