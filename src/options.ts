/**
 * The option schema: for every option of solve() (and of certify(), which shares most of them)
 * its name, type, default, range, command-line flag and help text, written once. It drives
 *
 * - the API's validation (resolveSolveOptions in src/resolve.ts, resolveCertifyOptions in src/certify/options.ts),
 * - the commander flags and their parsing (src/cli/flags.ts),
 * - the options tables of the docs (optionsMarkdown; test/options.test.ts checks that
 *   docs/cli.md holds exactly what it renders, `node dist/src/cli/docs-options.js` rewrites it).
 *
 * Ranges the native code depends on come from its own constants (native/core/limits.h, exported as
 * `native().limits`): the schema reads them, it does not copy them.
 */
import type { NativeLimits } from './addon';
import { InputError } from './errors';
import { native } from './native';
import { METHODS, MODELS, SKETCHES, UNITS } from './types';
import { invalid, NumberRange, requireChoice, requireInteger, requireNumber, requireRowParameter, requireVector } from './validate';

/** `rowNumber`: one number for every row, or one per row (a model's scale, bias and weights). */
export type OptionType = 'choice' | 'choiceList' | 'boolean' | 'integer' | 'number' | 'rowNumber' | 'vector' | 'function' | 'signal' | 'pool';

/** Where a value comes from: the API (any value of the type) or a command-line flag (a string). */
export type Via = 'api' | 'flag';

export interface OptionSpec {
  /** The API's name (`sketchRows`). */
  name: string;
  type: OptionType;
  /** For `choice` and `choiceList`: the accepted names. */
  choices?: readonly string[];
  /** For `integer` and `number`: the accepted range (native limits where the native code has them). */
  range?: (limits: NativeLimits, via: Via) => NumberRange;
  /** For `rowNumber`: words accepted besides numbers (`n`, the number of rows, for the scale). */
  words?: readonly string[];
  /** The value an omitted option takes; a function when it depends on the machine. Absent: none. */
  default?: string | number | boolean | (() => number);
  /** Model options: the default where a model has its own (the scale's is 1 but for softmax-unit). */
  defaultByModel?: Readonly<Record<string, string | number>>;
  /** The default as the docs and the help state it. */
  defaultText: string;
  /** The command-line flag and its argument (`--sketch-rows <k>`); absent when the CLI has none. */
  flag?: string;
  /** One line: what the option does. */
  help: string;
  /** `solve`: accepted by solve() only, not solveSync(). */
  only?: 'solve';
}

/** Most starts one call may ask for: each start holds a trace and a result until all are done. */
export const MAX_STARTS = 1024;

const nonNegative = (): NumberRange => ({ min: 0 });

/** The options of solve(), in the order the docs list them. */
export const SOLVE_OPTIONS: readonly OptionSpec[] = [
  { name: 'method', type: 'choice', choices: METHODS, default: 'newton-pcg', defaultText: 'newton-pcg', flag: '--method <name>',
    help: 'the method: newton-pcg (exact Newton system by CG, preconditioned by the sketch), approx-newton (the paper: sketched Hessian), newton, gd, lbfgs' },
  { name: 'sketch', type: 'choice', choices: SKETCHES, default: 'auto', defaultText: 'auto', flag: '--sketch <name>',
    help: 'the sketch of Cᵀ diag(D) C: leverage (the paper), countsketch, osnap, uniform (no guarantee), none (exact), or auto: exact when that is cheaper than leverage sampling counting its scoring passes, else leverage (docs/math.md §4)' },
  { name: 'sketchRows', type: 'integer', range: (l, via) => ({ min: via === 'flag' ? 1 : 0, max: l.sketchRowsMax }), default: 0,
    defaultText: '0: derived from the method and d (and eps0)', flag: '--sketch-rows <k>', help: "k, the sketch's rows; when not given, capped at n: approx-newton ⌈3·d·ln(d+1)/ε₀²⌉, newton-pcg m·d with m in [10, 40] by cost (docs/performance.md)" },
  { name: 'eps0', type: 'number', range: (l) => ({ min: l.eps0Above, max: l.eps0Below, exclusiveMin: true, exclusiveMax: true }), default: 0.5,
    defaultText: '0.5', flag: '--eps0 <e>', help: "the sketch's target spectral error ε₀, which sets k when sketchRows is not given" },
  { name: 'osnapNonzeros', type: 'integer', range: (l) => ({ min: 1, max: l.osnapNonzerosMax }), default: 4, defaultText: '4',
    flag: '--osnap-nonzeros <s>', help: 'non-zeros per row of the osnap sketch (at most sketchRows)' },
  { name: 'tol', type: 'number', range: nonNegative, default: 1e-8, defaultText: '1e-8', flag: '--tol <t>',
    help: 'relative tolerance: stop when ‖∇L(x)‖ ≤ tol·‖∇L(x₀)‖' },
  { name: 'atol', type: 'number', range: nonNegative, default: 0, defaultText: '0: off', flag: '--atol <a>',
    help: 'absolute tolerance: stop when ‖∇L(x)‖ ≤ atol' },
  { name: 'decrementTol', type: 'number', range: nonNegative, default: 0, defaultText: '0: off', flag: '--decrement-tol <v>',
    help: 'stop when half the squared Newton decrement ½gᵀH̃⁻¹g ≤ this' },
  { name: 'maxIter', type: 'integer', range: (l) => ({ min: 0, max: l.maxIterMax }), default: 100, defaultText: '100', flag: '--max-iter <n>',
    help: 'iterations at most' },
  { name: 'maxInner', type: 'integer', range: (l) => ({ min: 1, max: l.maxInnerMax }), default: 200, defaultText: '200', flag: '--max-inner <n>',
    help: 'newton-pcg: CG steps per Newton iteration at most' },
  { name: 'lbfgsMemory', type: 'integer', range: (l) => ({ min: 1, max: l.lbfgsMemoryMax }), default: 10, defaultText: '10', flag: '--lbfgs-memory <m>',
    help: 'lbfgs: stored corrections' },
  { name: 'seed', type: 'integer', range: () => ({ min: 0, max: Number.MAX_SAFE_INTEGER }), default: 0, defaultText: '0', flag: '--seed <s>',
    help: 'seeds the start point and every sketch; the same seed gives the same bits' },
  { name: 'x0', type: 'vector', defaultText: 'a small seeded random vector, ‖x₀‖ ≈ 0.1', flag: '--x0 <file>',
    help: 'the start point (on the command line: a JSON array of d numbers, a .npy vector (--out-x) or a model file (--save-model))' },
  { name: 'xStar', type: 'vector', defaultText: 'none', flag: '--xstar <file>', help: 'a known minimiser: the trace then records ‖x_t − x*‖' },
  { name: 'threads', type: 'integer', range: (l) => ({ min: 1, max: l.threadsMax }), default: defaultThreads,
    defaultText: "the cores available (in a pool: its threads per worker)", flag: '--threads <n>',
    help: 'threads for every native pass: sparse passes, Gram, sketches, BLAS/LAPACK; results are bit-identical for every value' },
  { name: 'maxMemoryBytes', type: 'number', range: () => ({ min: 0, exclusiveMin: true }), defaultText: "half the machine's memory",
    flag: '--max-memory <bytes>', help: 'refuse a solve whose estimated memory exceeds this (docs/reliability.md)' },
  { name: 'starts', type: 'integer', range: () => ({ min: 1, max: MAX_STARTS }), defaultText: '1', flag: '--starts <k>', only: 'solve',
    help: 'run k independently seeded starts in parallel in a worker pool and keep the best: the converged start with the smallest final loss' },
  { name: 'onIteration', type: 'function', defaultText: 'none', only: 'solve', help: 'called with each trace row and the index of its start' },
  { name: 'signal', type: 'signal', defaultText: 'none', only: 'solve', help: 'an AbortSignal: aborting stops the solve within one iteration' },
  { name: 'pool', type: 'pool', defaultText: "libuv's thread pool (the shared default pool with starts)", only: 'solve',
    help: 'the SolverPool to run in' },
];

/**
 * The model options of a Problem (src/problem.ts), in the order the docs list them. `w` and `ridge`
 * are the objective's regularisation: commands that only generate data have no flags for them.
 */
export const MODEL_OPTIONS: readonly OptionSpec[] = [
  { name: 'model', type: 'choice', choices: MODELS, default: 'softmax-unit', defaultText: 'softmax-unit', flag: '--model <name>',
    help: 'the model: softmax-unit ½‖φ(a∘softmax(Cx) + c) − b‖², softmax ½‖softmax(Cx) − b‖² (φ = identity, a = 1, c = 0), relu-softmax (softmax after a ReLU; docs/math.md §2)' },
  { name: 'unit', type: 'choice', choices: UNITS, default: 'identity', defaultText: 'identity', flag: '--unit <name>',
    help: "the second layer's unit φ" },
  // softmax(z) sums to 1, so each sᵢ is about 1/n: a = n puts a∘s at the scale of targets of order 1
  // (with a = 1 real targets fit about as well as a constant). softmax's scale is 1 by definition.
  { name: 'scale', type: 'rowNumber', words: ['n'], default: 'n', defaultByModel: { softmax: 1, 'relu-softmax': 1 },
    defaultText: 'n for model softmax-unit, 1 for the others', flag: '--scale <a>',
    help: "the second layer's scale a: a number, n for the number of rows, or (API) one value per row" },
  { name: 'bias', type: 'rowNumber', default: 0, defaultText: '0', flag: '--bias <c>', help: "the second layer's bias c: a number or (API) one value per row" },
  { name: 'w', type: 'rowNumber', range: nonNegative, default: 0, defaultText: '0', flag: '--w <w>',
    help: 'the regularisation weights w of ½‖W C x‖²: a number (the same for every row) or (API) one value per row' },
  { name: 'ridge', type: 'number', range: nonNegative, default: 0, defaultText: '0', flag: '--ridge <lambda>', help: 'the ridge λ of ½ λ‖x‖²' },
];

const MODEL_BY_NAME = new Map(MODEL_OPTIONS.map((s) => [s.name, s]));

/** The spec of a model option by name. */
export function modelOption(name: string): OptionSpec {
  const spec = MODEL_BY_NAME.get(name);
  if (!spec) throw new Error(`no model option ${name}`);
  return spec;
}

/** The default of a model option for `model` (the scale's depends on it). */
export function modelOptionDefault(spec: OptionSpec, model: string): string | number | boolean | undefined {
  return spec.defaultByModel?.[model] ?? optionDefault(spec);
}

/** The default of `threads`: this thread's native thread count (the cores, unless set), within the native maximum. */
export function defaultThreads(): number {
  return Math.max(1, Math.min(native().threads(), native().limits.threadsMax));
}

const byName = (specs: readonly OptionSpec[]) => new Map(specs.map((s) => [s.name, s]));
const SOLVE_BY_NAME = byName(SOLVE_OPTIONS);

/** The spec of a solve option by name (for schemas that share it, such as certify's). */
export function solveOption(name: string): OptionSpec {
  const spec = SOLVE_BY_NAME.get(name);
  if (!spec) throw new Error(`no solve option ${name}`);
  return spec;
}

/** The range of a numeric option, for the API or for its flag. */
export function optionRange(spec: OptionSpec, via: Via = 'api'): NumberRange {
  return spec.range ? spec.range(native().limits, via) : {};
}

/** The default value of `spec`, evaluated (undefined when it has none). */
export function optionDefault(spec: OptionSpec): string | number | boolean | undefined {
  return typeof spec.default === 'function' ? spec.default() : spec.default;
}

/**
 * `value` checked against `spec` (its default when undefined), under the name `field`. Vectors need
 * their length: `length`.
 */
export function checkOption(spec: OptionSpec, value: unknown, field: string = spec.name, length?: number): unknown {
  const v = value === undefined ? optionDefault(spec) : value;
  if (v === undefined) return undefined;
  switch (spec.type) {
    case 'choice':
      return requireChoice(field, v, spec.choices ?? []);
    case 'choiceList':
      if (!Array.isArray(v)) throw invalid(field, `an array of names (${(spec.choices ?? []).join(', ')})`, v);
      return v.map((c: unknown, k) => requireChoice(`${field}[${k}]`, c, spec.choices ?? []));
    case 'boolean':
      if (typeof v !== 'boolean') throw invalid(field, 'true or false', v);
      return v;
    case 'integer': {
      const r = optionRange(spec);
      return requireInteger(field, v, r.min ?? Number.MIN_SAFE_INTEGER, r.max ?? Number.MAX_SAFE_INTEGER);
    }
    case 'number':
      return requireNumber(field, v, optionRange(spec));
    case 'rowNumber':
      // A word (the scale's `n`) is the caller's to evaluate: it needs the row count's meaning.
      if (typeof v === 'string' && spec.words?.includes(v)) return v;
      return requireRowParameter(field, v, length ?? 1, { min: optionRange(spec).min ?? -Infinity });
    case 'vector':
      return requireVector(field, v, length ?? 0);
    case 'function':
      if (typeof v !== 'function') throw invalid(field, 'a function', v);
      return v;
    case 'signal':
      if (!(v instanceof AbortSignal)) throw invalid(field, 'an AbortSignal', v);
      return v;
    case 'pool':
      return v; // an instance check needs the class: src/pool/pool.ts makes it
  }
}

/** Throws an InputError naming the first key of `options` that `specs` does not know. */
export function checkKnownOptions(options: unknown, specs: readonly OptionSpec[]): asserts options is Record<string, unknown> {
  if (typeof options !== 'object' || options === null) throw invalid('options', 'an object', options);
  const known = specs.map((s) => s.name);
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new InputError(`options.${key}`, `unknown option; known options are ${known.join(', ')}`);
  }
}

/** The range of a numeric option as the docs state it: `0 < x < 1`, `1 … 64`, `≥ 0`. */
export function rangeText(spec: OptionSpec): string {
  if (spec.type === 'choice') return (spec.choices ?? []).map((c) => `\`${c}\``).join(', ');
  if (spec.type === 'choiceList') return `a list of ${(spec.choices ?? []).map((c) => `\`${c}\``).join(', ')}`;
  if (spec.type === 'boolean') return 'true, false';
  if (spec.type === 'vector') return 'd numbers';
  if (spec.type === 'rowNumber') {
    const min = optionRange(spec).min;
    return `${min !== undefined ? `number, ${min} ≤ x` : 'number'}${spec.words ? `, ${spec.words.map((w) => `\`${w}\``).join(', ')}` : ''}, or one per row`;
  }
  if (spec.type === 'function') return 'a function';
  if (spec.type === 'signal') return 'an AbortSignal';
  if (spec.type === 'pool') return 'a SolverPool';
  const r = optionRange(spec);
  const kind = spec.type === 'integer' ? 'integer' : 'number';
  const lo = r.min !== undefined ? `${r.min} ${r.exclusiveMin ? '<' : '≤'} ` : '';
  const hi = r.max !== undefined && r.max < Number.MAX_SAFE_INTEGER ? ` ${r.exclusiveMax ? '<' : '≤'} ${r.max}` : '';
  return lo || hi ? `${kind}, ${lo}x${hi}` : kind;
}

/** The options table of the docs: one row per option, rendered from the schema. */
export function optionsMarkdown(specs: readonly OptionSpec[]): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const rows = specs.map((s) =>
    `| \`${s.name}\` | ${s.flag ? `\`${s.flag.split(' ')[0]}\`` : '—'} | ${cell(rangeText(s))} | ${cell(s.defaultText)} | ${cell(s.help)}${s.only ? ' (solve() only)' : ''} |`);
  return ['| option | flag | values | default | meaning |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
}
