/**
 * examples/server.ts (docs/server.md), driven over HTTP on a loopback port: a training request with
 * uploaded and with named data, its progress as server-sent events, cancellation when the client
 * disconnects (the pool stays whole and takes the next job), prediction with the saved model
 * against the formula computed here, and bad requests answered with the field.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

import { createTrainingServer, TrainingServer } from '../examples/server';
import { writeCsv } from '../src/io/csv';
import { writeLibsvm } from '../src/io/libsvm';
import { DenseMatrix, toDense } from '../src/matrix';
import { generatePlanted } from '../src/planted';
import { SolverPool } from '../src/pool/pool';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'softnewton-server-data-'));
const planted = generatePlanted({ rows: 900, cols: 5, density: 1, seed: 21, unit: 'sigmoid' });
const dense = toDense(planted.C);
const rows = (from: number, to: number): DenseMatrix => ({ rows: to - from, cols: 5, data: dense.data.slice(from * 5, to * 5) });
// A larger sparse problem for the job that gets cancelled: gd with tol 0 runs until stopped.
const big = generatePlanted({ rows: 60_000, cols: 40, density: 0.2, seed: 22 });

let training: TrainingServer;
let base: string;
const pool = new SolverPool();

before(async () => {
  await writeCsv(path.join(dataDir, 'train.csv'), rows(0, 600), planted.b.slice(0, 600), { columns: ['a', 'b', 'c', 'd', 'e'], targetName: 'y' });
  await writeCsv(path.join(dataDir, 'new.csv'), rows(600, 900), undefined, { columns: ['a', 'b', 'c', 'd', 'e'] });
  await writeLibsvm(path.join(dataDir, 'big.svm'), big.C, big.b);
  training = createTrainingServer({ pool, dataDir });
  await new Promise<void>((resolve) => training.server.listen(0, '127.0.0.1', resolve));
  const address = training.server.address() as { address: string; port: number };
  assert.equal(address.address, '127.0.0.1', 'loopback only');
  base = `http://127.0.0.1:${address.port}`;
});

after(async () => {
  await training.close();
  await pool.destroy();
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(training.modelDir, { recursive: true, force: true });
});

interface Event {
  type: string;
  data: Record<string, unknown>;
}

/** Reads server-sent events from a response until `stop` says so or the stream ends. */
async function readEvents(response: Response, stop: (event: Event) => boolean = () => false): Promise<Event[]> {
  const events: Event[] = [];
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return events;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const type = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? 'null');
      events.push({ type, data });
      if (stop({ type, data })) {
        await reader.cancel();
        return events;
      }
    }
  }
}

async function health(): Promise<{ ok: boolean; jobs: Record<string, number>; pool: { workers: number; pending: number } }> {
  const response = await fetch(`${base}/health`);
  assert.equal(response.status, 200);
  return response.json() as never;
}

function referencePredict(C: DenseMatrix, x: number[], a: number): number[] {
  const z = Array.from({ length: C.rows }, (_, i) => x.reduce((sum, xj, j) => sum + C.data[i * C.cols + j] * xj, 0));
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const total = e.reduce((p, q) => p + q, 0);
  return e.map((v) => 1 / (1 + Math.exp(-a * (v / total))));
}

test('train on uploaded data with progress events, then predict with the saved model', async () => {
  assert.deepEqual((await health()).jobs, { running: 0, done: 0, failed: 0, cancelled: 0 });
  const upload = fs.readFileSync(path.join(dataDir, 'train.csv'));
  const response = await fetch(`${base}/train?format=csv&targetColumn=y&unit=sigmoid&tol=1e-10`, { method: 'POST', body: upload });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'text/event-stream');
  const events = await readEvents(response);
  assert.equal(events[0].type, 'started');
  assert.deepEqual(events[0].data, { rows: 600, cols: 5, nnz: 3000, model: 'softmax-unit', unit: 'sigmoid' });
  const progress = events.filter((e) => e.type === 'progress');
  assert.ok(progress.length >= 2, 'one event per iteration');
  assert.deepEqual(progress.map((e) => e.data.iteration), progress.map((_, k) => k));
  const done = events.at(-1)!;
  assert.equal(done.type, 'done');
  assert.equal(done.data.converged, true);
  assert.equal(done.data.loss, progress.at(-1)!.data.loss);
  const id = done.data.model as string;

  // The saved model, as a file.
  const modelResponse = await fetch(`${base}/models/${id}`);
  assert.equal(modelResponse.status, 200);
  const model = (await modelResponse.json()) as { format: string; x: number[]; training: { data: string } };
  assert.equal(model.format, 'softnewton-model');
  assert.equal(model.training.data, 'upload');

  // Prediction on 300 other rows (one softmax group: a = 300), uploaded, against the formula.
  const predicted = await fetch(`${base}/models/${id}/predict?format=csv`, { method: 'POST', body: fs.readFileSync(path.join(dataDir, 'new.csv')) });
  assert.equal(predicted.status, 200);
  const { predictions } = (await predicted.json()) as { predictions: number[] };
  const expected = referencePredict(rows(600, 900), model.x, 300);
  assert.equal(predictions.length, 300);
  for (let i = 0; i < 300; i++) assert.ok(Math.abs(predictions[i] - expected[i]) <= 1e-13, `row ${i}: ${predictions[i]} vs ${expected[i]}`);
  // A gzip-compressed upload is read compressed.
  const gzipped = await fetch(`${base}/models/${id}/predict?format=csv`, {
    method: 'POST', body: zlib.gzipSync(fs.readFileSync(path.join(dataDir, 'new.csv'))), headers: { 'content-encoding': 'gzip' },
  });
  assert.deepEqual(((await gzipped.json()) as { predictions: number[] }).predictions, predictions);
  // Named data works the same way.
  const named = await fetch(`${base}/models/${id}/predict?data=new.csv`, { method: 'POST' });
  assert.deepEqual(((await named.json()) as { predictions: number[] }).predictions, predictions);
  assert.equal((await health()).jobs.done, 1);
});

test('a client that disconnects aborts its job; the pool stays whole and runs the next one', async () => {
  const controller = new AbortController();
  const response = await fetch(`${base}/train?data=big.svm&cols=40&method=gd&tol=0&maxIter=1000000`, { method: 'POST', signal: controller.signal });
  assert.equal(response.status, 200);
  const seen = await readEvents(response, (e) => e.type === 'progress' && (e.data.iteration as number) >= 3);
  assert.ok(seen.some((e) => e.type === 'progress'));
  const before = await health();
  assert.equal(before.jobs.running, 1);
  controller.abort();
  // The server notices the closed connection and the pool stops the solve within one iteration.
  const deadline = Date.now() + 20_000;
  let now = await health();
  while (now.jobs.cancelled === 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    now = await health();
  }
  assert.equal(now.jobs.cancelled, 1, JSON.stringify(now));
  assert.equal(now.jobs.running, 0);
  assert.equal(now.pool.pending, 0, 'the pool has nothing left running');
  // And the next job trains normally, on named data.
  const next = await readEvents(await fetch(`${base}/train?data=train.csv&targetColumn=y&unit=sigmoid`, { method: 'POST' }));
  assert.equal(next.at(-1)!.type, 'done');
  assert.equal(next.at(-1)!.data.converged, true);
});

test('bad requests: 400 naming the field, 404 for unknown routes and models, names never paths', async () => {
  const cases: Array<[string, RequestInit, number, string | undefined, RegExp]> = [
    ['/train?data=train.csv&targetColumn=y&unit=sigmod', { method: 'POST' }, 400, 'unit', /expected one of/],
    ['/train?data=train.csv&targetColumn=y&tol=abc', { method: 'POST' }, 400, 'tol', /finite number/],
    ['/train?data=train.csv&targetColumn=y&ridge=-1', { method: 'POST' }, 400, 'ridge', /ridge/],
    ['/train?data=train.csv&targetColumn=nope', { method: 'POST' }, 400, 'targetColumn', /no column named "nope"/],
    ['/train?data=../etc/passwd', { method: 'POST' }, 400, 'data', /a file name in the data directory/],
    ['/train?data=missing.csv', { method: 'POST' }, 404, 'data', /no file/],
    ['/train?targetColumn=y', { method: 'POST', body: 'a,y\n1,2\n' }, 400, 'format', /needed for uploaded data/],
    ['/train?format=csv&targetColumn=y', { method: 'POST', body: 'a,y\n1,x\n' }, 400, undefined, /upload\.csv|\.csv:2: expected a finite decimal number/],
    ['/models/00000000-0000-0000-0000-000000000000', {}, 404, undefined, /no model/],
    ['/nothing', {}, 404, undefined, /no route GET \/nothing/],
  ];
  for (const [route, init, status, field, message] of cases) {
    const response = await fetch(`${base}${route}`, init);
    const body = (await response.json()) as { error: string; field?: string };
    assert.equal(response.status, status, `${route}: ${JSON.stringify(body)}`);
    if (field !== undefined) assert.equal(body.field, field, route);
    assert.match(body.error, message, route);
  }
  const h = await health();
  assert.equal(h.ok, true);
  assert.equal(h.jobs.running, 0);
});
