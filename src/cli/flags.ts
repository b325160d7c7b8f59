/**
 * Command-line flags made from the option schema (src/options.ts): each command declares which
 * options it takes, and their flags, help text, parsing and error messages all come from there.
 * A flag's value is parsed with the option's own range, and errors name the flag
 * (`--eps0: expected a finite number > 0 and < 1, received "1.5"`). The model flags (`--model`,
 * `--unit`, `--scale`, …) are made the same way from MODEL_OPTIONS; an API error about any option's
 * field is reported under its flag through flagFor / flagsByField.
 */
import { Command } from 'commander';
import { MODEL_OPTIONS, OptionSpec, optionRange, SOLVE_OPTIONS } from '../options';
import type { ModelOptions } from '../problem';
import { requireSoftmaxDefaults } from '../validate';
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

/**
 * The flag that sets the API field `field` (`eps0` → `--eps0`, `scale` → `--scale`), looked up in
 * `specs` (a command's own options; default the solve and model options), or undefined when no
 * flag does. CLI errors about an option name the flag through this, never through a local table.
 */
export function flagFor(field: string, specs: readonly OptionSpec[] = [...SOLVE_OPTIONS, ...MODEL_OPTIONS]): string | undefined {
  const spec = specs.find((s) => s.name === field && s.flag);
  return spec ? flagName(spec) : undefined;
}

/** API field → flag for every option of `specs` that has one, for asFlagError (an API error about `eps0` is reported as one about `--eps0`). */
export function flagsByField(specs: readonly OptionSpec[]): Record<string, string> {
  return Object.fromEntries(specs.filter((s) => s.flag).map((s) => [s.name, flagFor(s.name, specs)!]));
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
    else if (spec.type === 'rowNumber') {
      // On the command line one number for all rows (per-row values are the API's), or a word (`n`).
      out[spec.name] = spec.words?.includes(text) ? text : parseNumberFlag(flag, text, optionRange(spec, 'flag'));
    }
  }
  return out;
}

/** The model flags as commander hands them over: strings, absent when not given. */
export interface ModelFlags {
  model?: string;
  unit?: string;
  scale?: string;
  bias?: string;
  w?: string;
  ridge?: string;
}

/** The model options the flags of a command set: all, or without `w` and `ridge` (`regularisation: false`). */
export function modelFlagSpecs({ regularisation }: { regularisation: boolean }): readonly OptionSpec[] {
  return MODEL_OPTIONS.filter((s) => regularisation || (s.name !== 'w' && s.name !== 'ridge'));
}

/**
 * Adds the model flags from the schema (src/options.ts, MODEL_OPTIONS): `--model --unit --scale --bias`,
 * and with `regularisation` also `--w --ridge`. `scaleDefault`, when given, replaces the help's
 * default of --scale (a command that applies its own); the caller applies it.
 */
export function addModelFlags(command: Command, { regularisation, scaleDefault }: { regularisation: boolean; scaleDefault?: string }): Command {
  const specs = modelFlagSpecs({ regularisation }).map((s) => (s.name === 'scale' && scaleDefault !== undefined ? { ...s, defaultText: scaleDefault } : s));
  return addSchemaFlags(command, specs);
}

/**
 * The model flags as ModelOptions, parsed with the schema's ranges; flags not given stay undefined
 * so the API applies its defaults. Model `softmax` is φ = identity, a = 1, c = 0: other values for
 * its flags are refused here, with the flag's name, rather than deeper down with the API's field name.
 */
export function modelOptionsFrom(flags: ModelFlags): ModelOptions {
  const options = optionsFromFlags(flags as Record<string, unknown>, MODEL_OPTIONS) as ModelOptions;
  requireSoftmaxDefaults(options.model ?? 'softmax-unit', options, { unit: flagFor('unit')!, scale: flagFor('scale')!, bias: flagFor('bias')! }, flags);
  return options;
}
