/**
 * The data flags every command that reads (C, b) shares: `--data FILE` with the reader chosen by the
 * extension (or `--format`), `--cols`, and where b comes from for formats without labels
 * (`--target FILE`, `--target-column NAME|INDEX`). See docs/formats.md.
 */
import { Command } from 'commander';
import { InputError } from '../errors';
import { DATA_FORMATS, DataFormat, detectFormat, Features, readFeatures } from '../io/data';
import { applyStandardization, fitStandardization, Standardization } from '../model/preprocess';
import { withLoadingProgress } from './loading';
import { ModelOptions, Problem } from '../problem';
import { asFlagError, parseChoiceFlag, parseIntegerFlag, readVectorFile } from './common';

export interface DataFlags {
  data: string;
  cols?: string;
  format?: string;
  target?: string;
  targetColumn?: string;
  delimiter?: string;
  /** true with --header, false with --no-header, absent: detected. */
  header?: boolean;
  skipRows?: string;
  /** false with --no-progress (commands that have it). */
  progress?: boolean;
  /** --json: stdout and stderr stay free of progress. */
  json?: boolean;
}

/**
 * The readers' field names → the data flags that set them (the data flags are not options of the
 * schema, src/options.ts: the options' own map is flagsByField in src/cli/flags.ts). `file` is the
 * distributed shard reader's name for --data.
 */
export const DATA_FLAGS_BY_FIELD = {
  cols: '--cols', format: '--format', target: '--target', targetColumn: '--target-column', delimiter: '--delimiter', header: '--header',
  skipRows: '--skip-rows', file: '--data',
} as const;

/** --delimiter's names for separators that are awkward to type. */
const DELIMITER_NAMES: Readonly<Record<string, string>> = { tab: '\t', space: ' ', comma: ',', semicolon: ';', whitespace: 'whitespace' };

/** Adds `--data --cols --format --target --target-column`. */
export function addDataFlags(command: Command): Command {
  return command
    .requiredOption('--data <file>', 'the data C and b: LIBSVM (.svm .libsvm .txt), Matrix Market (.mtx), CSV (.csv) or NumPy (.npy), each optionally .gz')
    .option('--cols <d>', 'number of columns d: required for LIBSVM (fixes d when the last columns are empty); for other formats it must match the file')
    .option('--format <name>', `the data format when the extension does not say: ${DATA_FORMATS.join(', ')}`)
    .option('--target <file>', 'b for .mtx/.csv/.npy data: a text file with one number per line, or a .npy vector')
    .option('--target-column <col>', 'b for .mtx/.csv/.npy data: the column of --data holding it, a 1-based index or (CSV) a header name; it is removed from C')
    .option('--delimiter <c>', 'CSV: the field separator, one character or tab, space, semicolon, whitespace (runs of blanks) (default ,)')
    .option('--header', 'CSV: the first line (after --skip-rows) is a header of column names (default: detected)')
    .option('--no-header', 'CSV: the first line is already data')
    .option('--skip-rows <k>', 'CSV: skip the first k lines (e.g. a metadata line before the header) (default 0)');
}

/** The column count the flags give, when they give one (it is needed before the data for LIBSVM). */
export function colsFromFlags(flags: DataFlags): number | undefined {
  return flags.cols === undefined ? undefined : parseIntegerFlag('--cols', flags.cols, 1);
}

/**
 * Reads the data the flags name; errors about an option name its flag. b is required unless
 * `requireTarget` is false (predictions). Large files show their progress on a terminal.
 */
export async function readDataFromFlags(flags: DataFlags, { requireTarget = true } = {}): Promise<Features> {
  const cols = colsFromFlags(flags);
  let format: DataFormat;
  try {
    format = flags.format === undefined ? detectFormat(flags.data) : parseChoiceFlag('--format', flags.format, DATA_FORMATS);
  } catch (error) {
    if (error instanceof InputError && error.field === flags.data) {
      throw new InputError('--data', `${error.message}: --format ${DATA_FORMATS.join('|')}`);
    }
    throw error;
  }
  if (format === 'libsvm' && cols === undefined) {
    throw new InputError('--cols', `required for LIBSVM data (${flags.data}): the file does not record d, and trailing columns may be empty`);
  }
  try {
    return await withLoadingProgress(flags.data, process.stderr, !flags.json && flags.progress !== false, () => readFeatures(flags.data, {
      format, cols, target: flags.target, targetColumn: flags.targetColumn, ...csvOptionsFrom(flags),
    }, { requireTarget }));
  } catch (error) {
    asFlagError(error, DATA_FLAGS_BY_FIELD);
  }
}

/** The CSV flags as reader options (absent when not given). */
function csvOptionsFrom(flags: DataFlags): { delimiter?: string; header?: boolean; skipRows?: number } {
  const out: { delimiter?: string; header?: boolean; skipRows?: number } = {};
  if (flags.delimiter !== undefined) out.delimiter = DELIMITER_NAMES[flags.delimiter] ?? flags.delimiter;
  if (flags.header !== undefined) out.header = flags.header;
  if (flags.skipRows !== undefined) out.skipRows = parseIntegerFlag('--skip-rows', flags.skipRows, 0);
  return out;
}

/**
 * The Problem the data and model flags describe, and the points (JSON vectors) named by
 * `pointFiles` (flag → file, undefined when not given). Points are small: when --cols gives d they
 * are read before the data, so a mistake in one shows before a large file is read. Errors about a
 * model option name the flag that set it (`flagsByField`).
 */
export async function loadProblem(
  flags: DataFlags,
  model: ModelOptions,
  pointFiles: Readonly<Record<string, string | undefined>>,
  flagsByField: Readonly<Record<string, string>>,
  { standardize = false }: { standardize?: boolean } = {},
): Promise<{ problem: Problem; points: Record<string, Float64Array>; standardization: Standardization | null; columns?: string[]; target?: string }> {
  const points: Record<string, Float64Array> = {};
  const readPoints = async (cols: number) => {
    for (const [flag, file] of Object.entries(pointFiles)) {
      if (file !== undefined && points[flag] === undefined) points[flag] = await readVectorFile(flag, file, cols);
    }
  };
  const knownCols = colsFromFlags(flags);
  if (knownCols !== undefined) await readPoints(knownCols);
  const { C, b, columns, target } = await readDataFromFlags(flags);
  await readPoints(C.cols);
  // --standardize: the columns are scaled before the model sees them; the model file records how.
  const standardization = standardize ? fitStandardization(C) : null;
  // The data's own fields name the flag they came from: b from --target, --target-column or the
  // labels of --data; C from --data (`b: entry 1 is Infinity` named an API field, not a flag).
  const dataFlags: Record<string, string> = {
    b: flags.target !== undefined ? '--target' : flags.targetColumn !== undefined ? '--target-column' : '--data',
    C: '--data', 'C.rows': '--data', 'C.cols': '--data', 'C.data': '--data', 'C.indptr': '--data', 'C.indices': '--data', 'C.values': '--data',
  };
  try {
    return { problem: new Problem(standardization ? applyStandardization(C, standardization) : C, b!, model), points, standardization, columns, target };
  } catch (error) {
    asFlagError(error, { ...dataFlags, ...flagsByField });
  }
}
