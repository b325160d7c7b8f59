/**
 * `softnewton certify`: the theory side by side with the data (src/certify/) at a point, by
 * default the solution of approximate Newton: definiteness of ∇²L, the Hessian's Lipschitz
 * constant, the sketch's spectral error, the observed against the predicted local rate, and the
 * standing assumptions. A readable report, or one JSON object with --json; --plot draws the runs.
 * The exit code follows the verdict: 0 when the certificate holds, 1 when it does not (∇²L not
 * positive definite at the point, the approx-newton run not converged, the runs at different
 * stationary points, or a rate slower than predicted; the report lists which).
 */
import { Command } from 'commander';
import { Certificate, certify, CERTIFY_OPTIONS, CertifyOptions } from '../certify';
import { InputError } from '../errors';
import { writeConvergencePlot } from '../plot/convergence';
import { Problem } from '../problem';
import { asFlagError, EXIT, jsonText } from './common';
import { addDataFlags, DataFlags, loadProblem } from './data';
import { addModelFlags, addSchemaFlags, flagsByField, ModelFlags, modelFlagSpecs, modelOptionsFrom, optionsFromFlags } from './flags';

interface CertifyFlags extends ModelFlags, DataFlags {
  x?: string;
  xstar?: string;
  x0?: string;
  /** false with --no-solve */
  solve?: boolean;
  json?: boolean;
  plot?: string;
  /** The schema's flags, by commander's property name. */
  [flag: string]: unknown;
}

const FLAGGED = CERTIFY_OPTIONS.filter((s) => s.flag);

/** The API's fields → the flags that set them, from the schema: errors name the flag. */
const FLAGS_BY_FIELD = flagsByField([...modelFlagSpecs({ regularisation: true }), ...FLAGGED]);

function certifyOptionsFrom(flags: CertifyFlags): CertifyOptions {
  const o = optionsFromFlags(flags, FLAGGED) as CertifyOptions;
  if (flags.solve === false) {
    if (flags.x === undefined) throw new InputError('--no-solve', 'without a solve there is no solution to certify: give --x');
    if (flags.plot !== undefined) throw new InputError('--plot', 'the plot draws the solves, and --no-solve runs none');
    o.solve = false;
  } else {
    delete o.solve;
  }
  return o;
}

const sci = (v: number | null | undefined, digits = 3): string => (v === null || v === undefined ? '-' : v === 0 ? '0' : v.toExponential(digits - 1));
const fix = (v: number | null | undefined, digits = 3): string => (v === null || v === undefined ? '-' : Number(v.toPrecision(digits)).toString());

const DEFINITENESS = { positiveDefinite: 'positive definite', singular: 'singular (to rounding)', indefinite: 'INDEFINITE' } as const;
const VERDICT = {
  consistent: 'consistent with the prediction',
  slower: 'SLOWER than predicted',
  noPrediction: 'no prediction',
  unmeasured: 'not measured',
  differentPoints: 'NOT RATED: the runs ended at different stationary points',
} as const;

/** The certificate as a report for people: one section per claim, each with its numbers. */
export function formatCertificate(c: Certificate, context: { data: string; problem: Problem }): string {
  const { problem } = context;
  const lines: string[] = [];
  const out = (s = '') => lines.push(s);
  const solveRun = c.runs.find((r) => r.label === c.sketch.requested);
  out(`softnewton certify: ${context.data} (${problem.rows} rows, ${problem.cols} columns), model ${problem.model}/${problem.unit}`);
  out(`point: ${c.point.source === 'given' ? 'the given x' : `the solution of approx-newton with ${c.sketch.requested}${solveRun ? ` (${solveRun.converged ? 'converged' : `did not converge: ${solveRun.stopReason}`}, ${solveRun.iterations} iterations)` : ''}`}` +
    `; L = ${sci(c.point.loss, 6)}, ‖∇L‖ = ${sci(c.point.gradNorm)}, ‖x − x*‖ = ${sci(c.point.distanceToReference)}`);
  out();
  const h = c.hessian;
  out(`Hessian ∇²L(x)   ${DEFINITENESS[h.definiteness]}: λ_min = ${sci(h.minEigenvalue)}, λ_max = ${sci(h.maxEigenvalue)}` +
    (h.condition !== null ? `, condition ${sci(h.condition)}` : '') + (h.negativeEigenvalues ? `, ${h.negativeEigenvalues} negative eigenvalue(s)` : ''));
  const l = c.lipschitz;
  out(`Lipschitz of ∇²L M ≈ ${sci(l.estimate)}: max ‖∇²L(y) − ∇²L(y′)‖₂/‖y − y′‖ over ${l.pairs} pairs on the sphere of radius ${fix(l.radius)} around x (median ${sci(l.median)})` +
    (l.skipped ? `; ${l.skipped} point(s) skipped: the model overflows there` : ''));
  const s = c.sketch;
  out(`sketch           ${s.kind}${s.kind !== s.requested ? ` (for ${s.requested})` : ''}${s.kind === 'none' ? ' (exact)' : `, k = ${s.rows} rows`}: ` +
    (s.epsilon === null ? s.note : `spectral error ε = ${fix(s.epsilon)} (max of ${s.draws} draws, mean ${fix(s.epsilonMean)}) against ${s.relativeTo === 'signed' ? 'M = Cᵀ diag(D) C' : 'Cᵀ|D|C (D has negative entries)'}` +
      (s.negativePart !== 'none' ? `; negative part of D ${s.negativePart}` : '')));
  if (s.capped) out(`                 k is capped at n = ${s.capped.rows}: ε₀ asks for k = ${s.capped.wanted}, so the sample cannot be a (1 ± ε₀) approximation`);
  const r = c.rate;
  out(`local rate       observed ${fix(r.observed)} per iteration` + (r.window ? ` (geometric mean of ‖x_t − x*‖ ratios, iterations ${r.window[0]}–${r.window[1]}; from ‖∇L‖: ${fix(r.observedFromGradient)})` : ''));
  out(`                 predicted: εκ = ${fix(r.epsilonKappa)} (ε = ${fix(r.epsilon)}, κ = λ_max(∇²L⁻¹Cᵀ|D|C) = ${fix(r.kappa)}), bound εκ/(1 − εκ) = ${fix(r.bound)}, ` +
    `linearised max|1 − 1/μ(∇²L⁻¹H̃)| = ${fix(r.linearised)}`);
  out(`                 → ${VERDICT[r.verdict]}${r.note ? `: ${r.note}` : ''}`);
  if (c.stationary) {
    const st = c.stationary;
    out(`stationary point ${st.same ? 'the same' : 'DIFFERENT'}: approx-newton L = ${sci(st.solution.loss, 6)}, ‖∇L‖ = ${sci(st.solution.gradNorm)}; ` +
      `${st.reference.source === 'newton' ? 'exact Newton' : 'given x*'} L = ${sci(st.reference.loss, 6)}, ‖∇L‖ = ${sci(st.reference.gradNorm)}; ‖x − x*‖ = ${sci(st.distance)}` +
      (st.note ? `\n                 ${st.note}` : ''));
  }
  if (r.quadratic.observed !== null || r.quadratic.predicted !== null) {
    out(`exact Newton     quadratic: max e_t/e_{t−1}² = ${sci(r.quadratic.observed)}, against M/(2λ_min) = ${sci(r.quadratic.predicted)}`);
  }
  out();
  const a = c.assumptions;
  out('standing assumptions');
  out(`  norms          ‖x‖ = ${fix(a.normX)}, ‖C‖₂ = ${fix(a.normC)}, ‖b‖ = ${fix(a.normB)}; R = max(‖C‖₂, ‖x‖) = ${fix(a.R)}`);
  out(`  C              σ_min(C) = ${sci(a.sigmaMinC)}: ${a.fullColumnRank ? 'full column rank' : 'NOT of full column rank (∇²L can be positive definite only through the ridge)'}` +
    (a.ridge > 0 ? `; ridge λ = ${fix(a.ridge)}` : ''));
  out(`  weights        ${a.w.min === a.w.max ? `w = ${fix(a.w.min)}` : `w from ${fix(a.w.min)} to ${fix(a.w.max)}`}; D = δ + w² ≥ 0 needs w ≥ ${fix(a.weightForNonnegativeD)} (min δ = ${sci(a.minDelta)}): ` +
    (a.negativeRows === 0 ? 'holds' : `fails on ${a.negativeRows} row(s)`));
  out(`                 λ_min(∇²ℓ) = ${sci(a.minCurvature)}: w ≥ ${fix(a.weightForPsdCurvature)} makes ∇²ℓ + w²I ⪰ 0 (and ∇²L positive definite with C of full column rank)`);
  if (a.goodStart) {
    out(`  start          ‖x₀ − x*‖·M = ${fix(a.goodStart.distance * (l.estimate ?? 0))} ${a.goodStart.holds ? '≤' : '>'} 0.1·λ_min = ${fix(0.1 * h.minEigenvalue)}: ` +
      `the (l, M)-good start condition ${a.goodStart.holds ? 'holds' : 'does not hold (the line search and damping carry the solve)'}`);
  }
  if (a.localRadius !== null) out(`  local region   Newton is quadratic within ‖x − x*‖ < 2λ_min/(3M) = ${sci(a.localRadius)}`);
  out();
  out(c.verdict.holds ? 'verdict          the certificate holds (exit 0)' : `verdict          the certificate FAILS (exit 1): ${c.verdict.failures.join('; ')}`);
  out(`(${c.seconds.toFixed(2)} s; --json for every number, docs/cli.md for how to read this)`);
  return lines.join('\n');
}

/** The certificate as JSON-ready data: typed arrays as arrays. */
export function certificateJson(c: Certificate): unknown {
  return { ...c, point: { ...c.point, x: Array.from(c.point.x) } };
}

async function run(flags: CertifyFlags): Promise<void> {
  const modelOptions = modelOptionsFrom(flags);
  const options = certifyOptionsFrom(flags);
  if (flags.plot !== undefined && !/\.(svg|png)$/i.test(flags.plot)) throw new InputError('--plot', `expected a file name ending in .svg or .png, received ${JSON.stringify(flags.plot)}`);
  const { problem, points } = await loadProblem(flags, modelOptions, { '--x': flags.x, '--xstar': flags.xstar, '--x0': flags.x0 }, FLAGS_BY_FIELD);
  options.x ??= points['--x'];
  options.xStar ??= points['--xstar'];
  options.x0 ??= points['--x0'];
  let certificate: Certificate;
  try {
    certificate = await certify(problem, options);
  } catch (error) {
    asFlagError(error, FLAGS_BY_FIELD);
  }
  if (flags.json) process.stdout.write(`${jsonText(certificateJson(certificate))}\n`);
  else process.stdout.write(`${formatCertificate(certificate, { data: flags.data, problem })}\n`);
  if (flags.plot !== undefined) {
    await writeConvergencePlot(flags.plot, certificate.runs.map((r) => ({ label: r.label === 'newton' ? 'none (exact Newton)' : r.label, trace: r.trace })), {
      title: 'softnewton certify: convergence by sketch',
      subtitle: `${flags.data} (${problem.rows} × ${problem.cols}), ${problem.model}/${problem.unit}; x* = ${options.xStar ? 'given' : "exact Newton's solution"}`,
      legend: 'sketch',
    });
  }
  if (!certificate.verdict.holds) process.exitCode = EXIT.certificateFails;
}

export function register(program: Command): void {
  const command = program
    .command('certify')
    .description('check the theory on the data at a point (default: the solution): definiteness of ∇²L, Hessian Lipschitz constant, sketch error, local rate, standing assumptions; exit 1 when the certificate does not hold');
  addDataFlags(command);
  addModelFlags(command, { regularisation: true, scaleDefault: 'n for model softmax-unit, 1 for the others' });
  addSchemaFlags(command, FLAGGED);
  command
    .option('--json', 'print the certificate as one JSON object (docs/cli.md lists its fields)')
    .option('--plot <file>', 'draw ‖∇L‖ and ‖x_t − x*‖ per iteration for each sketch (log scale): .svg or .png')
    .addHelpText('after', '\nExamples:\n  softnewton certify --data p.svm --cols 50 --scale n\n' +
      '  softnewton certify --data p.svm --cols 50 --scale n --compare countsketch,uniform,none --plot sketches.svg\n' +
      '  softnewton certify --data noisy.mtx --target b.txt --scale n --x point.json --no-solve --json\n')
    .action(run);
}
