/**
 * The MPI job as this process sees it: its rank, the number of ranks, and the few collectives the
 * TypeScript layer needs (sums and maxima, agreeing on an error, checking that every rank was given
 * the same options). Every method here is collective unless it says otherwise: all ranks call it,
 * in the same order.
 *
 * How a job ends (docs/distributed.md): a clean end calls finalize() on every rank. A rank that
 * exits non-zero without it takes the whole job down with MPI_Abort (from the process's `exit`
 * handler), and a rank that dies outright is noticed by the launcher, which ends the others: no
 * rank is left waiting in a collective. Errors that every rank knows of (a bad line in one rank's
 * shard, after agree()) end every rank the usual way, with the usual exit code.
 */
import { DataFormatError, InputError, SoftnewtonError } from '../errors';
import { mpiAddon } from './addon';

/** The longest error message agree() carries from one rank to the others (UTF-16 code units). */
const MESSAGE_UNITS = 4096;

export class Communicator {
  readonly rank: number;
  readonly size: number;
  /** The MPI library's version string. */
  readonly library: string;
  private finalized = false;

  /** @internal use {@link init} */
  constructor(info: { rank: number; size: number; library: string }) {
    this.rank = info.rank;
    this.size = info.size;
    this.library = info.library;
  }

  /** Elementwise sum over ranks, in place; returns `values`. */
  sum(values: Float64Array): Float64Array {
    return mpiAddon().allreduce(values, 'sum');
  }

  /** Elementwise maximum over ranks, in place; returns `values`. */
  max(values: Float64Array): Float64Array {
    return mpiAddon().allreduce(values, 'max');
  }

  /** One number per rank, gathered on every rank (entry r is rank r's value). */
  gather(value: number): Float64Array {
    const all = new Float64Array(this.size);
    all[this.rank] = value;
    return this.sum(all);
  }

  /**
   * Every rank passes the error it met (or undefined). When any rank met one, every rank throws the
   * error of the lowest such rank — an InputError or DataFormatError keeps its class, field, file
   * and line, so each rank exits with the code that error deserves; anything else becomes an Error.
   */
  agree(error: unknown): void {
    const failed = this.gather(error === undefined ? 0 : 1);
    const first = failed.findIndex((f) => f !== 0);
    if (first < 0) return;
    const units = new Float64Array(MESSAGE_UNITS);
    if (first === this.rank) {
      const text = JSON.stringify(describeError(error)).slice(0, MESSAGE_UNITS);
      for (let k = 0; k < text.length; k++) units[k] = text.charCodeAt(k);
    }
    this.sum(units);
    let text = '';
    for (let k = 0; k < MESSAGE_UNITS && units[k] !== 0; k++) text += String.fromCharCode(units[k]);
    let described: DescribedError;
    try {
      described = JSON.parse(text) as DescribedError;
    } catch {
      described = { kind: 'other', message: `rank ${first} failed (its message was too long to pass on: ${text.slice(0, 200)}…)` };
    }
    throw markAgreed(rebuildError(described, first));
  }

  /**
   * Checks that every rank has the same `value` (compared by a hash of its JSON); when not, every
   * rank throws an InputError naming `what` and the first rank that differs from rank 0.
   */
  requireSame(what: string, value: unknown): void {
    const [high, low] = hash53(canonicalJson(value));
    const mine = new Float64Array([high, low, -high, -low]);
    const all = this.max(Float64Array.from(mine));
    if (all[0] === -all[2] && all[1] === -all[3]) return;
    // They differ: find which ranks differ from rank 0 (one more collective, on the failure path only).
    const zero = new Float64Array(2);
    if (this.rank === 0) zero.set([high, low]);
    this.sum(zero);
    const differs = this.gather(high !== zero[0] || low !== zero[1] ? 1 : 0);
    const rank = differs.findIndex((d) => d !== 0);
    throw markAgreed(new InputError(what, `rank ${rank} was given different ${what} than rank 0: every rank of a distributed solve must be launched with the same flags and options`));
  }

  /** Ends MPI in this process. Collective: call it on every rank after the last collective. */
  finalize(): void {
    if (this.finalized) return;
    this.finalized = true;
    mpiAddon().finalize();
  }

  get isFinalized(): boolean {
    return this.finalized;
  }

  /** Ends every rank of the job now with `code` (MPI_Abort). Not collective. */
  abort(code: number): never {
    this.finalized = true;
    return mpiAddon().abort(code);
  }
}

const agreed = new WeakSet<object>();

export function markAgreed<T extends Error>(error: T): T {
  agreed.add(error);
  return error;
}

/** Whether every rank threw this same error (from agree() or requireSame()): each can end alike. */
export function isAgreed(error: unknown): boolean {
  return typeof error === 'object' && error !== null && agreed.has(error);
}

interface DescribedError {
  kind: 'format' | 'input' | 'other';
  message: string;
  field?: string;
  file?: string;
  line?: number;
}

function describeError(error: unknown): DescribedError {
  if (error instanceof DataFormatError) {
    return { kind: 'format', file: error.file, line: error.line, field: error.field, message: error.message.slice(error.field.length + 2) };
  }
  if (error instanceof InputError) return { kind: 'input', field: error.field, message: error.message.slice(error.field.length + 2) };
  return { kind: 'other', message: error instanceof Error ? error.message : String(error) };
}

function rebuildError(e: DescribedError, rank: number): Error {
  if (e.kind === 'format') return new DataFormatError(e.file ?? '?', e.line ?? undefined, e.message);
  if (e.kind === 'input') return new InputError(e.field ?? '?', e.message);
  return new SoftnewtonError(`rank ${rank}: ${e.message}`);
}

/** JSON with object keys sorted and typed arrays as arrays, so equal values give equal text. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>);
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    if (typeof v === 'function') return undefined;
    return v;
  });
}

/** Two 26-bit FNV-1a halves of a string's hash: exact as doubles, so max over ranks compares them. */
function hash53(text: string): [number, number] {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) >>> 0;
  }
  return [h1 & 0x3ffffff, h2 & 0x3ffffff];
}

let current: Communicator | undefined;

/**
 * Initialises MPI (once per process) and returns this process's view of the job. Under `mpirun`,
 * `srun` or the MPI Operator every rank calls it; a script run alone is a job of one rank.
 */
export async function init(): Promise<Communicator> {
  if (current) return current;
  const info = mpiAddon().init();
  const comm = new Communicator(info);
  current = comm;
  process.on('exit', (code) => {
    if (comm.isFinalized) return;
    // A clean exit ends MPI collectively (every rank exits cleanly); any other exit ends the job,
    // so that no other rank is left waiting in a collective for this one.
    if (code === 0) comm.finalize();
    else comm.abort(code);
  });
  return comm;
}

/** The communicator, once {@link init} has run; undefined before. */
export function communicator(): Communicator | undefined {
  return current;
}
