/**
 * `softnewton bench`: runs the benchmark suite, compiled to dist/bench/run.js from bench/run.ts.
 * This command only finds it and runs it in a child Node process, passing every argument through
 * and returning its exit code; the suite itself (what it measures, its flags, its plots) is
 * bench/'s (bench/README.md lists its sections, the README's Performance section its figures).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { InputError } from '../errors';

/** dist/bench/run.js, next to dist/src/ where this file is compiled to. */
export function benchScript(): string {
  return path.resolve(__dirname, '..', '..', 'bench', 'run.js');
}

/** Runs `script` in a child Node process with `args`, sharing the terminal; resolves to its exit code. */
export function runScript(script: string, args: readonly string[]): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (status, signal) => resolve(status ?? (signal ? 3 : 0)));
  });
}

async function run(command: Command): Promise<void> {
  const script = benchScript();
  if (!fs.existsSync(script)) {
    throw new InputError('bench', `the benchmark suite is not built: ${script} does not exist (it is compiled from bench/run.ts by \`npm run build:ts\`; a package without bench/ has no suite)`);
  }
  const code = await runScript(script, command.args);
  if (code !== 0) process.exitCode = code;
}

export function register(program: Command): void {
  program
    .command('bench')
    .description('run the benchmark suite (dist/bench/run.js); every argument after "bench" goes to it (try: softnewton bench --help)')
    .helpOption(false)
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .argument('[args...]', 'arguments for the suite')
    .addHelpText('after', '\nExamples:\n  softnewton bench\n  softnewton bench --help      (the suite\'s own help)\n')
    .action((_args: string[], _options: unknown, command: Command) => run(command));
}
