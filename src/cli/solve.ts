/**
 * `softnewton solve`: trains the model on a data file (any format of src/io/data.ts) and prints the result, as a readable
 * summary and trace table or (with --json) as one JSON object. Exit code 1 when the solve stops
 * without meeting its tolerance.
 */
import { Command } from 'commander';
import { AbortError } from '../errors';
import { Model } from '../model/model';
import { optionDefault, SOLVE_OPTIONS, solveOption } from '../options';
import { closeDefaultPool } from '../pool/pool';
import { solve, SolveOptions, SolveResult } from '../solve';
import type { MethodName } from '../types';
import { asFlagError, EXIT, jsonText, parseChoiceFlag } from './common';
import { createProgress } from './progress';
import { addDataFlags, DataFlags, loadProblem } from './data';
import { runDistributed } from './distributed';
import { addModelFlags, addSchemaFlags, flagsByField, ModelFlags, modelFlagSpecs, modelOptionsFrom, optionsFromFlags } from './flags';
import { addOutputFlags, checkOutputFlags, OutputFlags, writeOutputs } from './outputs';
import { checkModelFile } from './predict';
import { sampledTraceTable, SAMPLED_TABLE_ROWS, summaryLine, TABLE_MODES } from './report';

/** The solve options the command line offers: every option of the schema with a flag. */
const FLAGGED = SOLVE_OPTIONS.filter((s) => s.flag);

interface SolveFlags extends ModelFlags, DataFlags, OutputFlags {
  x0?: string;
  xstar?: string;
  json?: boolean;
  /** false with --no-progress */
  progress?: boolean;
  distributed?: boolean;
  saveModel?: string;
  standardize?: boolean;
  table?: string;
  /** The schema's flags, by commander's property name. */
  [flag: string]: unknown;
}

/** The API's fields → the flags that set them, from the schema: errors name the flag. */
const FLAGS_BY_FIELD = flagsByField([...modelFlagSpecs({ regularisation: true }), ...FLAGGED]);

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

/** The exit code after a signal: 128 + its number. */
const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

function printJson(result: SolveResult): void {
  const { x, loss, gradNorm, iterations, converged, stopReason, message, seconds, trace } = result;
  // With --starts, the top-level fields are the winning start's, and `starts` lists every start.
  const starts = result.starts?.map(({ seed, loss, gradNorm, iterations, converged, stopReason, trace }) => ({ seed, loss, gradNorm, iterations, converged, stopReason, trace }));
  const warnings = result.warnings ?? [];
  process.stdout.write(`${jsonText({ x: Array.from(x), loss, gradNorm, iterations, converged, stopReason, message, seconds, trace, ...(starts ? { best: result.best, starts } : {}), warnings })}\n`);
}

async function run(flags: SolveFlags): Promise<void> {
  const modelOptions = modelOptionsFrom(flags);
  const options = solveOptionsFrom(flags);
  checkOutputFlags(flags);
  if (flags.distributed) return runDistributed(flags, modelOptions, options, FLAGS_BY_FIELD);
  checkModelFile('--save-model', flags.saveModel);
  const table = flags.table === undefined ? 'auto' : parseChoiceFlag('--table', flags.table, TABLE_MODES);
  const { problem, points, standardization, columns, target } = await loadProblem(flags, modelOptions, { '--x0': flags.x0, '--xstar': flags.xstar }, FLAGS_BY_FIELD, { standardize: flags.standardize });
  options.x0 ??= points['--x0'];
  options.xStar ??= points['--xstar'];
  // Progress on stderr: bars on a terminal, plain lines otherwise, nothing with --json.
  const progress = createProgress({
    stream: process.stderr, enabled: !flags.json && flags.progress !== false, starts: options.starts ?? 1,
    tol: options.tol ?? (optionDefault(solveOption('tol')) as number), atol: options.atol ?? (optionDefault(solveOption('atol')) as number),
    maxIter: options.maxIter ?? (optionDefault(solveOption('maxIter')) as number),
  });
  options.onIteration = (row, start) => progress.onIteration(row, start);
  // SIGINT/SIGTERM: the first cancels the solve (it stops within one iteration) and the point
  // reached is still written, marked stopReason "cancelled"; a second one exits at once.
  const controller = new AbortController();
  let signalled: NodeJS.Signals | undefined;
  const onSignal = (name: NodeJS.Signals) => {
    if (signalled !== undefined) {
      // process.exit() would wait for libuv's thread pool, where a blocked output write (a stalled
      // file system, a FIFO) can hang for good: end the process by the signal itself instead.
      stopListening();
      process.kill(process.pid, name);
      return;
    }
    signalled = name;
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const stopListening = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  options.signal = controller.signal;
  let result: SolveResult;
  try {
    result = await solve(problem, options);
  } catch (error) {
    if (!(signalled !== undefined && error instanceof AbortError)) asFlagError(error, FLAGS_BY_FIELD);
    const reached = (error as AbortError & { result?: SolveResult }).result;
    if (reached === undefined) {
      // With --starts, no start had reached a point yet (each start's point reached is kept otherwise).
      process.stderr.write(`softnewton: ${signalled}: solve cancelled; nothing written\n`);
      process.exitCode = SIGNAL_EXIT[signalled];
      return;
    }
    result = reached;
  } finally {
    // After a signal the handlers stay until the cancelled outputs are written: a second signal
    // during that write must still exit at once with its code, not end the process by the signal.
    if (signalled === undefined) stopListening();
    progress.stop();
    if (options.starts !== undefined) await closeDefaultPool();
  }
  const warnings = result.warnings ?? [];
  for (const warning of warnings) process.stderr.write(`softnewton: warning: ${warning}\n`);
  if (signalled !== undefined) {
    if (flags.json) printJson(result);
    try {
      await writeOutputs(flags, result, { subtitle: `${flags.data}, cancelled by ${signalled}` });
    } finally {
      stopListening();
    }
    const written = [flags.outX, flags.outTrace, flags.plot].filter((f) => f !== undefined);
    process.stderr.write(`softnewton: ${signalled}: solve cancelled after ${result.iterations} iterations (stopReason cancelled, loss ${result.loss.toExponential(6)})${written.length ? `; wrote ${written.join(', ')}` : ''}\n`);
    process.exitCode = SIGNAL_EXIT[signalled];
    return;
  }
  if (flags.json) {
    printJson(result);
  } else {
    process.stdout.write(
      `${summaryLine(result, options.method ?? DEFAULT_METHOD)}\n` +
        `data: ${flags.data} (${problem.rows} rows, ${problem.cols} columns, ${problem.nnz} non-zeros), model ${problem.model}/${problem.unit}\n\n` +
        (result.starts ? `${result.starts.length} starts, best ${(result.best ?? 0) + 1}:\n${startsTable(result)}\n\ntrace of start ${(result.best ?? 0) + 1}:\n` : '') +
        `${table === 'none' ? '' : `${sampledTraceTable(result.trace, table === 'full' ? Infinity : SAMPLED_TABLE_ROWS)}\n`}`,
    );
  }
  if (flags.saveModel !== undefined) {
    const model = Model.fromSolve(problem, result, { method: options.method ?? DEFAULT_METHOD, data: flags.data, standardization, columns, target });
    await model.save(flags.saveModel);
  }
  await writeOutputs(flags, result, { subtitle: `${flags.data} (${problem.rows} × ${problem.cols}), ${problem.model}/${problem.unit}, ${options.method ?? DEFAULT_METHOD}` });
  if (!result.converged) process.exitCode = EXIT.notConverged;
}

export function register(program: Command): void {
  const command = program
    .command('solve')
    .description('train the model on a data file by (approximate) Newton or a baseline; exit 1 if it does not converge');
  addDataFlags(command);
  addModelFlags(command, { regularisation: true, scaleDefault: 'n for model softmax-unit, 1 for the others' });
  addOutputFlags(command);
  addSchemaFlags(command, FLAGGED);
  command
    .option('--json', 'print one JSON object {x, loss, gradNorm, iterations, converged, stopReason, message, seconds, trace, warnings} (with --starts also best, the index of the winner, and starts: [{seed, loss, gradNorm, iterations, converged, stopReason, trace}], top-level fields from the best start)')
    .option('--distributed', 'solve across the ranks of an MPI job (mpirun -np R softnewton solve --distributed …): each rank reads its block of rows of --data, or its own file with a {rank} pattern; rank 0 writes the report (docs/distributed.md)')
    .option('--no-progress', 'no progress on stderr (shown by default without --json: bars on a terminal, lines otherwise)')
    .option('--save-model <file.json>', 'save the trained model (x, the model settings, preprocessing, a training summary) for predict, score and warm starts (docs/models.md)')
    .option('--standardize', 'scale each column of C to mean 0 and standard deviation 1 (sparse data: deviation 1 only) before training; --save-model records it and predict applies it')
    .option('--table <mode>', `the trace table of the report: ${TABLE_MODES.join(', ')} (default auto: every row up to ${SAMPLED_TABLE_ROWS} rows, else the first and last; none: the summary only)`)
    .addHelpText('after', '\nExamples:\n  softnewton generate --rows 20000 --cols 50 --density 1 --out p.svm --xstar xs.json\n' +
      '  softnewton solve --data p.svm --cols 50 --scale n --xstar xs.json --plot conv.svg --out-x x.npy --out-trace trace.csv\n' +
      '  softnewton solve --data C.mtx --target b.txt --scale n --method approx-newton --sketch leverage --json\n' +
      '  softnewton solve --data table.csv.gz --target-column price --config solve.json\n' +
      '  softnewton solve --data train.csv --target-column price --unit sigmoid --standardize --save-model model.json\n')
    .action(run);
}
