/**
 * `softnewton eval`: the loss L(x), the gradient ∇L(x) and optionally the Hessian ∇²L(x) of the
 * data in a data file (any format src/io/data.ts reads) at the point in a JSON file, printed as one JSON object on stdout.
 */
import { Command } from 'commander';
import { asFlagError, requireFiniteOutput } from './common';
import { addModelFlags, flagsByField, ModelFlags, modelFlagSpecs, modelOptionsFrom } from './flags';
import { addDataFlags, DataFlags, loadProblem } from './data';
import { InputError } from '../errors';
import { formatBytes } from '../limits';

interface EvalFlags extends ModelFlags, DataFlags {
  x: string;
  hessian?: boolean;
}

/** The most --hessian prints: 256 MiB of JSON (d up to 3276). */
export const MAX_HESSIAN_OUTPUT_BYTES = 2 ** 28;
const HESSIAN_BYTES_PER_ENTRY = 25;

/** The model options' fields → their flags, from the schema. */
const FLAGS_BY_FIELD = flagsByField(modelFlagSpecs({ regularisation: true }));

async function evaluate(flags: EvalFlags): Promise<void> {
  const options = modelOptionsFrom(flags);
  const { problem, points } = await loadProblem(flags, options, { '--x': flags.x }, FLAGS_BY_FIELD);
  const x = points['--x'];
  const cols = problem.cols;
  const { loss, gradient } = (() => {
    try {
      return problem.evaluate(x);
    } catch (error) {
      return asFlagError(error, { ...FLAGS_BY_FIELD, x: '--x' });
    }
  })();
  requireFiniteOutput('loss', [loss]);
  requireFiniteOutput('gradient', gradient);
  const result: { loss: number; gradient: number[]; hessian?: number[][] } = { loss, gradient: Array.from(gradient) };
  if (flags.hessian) {
    // The printed JSON, not the d² doubles, is what runs out first: up to 25 characters per entry
    // (-1.2345678901234567e-308,), and V8 cannot hold one string over 2^29 characters (d = 9000
    // exhausted the heap, a SIGABRT). Refused before the Hessian is formed.
    const outputBytes = cols * cols * HESSIAN_BYTES_PER_ENTRY;
    if (outputBytes > MAX_HESSIAN_OUTPUT_BYTES) {
      throw new InputError('--hessian', `d = ${cols}: the Hessian's JSON could take up to ${formatBytes(outputBytes)}, more than the ${formatBytes(MAX_HESSIAN_OUTPUT_BYTES)} eval prints (d up to ${Math.floor(Math.sqrt(MAX_HESSIAN_OUTPUT_BYTES / HESSIAN_BYTES_PER_ENTRY))}); use the API's Problem.hessian or hessianVector`);
    }
    let hessian: Float64Array;
    try {
      hessian = problem.hessian(x);
    } catch (error) {
      asFlagError(error, { ...FLAGS_BY_FIELD, x: '--x', maxMemoryBytes: '--hessian' });
    }
    requireFiniteOutput('hessian', hessian);
    result.hessian = Array.from({ length: cols }, (_, i) => Array.from(hessian.subarray(i * cols, (i + 1) * cols)));
  }
  // JSON.stringify writes each double with the fewest digits that read back to the same double.
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

export function register(program: Command): void {
  const command = program
    .command('eval')
    .description('print {"loss", "gradient"[, "hessian"]} of L(x) = ℓ(Cx) + ½‖W C x‖² + ½ λ‖x‖² as one JSON object')
    .requiredOption('--x <file>', 'the point x: a JSON array of d finite numbers, a .npy vector (solve --out-x) or a model file (solve --save-model)');
  addDataFlags(command);
  addModelFlags(command, { regularisation: true, scaleDefault: 'n for model softmax-unit, 1 for the others' });
  command
    .option('--hessian', 'also print the d × d Hessian, as an array of rows')
    .addHelpText('after', '\nExamples:\n  softnewton eval --data p.svm --cols 50 --scale n --x xs.json\n' +
      '  softnewton eval --data C.npy --target b.npy --x x.json --w 0.1 --hessian\n')
    .action(evaluate);
}
