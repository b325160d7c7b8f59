/**
 * `softnewton generate`: writes a planted problem (docs/math.md §6) as a LIBSVM file and its x*
 * as a JSON array, so that the other commands can be tried on data with a known answer.
 */
import { Command } from 'commander';
import { writeLibsvm } from '../io/libsvm';
import { generatePlanted } from '../planted';
import { refuseSameOutputs } from './outputs';
import { addModelFlags, flagsByField, ModelFlags, modelFlagSpecs, modelOptionsFrom } from './flags';
import { asFlagError, parseIntegerFlag, parseNumberFlag, writeJsonFile } from './common';

interface GenerateFlags extends ModelFlags {
  rows: string;
  cols: string;
  density: string;
  radius?: string;
  noise?: string;
  conditioning?: string;
  seed?: string;
  out: string;
  xstar: string;
}

/** The API's names for what the flags set, so its errors can name the flag: the model's from the schema, the planted data's here. */
const FLAGS_BY_FIELD = {
  rows: '--rows', cols: '--cols', density: '--density', radius: '--radius', noise: '--noise', conditioning: '--conditioning', seed: '--seed',
  ...flagsByField(modelFlagSpecs({ regularisation: false })),
};

async function generate(flags: GenerateFlags): Promise<void> {
  const rows = parseIntegerFlag('--rows', flags.rows, 1);
  const cols = parseIntegerFlag('--cols', flags.cols, 1);
  const density = parseNumberFlag('--density', flags.density, { min: 0, max: 1, exclusiveMin: true });
  const model = modelOptionsFrom(flags);
  const radius = flags.radius === undefined ? undefined : parseNumberFlag('--radius', flags.radius, { min: 0, exclusiveMin: true });
  const noise = flags.noise === undefined ? undefined : parseNumberFlag('--noise', flags.noise, { min: 0 });
  const conditioning = flags.conditioning === undefined ? undefined : parseNumberFlag('--conditioning', flags.conditioning, { min: 1 });
  const seed = flags.seed === undefined ? undefined : parseIntegerFlag('--seed', flags.seed, 0, Number.MAX_SAFE_INTEGER);

  refuseSameOutputs([['--out', flags.out], ['--xstar', flags.xstar]]);

  let planted;
  try {
    planted = generatePlanted({ rows, cols, density, radius, noise, conditioning, seed, model: model.model, unit: model.unit, scale: model.scale, bias: model.bias });
  } catch (error) {
    asFlagError(error, FLAGS_BY_FIELD);
  }
  await writeLibsvm(flags.out, planted.C, planted.b);
  await writeJsonFile('--xstar', flags.xstar, Array.from(planted.xStar));

  // The file does not record the model, so say which flags reproduce it (eval's default scale is n only for softmax-unit).
  const generated = planted.model;
  const scale = model.scale ?? (generated.model === 'softmax' ? 1 : 'n');
  const modelFlags = generated.model === 'softmax'
    ? '--model softmax'
    : `--model ${generated.model} --unit ${generated.unit} --scale ${scale} --bias ${model.bias ?? 0}`;
  process.stderr.write(
    `softnewton: wrote ${flags.out} (${rows} rows, ${cols} cols, ${planted.C.indptr[rows]} non-zeros) and x* to ${flags.xstar}; ` +
      `model flags: --cols ${cols} ${modelFlags}\n`,
  );
}

export function register(program: Command): void {
  const command = program
    .command('generate')
    .description('write a planted problem: C (given density) and b = φ(a∘softmax(Cx*) + c) + noise as LIBSVM, and x* as JSON')
    .requiredOption('--rows <n>', 'number of rows n')
    .requiredOption('--cols <d>', 'number of columns d (the model size)')
    .requiredOption('--density <p>', 'probability in (0, 1] that an entry of C is stored');
  addModelFlags(command, { regularisation: false, scaleDefault: 'n; 1 for model softmax' });
  command
    .option('--radius <R>', '‖x*‖ (default 1; √d makes Cx* roughly standard normal)')
    .option('--noise <sigma>', 'standard deviation of Gaussian noise added to b (default 0)')
    .option('--conditioning <K>', 'scale column j of C by K^(-j/(d-1)): C about K times worse conditioned (default 1)')
    .option('--seed <s>', 'random seed, an integer ≥ 0 (default 0)')
    .requiredOption('--out <file>', 'the LIBSVM file to write (gzip-compressed if it ends in .gz)')
    .requiredOption('--xstar <file>', 'the JSON file to write x* to')
    .addHelpText('after', '\nExamples:\n  softnewton generate --rows 20000 --cols 50 --density 1 --out p.svm --xstar xs.json\n' +
      '  softnewton generate --rows 5000 --cols 20 --density 0.1 --unit sigmoid --noise 0.1 --seed 7 --out noisy.svm.gz --xstar xs.json\n')
    .action(generate);
}
