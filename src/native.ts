/**
 * Loads the native addon once per thread. When loading fails, one error lists the likely causes
 * and the fix for each, rather than a bare dlopen message.
 */
import * as path from 'node:path';
import type { CpuFeatures, NativeAddon, NativeProblemSpec } from './addon';
import type { Matrix } from './matrix';

export type { CpuFeatures, NativeAddon, NativeProblem, NativeProblemSpec, NativeSketchOptions, NativeSketchReport } from './addon';

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
