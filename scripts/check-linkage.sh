#!/usr/bin/env bash
# check-linkage.sh ADDON: prints what the addon needs at run time (ldd) and fails when that is more
# than glibc (libc, libm, libmvec, the loader, the vDSO), libstdc++ and libgcc_s — the libraries
# every Linux with Node.js has. OpenBLAS, LAPACK(E), liblbfgs and the Fortran runtime must be linked
# in statically (binding.gyp, softnewton_static), or the prebuilt would not load on a machine
# without them. Used by scripts/prebuild.sh and test/prebuilt.test.ts.
set -euo pipefail
file=${1:?usage: check-linkage.sh ADDON}
[ -f "$file" ] || { echo "check-linkage: no such file: $file" >&2; exit 2; }
needed=$(ldd "$file")
printf '%s\n' "$needed"
allowed='^(linux-vdso\.so\.1|libc\.so\.6|libm\.so\.6|libmvec\.so\.1|libstdc\+\+\.so\.6|libgcc_s\.so\.1|/lib64/ld-linux-x86-64\.so\.2)$'
extra=$(printf '%s\n' "$needed" | awk '{print $1}' | grep -Ev "$allowed" || true)
if [ -n "$extra" ]; then
  echo "check-linkage: $file needs libraries beyond glibc, libstdc++ and libgcc_s: $(echo $extra)" >&2
  exit 1
fi
if printf '%s\n' "$needed" | grep -q 'not found'; then
  echo "check-linkage: $file has unresolved libraries" >&2
  exit 1
fi
