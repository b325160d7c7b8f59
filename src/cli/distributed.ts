/**
 * `softnewton solve --distributed`: the same solve, by every rank of an MPI job on its block of the
 * rows (docs/distributed.md). Every rank parses the same flags; rank 0 alone writes the report and
 * the output files, and every rank exits with the code the result or the error deserves.
 *
 * An error every rank shares (a bad line in one rank's shard, different flags on two ranks) ends
 * MPI cleanly and exits 2 everywhere, with the message printed once, by rank 0. An error only one
 * rank meets makes that rank exit non-zero without ending MPI, which aborts the whole job
 * (src/distributed/comm.ts): no rank is left waiting.
 */
import { DataFormat, DATA_FORMATS, detectFormat } from '../io/data';
import { InputError } from '../errors';
import { init, isAgreed, markAgreed } from '../distributed/comm';
import { readShard } from '../distributed/shard';
import { solveDistributed } from '../distributed/solve';
import type { ModelOptions } from '../problem';
import type { SolveOptions } from '../solve';
import { asFlagError, EXIT, parseChoiceFlag, readVectorFile, reportError } from './common';
import { colsFromFlags, DATA_FLAGS_BY_FIELD, DataFlags } from './data';
import { OutputFlags, writeOutputs } from './outputs';
import { createProgress } from './progress';
import { summaryLine, traceTable } from './report';

export interface DistributedFlags extends DataFlags, OutputFlags {
  saveModel?: string;
  standardize?: boolean;
  table?: string;
  x0?: string;
  xstar?: string;
  json?: boolean;
  progress?: boolean;
}

export async function runDistributed(
  flags: DistributedFlags,
  model: ModelOptions,
  options: SolveOptions,
  flagsByField: Readonly<Record<string, string>>,
): Promise<void> {
  const comm = await init();
  try {
    await solveOnEveryRank(comm.rank, flags, model, options, flagsByField);
    comm.finalize();
  } catch (error) {
    if (!isAgreed(error)) throw error; // this rank alone: its non-zero exit aborts the job
    comm.finalize();
    if (comm.rank === 0) throw error; // reported once, by main's handler
    process.exitCode = reportError(error, () => undefined);
  }
}

async function solveOnEveryRank(
  rank: number,
  flags: DistributedFlags,
  model: ModelOptions,
  options: SolveOptions,
  flagsByField: Readonly<Record<string, string>>,
): Promise<void> {
  const comm = await init();
  let format: DataFormat | undefined;
  let cols: number | undefined;
  let failure: unknown;
  try {
    if (options.starts !== undefined) throw new InputError('--starts', 'multi-start is not available with --distributed: run separate jobs with different seeds');
    // Not (yet) with --distributed: each needs the whole data (column statistics) or a model writer
    // that knows the shards; refused rather than ignored.
    for (const [flag, given] of [['--save-model', flags.saveModel], ['--standardize', flags.standardize], ['--table', flags.table]] as const) {
      if (given !== undefined) throw new InputError(flag, 'not available with --distributed (docs/distributed.md)');
    }
    format = flags.format === undefined ? detectFormat(flags.data.replaceAll('{rank}', '0')) : parseChoiceFlag('--format', flags.format, DATA_FORMATS);
    cols = colsFromFlags(flags);
    if (format === 'libsvm' && cols === undefined) throw new InputError('--cols', `required for LIBSVM data (${flags.data}): the file does not record d, and trailing columns may be empty`);
  } catch (error) {
    failure = error;
  }
  comm.agree(failure);
  let shard;
  try {
    shard = await readShard(comm, flags.data, { ...model, format, cols, target: flags.target, targetColumn: flags.targetColumn });
  } catch (error) {
    rethrowAsFlag(error, { ...DATA_FLAGS_BY_FIELD, ...flagsByField });
  }
  try {
    if (flags.x0 !== undefined) options.x0 ??= await readVectorFile('--x0', flags.x0, shard.cols);
    if (flags.xstar !== undefined) options.xStar ??= await readVectorFile('--xstar', flags.xstar, shard.cols);
    failure = undefined;
  } catch (error) {
    failure = error;
  }
  comm.agree(failure);
  const progress = createProgress({
    stream: process.stderr, enabled: rank === 0 && !flags.json && flags.progress !== false, starts: 1,
    tol: options.tol ?? 1e-8, atol: options.atol ?? 0, maxIter: options.maxIter ?? 100,
  });
  const { onIteration: _ignored, starts: _starts, ...rest } = options;
  let result;
  try {
    result = await solveDistributed(shard, { ...rest, onIteration: (row) => progress.onIteration(row, 0) });
  } catch (error) {
    rethrowAsFlag(error, flagsByField);
  } finally {
    progress.stop();
  }
  failure = undefined;
  if (rank === 0) {
    try {
      if (flags.json) {
        const { x, loss, gradNorm, iterations, converged, stopReason, message, seconds, trace, ranks, communication } = result;
        process.stdout.write(`${JSON.stringify({ x: Array.from(x), loss, gradNorm, iterations, converged, stopReason, message, seconds, trace, ranks, communication })}\n`);
      } else {
        process.stdout.write(
          `${summaryLine(result, options.method ?? 'newton-pcg')}\n` +
            `data: ${flags.data} (${shard.globalRows} rows over ${result.ranks} ranks, ${shard.cols} columns, ${shard.globalNnz} non-zeros), model ${shard.problem.model}/${shard.problem.unit}\n` +
            `communication per rank: ${result.communication.allreduces} allreduces, ${result.communication.bytes} bytes (${Math.round(result.communication.bytesPerIteration)} per iteration)\n\n` +
            `${traceTable(result.trace)}\n`,
        );
      }
      await writeOutputs(flags, result, { subtitle: `${flags.data} (${shard.globalRows} × ${shard.cols}, ${result.ranks} ranks), ${shard.problem.model}/${shard.problem.unit}, ${options.method ?? 'newton-pcg'}` });
    } catch (error) {
      failure = error;
    }
  }
  comm.agree(failure);
  if (!result.converged) process.exitCode = EXIT.notConverged;
}

/** An API error about an option, re-thrown as one about its flag, keeping its "agreed" mark. */
function rethrowAsFlag(error: unknown, flags: Readonly<Record<string, string>>): never {
  try {
    asFlagError(error, flags);
  } catch (renamed) {
    // asFlagError builds a new InputError from an agreed one: every rank builds the same.
    if (renamed !== error && isAgreed(error)) markAgreed(renamed as Error);
    throw renamed;
  }
}
