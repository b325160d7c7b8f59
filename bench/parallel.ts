/**
 * The parallel runtime's speed-ups (issue 4) on their own: section 6 of the suite (bench/speedup.ts),
 * the one measurement of multi-start throughput (the piscina pool of 2 workers against 1, concurrent
 * solve() calls against solveSync one after another) and of parallel sketching (1 and 2 threads),
 * with what the machine offered to two busy processes before and after. `npm run bench` runs the
 * same code; this prints its section without the rest of the report.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/parallel.js [--full] [--smoke]
 *
 * `--smoke` shrinks the problems (rows / 50) to check that the script runs; its figures mean nothing.
 */
import * as path from 'node:path';
import { load } from './common';
import { runSpeedup } from './speedup';

async function main(): Promise<void> {
  const full = process.argv.includes('--full');
  const smoke = process.argv.includes('--smoke');
  console.log(`softnewton parallel benchmark — ${new Date().toISOString()}, Node ${process.version}, ${load()}${smoke ? ' (smoke run: tiny sizes)' : ''}`);
  const outDir = path.join(__dirname, '..', '..', 'bench', 'out');
  const { section, summary } = await runSpeedup({ full, outDir, reportDir: path.dirname(outDir) }, { sizeFactor: smoke ? 1 / 50 : 1 });
  console.log(`\n## ${section.title}\n\n${section.markdown.join('\n\n')}\n`);
  console.log(JSON.stringify(summary));
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
