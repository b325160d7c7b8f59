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
export { estimateSolveFootprint, defaultMaxMemoryBytes } from './limits';
export type { Footprint, FootprintOptions } from './limits';
export { cpuFeatures } from './native';
export type { CpuFeatures } from './native';
export { SolverPool, createPool, closeDefaultPool, WorkerError } from './pool/pool';
export type { PoolOptions, PoolStats } from './pool/pool';
export { startSeeds } from './pool/multistart';
export type { StartResult } from './pool/multistart';
export { readLibsvm, parseLibsvm, writeLibsvm } from './io/libsvm';
export type { LibsvmData, LibsvmReadOptions, LibsvmParseOptions } from './io/libsvm';
export { readData, detectFormat, DATA_FORMATS } from './io/data';
export type { Data, DataFormat, DataReadOptions } from './io/data';
export { readMatrixMarket, parseMatrixMarket, writeMatrixMarket } from './io/mtx';
export type { MatrixMarketData, MatrixMarketReadOptions } from './io/mtx';
export { readCsv, parseCsv, writeCsv } from './io/csv';
export type { CsvData, CsvReadOptions } from './io/csv';
export { readNpy, readNpyMatrix, readNpyVector, writeNpy } from './io/npy';
export type { NpyArray, NpyReadOptions, NpyMatrixOptions } from './io/npy';
export { readTarget } from './io/target';
export { writeVector, writeTrace, TRACE_COLUMNS } from './io/results';
export type { TraceRun } from './io/results';
export { certify, observedRate, smallestEigenvalueDiagonalPlusRank2 } from './certify';
export type { Certificate, CertifyOptions, CertifyRun, Definiteness } from './certify';
export { convergenceSpec, convergenceSvg, writeConvergencePlot, renderSvg, writeSvg, lineChartSpec, lineChartSvg } from './plot';
export type { ConvergenceRun, ConvergenceOptions, ChartSpec, LinePoint, LineChartOptions } from './plot';
