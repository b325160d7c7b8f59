export { Model, MODEL_FORMAT, MODEL_VERSION, scorePredictions } from './model';
export type { ModelSpec, ModelFile, PerRow, TrainingSummary, BatchOptions, Score, FromSolveOptions } from './model';
export { fitStandardization, applyStandardization } from './preprocess';
export type { Standardization } from './preprocess';
export { targetWarnings } from './hygiene';
