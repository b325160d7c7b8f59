/**
 * The data flags every command that reads (C, b) shares: `--data FILE` with the reader chosen by the
 * extension (or `--format`), `--cols`, and where b comes from for formats without labels
 * (`--target FILE`, `--target-column NAME|INDEX`). See docs/formats.md.
 */
import { Command } from 'commander';
import { InputError } from '../errors';
import { Data, DATA_FORMATS, DataFormat, detectFormat, readData } from '../io/data';
import { asFlagError, parseChoiceFlag, parseIntegerFlag } from './common';

export interface DataFlags {
  data: string;
  cols?: string;
  format?: string;
  target?: string;
  targetColumn?: string;
}

/** The API's field names → the flags that set them. */
const FLAGS_BY_FIELD = { cols: '--cols', format: '--format', target: '--target', targetColumn: '--target-column' } as const;

/** Adds `--data --cols --format --target --target-column`. */
export function addDataFlags(command: Command): Command {
  return command
    .requiredOption('--data <file>', 'the data C and b: LIBSVM (.svm .libsvm .txt), Matrix Market (.mtx), CSV (.csv) or NumPy (.npy), each optionally .gz')
    .option('--cols <d>', 'number of columns d: required for LIBSVM (fixes d when the last columns are empty); for other formats it must match the file')
    .option('--format <name>', `the data format when the extension does not say: ${DATA_FORMATS.join(', ')}`)
    .option('--target <file>', 'b for .mtx/.csv/.npy data: a text file with one number per line, or a .npy vector')
    .option('--target-column <col>', 'b for .mtx/.csv/.npy data: the column of --data holding it, a 1-based index or (CSV) a header name; it is removed from C');
}

/** The column count the flags give, when they give one (it is needed before the data for LIBSVM). */
export function colsFromFlags(flags: DataFlags): number | undefined {
  return flags.cols === undefined ? undefined : parseIntegerFlag('--cols', flags.cols, 1);
}

/** Reads the data the flags name; errors about an option name its flag. */
export async function readDataFromFlags(flags: DataFlags): Promise<Data> {
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
    return await readData(flags.data, { format, cols, target: flags.target, targetColumn: flags.targetColumn });
  } catch (error) {
    asFlagError(error, FLAGS_BY_FIELD);
  }
}
