#!/usr/bin/env node
/**
 * The `softnewton` command. Each command lives in its own module exporting `register(program)`;
 * this file only builds the program from that list and turns the outcome into an exit code
 * (see EXIT in common.ts and docs/cli.md).
 */
import { Command } from 'commander';
import { CommandModule, reportError } from './common';
import * as evalCommand from './eval';
import * as demoCommand from './demo';
import * as generateCommand from './generate';
import * as solveCommand from './solve';

/** Every command, in the order `--help` lists them. A new command is one import and one entry here. */
const COMMANDS: readonly CommandModule[] = [generateCommand, evalCommand, solveCommand, demoCommand];

export function buildProgram(): Command {
  // Read at run time: package.json sits outside rootDir, so it cannot be imported.
  const { version } = require('../../../package.json') as { version: string };
  const program = new Command('softnewton')
    .description('Two-layer softmax regression trained by a sketched Newton method.')
    .version(version)
    // Subcommands copy these settings when they are created, so they must come first. Usage errors
    // are thrown instead of exiting, and reported by reportError in the common one-line form.
    .exitOverride()
    .configureOutput({ outputError: () => undefined })
    .showSuggestionAfterError(true);
  for (const command of COMMANDS) command.register(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv]);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (error) {
    return reportError(error, (text) => process.stderr.write(text));
  }
}

if (require.main === module) {
  // exitCode rather than process.exit(): output still buffered for a pipe is written before exiting.
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
