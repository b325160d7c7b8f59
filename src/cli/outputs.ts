/**
 * What `solve` can write besides its report: the solution (`--out-x`, JSON or .npy), the trace
 * (`--out-trace`, CSV or JSON) and the convergence chart (`--plot`, SVG). With several starts the
 * trace and the chart hold one run per start.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { InputError } from '../errors';
import { TraceRun, writeTrace, writeVector } from '../io/results';
import { writeConvergencePlot } from '../plot/convergence';
import type { SolveResult, TraceRow } from '../types';

export interface OutputFlags {
  outX?: string;
  outTrace?: string;
  plot?: string;
}

export function addOutputFlags(command: Command): Command {
  return command
    .option('--out-x <file>', 'write the solution x: .json (an array) or .npy (float64), optionally .gz')
    .option('--out-trace <file>', 'write the trace: .csv or .json (one row per iteration and run), optionally .gz')
    .option('--plot <file>', 'draw ‖∇L‖ and ‖x_t − x*‖ per iteration (log scale), one line per start: .svg or .png');
}

/** A path made canonical for comparison: absolute, with symbolic links resolved as far as they exist. */
function canonical(file: string): string {
  let absolute = path.resolve(file);
  for (let hops = 0; hops < 40; hops++) { // a dangling link names the file it would create
    try {
      if (!fs.lstatSync(absolute).isSymbolicLink()) break;
      absolute = path.resolve(path.dirname(absolute), fs.readlinkSync(absolute));
    } catch {
      break;
    }
  }
  try {
    return fs.realpathSync(absolute);
  } catch {
    try {
      return path.join(fs.realpathSync(path.dirname(absolute)), path.basename(absolute));
    } catch {
      return absolute;
    }
  }
}

/**
 * Refuses two output flags that name the same file (also through a symbolic link or `./`): one
 * output would silently overwrite the other (`generate --out f --xstar f`, `--out-x f --out-trace f`).
 */
export function refuseSameOutputs(outputs: readonly (readonly [flag: string, file: string | undefined])[]): void {
  const seen = new Map<string, string>();
  for (const [flag, file] of outputs) {
    if (file === undefined) continue;
    const key = canonical(file);
    const other = seen.get(key);
    if (other !== undefined) throw new InputError(`${other}, ${flag}`, `both name the file ${JSON.stringify(file)}: one output would overwrite the other`);
    seen.set(key, flag);
  }
}

/** Checks the output names before the (possibly long) work, so a typo costs nothing. */
export function checkOutputFlags(flags: OutputFlags): void {
  refuseSameOutputs([['--out-x', flags.outX], ['--out-trace', flags.outTrace], ['--plot', flags.plot]]);
  const check = (flag: string, file: string | undefined, pattern: RegExp, expected: string) => {
    if (file !== undefined && !pattern.test(file)) throw new InputError(flag, `expected a file name ending in ${expected}, received ${JSON.stringify(file)}`);
  };
  check('--out-x', flags.outX, /\.(json|npy)(\.gz)?$/i, '.json or .npy (optionally + .gz)');
  check('--out-trace', flags.outTrace, /\.(csv|json)(\.gz)?$/i, '.csv or .json (optionally + .gz)');
  check('--plot', flags.plot, /\.(svg|png)$/i, '.svg or .png');
}

/** The runs of a result: one per start with --starts, else the single trace. */
export function runsOf(result: SolveResult): TraceRun[] {
  const starts = (result as SolveResult & { starts?: { trace: TraceRow[] }[] }).starts;
  if (starts && starts.length > 0) return starts.map((s, k) => ({ run: `start ${k + 1}`, trace: s.trace }));
  return [{ run: 'start 1', trace: result.trace }];
}

export async function writeOutputs(flags: OutputFlags, result: SolveResult, context: { subtitle: string }): Promise<void> {
  if (flags.outX !== undefined) await writeVector(flags.outX, result.x);
  const runs = runsOf(result);
  if (flags.outTrace !== undefined) await writeTrace(flags.outTrace, runs);
  if (flags.plot !== undefined) {
    await writeConvergencePlot(flags.plot, runs.map(({ run, trace }) => ({ label: String(run), trace })), {
      title: 'softnewton solve: convergence',
      subtitle: context.subtitle,
      legend: 'start',
    });
  }
}
