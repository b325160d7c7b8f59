/**
 * `softnewton predict`: applies a saved model (solve --save-model) to the rows of a data file,
 * φ(a∘softmax(C x) + c) over the batch — the batch is one softmax group (docs/models.md). Also the
 * pieces `score` shares: reading the model and the batch, and the per-row settings flags.
 */
import { Command } from 'commander';
import { InputError } from '../errors';
import { Features } from '../io/data';
import { writeNpy } from '../io/npy';
import { readTarget } from '../io/target';
import { formatNumber, writeChunks, withoutGzip } from '../io/text';
import { isDense } from '../matrix';
import { BatchOptions, Model } from '../model/model';
import { asFlagError, DECIMAL_NUMBER, parseNumberFlag, requireFiniteOutput } from './common';
import { addDataFlags, DataFlags, readDataFromFlags } from './data';

export interface BatchFlags extends DataFlags {
  model: string;
  scale?: string;
  bias?: string;
  w?: string;
}

interface PredictFlags extends BatchFlags {
  out?: string;
}

/** Model files are JSON (optionally gzip-compressed): checked before any work. */
export function checkModelFile(flag: string, file: string | undefined): void {
  if (file !== undefined && !/\.json(\.gz)?$/i.test(file)) throw new InputError(flag, `expected a file name ending in .json (optionally + .gz), received ${JSON.stringify(file)}`);
}

/** The API's field names → the flags. */
export const BATCH_FLAGS = { scale: '--scale', bias: '--bias', w: '--w', C: '--data', model: '--model' } as const;

/** Adds `--model FILE`, the data flags and the per-row settings flags. */
export function addBatchFlags(command: Command): Command {
  command.requiredOption('--model <file.json>', 'the model file written by solve --save-model');
  addDataFlags(command);
  return command
    .option('--scale <a>', "for a model trained with one scale per row: this batch's, a number or a file (one number per line, or .npy)")
    .option('--bias <c>', "for a model trained with one bias per row: this batch's, a number or a file")
    .option('--w <w>', "for a model trained with one weight per row (score's loss): this batch's, a number or a file");
}

async function rowSetting(flag: string, raw: string | undefined, rows: number): Promise<number | Float64Array | undefined> {
  if (raw === undefined) return undefined;
  if (DECIMAL_NUMBER.test(raw)) return parseNumberFlag(flag, raw);
  try {
    return await readTarget(raw, { rows });
  } catch (error) {
    if (error instanceof InputError && !(error.field.startsWith(raw))) throw new InputError(flag, error.message);
    throw error;
  }
}

/**
 * The model and the batch: C, and b when the flags or the file give it. A CSV batch whose header
 * holds the model's target column (as the training file did) has that column taken out as b.
 */
export async function loadBatch(flags: BatchFlags, { requireTarget }: { requireTarget: boolean }): Promise<{ model: Model; data: Features; options: BatchOptions }> {
  checkModelFile('--model', flags.model);
  let model: Model;
  try {
    model = await Model.load(flags.model);
  } catch (error) {
    if (error instanceof InputError && !error.field.startsWith(flags.model)) throw new InputError('--model', error.message);
    throw error;
  }
  const explicitTarget = flags.target !== undefined || flags.targetColumn !== undefined;
  // LIBSVM files do not record d, but the model does: --cols is not needed for them here.
  const libsvm = (flags.format ?? (/\.(svm|libsvm|txt)(\.gz)?$/i.test(flags.data) ? 'libsvm' : '')) === 'libsvm';
  const data = await readDataFromFlags(libsvm && flags.cols === undefined ? { ...flags, cols: String(model.d) } : flags, { requireTarget: false });
  if (!explicitTarget && data.b === undefined && model.target !== null && data.columns?.includes(model.target) && isDense(data.C)) {
    takeColumn(data, data.columns.indexOf(model.target));
  }
  if (requireTarget && data.b === undefined) {
    throw new InputError('--target', `${flags.data} has no targets: give --target-column (a column of the file) or --target (a file of ${data.C.rows} numbers)`);
  }
  if (data.columns && model.columns && data.C.cols === model.d) {
    const k = model.columns.findIndex((name, j) => name !== data.columns![j]);
    if (k >= 0) {
      throw new InputError('--data', `${flags.data}: column ${k + 1} is ${JSON.stringify(data.columns[k])}, the model was trained with ${JSON.stringify(model.columns[k])} there (the columns must come in the training order)`);
    }
  }
  if (data.C.cols !== model.d) {
    const hint = data.C.cols === model.d + 1 && !explicitTarget ? ' (if one column is the target, name it with --target-column)' : '';
    throw new InputError('--data', `${flags.data} has ${data.C.cols} columns, the model ${flags.model} has d = ${model.d}${hint}`);
  }
  const rows = data.C.rows;
  const options: BatchOptions = {};
  const scale = await rowSetting('--scale', flags.scale, rows);
  const bias = await rowSetting('--bias', flags.bias, rows);
  const w = await rowSetting('--w', flags.w, rows);
  if (scale !== undefined) options.scale = scale;
  if (bias !== undefined) options.bias = bias;
  if (w !== undefined) options.w = w;
  return { model, data, options };
}

/** Moves dense column k of the batch into b (the model's target column, found by its name). */
function takeColumn(data: Features, k: number): void {
  if (!isDense(data.C)) return;
  const { rows, cols, data: values } = data.C;
  const b = new Float64Array(rows);
  const out = new Float64Array(rows * (cols - 1));
  for (let i = 0; i < rows; i++) {
    b[i] = values[i * cols + k];
    out.set(values.subarray(i * cols, i * cols + k), i * (cols - 1));
    out.set(values.subarray(i * cols + k + 1, (i + 1) * cols), i * (cols - 1) + k);
  }
  data.C = { rows, cols: cols - 1, data: out };
  data.b = b;
  data.target = data.columns![k];
  data.columns = data.columns!.filter((_, j) => j !== k);
}

/** Writes predictions: `.json` {"predictions": […]}, `.npy` float64, `.txt` one per line; `.gz` compresses. */
export async function writePredictions(file: string, predictions: Float64Array): Promise<void> {
  const extension = /\.[^./\\]*$/.exec(withoutGzip(file))?.[0].toLowerCase();
  if (extension === '.npy') return writeNpy(file, predictions);
  if (extension === '.json') return writeChunks(file, [`${JSON.stringify({ predictions: Array.from(predictions) })}\n`]);
  if (extension === '.txt') return writeChunks(file, [Array.from(predictions, formatNumber).join('\n') + '\n']);
  throw new InputError('--out', `expected a file name ending in .json, .npy or .txt (optionally + .gz), received ${JSON.stringify(file)}`);
}

async function run(flags: PredictFlags & { json?: boolean }): Promise<void> {
  if (flags.out !== undefined && !/\.(json|npy|txt)(\.gz)?$/i.test(flags.out)) {
    throw new InputError('--out', `expected a file name ending in .json, .npy or .txt (optionally + .gz), received ${JSON.stringify(flags.out)}`);
  }
  const { model, data, options } = await loadBatch(flags, { requireTarget: false });
  let predictions: Float64Array;
  try {
    predictions = model.predict(data.C, options);
  } catch (error) {
    asFlagError(error, BATCH_FLAGS);
  }
  requireFiniteOutput('predictions', predictions);
  if (flags.out !== undefined) await writePredictions(flags.out, predictions);
  if (flags.json) process.stdout.write(`${JSON.stringify({ predictions: Array.from(predictions) })}\n`);
  else if (flags.out === undefined) process.stdout.write(`${Array.from(predictions, formatNumber).join('\n')}\n`);
  else process.stdout.write(`${predictions.length} predictions of ${flags.model} on ${flags.data} written to ${flags.out}\n`);
}

export function register(program: Command): void {
  const command = program
    .command('predict')
    .description('apply a saved model to the rows of a data file: φ(a∘softmax(C x) + c), the batch being one softmax group');
  addBatchFlags(command);
  command
    .option('--json', 'print {"predictions": [...]} (one per row, in row order)')
    .option('--out <file>', 'write the predictions: .json ({"predictions": [...]}), .npy (float64) or .txt (one per line), optionally .gz')
    .addHelpText('after', '\nThe softmax normalises over the rows given together: a batch is one softmax group, and a scale\n' +
      'rule n (the default of softmax-unit) becomes the batch\'s row count. See docs/models.md.\n\nExamples:\n' +
      '  softnewton solve --data train.csv --target-column price --unit sigmoid --save-model model.json\n' +
      '  softnewton predict --model model.json --data new.csv --json\n' +
      '  softnewton predict --model model.json --data new.svm --out predictions.npy   (LIBSVM: d from the model)\n')
    .action(run);
}
