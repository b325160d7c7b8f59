/**
 * Progress of `softnewton solve` on stderr, one trace row at a time: a bar per start (cli-progress)
 * when stderr is a terminal, one plain line per trace row otherwise, nothing with --json or
 * --no-progress (stdout carries only the result either way).
 *
 * A Newton solve's iteration count is not known in advance, so a bar measures how far the gradient
 * has come towards the tolerance on a log scale, log(‖∇L₀‖/‖∇L‖) / log(‖∇L₀‖/target) with
 * target = max(tol·‖∇L₀‖, atol), or the share of maxIter used, whichever is further.
 */
import { MultiBar, Presets, SingleBar } from 'cli-progress';
import type { TraceRow } from '../types';

export interface Progress {
  onIteration(row: TraceRow, start: number): void;
  /** Ends the display (bars left as they are, the cursor restored). */
  stop(): void;
}

export interface ProgressOptions {
  stream: NodeJS.WriteStream;
  /** False: no output at all. */
  enabled: boolean;
  starts: number;
  tol: number;
  atol: number;
  maxIter: number;
}

function sci(v: number): string {
  return v === 0 ? '0' : v.toExponential(3);
}

/** The fraction of the way to the stopping rule, in [0, 1]. */
export function fractionDone(row: TraceRow, initialGradNorm: number, o: Pick<ProgressOptions, 'tol' | 'atol' | 'maxIter'>): number {
  const byIterations = o.maxIter > 0 ? row.iteration / o.maxIter : 1;
  const target = Math.max(o.tol * initialGradNorm, o.atol);
  let byGradient = 0;
  if (row.gradNorm <= target) byGradient = 1;
  else if (target > 0 && initialGradNorm > target) byGradient = Math.log(initialGradNorm / row.gradNorm) / Math.log(initialGradNorm / target);
  return Math.min(1, Math.max(0, byIterations, byGradient));
}

export function createProgress(o: ProgressOptions): Progress {
  if (!o.enabled) return { onIteration: () => undefined, stop: () => undefined };
  const initial = new Map<number, number>();
  const label = (start: number) => (o.starts > 1 ? `start ${start + 1}/${o.starts}` : 'solve');

  if (!o.stream.isTTY) {
    return {
      onIteration(row, start) {
        o.stream.write(`${label(start)}: iteration ${row.iteration}, loss ${sci(row.loss)}, ‖∇L‖ ${sci(row.gradNorm)}\n`);
      },
      stop: () => undefined,
    };
  }

  const multi = new MultiBar(
    {
      stream: o.stream,
      format: ' {label} |{bar}| {percentage}% | iteration {iteration} | loss {loss} | ‖∇L‖ {grad}',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      fps: 10,
    },
    Presets.shades_classic,
  );
  // One bar per start, created up front so that they stay in start order.
  const bars: SingleBar[] = [];
  for (let start = 0; start < o.starts; start++) bars.push(multi.create(1000, 0, { label: label(start), iteration: '-', loss: '-', grad: '-' }));
  return {
    onIteration(row, start) {
      if (!initial.has(start)) initial.set(start, row.gradNorm);
      const payload = { label: label(start), iteration: row.iteration, loss: sci(row.loss), grad: sci(row.gradNorm) };
      bars[start]?.update(Math.round(1000 * fractionDone(row, initial.get(start)!, o)), payload);
    },
    stop() {
      multi.stop();
    },
  };
}
