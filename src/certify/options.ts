/**
 * certify()'s options: the solve options it shares come from the solve schema (src/options.ts),
 * with certify's own defaults where they differ (the paper's sketch, a tighter tolerance); the rest
 * are certify's own. The schema drives the API's checks here and the flags of `softnewton certify`.
 */
import { InputError } from '../errors';
import { checkKnownOptions, checkOption, OptionSpec, solveOption } from '../options';
import { SKETCHES, SketchName } from '../types';
import type { CertifyOptions } from './types';

export const CERTIFY_OPTIONS: readonly OptionSpec[] = [
  { name: 'x', type: 'vector', defaultText: 'the solution of approx-newton', flag: '--x <file>',
    help: 'the point to certify (on the command line: a JSON array of d numbers, a .npy vector or a model file)' },
  { ...solveOption('xStar'), defaultText: "exact Newton's solution", help: 'a known minimiser for ‖x_t − x*‖' },
  { ...solveOption('x0'), defaultText: "the solver's seeded start", help: 'start point of the solves' },
  { ...solveOption('sketch'), default: 'leverage', defaultText: "leverage (the paper's)", help: 'the sketch to measure and to solve with' },
  solveOption('sketchRows'),
  solveOption('eps0'),
  { name: 'compare', type: 'choiceList', choices: SKETCHES, defaultText: 'none', flag: '--compare <list>',
    help: 'more sketches to solve with, comma-separated on the command line (one line each in --plot)' },
  { ...solveOption('seed'), help: 'seeds the solves, the sketches and the sample' },
  { name: 'sketchDraws', type: 'integer', range: () => ({ min: 1, max: 1000 }), default: 5, defaultText: '5', flag: '--draws <n>',
    help: 'sketch draws the spectral error is measured over' },
  { name: 'samples', type: 'integer', range: () => ({ min: 1, max: 1000 }), default: 8, defaultText: '8 (15 pairs)', flag: '--samples <n>',
    help: 'points sampled around x for the Lipschitz estimate' },
  // At most 1e150: the squared distances ‖y − x‖² of the Lipschitz pairs must stay finite (1e150² = 1e300);
  // at 1e308 they overflowed and the ratios read 0, "M ≈ 0".
  { name: 'radius', type: 'number', range: () => ({ min: 0, max: 1e150, exclusiveMin: true }), defaultText: '0.1·max(1, ‖x‖)', flag: '--radius <r>',
    help: 'radius of the sphere the samples are drawn on (M is a local constant)' },
  { ...solveOption('tol'), default: 1e-10, defaultText: '1e-10', help: 'relative tolerance of the solves' },
  { ...solveOption('maxIter'), range: (l) => ({ min: 1, max: l.maxIterMax }), help: 'iterations at most per solve' },
  { name: 'solve', type: 'boolean', default: true, defaultText: 'true', flag: '--no-solve', help: 'run the solves (the rate and the runs come from them); needed unless x is given' },
  { name: 'rateWindow', type: 'integer', range: () => ({ min: 1, max: 1000 }), default: 4, defaultText: '4',
    help: 'trailing full-step iterations the observed rate is averaged over' },
];

const BY_NAME = new Map(CERTIFY_OPTIONS.map((s) => [s.name, s]));

export interface ResolvedCertifyOptions {
  x?: Float64Array;
  xStar?: Float64Array;
  x0?: Float64Array;
  sketch: SketchName;
  sketchRows: number;
  eps0: number;
  compare: SketchName[];
  seed: number;
  draws: number;
  samples: number;
  radius?: number;
  tol: number;
  maxIter: number;
  solve: boolean;
  window: number;
}

export function resolveCertifyOptions(problem: { cols: number }, options: CertifyOptions): ResolvedCertifyOptions {
  checkKnownOptions(options, CERTIFY_OPTIONS);
  const o = options as Record<string, unknown>;
  const value = <T>(name: string): T => checkOption(BY_NAME.get(name)!, o[name], name, problem.cols) as T;
  const solve = value<boolean>('solve');
  if (!solve && o.x === undefined) throw new InputError('solve', 'without a solve there is no solution to certify: give x');
  return {
    x: value('x'),
    xStar: value('xStar'),
    x0: value('x0'),
    sketch: value('sketch'),
    sketchRows: value('sketchRows'),
    eps0: value('eps0'),
    compare: value<SketchName[] | undefined>('compare') ?? [],
    seed: value('seed'),
    draws: value('sketchDraws'),
    samples: value('samples'),
    radius: value('radius'),
    tol: value('tol'),
    maxIter: value('maxIter'),
    solve,
    window: value('rateWindow'),
  };
}
