/**
 * Loads the native addon once per thread. When loading fails, one error lists the likely causes
 * and the fix for each, rather than a bare dlopen message.
 */
import * as path from 'node:path';
import type { Matrix } from './matrix';
import type { HessianPieces } from './problem';

export interface NativeProblemSpec {
  rows: number;
  cols: number;
  data?: Float64Array;
  indptr?: Int32Array;
  indices?: Int32Array;
  values?: Float64Array;
  target: Float64Array;
  model: string;
  unit: string;
  scale: Float64Array;
  bias: Float64Array;
  weight: Float64Array;
  ridge: number;
}


export interface NativeProblem {
  evaluate(x: Float64Array): { loss: number; gradient: Float64Array };
  loss(x: Float64Array): number;
  pieces(x: Float64Array): HessianPieces;
  hessian(x: Float64Array): Float64Array;
  hessianVector(x: Float64Array, v: Float64Array): Float64Array;
  predict(x: Float64Array): Float64Array;
}

export interface NativeSketchOptions {
  kind?: string;
  rows?: number;
  seed?: number;
  osnapNonzeros?: number;
  /** Threads for the row passes; the sketch is the same bit for bit for every value. */
  threads?: number;
  /** A cancel flag: non-zero makes the sketch throw ("cancelled: …") from inside its row passes. */
  cancel?: Int32Array;
}

export interface NativeSketchReport {
  kind: string;
  rows: number;
  negativeRows: number;
  negativePart: 'none' | 'exact' | 'sketched';
}

/** What cpuFeatures() reports: the CPU's features and which dispatch clone runs (docs/install.md). */
export interface CpuFeatures {
  arch: 'x64' | 'other';
  avx2?: boolean;
  fma?: boolean;
  avx512f?: boolean;
  x86_64_v3?: boolean;
  x86_64_v4?: boolean;
  /** Whether the hot loops were compiled with runtime dispatch (native/core/dispatch.h). */
  dispatch: boolean;
  /** The clone of the dispatched loops this CPU runs; 'none' without dispatch. */
  clone: 'x86-64-v4' | 'x86-64-v3' | 'default' | 'none';
  /** The -march the rest of the addon was compiled for. */
  baseline: string;
  /** The kernel set OpenBLAS chose for this CPU at load time, e.g. 'Haswell' or 'SkylakeX'. */
  blasCore: string;
}

export interface NativeAddon {
  cpuFeatures(): CpuFeatures;
  NativeProblem: new (spec: NativeProblemSpec) => NativeProblem;
  generatePlanted(options: {
    rows: number; cols: number; density: number; radius: number; noise: number; seed: number; conditioning: number;
    model: string; unit: string; scale: Float64Array; bias: Float64Array;
  }): { indptr: Int32Array; indices: Int32Array; values: Float64Array; xStar: Float64Array; target: Float64Array };
  blasThreads(threads?: number): number;
  /** This thread's threads for synchronous Problem calls (default: the cores). */
  threads(threads?: number): number;
  sketchGram(problem: NativeProblem, x: Float64Array, options: NativeSketchOptions): { gram: Float64Array; report: NativeSketchReport };
  sketchSpectrum(problem: NativeProblem, x: Float64Array, options: NativeSketchOptions & { relativeTo?: 'signed' | 'absolute' }): { minEig: number; maxEig: number; report: NativeSketchReport };
  sketchRowsForEpsilon(rows: number, cols: number, epsilon: number): number;
  solve(problem: NativeProblem, options: object, onIteration: ((row: never) => void) | undefined, cancel: Int32Array): Promise<unknown>;
  /** On the calling thread; onIteration is called synchronously, cancel read like solve's. */
  solveSync(problem: NativeProblem, options: object, onIteration?: (row: never) => void, cancel?: Int32Array): unknown;
}

let addon: NativeAddon | undefined;

// node-gyp-build ships no types: it is one function from a package folder to the loaded addon.
const nodeGypBuild = require('node-gyp-build') as (dir: string) => unknown;

/** The package's root: node-gyp-build looks there for build/Release (a source build) and prebuilds/. */
const packageRoot = path.resolve(__dirname, '..', '..');

export function native(): NativeAddon {
  if (addon) return addon;
  try {
    // A source build (build/Release) when there is one, else the prebuilt binary for this platform
    // (prebuilds/linux-x64/node.napi.glibc.node in the package, docs/install.md).
    addon = nodeGypBuild(packageRoot) as NativeAddon;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `softnewton: could not load the native addon from ${packageRoot}\n  ${reason}\n` +
        'Likely causes and fixes:\n' +
        '  - no prebuilt binary for this platform (the package ships one for Linux x64 with glibc) and no source\n' +
        '    build: install a C++17 compiler, make, python3, pkg-config and OpenBLAS, LAPACKE and liblbfgs\n' +
        '    (Debian: apt-get install build-essential python3 pkg-config libopenblas-dev libopenblas-pthread-dev\n' +
        '    liblapacke-dev liblbfgs-dev libgfortran-12-dev),\n' +
        '    then run `npm rebuild softnewton` (docs/install.md)\n' +
        '  - in a clone, the addon was never built: run `npm run ensure` (installs Debian packages, builds it)\n' +
        '  - a source build for another Node.js version or without its libraries: run `npx node-gyp rebuild` in the package folder',
    );
  }
  return addon;
}

/** Which code the CPU runs: its features and the clone of the dispatched hot loops it gets. */
export function cpuFeatures(): CpuFeatures {
  return native().cpuFeatures();
}

/**
 * For bench/ only: use this addon module instead of the shipped one (the bench-only build, which
 * adds benchKernel to the same API). Call it before anything loads the addon.
 */
export function useAddon(module: NativeAddon): void {
  if (addon && addon !== module) throw new Error('softnewton: useAddon() after the addon was loaded');
  addon = module;
}

export function matrixFields(c: Matrix): Pick<NativeProblemSpec, 'rows' | 'cols' | 'data' | 'indptr' | 'indices' | 'values'> {
  return 'data' in c
    ? { rows: c.rows, cols: c.cols, data: c.data }
    : { rows: c.rows, cols: c.cols, indptr: c.indptr, indices: c.indices, values: c.values };
}
