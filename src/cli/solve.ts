/**
 * `softnewton solve`: trains the model on a data file (any format of src/io/data.ts) and prints the result, as a readable
 * summary and trace table or (with --json) as one JSON object. Exit code 1 when the solve stops
 * without meeting its tolerance.
 */
import { Command } from 'commander';
import { optionDefault, SOLVE_OPTIONS, solveOption } from '../options';
import { closeDefaultPool } from '../pool/pool';
import { solve, SolveOptions, SolveResult } from '../solve';
import type { MethodName } from '../types';
import { addModelFlags, asFlagError, EXIT, ModelFlags, modelOptionsFrom } from './common';
import { createProgress } from './progress';
import { addDataFlags, DataFlags, loadProblem } from './data';
import { addSchemaFlags, flagsByField, optionsFromFlags } from './flags';
import { addOutputFlags, checkOutputFlags, OutputFlags, writeOutputs } from './outputs';
import { summaryLine, traceTable } from './report';

/** The solve options the command line offers: every option of the schema with a flag. */
const FLAGGED = SOLVE_OPTIONS.filter((s) => s.flag);

interface SolveFlags extends ModelFlags, DataFlags, OutputFlags {
  x0?: string;
  xstar?: string;
  json?: boolean;
  /** false with --no-progress */
  progress?: boolean;
  /** The schema's flags, by commander's property name. */
  [flag: string]: unknown;
}

const FLAGS_BY_FIELD = {
  model: '--model', unit: '--unit', scale: '--scale', bias: '--bias', w: '--w', ridge: '--ridge', ...flagsByField(FLAGGED),
};

/** The solver options named by the flags; flags not given stay undefined so the API's defaults apply. */
export function solveOptionsFrom(flags: SolveFlags): SolveOptions {
  return optionsFromFlags(flags, FLAGGED) as SolveOptions;
}

const DEFAULT_METHOD = optionDefault(solveOption('method')) as MethodName;

/** One line per start: the multi-start summary of the text report. */
function startsTable(result: SolveResult): string {
  const header = ['start', 'seed', 'loss', '‖∇L‖', 'iterations', 'stop reason', ''];
  const rows = (result.starts ?? []).map((s, i) => [
    String(i + 1), String(s.seed), s.loss.toExponential(6), s.gradNorm.toExponential(2), String(s.iterations), s.stopReason,
    i === result.best ? '← best' : '',
  ]);
  const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k].length)));
  const line = (cells: string[]) => cells.map((c, k) => c.padStart(widths[k])).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

async function run(flags: SolveFlags): Promise<void> {
  const modelOptions = modelOptionsFrom(flags);
  const options = solveOptionsFrom(flags);
  checkOutputFlags(flags);
  const { problem, points } = await loadProblem(flags, modelOptions, { '--x0': flags.x0, '--xstar': flags.xstar }, FLAGS_BY_FIELD);
  options.x0 ??= points['--x0'];
  options.xStar ??= points['--xstar'];
  // Progress on stderr: bars on a terminal, plain lines otherwise, nothing with --json.
  const progress = createProgress({
    stream: process.stderr, enabled: !flags.json && flags.progress !== false, starts: options.starts ?? 1,
    tol: options.tol ?? (optionDefault(solveOption('tol')) as number), atol: options.atol ?? (optionDefault(solveOption('atol')) as number),
    maxIter: options.maxIter ?? (optionDefault(solveOption('maxIter')) as number),
  });
  options.onIteration = (row, start) => progress.onIteration(row, start);
  let result;
  try {
    result = await solve(problem, options);
  } catch (error) {
    asFlagError(error, FLAGS_BY_FIELD);
  } finally {
    progress.stop();
    if (options.starts !== undefined) await closeDefaultPool();
  }
  if (flags.json) {
    const { x, loss, gradNorm, iterations, converged, stopReason, message, seconds, trace } = result;
    // With --starts, the top-level fields are the winning start's, and `starts` lists every start.
    const starts = result.starts?.map(({ seed, loss, gradNorm, iterations, converged, trace }) => ({ seed, loss, gradNorm, iterations, converged, trace }));
    process.stdout.write(`${JSON.stringify({ x: Array.from(x), loss, gradNorm, iterations, converged, stopReason, message, seconds, trace, ...(starts ? { starts } : {}) })}\n`);
  } else {
    process.stdout.write(
      `${summaryLine(result, options.method ?? DEFAULT_METHOD)}\n` +
        `data: ${flags.data} (${problem.rows} rows, ${problem.cols} columns, ${problem.nnz} non-zeros), model ${problem.model}/${problem.unit}\n\n` +
        (result.starts ? `${result.starts.length} starts, best ${(result.best ?? 0) + 1}:\n${startsTable(result)}\n\ntrace of start ${(result.best ?? 0) + 1}:\n` : '') +
        `${traceTable(result.trace)}\n`,
    );
  }
  await writeOutputs(flags, result, { subtitle: `${flags.data} (${problem.rows} × ${problem.cols}), ${problem.model}/${problem.unit}, ${options.method ?? DEFAULT_METHOD}` });
  if (!result.converged) process.exitCode = EXIT.notConverged;
}

export function register(program: Command): void {
  const command = program
    .command('solve')
    .description('train the model on a data file by (approximate) Newton or a baseline; exit 1 if it does not converge');
  addDataFlags(command);
  addModelFlags(command, { regularisation: true, scaleDefault: '1' });
  addOutputFlags(command);
  addSchemaFlags(command, FLAGGED);
  command
    .option('--json', 'print one JSON object {x, loss, gradNorm, iterations, converged, stopReason, message, seconds, trace} (with --starts also starts: [{seed, loss, gradNorm, iterations, converged, trace}], top-level fields from the best start)')
    .option('--no-progress', 'no progress on stderr (shown by default without --json: bars on a terminal, lines otherwise)')
    .addHelpText('after', '\nExamples:\n  softnewton generate --rows 20000 --cols 50 --density 1 --out p.svm --xstar xs.json\n' +
      '  softnewton solve --data p.svm --cols 50 --scale n --xstar xs.json --plot conv.svg --out-x x.npy --out-trace trace.csv\n' +
      '  softnewton solve --data C.mtx --target b.txt --scale n --method approx-newton --sketch leverage --json\n' +
      '  softnewton solve --data table.csv.gz --target-column price --config solve.json\n')
    .action(run);
}
