/**
 * Training inside a server (docs/server.md): a `node:http` service where each request trains one
 * model, on data uploaded in the request body or named (a file in the server's data directory).
 *
 *   GET  /health                       {"ok", "jobs": {running, done, failed, cancelled}, "pool": {...}}
 *   POST /train?<options>              body: the data file (or empty with ?data=NAME); answers with
 *                                      server-sent events: `progress` per iteration, then `done`
 *                                      (with the model's id) or `error`
 *   GET  /models/<id>                  the saved model file (solve --save-model's format)
 *   POST /models/<id>/predict?<opts>   body: rows to predict (the batch is one softmax group);
 *                                      answers {"predictions": [...]}
 *
 * The parts that matter in a server: every job runs in ONE shared SolverPool, sized to the machine
 * (workers × BLAS threads ≤ cores), so concurrent jobs queue instead of oversubscribing the CPU and
 * the event loop stays free to answer /health; a client that disconnects aborts its job (the pool
 * stops it within one iteration and the worker takes the next job); bad input is a 400 naming the
 * field, never a crash.
 *
 * Run: `node dist/examples/server.js` (PORT, HOST, DATA_DIR, MODEL_DIR in the environment; it
 * listens on 127.0.0.1 unless HOST says otherwise). In your own project import from 'softnewton'
 * instead of '../src'.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  AbortError, DATA_FORMATS, DataFormat, DataReadOptions, fitStandardization, applyStandardization, InputError, Model, MODELS, ModelOptions,
  Problem, readFeatures, solve, SolveOptions, SolverPool, UNITS, METHODS, SKETCHES, SoftnewtonError,
} from '../src';

export interface ServerOptions {
  /** The shared pool; default: a new SolverPool() sized to the machine, ended by close(). */
  pool?: SolverPool;
  /** Where `?data=NAME` looks for files; default: no named data (uploads only). */
  dataDir?: string;
  /** Where models are saved; default: a new temporary directory. */
  modelDir?: string;
  /** Largest upload in bytes (default 512 MiB): a larger body is refused with 413. */
  maxUploadBytes?: number;
}

export interface TrainingServer {
  server: http.Server;
  pool: SolverPool;
  modelDir: string;
  /** Stops listening, aborts running jobs, ends the pool if the server made it. */
  close(): Promise<void>;
}

/** A request's mistake: answered with `status` and {"error", "field"}. */
class RequestError extends Error {
  constructor(readonly status: number, message: string, readonly field?: string) {
    super(message);
  }
}

const EXTENSION: Record<DataFormat, string> = { libsvm: '.svm', mtx: '.mtx', csv: '.csv', npy: '.npy' };

function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  const body = `${JSON.stringify(value)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function errorBody(error: unknown): { status: number; body: { error: string; field?: string } } {
  if (error instanceof RequestError) return { status: error.status, body: { error: error.message, ...(error.field ? { field: error.field } : {}) } };
  if (error instanceof InputError) return { status: 400, body: { error: error.message, field: error.field } };
  if (error instanceof SoftnewtonError) return { status: 422, body: { error: error.message } };
  return { status: 500, body: { error: 'internal error' } };
}

/** A number from the query, or undefined; the API validates ranges and names the field. */
function numberParam(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  const value = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(value)) throw new RequestError(400, `${name}: expected a finite number, received ${JSON.stringify(raw)}`, name);
  return value;
}

function choiceParam<T extends string>(query: URLSearchParams, name: string, choices: readonly T[]): T | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  if (!(choices as readonly string[]).includes(raw)) throw new RequestError(400, `${name}: expected one of ${choices.join(', ')}, received ${JSON.stringify(raw)}`, name);
  return raw as T;
}

function booleanParam(query: URLSearchParams, name: string): boolean | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  if (raw === 'true' || raw === '1' || raw === '') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new RequestError(400, `${name}: expected true or false, received ${JSON.stringify(raw)}`, name);
}

/** The reader options from the query: format (needed for uploads), cols, targetColumn and the CSV options. */
function readOptions(query: URLSearchParams): DataReadOptions & { format?: DataFormat } {
  const options: DataReadOptions = {};
  const format = choiceParam(query, 'format', DATA_FORMATS);
  if (format !== undefined) options.format = format;
  const cols = numberParam(query, 'cols');
  if (cols !== undefined) options.cols = cols;
  const targetColumn = query.get('targetColumn');
  if (targetColumn !== null) options.targetColumn = targetColumn;
  const delimiter = query.get('delimiter');
  if (delimiter !== null) options.delimiter = delimiter === 'tab' ? '\t' : delimiter;
  const header = booleanParam(query, 'header');
  if (header !== undefined) options.header = header;
  const skipRows = numberParam(query, 'skipRows');
  if (skipRows !== undefined) options.skipRows = skipRows;
  return options;
}

export function createTrainingServer(options: ServerOptions = {}): TrainingServer {
  const ownPool = options.pool === undefined;
  const pool = options.pool ?? new SolverPool();
  const modelDir = options.modelDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'softnewton-models-'));
  const uploadDir = fs.mkdtempSync(path.join(os.tmpdir(), 'softnewton-uploads-'));
  const maxUploadBytes = options.maxUploadBytes ?? 512 * 2 ** 20;
  const jobs = { running: 0, done: 0, failed: 0, cancelled: 0 };
  const controllers = new Set<AbortController>();

  /** The request's data as a file the streaming readers can open: the upload, or the named file. */
  async function dataFile(req: http.IncomingMessage, query: URLSearchParams, format: DataFormat | undefined): Promise<{ file: string; name: string; temporary: boolean }> {
    const named = query.get('data');
    if (named !== null) {
      if (options.dataDir === undefined) throw new RequestError(400, 'data: this server takes uploads only (no data directory)', 'data');
      // Names only, never paths: a request must not read outside the data directory.
      if (named !== path.basename(named) || named.startsWith('.')) throw new RequestError(400, `data: expected a file name in the data directory, received ${JSON.stringify(named)}`, 'data');
      const file = path.join(options.dataDir, named);
      if (!fs.existsSync(file)) throw new RequestError(404, `data: no file ${JSON.stringify(named)} in the data directory`, 'data');
      req.resume();
      return { file, name: named, temporary: false };
    }
    if (format === undefined) throw new RequestError(400, `format: needed for uploaded data, one of ${DATA_FORMATS.join(', ')}`, 'format');
    const length = Number(req.headers['content-length'] ?? NaN);
    if (length > maxUploadBytes) throw new RequestError(413, `the upload is ${length} bytes, more than the ${maxUploadBytes} this server takes`);
    const gzip = req.headers['content-encoding'] === 'gzip';
    const file = path.join(uploadDir, `${crypto.randomUUID()}${EXTENSION[format]}${gzip ? '.gz' : ''}`);
    let received = 0;
    await pipeline(req, async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        received += chunk.length;
        if (received > maxUploadBytes) throw new RequestError(413, `the upload is more than the ${maxUploadBytes} bytes this server takes`);
        yield chunk;
      }
    }, fs.createWriteStream(file));
    return { file, name: 'upload', temporary: true };
  }

  async function train(req: http.IncomingMessage, res: http.ServerResponse, query: URLSearchParams): Promise<void> {
    // Everything the request says is checked before the upload is read and before the stream opens.
    const read = readOptions(query);
    const model: ModelOptions = {};
    const modelName = choiceParam(query, 'model', MODELS);
    if (modelName !== undefined) model.model = modelName;
    const unit = choiceParam(query, 'unit', UNITS);
    if (unit !== undefined) model.unit = unit;
    if (query.get('scale') === 'n') model.scale = 'n';
    else if (query.has('scale')) model.scale = numberParam(query, 'scale');
    for (const name of ['bias', 'w', 'ridge'] as const) {
      const value = numberParam(query, name);
      if (value !== undefined) model[name] = value;
    }
    const solveOptions: SolveOptions = { pool };
    const method = choiceParam(query, 'method', METHODS);
    if (method !== undefined) solveOptions.method = method;
    const sketch = choiceParam(query, 'sketch', SKETCHES);
    if (sketch !== undefined) solveOptions.sketch = sketch;
    for (const name of ['tol', 'atol', 'maxIter', 'seed', 'starts'] as const) {
      const value = numberParam(query, name);
      if (value !== undefined) solveOptions[name] = value;
    }
    const standardize = booleanParam(query, 'standardize') ?? false;

    const { file, name, temporary } = await dataFile(req, query, read.format);
    const controller = new AbortController();
    controllers.add(controller);
    // The client went away before the job ended: stop it (the pool frees the worker within one iteration).
    let finished = false;
    res.on('close', () => {
      if (!finished) controller.abort();
    });
    jobs.running++;
    let opened = false;
    const event = (type: string, data: unknown) => {
      if (!opened) {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
        opened = true;
      }
      res.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    try {
      const data = await readFeatures(file, read, { requireTarget: true });
      const standardization = standardize ? fitStandardization(data.C) : null;
      const problem = new Problem(standardization ? applyStandardization(data.C, standardization) : data.C, data.b!, model);
      event('started', { rows: problem.rows, cols: problem.cols, nnz: problem.nnz, model: problem.model, unit: problem.unit });
      const result = await solve(problem, {
        ...solveOptions,
        signal: controller.signal,
        onIteration: (row, start) => event('progress', { start, iteration: row.iteration, loss: row.loss, gradNorm: row.gradNorm }),
      });
      const trained = Model.fromSolve(problem, result, { method: solveOptions.method ?? 'newton-pcg', data: name, standardization, columns: data.columns, target: data.target });
      const id = crypto.randomUUID();
      await trained.save(path.join(modelDir, `${id}.json`));
      jobs.done++;
      event('done', {
        model: id, converged: result.converged, stopReason: result.stopReason, iterations: result.iterations, loss: result.loss, gradNorm: result.gradNorm,
        seconds: result.seconds, warnings: result.warnings ?? [],
      });
    } catch (error) {
      if (error instanceof AbortError || controller.signal.aborted) jobs.cancelled++;
      else jobs.failed++;
      const { status, body } = errorBody(error);
      if (!opened && !res.headersSent) sendJson(res, status, body);
      else event('error', body);
    } finally {
      finished = true;
      jobs.running--;
      controllers.delete(controller);
      if (temporary) await fs.promises.rm(file, { force: true });
      res.end();
    }
  }

  async function loadModel(id: string): Promise<Model> {
    if (!/^[0-9a-f-]{36}$/.test(id)) throw new RequestError(404, `no model ${JSON.stringify(id)}`);
    const file = path.join(modelDir, `${id}.json`);
    if (!fs.existsSync(file)) throw new RequestError(404, `no model ${JSON.stringify(id)}`);
    return Model.load(file);
  }

  async function predict(req: http.IncomingMessage, res: http.ServerResponse, id: string, query: URLSearchParams): Promise<void> {
    const model = await loadModel(id);
    const read = readOptions(query);
    const { file, temporary } = await dataFile(req, query, read.format);
    try {
      const data = await readFeatures(file, read);
      sendJson(res, 200, { predictions: Array.from(model.predict(data.C)) });
    } finally {
      if (temporary) await fs.promises.rm(file, { force: true });
    }
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = `${req.method} ${url.pathname}`;
    const handle = async () => {
      if (route === 'GET /health') return sendJson(res, 200, { ok: true, jobs, pool: pool.stats() });
      if (route === 'POST /train') return train(req, res, url.searchParams);
      const model = /^\/models\/([^/]+)(\/predict)?$/.exec(url.pathname);
      if (model && req.method === 'GET' && !model[2]) {
        const loaded = await loadModel(model[1]);
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(loaded.toText());
      }
      if (model && req.method === 'POST' && model[2]) return predict(req, res, model[1], url.searchParams);
      throw new RequestError(404, `no route ${route}`);
    };
    handle().catch((error: unknown) => {
      const { status, body } = errorBody(error);
      if (status === 500) console.error(error);
      if (!res.headersSent) sendJson(res, status, body);
      else res.end();
      req.resume(); // drain an unread upload so the connection can close cleanly
    });
  });

  return {
    server, pool, modelDir,
    async close() {
      for (const controller of controllers) controller.abort();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (ownPool) await pool.destroy();
      fs.rmSync(uploadDir, { recursive: true, force: true });
    },
  };
}

if (require.main === module) {
  const training = createTrainingServer({ dataDir: process.env.DATA_DIR, modelDir: process.env.MODEL_DIR });
  const host = process.env.HOST ?? '127.0.0.1';
  training.server.listen(Number(process.env.PORT ?? 8080), host, () => {
    const address = training.server.address() as { port: number };
    // One line a supervisor (or bench/server-health.ts) can read the port from.
    process.stdout.write(`softnewton server listening on http://${host}:${address.port} (${training.pool.workers} workers; models in ${training.modelDir})\n`);
  });
  const stop = () => void training.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
