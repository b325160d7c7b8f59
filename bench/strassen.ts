/**
 * Section 7: large d — a Strassen–Winograd layer over BLAS dgemm (native/bench/strassen.cc) against
 * plain dgemm for square products, d ≥ 1000, timed natively side by side. The solver would use it
 * only past a measured crossover.
 */
import { blasThreads, fmt, load, log, median, newSection, Section, Settings, table } from './common';
import { timeBlas } from './floor';
import { linePlot } from './plots';

export interface StrassenSummary {
  /** Per BLAS thread count: the smallest measured d from which Strassen (best cutoff) beat dgemm at every larger d measured, or null. */
  crossover: Record<number, number | null>;
  best: { threads: number; d: number; ratio: number }[];
}

export function runStrassen(settings: Settings): { section: Section; summary: StrassenSummary } {
  const section = newSection('7. Large d: Strassen–Winograd over dgemm');
  section.markdown.push(`Load at start: ${load()}.`);
  const defaultThreads = blasThreads();
  const sizes = settings.full ? [1024, 2048, 3072, 4096] : [1024, 2048];
  const reps = settings.full ? 5 : 5;
  const rows: (string | number)[][] = [];
  const summary: StrassenSummary = { crossover: {}, best: [] };
  const series: Record<string, [number, number][]> = {};
  for (const threads of [1, defaultThreads].filter((t, i, a) => a.indexOf(t) === i)) {
    blasThreads(threads);
    for (const d of sizes) {
      log(`strassen: d=${d}, ${threads} thread(s)`);
      // dgemm and each Strassen variant take turns, one run each per round, so that a change of
      // load during the measurement hits all of them alike; medians over the rounds.
      const cutoffs = [d / 2, d / 4].filter((c) => c >= 256);
      const gemmRuns: number[] = [], strassenRuns: number[][] = cutoffs.map(() => []), errors: number[] = cutoffs.map(() => 0);
      timeBlas('dgemm', d, 1); // warm-up: page faults, thread start
      for (let round = 0; round < reps; round++) {
        gemmRuns.push(timeBlas('dgemm', d, 1).seconds);
        cutoffs.forEach((cutoff, i) => {
          const s = timeBlas('strassen', d, 1, { cutoff: cutoff + 1 });
          strassenRuns[i].push(s.seconds);
          errors[i] = s.relativeError;
        });
      }
      const gemm = median(gemmRuns);
      let best = Infinity;
      cutoffs.forEach((cutoff, i) => {
        const levels = Math.round(Math.log2(d / cutoff));
        const seconds = median(strassenRuns[i]);
        best = Math.min(best, seconds);
        rows.push([d, threads, levels, gemm * 1e3, seconds * 1e3, fmt(gemm / seconds), fmt(errors[i]), fmt((2 * d ** 3) / gemm / 1e9)]);
        (series[`${levels} level${levels > 1 ? 's' : ''}, ${threads} thread${threads > 1 ? 's' : ''}`] ??= []).push([d, gemm / seconds]);
      });
      summary.best.push({ threads, d, ratio: gemm / best });
    }
    // A crossover counts only if it holds at every larger size measured too.
    const mine = summary.best.filter((b) => b.threads === threads);
    const first = mine.findIndex((b, i) => mine.slice(i).every((c) => c.ratio > 1));
    summary.crossover[threads] = first >= 0 ? mine[first].d : null;
  }
  blasThreads(defaultThreads);
  for (const [threads, d] of Object.entries(summary.crossover)) section.figures[`strassen crossover d, ${threads} BLAS threads`] = d;
  section.markdown.push(
    'C = A B, d × d, random entries; dgemm is OpenBLAS; Strassen–Winograd does 1 or 2 levels (7 half-size dgemm products and 15 additions per level) then dgemm. ' +
      `dgemm and the Strassen variants alternate, one run each per round; medians of ${reps} rounds after a warm-up. "rel. error" is max|C_S − C_dgemm| / max|C|.\n\n` +
      table(['d', 'BLAS threads', 'levels', 'dgemm ms', 'Strassen ms', 'dgemm / Strassen', 'rel. error', 'dgemm GFLOP/s'], rows) +
      '\n\nCrossover (Strassen faster at this d and at every larger d measured): ' +
      Object.entries(summary.crossover).map(([t, d]) => `${t} BLAS thread${t === '1' ? '' : 's'}: ${d === null ? '**none** within the sizes measured' : `**d = ${d}**`}`).join('; ') + '.',
  );
  section.plots['strassen.svg'] = linePlot({
    title: 'dgemm time / Strassen–Winograd time (> 1: Strassen faster)',
    xLabel: 'd',
    yLabel: 'speed ratio',
    series: [...Object.entries(series).map(([name, points]) => ({ name, points })), { name: 'parity', dashed: true, points: [[sizes[0], 1], [sizes.at(-1)!, 1]] }],
  });
  section.markdown.push('![Strassen vs dgemm](strassen.svg)');
  section.markdown.push(`Load at end: ${load()}.`);
  return { section, summary };
}
