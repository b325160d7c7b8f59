#!/usr/bin/env bash
# The bench set-up: everything `npm test` needs (scripts/ensure.sh: Debian build packages, npm
# dependencies, the addon, the TypeScript build), plus Debian's NumPy and SciPy for the SciPy
# baseline (bench/scipy_baseline.py). PyPI is not used: python3-numpy and python3-scipy come from
# Debian, and the baseline runs under Debian's /usr/bin/python3 (a pyenv python3 earlier on PATH
# would not see them).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure.sh
# The bench-only addons (binding.gyp, softnewton_bench=1): build/Release/bench/softnewton_bench.node
# (the API plus benchKernel) and softnewton_v3.node (for bench/prebuilt.ts). An incremental build:
# the shipped addon's objects are reused.
newest_source=$(find native binding.gyp -type f -newer build/Release/bench/softnewton_bench.node -print -quit 2>/dev/null || true)
if [ ! -e build/Release/bench/softnewton_bench.node ] || [ ! -e build/Release/bench/softnewton_v3.node ] || [ -n "$newest_source" ]; then
  echo "softnewton bench: building the bench-only addons" >&2
  { npx --no-install node-gyp configure --softnewton_bench=1 && npx --no-install node-gyp build --jobs=2; } >build-bench.log 2>&1 || { cat build-bench.log >&2; exit 1; }
  rm -f build-bench.log
  # node-gyp also copies every addon to build/Release/; only the shipped one belongs there, where
  # node-gyp-build takes the first .node file it finds.
  rm -f build/Release/softnewton_bench.node build/Release/softnewton_v3.node
fi
if ! /usr/bin/python3 -c 'import numpy, scipy' 2>/dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  echo "softnewton bench: installing python3-numpy python3-scipy (Debian)" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-numpy python3-scipy >/dev/null
fi
