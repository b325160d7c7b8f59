#!/usr/bin/env bash
# Installs whatever this checkout still lacks, and nothing it already has:
#   1. Debian packages (OpenBLAS, LAPACKE, liblbfgs, their static archives, a C++ toolchain) via apt-get;
#   2. npm dependencies, exactly as package-lock.json pins them;
#   3. the native addon and the TypeScript build, when their sources are newer than the output.
# It is what `npm test` and `npm run demo` run first, so both work on a fresh Debian machine.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'softnewton setup: %s\n' "$*" >&2; }

# clang-14 and libclang-rt-14-dev (libFuzzer, the sanitizer runtimes): the fuzz harnesses that
# npm test runs briefly (test/native-sanitizers.test.ts, docs/reliability.md).
# The addon links OpenBLAS, LAPACK(E), liblbfgs and the Fortran runtime statically (binding.gyp,
# docs/install.md): libopenblas-pthread-dev holds libopenblas.a, libgfortran-12-dev libgfortran.a,
# libgcc-12-dev libquadmath.a; liblapacke-dev and liblbfgs-dev hold their .a beside the .so.
debian_packages=(build-essential python3 pkg-config libopenblas-dev libopenblas-pthread-dev liblapacke-dev liblbfgs-dev
                 libgfortran-12-dev libgcc-12-dev clang-14 libclang-rt-14-dev)
# Open MPI: the distributed solve's second addon (build/Release/softnewton_mpi.node) and mpirun, which
# test/distributed.test.ts launches (docs/distributed.md). The main addon never links it.
debian_packages+=(libopenmpi-dev openmpi-bin)
missing=()
for pkg in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
    say "missing Debian packages: ${missing[*]}; install them as root: apt-get install ${missing[*]}"
    exit 1
  fi
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  say "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm ci only when the lock file changed since the last install (npm writes this marker).
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dependencies"
  # --ignore-scripts: the addon is built below, after the system libraries are known to be there.
  npm ci --ignore-scripts --no-audit --no-fund >/dev/null
fi

newer_than() { # newer_than OUTPUT INPUT... : true when OUTPUT is missing or older than any input
  local out=$1; shift
  [ -e "$out" ] || return 0
  [ -n "$(find "$@" -newer "$out" -type f -print -quit 2>/dev/null)" ]
}

# The MPI addon too, when Open MPI is there (installed after the main addon was built, say).
if newer_than build/Release/softnewton.node native binding.gyp ||
  { pkg-config --exists ompi && newer_than build/Release/softnewton_mpi.node native binding.gyp; }; then
  say "building the native addon"
  npx --no-install node-gyp rebuild --jobs=2 >build.log 2>&1 || { cat build.log >&2; exit 1; }
  rm -f build.log
fi
if newer_than dist/.stamp src test bench examples tsconfig.json; then
  say "compiling TypeScript"
  # From scratch, so that a deleted test leaves no stale compiled copy behind for `node --test`.
  rm -rf dist
  npx --no-install tsc -p tsconfig.json
  chmod +x dist/src/cli/main.js  # the package's bin: executable by itself, as npm links it
  touch dist/.stamp
fi
