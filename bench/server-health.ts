/**
 * How responsive the training server (examples/server.ts, docs/server.md) stays while it trains:
 * the latency of GET /health, polled every 20 ms, first with the server idle, then while `jobs`
 * training requests run at once (more than the pool's workers, so some queue). The solves run in
 * the pool's worker threads, so the server's event loop should answer /health about as fast as
 * when idle; a solve on the event loop (or an oversubscribed CPU) would show here as latency.
 *
 * The server runs as its own process (as in production), this script is the client:
 *
 *   npx tsc -p tsconfig.json && node dist/bench/server-health.js [--rows 100000] [--cols 100] [--jobs 4] [--seconds 5]
 *
 * Each phase lasts `seconds`; the jobs are gd runs with tol 0 that only end when this script
 * disconnects (which also checks that disconnecting cancels them).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generatePlanted, writeLibsvm } from '../src';

function flag(name: string, fallback: number): number {
  const k = process.argv.indexOf(`--${name}`);
  return k >= 0 ? Number(process.argv[k + 1]) : fallback;
}

const ROWS = flag('rows', 100_000);
const COLS = flag('cols', 100);
const JOBS = flag('jobs', 4);
const SECONDS = flag('seconds', 5);

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** /health latencies in milliseconds, polled every 20 ms for `seconds`. */
async function pollHealth(base: string, seconds: number): Promise<number[]> {
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const start = performance.now();
    const response = await fetch(`${base}/health`);
    await response.json();
    latencies.push(performance.now() - start);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return latencies;
}

function describeLatencies(name: string, latencies: number[]): string {
  const s = [...latencies].sort((a, b) => a - b);
  const f = (v: number) => v.toFixed(2).padStart(8);
  return `${name.padEnd(34)}${String(s.length).padStart(6)}${f(quantile(s, 0.5))}${f(quantile(s, 0.95))}${f(quantile(s, 0.99))}${f(s[s.length - 1])}`;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'softnewton-server-bench-'));
  const planted = generatePlanted({ rows: ROWS, cols: COLS, density: Math.min(1, 20 / COLS), seed: 1 });
  await writeLibsvm(path.join(dir, 'data.svm'), planted.C, planted.b);
  const server = spawn(process.execPath, [path.join(__dirname, '..', 'examples', 'server.js')], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir, MODEL_DIR: dir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const base = await new Promise<string>((resolve, reject) => {
      server.stdout.on('data', (chunk: Buffer) => {
        const match = /listening on (http:\/\/[^ ]+)/.exec(chunk.toString());
        if (match) resolve(match[1]);
      });
      server.on('exit', (code) => reject(new Error(`the server exited with ${code}`)));
    });
    const workers = ((await (await fetch(`${base}/health`)).json()) as { pool: { workers: number } }).pool.workers;
    console.log(`server-health: n = ${ROWS}, d = ${COLS}, ${JOBS} concurrent jobs on a pool of ${workers} workers, ${SECONDS} s per phase; load average ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}`);
    const idle = await pollHealth(base, SECONDS);

    const controllers = Array.from({ length: JOBS }, () => new AbortController());
    const started = controllers.map((c) =>
      fetch(`${base}/train?data=data.svm&cols=${COLS}&method=gd&tol=0&maxIter=1000000`, { method: 'POST', signal: c.signal })
        .then(async (response) => {
          const reader = response.body!.getReader();
          for (;;) if ((await reader.read()).done) return;
        })
        .catch(() => undefined),
    );
    // Wait until every job reads its data and the workers are busy.
    for (;;) {
      const h = (await (await fetch(`${base}/health`)).json()) as { jobs: { running: number }; pool: { pending: number } };
      if (h.jobs.running === JOBS && h.pool.pending >= Math.min(JOBS, workers)) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const busy = await pollHealth(base, SECONDS);
    for (const c of controllers) c.abort();
    await Promise.all(started);
    // Disconnecting must have cancelled every job.
    let jobs = { running: -1, cancelled: 0 };
    for (let k = 0; k < 200 && jobs.running !== 0; k++) {
      jobs = ((await (await fetch(`${base}/health`)).json()) as { jobs: typeof jobs }).jobs;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    console.log(`${'/health latency (ms)'.padEnd(34)}${'polls'.padStart(6)}${'median'.padStart(8)}${'p95'.padStart(8)}${'p99'.padStart(8)}${'max'.padStart(8)}`);
    console.log(describeLatencies('idle', idle));
    console.log(describeLatencies(`${JOBS} training jobs running`, busy));
    console.log(`after disconnecting: ${jobs.running} jobs running, ${jobs.cancelled} cancelled; load average ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}`);
  } finally {
    server.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
