/**
 * `softnewton solve`: trains the model on a LIBSVM file and prints the result, as a readable
 * summary and trace table or (with --json) as one JSON object. Exit code 1 when the solve stops
 * without meeting its tolerance.
 */
import { Command } from 'commander';
import { readLibsvm } from '../io/libsvm';
import { Problem } from '../problem';
import { METHODS, SKETCHES, solve, SolveOptions } from '../solve';
import {
  addModelFlags, asFlagError, EXIT, ModelFlags, modelOptionsFrom, parseChoiceFlag, parseIntegerFlag, parseNumberFlag,
  readVectorFile,
} from './common';
import { summaryLine, traceTable } from './report';

interface SolveFlags extends ModelFlags {
  data: string;
  cols: string;
  method?: string;
  sketch?: string;
  sketchRows?: string;
  eps0?: string;
  tol?: string;
  atol?: string;
  maxIter?: string;
  seed?: string;
  x0?: string;
  xstar?: string;
  json?: boolean;
}

const FLAGS_BY_FIELD = {
  model: '--model', unit: '--unit', scale: '--scale', bias: '--bias', w: '--w', ridge: '--ridge', method: '--method',
  sketch: '--sketch', sketchRows: '--sketch-rows', eps0: '--eps0', tol: '--tol', atol: '--atol', maxIter: '--max-iter',
  seed: '--seed', x0: '--x0', xStar: '--xstar', osnapNonzeros: '--sketch-rows',
} as const;

/** The solver options named by the flags; flags not given stay undefined so the API's defaults apply. */
export function solveOptionsFrom(flags: SolveFlags): SolveOptions {
  const options: SolveOptions = {};
  if (flags.method !== undefined) options.method = parseChoiceFlag('--method', flags.method, METHODS);
  if (flags.sketch !== undefined) options.sketch = parseChoiceFlag('--sketch', flags.sketch, SKETCHES);
  if (flags.sketchRows !== undefined) options.sketchRows = parseIntegerFlag('--sketch-rows', flags.sketchRows, 1);
  if (flags.eps0 !== undefined) options.eps0 = parseNumberFlag('--eps0', flags.eps0, { min: 0, max: 0.999, exclusiveMin: true });
  if (flags.tol !== undefined) options.tol = parseNumberFlag('--tol', flags.tol, { min: 0 });
  if (flags.atol !== undefined) options.atol = parseNumberFlag('--atol', flags.atol, { min: 0 });
  if (flags.maxIter !== undefined) options.maxIter = parseIntegerFlag('--max-iter', flags.maxIter, 0, 1_000_000);
  if (flags.seed !== undefined) options.seed = parseIntegerFlag('--seed', flags.seed, 0, Number.MAX_SAFE_INTEGER);
  return options;
}

async function run(flags: SolveFlags): Promise<void> {
  const cols = parseIntegerFlag('--cols', flags.cols, 1);
  const modelOptions = modelOptionsFrom(flags);
  const options = solveOptionsFrom(flags);
  if (flags.x0 !== undefined) options.x0 = await readVectorFile('--x0', flags.x0, cols);
  if (flags.xstar !== undefined) options.xStar = await readVectorFile('--xstar', flags.xstar, cols);
  const { C, b } = await readLibsvm(flags.data, { cols });
  let problem: Problem;
  try {
    problem = new Problem(C, b, modelOptions);
  } catch (error) {
    asFlagError(error, FLAGS_BY_FIELD);
  }
  let result;
  try {
    result = await solve(problem, options);
  } catch (error) {
    asFlagError(error, FLAGS_BY_FIELD);
  }
  if (flags.json) {
    const { x, loss, gradNorm, iterations, converged, stopReason, message, seconds, trace } = result;
    process.stdout.write(`${JSON.stringify({ x: Array.from(x), loss, gradNorm, iterations, converged, stopReason, message, seconds, trace })}\n`);
  } else {
    process.stdout.write(
      `${summaryLine(result, options.method ?? 'newton-pcg')}\n` +
        `data: ${flags.data} (${problem.rows} rows, ${problem.cols} columns, ${problem.nnz} non-zeros), model ${problem.model}/${problem.unit}\n\n` +
        `${traceTable(result.trace)}\n`,
    );
  }
  if (!result.converged) process.exitCode = EXIT.notConverged;
}

export function register(program: Command): void {
  const command = program
    .command('solve')
    .description('train the model on a LIBSVM file by (approximate) Newton or a baseline; exit 1 if it does not converge')
    .requiredOption('--data <file>', 'the LIBSVM file holding C and b (gzip-compressed if it ends in .gz)')
    .requiredOption('--cols <d>', 'number of columns d');
  addModelFlags(command, { regularisation: true, scaleDefault: '1' });
  command
    .option('--method <name>', `${METHODS.join(', ')} (default newton-pcg)`)
    .option('--sketch <name>', `${SKETCHES.join(', ')} (default auto: exact when cheaper, else leverage)`)
    .option('--sketch-rows <k>', 'rows of the sketch (default: derived from --eps0)')
    .option('--eps0 <e>', "the sketch's target spectral error, in (0, 1) (default 0.5)")
    .option('--tol <t>', 'relative tolerance: stop when ‖∇L(x)‖ ≤ t·‖∇L(x₀)‖ (default 1e-8)')
    .option('--atol <a>', 'absolute tolerance: stop when ‖∇L(x)‖ ≤ a (default 0: off)')
    .option('--max-iter <n>', 'iterations at most (default 100)')
    .option('--seed <s>', 'seeds the start point and the sketches (default 0)')
    .option('--x0 <file>', 'start point: a JSON array of d numbers (default: small seeded random)')
    .option('--xstar <file>', 'a known minimiser: the trace records ‖x_t − x*‖')
    .option('--json', 'print one JSON object {x, loss, gradNorm, iterations, converged, stopReason, message, seconds, trace}')
    .addHelpText('after', '\nExample:\n  softnewton generate --rows 20000 --cols 50 --density 1 --out p.svm --xstar xs.json\n  softnewton solve --data p.svm --cols 50 --scale n --xstar xs.json\n')
    .action(run);
}
