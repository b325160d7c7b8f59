/**
 * `--config FILE`: options from a JSON object whose keys are the command's long flag names without
 * the dashes (`{"sketch-rows": 500, "json": true}`). Flags given on the command line win; an
 * unknown key, or a value of the wrong kind, is a user error naming the key.
 *
 * The values are set on the subcommand before it parses its arguments, with commander's value
 * source `config`, so the command line overrides them and required options count as given.
 */
import * as fs from 'node:fs';
import { Command, Option } from 'commander';
import { InputError } from '../errors';
import { describe } from '../validate';
import { systemReason } from './common';

const FLAG = '--config';

/** The value of --config among a subcommand's raw arguments (`--config F` or `--config=F`), if any. */
export function configArgument(args: readonly string[]): string | undefined {
  let file: string | undefined;
  for (let k = 0; k < args.length; k++) {
    const arg = args[k];
    if (arg === '--') break;
    if (arg === FLAG) {
      if (k + 1 >= args.length) return undefined; // commander reports the missing argument
      file = args[++k];
    } else if (arg.startsWith(`${FLAG}=`)) {
      file = arg.slice(FLAG.length + 1);
    }
  }
  return file;
}

/** The largest config file read, 1 MiB: a file of flags is a few hundred bytes. `--config
 *  /dev/zero` (or any huge file) ended in std::bad_alloc from readFileSync, a SIGABRT. */
export const MAX_CONFIG_BYTES = 1 << 20;

/** At most MAX_CONFIG_BYTES + 1 bytes of the file, read in pieces: a device such as /dev/zero has no size to check first. */
function readCapped(file: string): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let length = 0;
    for (let n = 1; n > 0 && length < buffer.length; length += n) n = fs.readSync(fd, buffer, length, buffer.length - length, null);
    return buffer.subarray(0, length);
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads the config file: a JSON object. */
export function readConfig(file: string): Record<string, unknown> {
  let bytes: Buffer;
  try {
    bytes = readCapped(file);
  } catch (error) {
    throw new InputError(FLAG, `cannot read ${JSON.stringify(file)}: ${systemReason(error)}`);
  }
  if (bytes.length > MAX_CONFIG_BYTES) throw new InputError(FLAG, `${JSON.stringify(file)} is larger than ${MAX_CONFIG_BYTES} bytes: not a config file`);
  const text = bytes.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InputError(FLAG, `${JSON.stringify(file)} is not valid JSON (${error instanceof Error ? error.message : error})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InputError(FLAG, `${JSON.stringify(file)} must hold a JSON object {"flag-name": value, …}, found ${describe(parsed)}`);
  }
  return parsed as Record<string, unknown>;
}

/** Sets the config's values on `command` (source `config`); the command line parsed afterwards wins. */
export function applyConfig(command: Command, file: string, config: Record<string, unknown>): void {
  const options = command.options as readonly Option[];
  const where = `${JSON.stringify(file)}`;
  for (const [key, value] of Object.entries(config)) {
    const option = options.find((o) => o.long === `--${key}`);
    if (!option || key === 'config' || key === 'help') {
      const known = options.map((o) => o.long?.slice(2)).filter((k): k is string => Boolean(k) && k !== 'config' && k !== 'help');
      throw new InputError(FLAG, `${where}: unknown key ${JSON.stringify(key)}: softnewton ${command.name()} has no --${key} (its keys: ${known.join(', ')})`);
    }
    const name = option.attributeName();
    if (option.isBoolean() || option.negate) {
      if (typeof value !== 'boolean') throw new InputError(FLAG, `${where}: ${JSON.stringify(key)} is a switch: expected true or false, found ${describe(value)}`);
      // `"json": false` and `"no-progress": false` leave the switch as it is (off, or on by default).
      if (value) command.setOptionValueWithSource(name, !option.negate, 'config');
      continue;
    }
    let text: string;
    if (typeof value === 'string') text = value;
    else if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
    else throw new InputError(FLAG, `${where}: ${JSON.stringify(key)} expects a value: a string or a finite number, found ${describe(value)}`);
    command.setOptionValueWithSource(name, text, 'config');
  }
}

/**
 * Adds `--config <file>` to every command of `program` and applies the file before the chosen
 * command parses its arguments.
 */
export function installConfig(program: Command): void {
  // Only commands with options of their own take a config (bench passes its arguments on, demo has none).
  for (const command of program.commands) {
    if (command.options.length === 0) continue;
    command.option(`${FLAG} <file>`, 'read options from a JSON object {"long-flag-name": value, …}; flags given on the command line win');
  }
  program.hook('preSubcommand', (parent, subcommand) => {
    if (!subcommand.options.some((o) => o.long === FLAG)) return;
    const file = configArgument(parent.args.slice(1));
    if (file !== undefined) applyConfig(subcommand, file, readConfig(file));
  });
}
