/**
 * Loads the second native addon, softnewton_mpi (native/distributed/), which links Open MPI. Only a
 * distributed solve loads it: the main addon never needs libmpi (docs/distributed.md).
 */
import * as path from 'node:path';
import { InputError } from '../errors';
import type { NativeProblemSpec } from '../native';
import type { NativeSolveOptions, TraceRow } from '../solve';

export interface MpiTraffic {
  /** MPI_Allreduce calls made by the solve on this rank. */
  allreduces: number;
  /** Doubles reduced, summed over those calls. */
  values: number;
  /** 8 × values: the payload this rank contributed. */
  bytes: number;
}

export interface MpiAddon {
  init(): { rank: number; size: number; threadLevel: number; library: string };
  finalize(): void;
  abort(code: number): never;
  allreduce(values: Float64Array, op: 'sum' | 'max'): Float64Array;
  /** newton-pcg's default sketch rows for a problem of `rows` rows (the core's rule). */
  preconditionerRows(rows: number, cols: number, nnz: number): number;
  solve(spec: NativeProblemSpec, options: NativeSolveOptions, rowOffset: number, onIteration?: (row: TraceRow) => void): Promise<{ result: unknown; traffic: MpiTraffic }>;
}

let addon: MpiAddon | undefined;

export function mpiAddon(): MpiAddon {
  if (addon) return addon;
  const file = path.resolve(__dirname, '..', '..', '..', 'build', 'Release', 'softnewton_mpi.node');
  try {
    addon = require(file) as MpiAddon;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    // An InputError: a set-up the user can fix, reported in one line (exit 2), not a crash.
    throw new InputError('distributed', `cannot load the MPI addon ${file} (${reason.split('\n')[0]}); it is built only where ` +
      'Open MPI is installed: apt-get install libopenmpi-dev openmpi-bin, then `npm run ensure` (docs/distributed.md)');
  }
  return addon;
}
