/**
 * The errors softnewton throws. Bad input is always an {@link InputError} naming the field; a
 * numerical breakdown at a point the caller asked about is a {@link NumericalError}. A solve that
 * does not converge is not an error: it is a result with a `stopReason`.
 */

export class SoftnewtonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A caller's input is wrong. `field` names it (`C.indptr`, `b`, `options.tol`, `--cols`, …). */
export class InputError extends SoftnewtonError {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}

/** A data file is malformed. The message carries the file, the line (or byte offset) and the problem. */
export class DataFormatError extends InputError {
  readonly file: string;
  readonly line: number | undefined;
  constructor(file: string, line: number | undefined, message: string) {
    super(line === undefined ? file : `${file}:${line}`, message);
    this.file = file;
    this.line = line;
  }
}

/** The model cannot be evaluated at the requested point (an overflow, say). */
export class NumericalError extends SoftnewtonError {}

/** Thrown by an aborted solve. */
export class AbortError extends SoftnewtonError {
  constructor(message = 'the operation was aborted') {
    super(message);
  }
}

/** Re-throws an error from the native addon as the matching softnewton error. */
export function fromNative(error: unknown): never {
  if (error instanceof Error && !(error instanceof SoftnewtonError)) {
    const match = /^([\w.\[\]-]+): (.*)$/s.exec(error.message);
    if (error instanceof RangeError && match) throw new NumericalError(error.message);
    if (error instanceof TypeError && match) throw new InputError(match[1], match[2]);
  }
  throw error;
}
