/**
 * `softnewton score`: how well a saved model fits a data file with known targets — the loss L(x)
 * on that batch (with the model's w and ridge), the mean squared error and R².
 */
import { Command } from 'commander';
import { targetWarnings } from '../model/hygiene';
import { scorePredictions } from '../model/model';
import { asFlagError, requireFiniteOutput } from './common';
import { addBatchFlags, BATCH_FLAGS, BatchFlags, loadBatch } from './predict';

async function run(flags: BatchFlags & { json?: boolean }): Promise<void> {
  const { model, data, options } = await loadBatch(flags, { requireTarget: true });
  let problem;
  try {
    problem = model.problem(data.C, data.b!, options);
  } catch (error) {
    asFlagError(error, BATCH_FLAGS);
  }
  const predictions = problem.predict(model.x);
  const loss = problem.loss(model.x);
  requireFiniteOutput('predictions', predictions);
  requireFiniteOutput('loss', [loss]);
  const score = scorePredictions(problem.b, predictions, loss);
  const warnings = targetWarnings(problem);
  for (const warning of warnings) process.stderr.write(`softnewton: warning: ${warning}\n`);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ ...score, warnings })}\n`);
    return;
  }
  process.stdout.write(
    `${flags.model} on ${flags.data} (${score.rows} rows): loss ${score.loss.toExponential(6)}, MSE ${score.mse.toExponential(6)}, ` +
      `RMSE ${score.rmse.toExponential(4)}, R² ${score.r2 === null ? '- (the targets are constant)' : score.r2.toFixed(6)}\n`,
  );
}

export function register(program: Command): void {
  const command = program
    .command('score')
    .description('report the loss, MSE and R² of a saved model on a data file with targets');
  addBatchFlags(command);
  command
    .option('--json', 'print {"rows", "loss", "mse", "rmse", "r2", "warnings"} (r2 null when the targets are constant)')
    .addHelpText('after', '\nThe loss is L(x) on the batch, ½‖φ(a∘softmax(Cx) + c) − b‖² + ½‖W C x‖² + ½ λ‖x‖², the batch being\n' +
      'one softmax group (docs/models.md); MSE and R² compare the predictions with b.\n\nExamples:\n' +
      '  softnewton score --model model.json --data test.csv\n' +
      '  softnewton score --model model.json --data test.mtx --target b.txt --json\n')
    .action(run);
}
