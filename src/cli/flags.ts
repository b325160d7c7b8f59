/**
 * Command-line flags made from the option schema (src/options.ts): each command declares which
 * options it takes, and their flags, help text, parsing and error messages all come from there.
 * A flag's value is parsed with the option's own range, and errors name the flag
 * (`--eps0: expected a finite number > 0 and < 1, received "1.5"`).
 */
import { Command } from 'commander';
import { OptionSpec, optionRange } from '../options';
import { parseChoiceFlag, parseIntegerFlag, parseNumberFlag } from './common';

/** `--sketch-rows <k>` → `--sketch-rows`. */
export function flagName(spec: OptionSpec): string {
  return (spec.flag ?? '').split(' ')[0];
}

/** The property commander stores a flag under: `--sketch-rows` → `sketchRows`, `--xstar` → `xstar`, `--no-solve` → `solve`. */
export function flagProperty(spec: OptionSpec): string {
  return flagName(spec).replace(/^--(no-)?/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** The help line of a flag: what it does, its choices, its default. */
export function flagHelp(spec: OptionSpec): string {
  const choices = spec.type === 'choice' && !spec.choices!.every((c) => spec.help.includes(c)) ? ` (${spec.choices!.join(', ')})` : '';
  return `${spec.help}${choices}; default ${spec.defaultText}`;
}

/** Adds the flag of every spec that has one. */
export function addSchemaFlags(command: Command, specs: readonly OptionSpec[]): Command {
  for (const spec of specs) if (spec.flag) command.option(spec.flag, flagHelp(spec));
  return command;
}

/** API field → flag, for asFlagError (an API error about `eps0` is reported as one about `--eps0`). */
export function flagsByField(specs: readonly OptionSpec[]): Record<string, string> {
  return Object.fromEntries(specs.filter((s) => s.flag).map((s) => [s.name, flagName(s)]));
}

/**
 * The options named by the flags given, parsed and range-checked; flags not given stay absent so
 * the API's defaults apply. Vector options (files) are the caller's to load.
 */
export function optionsFromFlags(flags: Readonly<Record<string, unknown>>, specs: readonly OptionSpec[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const spec of specs) {
    if (!spec.flag) continue;
    const raw = flags[flagProperty(spec)];
    if (raw === undefined || spec.type === 'vector') continue;
    const flag = flagName(spec);
    const text = String(raw);
    if (spec.type === 'choice') out[spec.name] = parseChoiceFlag(flag, text, spec.choices ?? []);
    else if (spec.type === 'choiceList') {
      out[spec.name] = text.split(',').map((s) => s.trim()).filter(Boolean).map((s) => parseChoiceFlag(flag, s, spec.choices ?? []));
    } else if (spec.type === 'boolean') out[spec.name] = raw === true || raw === 'true';
    else if (spec.type === 'integer') {
      const r = optionRange(spec, 'flag');
      out[spec.name] = parseIntegerFlag(flag, text, r.min ?? 0, r.max ?? Number.MAX_SAFE_INTEGER);
    } else if (spec.type === 'number') out[spec.name] = parseNumberFlag(flag, text, optionRange(spec, 'flag'));
  }
  return out;
}
