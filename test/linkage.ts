/** What test/prebuilt.test.ts and test/install.test.ts expect of the addon's run-time linkage. */
import * as path from 'node:path';

/** ldd's list for an addon that needs only glibc, libstdc++ and libgcc_s (scripts/check-linkage.sh).
 *  libmvec is glibc's vector math library (the libc6 package, every glibc since 2.22): it supplies
 *  the vectorised log1p (native/core/vmath.cc), and its static archive cannot go into a shared object. */
export const EXPECTED_LDD = ['ld-linux-x86-64.so.2', 'libc.so.6', 'libgcc_s.so.1', 'libm.so.6', 'libmvec.so.1', 'libstdc++.so.6', 'linux-vdso.so.1'];

/** The libraries an ldd listing names, without addresses or paths, sorted. */
export function lddNames(listing: string): string[] {
  return listing.split('\n').map((l) => l.trim().split(/\s+/)[0]).filter(Boolean).map((n) => path.basename(n)).sort();
}
