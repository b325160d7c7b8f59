/**
 * softnewton: two-layer softmax regression trained by an approximate (sketched) Newton method.
 */
export { Problem, MODELS, UNITS } from './problem';
export type { ModelName, UnitName, ModelOptions, HessianPieces } from './problem';
export { csrFromTriplets, toDense, toCsr, validateMatrix, isDense, nnz } from './matrix';
export type { CsrMatrix, DenseMatrix, Matrix } from './matrix';
export { generatePlanted, plantedProblem } from './planted';
export type { PlantedOptions, PlantedProblem } from './planted';
export { SoftnewtonError, InputError, DataFormatError, NumericalError, AbortError } from './errors';
export { solve, solveSync, METHODS, SKETCHES } from './solve';
export type { SolveOptions, SolveResult, TraceRow, MethodName, SketchName, StopReason } from './solve';
export { readLibsvm, parseLibsvm, writeLibsvm } from './io/libsvm';
export type { LibsvmData, LibsvmReadOptions, LibsvmParseOptions } from './io/libsvm';
