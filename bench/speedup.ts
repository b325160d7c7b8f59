/**
 * Section 6: parallel speed-ups on this machine's cores — multi-start throughput (independent
 * starts solved concurrently against one after another) and parallel sketching (the sketches' row
 * passes on 1 and 2 threads; the result is bit-identical either way).
 *
 * Multi-start runs through the piscina pool (solve({ starts, pool }), a pool of 2 workers against a
 * pool of 1, one BLAS thread per worker; both must give the same losses), beside two concurrent
 * plain `solve()` calls (each on a libuv thread) against solveSync one after another.
 *
 * This is the one measurement of the parallel speed-ups: `npm run bench` runs it as section 6 and
 * bench/parallel.ts runs it alone (it used to measure the same things with its own code and report
 * other figures).
 */
import { spawn } from 'node:child_process';
import { createPool, solve, solveSync, SolveOptions } from '../src';
import { benchAddon, blasThreads, fmt, load, log, median, newSection, now, planted, Section, Settings, table } from './common';

export interface SpeedupSummary {
  multiStart: number;
  /** What the machine offered meanwhile (the smaller of before and after): 2 CPU-bound processes, one after the other over side by side. */
  available: number;
  availableBefore: number;
  availableAfter: number;
  sketch: { label: string; speedup: number }[];
}

/** Runs a fixed CPU-bound loop in `count` child processes at once; resolves to the wall seconds. */
function busy(count: number): Promise<number> {
  const t = now();
  const loop = 'let s = 0; for (let i = 0; i < 2e8; i++) s = (s + i * 7) % 1000003; if (s < 0) console.log(s);';
  return Promise.all(Array.from({ length: count }, () => new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', loop], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', () => resolve());
  }))).then(() => now() - t);
}

/** The speed-up two independent CPU-bound processes get on this machine right now (2 = two free cores). */
export async function availableParallelism(): Promise<number> {
  const one = await busy(1);
  const two = await busy(2);
  return (2 * one) / two;
}

/**
 * Section 6. `sizeFactor` (default 1) scales every problem's rows down, for a smoke run of
 * bench/parallel.ts (`--smoke`); the report's figures are from factor 1.
 */
export async function runSpeedup(settings: Settings, { sizeFactor = 1 }: { sizeFactor?: number } = {}): Promise<{ section: Section; summary: SpeedupSummary }> {
  const rowsOf = (rows: number) => Math.max(200, Math.round(rows * sizeFactor));
  const section = newSection('6. Parallel speed-ups');
  section.markdown.push(`Load at start: ${load()}.`);
  const defaultThreads = blasThreads();
  const starts = 4;
  const p = planted('dense rows', settings.full
    ? { rows: rowsOf(100_000), cols: 200, density: 1, seed: 61, conditioning: 100 }
    : { rows: rowsOf(30_000), cols: 100, density: 1, seed: 61, conditioning: 100 });
  const options: SolveOptions = { method: 'newton-pcg', sketch: 'leverage', tol: 1e-10 };
  const repeats = settings.full ? 3 : 2;
  log('speedup: multi-start');
  const serial1: number[] = [], serial2: number[] = [], parallel: number[] = [];
  for (let r = 0; r < repeats; r++) {
    blasThreads(1);
    let t = now();
    for (let s = 0; s < starts; s++) solveSync(p.problem, { ...options, seed: s + 1 });
    serial1.push(now() - t);
    t = now();
    for (let s = 0; s < starts; s += 2) await Promise.all([0, 1].map((j) => solve(p.problem, { ...options, seed: s + j + 1 })));
    parallel.push(now() - t);
    blasThreads(defaultThreads);
    t = now();
    for (let s = 0; s < starts; s++) solveSync(p.problem, { ...options, seed: s + 1 });
    serial2.push(now() - t);
  }
  blasThreads(defaultThreads);
  // The same starts through the piscina pool (src/pool/, solve({ starts, pool })): a pool of 1
  // worker (the starts one after another) against a pool of 2, one BLAS thread per worker in both.
  log('speedup: multi-start through the pool');
  const availableBefore = await availableParallelism();
  const pool1 = createPool({ workers: 1, blasThreadsPerWorker: 1 }), pool2 = createPool({ workers: 2, blasThreadsPerWorker: 1 });
  const poolSerial: number[] = [], poolParallel: number[] = [];
  try {
    await solve(p.problem, { ...options, starts: 2, pool: pool1 });
    await solve(p.problem, { ...options, starts: 2, pool: pool2 }); // workers load the addon and the problem
    for (let r = 0; r < repeats; r++) {
      let t = now();
      const a = await solve(p.problem, { ...options, seed: 1, starts, pool: pool1 });
      poolSerial.push(now() - t);
      t = now();
      const b = await solve(p.problem, { ...options, seed: 1, starts, pool: pool2 });
      poolParallel.push(now() - t);
      // Like for like: the same starts, the same bits, whatever the pool.
      if (a.starts!.some((s, i) => s.loss !== b.starts![i].loss)) throw new Error('the pools of 1 and 2 workers disagree: the comparison is not like for like');
    }
  } finally {
    await Promise.all([pool1.close(), pool2.close()]);
  }
  const availableAfter = await availableParallelism();
  const available = Math.min(availableBefore, availableAfter);
  const poolSpeedup = median(poolSerial) / median(poolParallel);
  const multiStart = poolSpeedup;
  const concurrent = median(serial1) / median(parallel);
  const multiStart2 = median(serial2) / median(parallel);
  section.figures['multi-start speed-up, pool of 2 vs pool of 1'] = poolSpeedup;
  section.figures['concurrent solve() speed-up (vs serial, 1 BLAS thread)'] = concurrent;
  section.figures['concurrent solve() speed-up (vs serial, default BLAS threads)'] = multiStart2;
  section.markdown.push(
    `**Multi-start**: ${starts} starts of newton-pcg (leverage) to 1e-10 on ${p.name} n=${p.problem.rows}, d=${p.problem.cols}; median of ${repeats}.\n\n` +
      table(['how', 'seconds for all starts', 'starts per second', 'speed-up'], [
        ['serial, 1 BLAS thread', median(serial1), starts / median(serial1), '1.00'],
        [`serial, ${defaultThreads} BLAS threads (the default)`, median(serial2), starts / median(serial2), fmt(median(serial1) / median(serial2))],
        ['2 concurrent solve() calls, 1 BLAS thread each', median(parallel), starts / median(parallel), `${fmt(concurrent)} (${fmt(multiStart2)} against the default serial)`],
        ['solve({ starts, pool }): pool of 1 worker, 1 BLAS thread', median(poolSerial), starts / median(poolSerial), fmt(median(serial1) / median(poolSerial))],
        ['solve({ starts, pool }): pool of 2 workers, 1 BLAS thread each', median(poolParallel), starts / median(poolParallel), `**${fmt(poolSpeedup)}** against the 1-worker pool (${fmt(median(serial1) / median(poolParallel))} against serial solveSync)`],
      ]) +
      `\n\nWhat the machine offered just before and just after the pool's runs: two CPU-bound processes side by side ran **${fmt(availableBefore)}×** and **${fmt(availableAfter)}×** ` +
      `as fast as one after the other (2 = two idle cores; the load of other sessions changes within seconds).`,
  );
  section.figures['available parallelism (2 busy processes)'] = available;

  log('speedup: parallel sketching');
  const addon = benchAddon();
  const cases = [
    planted(`sparse rows n=${rowsOf(250_000)} d=200 (20/row)`, { rows: rowsOf(250_000), cols: 200, density: 0.1, seed: 62 }),
    planted(`dense rows n=${rowsOf(settings.full ? 100_000 : 30_000)} d=${settings.full ? 200 : 100}`, { rows: rowsOf(settings.full ? 100_000 : 30_000), cols: settings.full ? 200 : 100, density: 1, seed: 63 }),
  ];
  const rows: (string | number)[][] = [];
  const summary: SpeedupSummary = { multiStart, available, availableBefore, availableAfter, sketch: [] };
  for (const c of cases) {
    const d = c.problem.cols;
    const D = c.problem.pieces(c.xStar).D.map(Math.abs);
    const m = new Float64Array(d * d);
    const k = Math.min(c.problem.rows, Math.ceil(3 * d * Math.log(d + 1) / 0.25));
    for (const kind of ['leverage', 'countsketch', 'osnap']) {
      const time = (threads: number) => median(Array.from({ length: settings.full ? 7 : 5 }, () => {
        const t = now();
        addon.benchKernel('sketch', { problem: c.problem.handle, D, kind, rows: k, seed: 1, threads, m });
        return now() - t;
      }));
      const one = time(1), two = time(2);
      summary.sketch.push({ label: `${c.name} ${kind}`, speedup: one / two });
      section.figures[`sketch ${c.name} ${kind} speed-up`] = one / two;
      rows.push([c.name, kind, k, one * 1e3, two * 1e3, fmt(one / two)]);
    }
  }
  section.markdown.push(
    `**Parallel sketching** (\`threads\` option: row passes on 1 or 2 threads; OpenBLAS at its default ${defaultThreads} threads for the d × d part either way); median of ${settings.full ? 7 : 5}.\n\n` +
      table(['data', 'sketch', 'k', '1 thread ms', '2 threads ms', 'speed-up'], rows),
  );
  section.markdown.push(`Load at end: ${load()}.`);
  return { section, summary };
}
