/**
 * The other side of the floor program (lossgrad.cc): Problem.lossAndGradient on the same files, in
 * a process of its own, as the C loops run in theirs. Run per round by bench/targets.ts:
 *
 *   node dist/bench/floor/lossgrad-ours.js <dir> <n> <d> <a> <model> <unit> <reps>
 *
 * reads dir/{indptr,indices,values,b,x}.bin and prints {"seconds": median, "loss": …}. Both sides
 * in fresh processes, because this machine's memory rate follows where a process's pages land: the
 * same build measured 6.9–9.5 ms per call from one process to the next, and timing ours in the
 * parent alone set one placement against the C loops' seven (docs/performance.md).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelName, Problem, UnitName } from '../../src';
import { median } from '../common';

function read<T>(file: string, View: { new (b: ArrayBuffer): T }): T {
  const bytes = fs.readFileSync(file);
  return new View(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

const [dir, n, d, a, model, unit, reps] = process.argv.slice(2);
const C = {
  rows: Number(n), cols: Number(d),
  indptr: read(path.join(dir, 'indptr.bin'), Int32Array),
  indices: read(path.join(dir, 'indices.bin'), Int32Array),
  values: read(path.join(dir, 'values.bin'), Float64Array),
};
const problem = new Problem(C, read(path.join(dir, 'b.bin'), Float64Array), { model: model as ModelName, unit: unit as UnitName, scale: Number(a) });
const x = read(path.join(dir, 'x.bin'), Float64Array);
const times: number[] = [];
let loss = NaN;
for (let r = 0; r < Number(reps); r++) {
  const t0 = process.hrtime.bigint();
  loss = problem.lossAndGradient(x).loss;
  times.push(Number(process.hrtime.bigint() - t0) / 1e9);
}
process.stdout.write(JSON.stringify({ seconds: median(times), loss }) + '\n');
