/**
 * `softnewton solve`: trains the model on a LIBSVM file and prints the result, as a readable
 * summary and trace table or (with --json) as one JSON object. Exit code 1 when the solve stops
 * without meeting its tolerance.
 */
import { Command } from 'commander';
import { AbortError } from '../errors';
import { jsonText } from './common';
import { closeDefaultPool } from '../pool/pool';
import { MAX_STARTS, METHODS, SKETCHES, solve, SolveOptions, SolveResult } from '../solve';
import {
  addModelFlags, asFlagError, EXIT, ModelFlags, modelOptionsFrom, parseChoiceFlag, parseIntegerFlag, parseNumberFlag,
} from './common';
import { createProgress } from './progress';
import { addDataFlags, DataFlags, loadProblem } from './data';
import { addOutputFlags, checkOutputFlags, OutputFlags, writeOutputs } from './outputs';
import { sampledTraceTable, SAMPLED_TABLE_ROWS, summaryLine, TABLE_MODES } from './report';
import { runDistributed } from './distributed';
import { Model } from '../model/model';
import { checkModelFile } from './predict';

interface SolveFlags extends ModelFlags, DataFlags, OutputFlags {
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
  starts?: string;
  threads?: string;
  maxMemory?: string;
  json?: boolean;
  /** false with --no-progress */
  progress?: boolean;
  distributed?: boolean;
  saveModel?: string;
  standardize?: boolean;
  table?: string;
}

const FLAGS_BY_FIELD = {
  model: '--model', unit: '--unit', scale: '--scale', bias: '--bias', w: '--w', ridge: '--ridge', method: '--method',
  sketch: '--sketch', sketchRows: '--sketch-rows', eps0: '--eps0', tol: '--tol', atol: '--atol', maxIter: '--max-iter',
  seed: '--seed', x0: '--x0', xStar: '--xstar', osnapNonzeros: '--sketch-rows', starts: '--starts', threads: '--threads',
  maxMemoryBytes: '--max-memory',
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
  if (flags.starts !== undefined) options.starts = parseIntegerFlag('--starts', flags.starts, 1, MAX_STARTS);
  if (flags.threads !== undefined) options.threads = parseIntegerFlag('--threads', flags.threads, 1, 256);
  if (flags.maxMemory !== undefined) options.maxMemoryBytes = parseNumberFlag('--max-memory', flags.maxMemory, { min: 0, exclusiveMin: true });
  return options;
}

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
    tol: options.tol ?? 1e-8, atol: options.atol ?? 0, maxIter: options.maxIter ?? 100,
  });
  options.onIteration = (row, start) => progress.onIteration(row, start);
  // SIGINT/SIGTERM: the first cancels the solve (it stops within one iteration) and the point
  // reached is still written, marked stopReason "cancelled"; a second one exits at once.
  const controller = new AbortController();
  let signalled: NodeJS.Signals | undefined;
  const onSignal = (name: NodeJS.Signals) => {
    if (signalled !== undefined) process.exit(SIGNAL_EXIT[name]);
    signalled = name;
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  options.signal = controller.signal;
  let result: SolveResult;
  try {
    result = await solve(problem, options);
  } catch (error) {
    if (!(signalled !== undefined && error instanceof AbortError)) asFlagError(error, FLAGS_BY_FIELD);
    const reached = (error as AbortError & { result?: SolveResult }).result;
    if (reached === undefined) {
      // With --starts the pool's workers are stopped; there is no single point to write.
      process.stderr.write(`softnewton: ${signalled}: solve cancelled; nothing written\n`);
      process.exitCode = SIGNAL_EXIT[signalled];
      return;
    }
    result = reached;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    progress.stop();
    if (options.starts !== undefined) await closeDefaultPool();
  }
  const warnings = result.warnings ?? [];
  for (const warning of warnings) process.stderr.write(`softnewton: warning: ${warning}\n`);
  if (signalled !== undefined) {
    if (flags.json) printJson(result);
    await writeOutputs(flags, result, { subtitle: `${flags.data}, cancelled by ${signalled}` });
    const written = [flags.outX, flags.outTrace, flags.plot].filter((f) => f !== undefined);
    process.stderr.write(`softnewton: ${signalled}: solve cancelled after ${result.iterations} iterations (stopReason cancelled, loss ${result.loss.toExponential(6)})${written.length ? `; wrote ${written.join(', ')}` : ''}\n`);
    process.exitCode = SIGNAL_EXIT[signalled];
    return;
  }
  if (flags.json) {
    printJson(result);
  } else {
    process.stdout.write(
      `${summaryLine(result, options.method ?? 'newton-pcg')}\n` +
        `data: ${flags.data} (${problem.rows} rows, ${problem.cols} columns, ${problem.nnz} non-zeros), model ${problem.model}/${problem.unit}\n\n` +
        (result.starts ? `${result.starts.length} starts, best ${(result.best ?? 0) + 1}:\n${startsTable(result)}\n\ntrace of start ${(result.best ?? 0) + 1}:\n` : '') +
        `${table === 'none' ? '' : `${sampledTraceTable(result.trace, table === 'full' ? Infinity : SAMPLED_TABLE_ROWS)}\n`}`,
    );
  }
  if (flags.saveModel !== undefined) {
    const model = Model.fromSolve(problem, result, { method: options.method ?? 'newton-pcg', data: flags.data, standardization, columns, target });
    await model.save(flags.saveModel);
  }
  await writeOutputs(flags, result, { subtitle: `${flags.data} (${problem.rows} × ${problem.cols}), ${problem.model}/${problem.unit}, ${options.method ?? 'newton-pcg'}` });
  if (!result.converged) process.exitCode = EXIT.notConverged;
}

export function register(program: Command): void {
  const command = program
    .command('solve')
    .description('train the model on a data file by (approximate) Newton or a baseline; exit 1 if it does not converge');
  addDataFlags(command);
  addModelFlags(command, { regularisation: true, scaleDefault: 'n for model softmax-unit, 1 for the others' });
  addOutputFlags(command);
  command
    .option('--method <name>', `${METHODS.join(', ')} (default newton-pcg)`)
    .option('--sketch <name>', `${SKETCHES.join(', ')} (default auto: exact when cheaper, else leverage)`)
    .option('--sketch-rows <k>', 'rows of the sketch (default: derived from --eps0)')
    .option('--eps0 <e>', "the sketch's target spectral error, in (0, 1) (default 0.5)")
    .option('--tol <t>', 'relative tolerance: stop when ‖∇L(x)‖ ≤ t·‖∇L(x₀)‖ (default 1e-8)')
    .option('--atol <a>', 'absolute tolerance: stop when ‖∇L(x)‖ ≤ a (default 0: off)')
    .option('--max-iter <n>', 'iterations at most (default 100)')
    .option('--seed <s>', 'seeds the start point and the sketches (default 0)')
    .option('--x0 <file>', 'start point: a JSON array of d numbers, a .npy vector (--out-x) or a model file (--save-model) (default: small seeded random)')
    .option('--xstar <file>', 'a known minimiser: the trace records ‖x_t − x*‖')
    .option('--starts <k>', 'run k independently seeded starts in parallel (worker threads) and keep the best: the converged start with the smallest final loss')
    .option('--threads <n>', 'native threads for the sketch\'s row passes (same result for every n; default 1, with --starts 1 per worker)')
    .option('--max-memory <bytes>', 'refuse a solve whose estimated memory exceeds this many bytes (default: half the machine\'s memory; docs/reliability.md)')
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
