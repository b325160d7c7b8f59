/**
 * `softnewton eval`: the loss L(x), the gradient ∇L(x) and optionally the Hessian ∇²L(x) of the
 * data in a LIBSVM file at the point in a JSON file, printed as one JSON object on stdout.
 */
import { Command } from 'commander';
import { readLibsvm } from '../io/libsvm';
import { Problem } from '../problem';
import { addModelFlags, asFlagError, ModelFlags, modelOptionsFrom, parseIntegerFlag, readVectorFile, requireFiniteOutput } from './common';

interface EvalFlags extends ModelFlags {
  data: string;
  cols: string;
  x: string;
  hessian?: boolean;
}

const FLAGS_BY_FIELD = { model: '--model', unit: '--unit', scale: '--scale', bias: '--bias', w: '--w', ridge: '--ridge' } as const;

async function evaluate(flags: EvalFlags): Promise<void> {
  const cols = parseIntegerFlag('--cols', flags.cols, 1);
  const options = modelOptionsFrom(flags);
  // The point first: it is small, so a mistake in it shows before a large data file is read.
  const x = await readVectorFile('--x', flags.x, cols);
  const { C, b } = await readLibsvm(flags.data, { cols });
  let problem: Problem;
  try {
    problem = new Problem(C, b, options);
  } catch (error) {
    asFlagError(error, FLAGS_BY_FIELD);
  }
  const { loss, gradient } = problem.evaluate(x);
  requireFiniteOutput('loss', [loss]);
  requireFiniteOutput('gradient', gradient);
  const result: { loss: number; gradient: number[]; hessian?: number[][] } = { loss, gradient: Array.from(gradient) };
  if (flags.hessian) {
    const hessian = problem.hessian(x);
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
    .requiredOption('--data <file>', 'the LIBSVM file holding C and b (gzip-compressed if it ends in .gz)')
    .requiredOption('--cols <d>', 'number of columns d: fixes d when the last columns are empty')
    .requiredOption('--x <file>', 'the point x: a JSON array of d finite numbers');
  addModelFlags(command, { regularisation: true, scaleDefault: '1' });
  command.option('--hessian', 'also print the d × d Hessian, as an array of rows').action(evaluate);
}
