/**
 * Loads the native addon once per thread, as the type src/addon.ts declares. When loading fails, one error lists the likely causes
 * and the fix for each, rather than a bare dlopen message.
 */
import * as path from 'node:path';
import type { NativeAddon, NativeProblemSpec } from './addon';
import type { Matrix } from './matrix';

export type { NativeAddon, NativeProblem, NativeProblemSpec, NativeSketchOptions, NativeSketchReport } from './addon';

let addon: NativeAddon | undefined;

export function native(): NativeAddon {
  if (addon) return addon;
  const file = path.resolve(__dirname, '..', '..', 'build', 'Release', 'softnewton.node');
  try {
    addon = require(file) as NativeAddon;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `softnewton: could not load the native addon ${file}\n  ${reason}\n` +
        'Likely causes and fixes:\n' +
        '  - the addon was never built: run `npm run ensure` (installs Debian packages, builds it)\n' +
        '  - OpenBLAS, LAPACKE or liblbfgs is missing: apt-get install libopenblas-dev liblapacke-dev liblbfgs-dev\n' +
        '  - it was built for another Node.js version: run `npx node-gyp rebuild` in the package folder',
    );
  }
  return addon;
}

export function matrixFields(c: Matrix): Pick<NativeProblemSpec, 'rows' | 'cols' | 'data' | 'indptr' | 'indices' | 'values'> {
  return 'data' in c
    ? { rows: c.rows, cols: c.cols, data: c.data }
    : { rows: c.rows, cols: c.cols, indptr: c.indptr, indices: c.indices, values: c.values };
}
