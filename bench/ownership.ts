/**
 * What a Problem's ownership of its data costs (docs/reliability.md, "Problem data"): building a
 * Problem copies C, b and the per-row arrays into SharedArrayBuffers, unless they are in one
 * already. Measured here: the time of `new Problem` for arrays in ordinary memory (copied) and for
 * the same arrays already shared (not copied), the bytes added (external memory after a GC), and,
 * for scale, one evaluation of L and ∇L on the same problem.
 *
 *   node --expose-gc dist/bench/ownership.js                        # n = 10^6, d = 20, 10 % dense, CSR
 *   node --expose-gc dist/bench/ownership.js --rows 100000 --cols 50 --density 1
 */
import { Problem } from '../src';
import type { Matrix } from '../src';
import { shareArray } from '../src/pool/shared';

function argument(name: string, fallback: number): number {
  const k = process.argv.indexOf(`--${name}`);
  return k >= 0 ? Number(process.argv[k + 1]) : fallback;
}

const rows = argument('rows', 1_000_000);
const cols = argument('cols', 20);
const density = argument('density', 0.1);
const repeats = argument('repeats', 5);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function makeMatrix(): Matrix {
  let seed = 1;
  const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  if (density >= 1) return { rows, cols, data: Float64Array.from({ length: rows * cols }, () => random() - 0.5) };
  const perRow = Math.max(1, Math.round(density * cols));
  const indptr = new Int32Array(rows + 1);
  const indices = new Int32Array(rows * perRow);
  const values = new Float64Array(rows * perRow);
  for (let i = 0; i < rows; i++) {
    const start = Math.floor(random() * (cols - perRow + 1));
    for (let k = 0; k < perRow; k++) {
      indices[i * perRow + k] = start + k;
      values[i * perRow + k] = random() - 0.5;
    }
    indptr[i + 1] = (i + 1) * perRow;
  }
  return { rows, cols, indptr, indices, values };
}

function shared(C: Matrix): Matrix {
  return 'data' in C
    ? { rows: C.rows, cols: C.cols, data: shareArray(C.data) }
    : { rows: C.rows, cols: C.cols, indptr: shareArray(C.indptr), indices: shareArray(C.indices), values: shareArray(C.values) };
}

function best(f: () => void): number {
  let fastest = Infinity;
  for (let r = 0; r < repeats; r++) {
    const t = process.hrtime.bigint();
    f();
    fastest = Math.min(fastest, Number(process.hrtime.bigint() - t) / 1e6);
  }
  return fastest;
}

const C = makeMatrix();
const b = Float64Array.from({ length: rows }, (_, i) => (i % 7) / 7);
const sharedC = shared(C);
const sharedB = shareArray(b);
const dataBytes = ('data' in C ? C.data.byteLength : C.indptr.byteLength + C.indices.byteLength + C.values.byteLength) + b.byteLength;

gc();
const before = process.memoryUsage();
let kept: Problem | undefined = new Problem(C, b, { w: 0.1 });
gc();
const after = process.memoryUsage();
const added = after.external + after.arrayBuffers - before.external - before.arrayBuffers;
kept = undefined;

const copied = best(() => new Problem(C, b, { w: 0.1 }));
const notCopied = best(() => new Problem(sharedC, sharedB, { w: 0.1 }));
const problem = new Problem(sharedC, sharedB, { w: 0.1 });
const x = new Float64Array(cols).fill(0.01);
const evaluate = best(() => problem.evaluate(x));
void kept;

const MiB = 2 ** 20;
console.log(`n = ${rows}, d = ${cols}, ${'data' in C ? 'dense' : `CSR, nnz = ${C.indptr[rows]}`}; data ${(dataBytes / MiB).toFixed(1)} MiB; best of ${repeats}`);
console.log(`new Problem, arrays copied into shared memory: ${copied.toFixed(1)} ms`);
console.log(`new Problem, arrays already shared (no copy):  ${notCopied.toFixed(1)} ms`);
console.log(`the copy: ${(copied - notCopied).toFixed(1)} ms (${((dataBytes / MiB) / ((copied - notCopied) / 1000) / 1024).toFixed(2)} GiB/s); memory added per Problem ≈ ${(added / MiB).toFixed(1)} MiB (external + array buffers after a GC)`);
console.log(`for scale: one evaluate (L and ∇L, two passes over C): ${evaluate.toFixed(1)} ms`);
