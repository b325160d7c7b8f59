#!/usr/bin/env node
/**
 * The `softnewton` command. Each command lives in its own module exporting `register(program)`;
 * this file only builds the program from that list and turns the outcome into an exit code
 * (see EXIT in common.ts and docs/cli.md).
 */
import { Command } from 'commander';
import { CommandModule, reportError } from './common';
import * as benchCommand from './bench';
import * as certifyCommand from './certify';
import { installConfig } from './config';
import * as evalCommand from './eval';
import * as demoCommand from './demo';
import * as generateCommand from './generate';
import * as solveCommand from './solve';
import * as predictCommand from './predict';
import * as scoreCommand from './score';

/** Every command, in the order `--help` lists them. A new command is one import and one entry here. */
const COMMANDS: readonly CommandModule[] = [generateCommand, evalCommand, solveCommand, predictCommand, scoreCommand, certifyCommand, benchCommand, demoCommand];

const HELP_EXAMPLES = `
Data: --data FILE picks the reader by extension: .svm .libsvm .txt (LIBSVM), .mtx (Matrix Market),
.csv, .npy, each optionally .gz; b from --target FILE or --target-column for formats without labels.
Any command's options can also come from --config FILE.json ({"long-flag-name": value}).

Examples:
  softnewton generate --rows 20000 --cols 50 --density 1 --out p.svm --xstar xs.json
  softnewton solve --data p.svm --cols 50 --scale n --xstar xs.json --plot conv.svg
  softnewton certify --data p.svm --cols 50 --scale n --compare countsketch,uniform --plot sketches.svg
  softnewton <command> --help

Exit codes: 0 ok, 1 did not converge (solve) or not positive definite (certify), 2 user error,
3 internal error. Details: docs/cli.md.
`;

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
  installConfig(program);
  program.addHelpText('after', HELP_EXAMPLES);
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
