/** What test/prebuilt.test.ts and test/install.test.ts expect of the addon's run-time linkage. */
import * as path from 'node:path';

/** ldd's list for an addon that needs only glibc, libstdc++ and libgcc_s (scripts/check-linkage.sh). */
export const EXPECTED_LDD = ['ld-linux-x86-64.so.2', 'libc.so.6', 'libgcc_s.so.1', 'libm.so.6', 'libstdc++.so.6', 'linux-vdso.so.1'];

/** The libraries an ldd listing names, without addresses or paths, sorted. */
export function lddNames(listing: string): string[] {
  return listing.split('\n').map((l) => l.trim().split(/\s+/)[0]).filter(Boolean).map((n) => path.basename(n)).sort();
}
