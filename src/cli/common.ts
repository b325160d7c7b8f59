/**
 * What every command shares: exit codes, flag parsing with messages that name the flag (the schema's
 * flags, the model's among them, are src/cli/flags.ts's), JSON vector files, and the one error handler that turns any failure into an exit code.
 *
 * Commander parses flags as strings; each command validates them here, so every message has the
 * shape `--flag: expected <what>, received <value>` (the API's shape, with the flag as the field).
 */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { Command, CommanderError } from 'commander';
import { DataFormatError, InputError, NumericalError } from '../errors';
import { MAX_INDEX } from '../matrix';
import { readNpyVector } from '../io/npy';
import { Model, MODEL_FORMAT } from '../model/model';
import { describe, describeRange, inRange, invalid, NumberRange } from '../validate';

export const EXIT = {
  ok: 0,
  /** The solver stopped without meeting its tolerance: a result, reported by `solve`. */
  notConverged: 1,
  /** `certify`: the certificate does not hold; its verdict lists why (same code, another command's meaning). */
  certificateFails: 1,
  /** Bad flags, unreadable or malformed files, a model that cannot be evaluated at the given point. */
  userError: 2,
  /** A bug: anything the program did not expect. */
  internalError: 3,
} as const;

/**
 * A command module: main.ts registers each one on the program. An action reports a failure by
 * throwing; a result that deserves another exit code (solve's notConverged) sets process.exitCode.
 */
export interface CommandModule {
  register(program: Command): void;
}

/** Strict decimal syntax: `Number()` alone would also accept '', ' ', '0x1f' and 'Infinity'. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
/** Whether a flag's value is a number in that syntax (a flag that takes a number or a file name asks). */
export const DECIMAL_NUMBER = DECIMAL;

export function parseNumberFlag(flag: string, raw: string, range: NumberRange = {}): number {
  const value = DECIMAL.test(raw) ? Number(raw) : NaN;
  if (!inRange(value, range)) throw invalid(flag, describeRange(range), raw);
  return value;
}

/** An integer in [min, max]; `1e6` is accepted, `1.5` is not. */
export function parseIntegerFlag(flag: string, raw: string, min: number, max: number = MAX_INDEX): number {
  const value = DECIMAL.test(raw) ? Number(raw) : NaN;
  if (!(Number.isSafeInteger(value) && value >= min && value <= max)) throw invalid(flag, `an integer from ${min} to ${max}`, raw);
  return value;
}

export function parseChoiceFlag<T extends string>(flag: string, raw: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(raw)) {
    const guess = closestChoice(raw, choices);
    throw new InputError(flag, `expected one of ${choices.join(', ')}, received ${describe(raw)}${guess ? ` (did you mean ${JSON.stringify(guess)}?)` : ''}`);
  }
  return raw as T;
}

/** Optimal string alignment distance (Levenshtein with adjacent transpositions), as commander's own suggestions use. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The choice `raw` most likely misspells, or undefined: the nearest by edit distance when at most
 * 40% of the word differs (commander's rule for flags), or the one choice it is a prefix of.
 */
export function closestChoice(raw: string, choices: readonly string[]): string | undefined {
  const lower = raw.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const choice of choices) {
    const distance = editDistance(lower, choice.toLowerCase());
    if (distance < bestDistance && distance / Math.max(choice.length, 1) <= 0.4) {
      best = choice;
      bestDistance = distance;
    }
  }
  if (best !== undefined) return best;
  const prefixed = choices.filter((c) => lower.length > 0 && c.toLowerCase().startsWith(lower));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

/**
 * Re-throws an API InputError about one of `flags`' fields (`density`, `scale`, …) as an error
 * about the flag (`--density`, `--scale`), so the user reads the name they typed.
 */
export function asFlagError(error: unknown, flags: Readonly<Record<string, string>>): never {
  if (error instanceof InputError && !(error instanceof DataFormatError) && Object.prototype.hasOwnProperty.call(flags, error.field)) {
    throw new InputError(flags[error.field], error.message.slice(error.field.length + 2));
  }
  throw error;
}

/** Node's `ENOENT: no such file or directory, open 'x.json'` → `no such file or directory`. */
export function systemReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return /^[A-Z]+: ([^,]*)/.exec(message)?.[1] ?? message;
}

/**
 * A vector of `length` finite numbers from `file` (the value of `flag`): a JSON array, a float64
 * `.npy` vector (what `--out-x` writes), or a model file (`solve --save-model`), whose x is taken;
 * `.gz` on top of any is decompressed.
 */
export async function readVectorFile(flag: string, file: string, length: number): Promise<Float64Array> {
  if (/\.npy(\.gz)?$/i.test(file)) {
    let vector: Float64Array;
    try {
      vector = await readNpyVector(file);
    } catch (error) {
      if (error instanceof InputError) throw new InputError(flag, error.message);
      throw error;
    }
    if (vector.length !== length) throw new InputError(flag, `${JSON.stringify(file)} must hold a vector of ${length} numbers, found ${vector.length}`);
    return vector;
  }
  let text: string;
  try {
    const bytes = await fs.promises.readFile(file);
    text = (/\.gz$/i.test(file) ? zlib.gunzipSync(bytes) : bytes).toString('utf8');
  } catch (error) {
    throw new InputError(flag, `cannot read ${JSON.stringify(file)}: ${systemReason(error)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InputError(flag, `${JSON.stringify(file)} is not valid JSON (${error instanceof Error ? error.message : error})`);
  }
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && (parsed as { format?: unknown }).format === MODEL_FORMAT) {
    let model: Model;
    try {
      model = Model.parse(parsed, file);
    } catch (error) {
      throw new InputError(flag, (error as Error).message);
    }
    if (model.d !== length) throw new InputError(flag, `the model ${JSON.stringify(file)} has d = ${model.d}, the data has ${length} columns`);
    return model.x;
  }
  const expected = `a JSON array of ${length} finite numbers (or a .npy vector, or a model file)`;
  if (!Array.isArray(parsed)) throw new InputError(flag, `${JSON.stringify(file)} must hold ${expected}, found ${describe(parsed)}`);
  if (parsed.length !== length) {
    throw new InputError(flag, `${JSON.stringify(file)} must hold ${expected}, found an array of length ${parsed.length}`);
  }
  const vector = new Float64Array(length);
  for (let k = 0; k < length; k++) {
    const entry: unknown = parsed[k];
    // JSON has no NaN or Infinity, but 1e999 parses to Infinity.
    if (typeof entry !== 'number' || !Number.isFinite(entry)) {
      throw new InputError(flag, `${JSON.stringify(file)} must hold ${expected}, entry ${k} is ${typeof entry === 'number' ? entry : JSON.stringify(entry)}`);
    }
    vector[k] = entry;
  }
  return vector;
}

/** Writes `value` as JSON to `file` (the value of `flag`), naming both when that fails. */
export async function writeJsonFile(flag: string, file: string, value: unknown): Promise<void> {
  try {
    await fs.promises.writeFile(file, `${JSON.stringify(value)}\n`);
  } catch (error) {
    throw new InputError(flag, `cannot write ${JSON.stringify(file)}: ${systemReason(error)}`);
  }
}

/**
 * JSON for --json output. JSON has no Infinity or NaN, and JSON.stringify prints them as null, which
 * reads as "absent": they are written as the strings "Infinity", "-Infinity" and "NaN" instead
 * (docs/cli.md, "JSON output"). Every finite double keeps the fewest digits that read back to it.
 */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}

/** Numbers bound for JSON: JSON.stringify would turn NaN or ±Infinity into null without a word. */
export function requireFiniteOutput(name: string, values: ArrayLike<number>): void {
  for (let k = 0; k < values.length; k++) {
    if (!Number.isFinite(values[k])) throw new NumericalError(`${name}: entry ${k} is ${values[k]} at this point`);
  }
}

/** Commander's usage errors read `error: unknown option '--foo'`, perhaps with a suggestion on a second line. */
function usageMessage(error: CommanderError): string {
  return error.message.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ');
}

/**
 * The exit code for an error, after writing its report to `writeError`: one line for the user's
 * mistakes, the message and the stack for our own.
 */
export function reportError(error: unknown, writeError: (text: string) => void): number {
  if (error instanceof CommanderError) {
    // --help and --version arrive here as well: their output has already been written.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.ok;
    if (error.code === 'commander.help') return error.exitCode === 0 ? EXIT.ok : EXIT.userError;
    writeError(`softnewton: ${usageMessage(error)} (see --help)\n`);
    return EXIT.userError;
  }
  if (error instanceof InputError || error instanceof NumericalError) {
    writeError(`softnewton: ${error.message.replace(/\s*\n\s*/g, ' ')}\n`);
    return EXIT.userError;
  }
  const detail = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  writeError(`softnewton: internal error (please report it): ${detail}\n`);
  return EXIT.internalError;
}
