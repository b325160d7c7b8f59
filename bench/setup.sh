#!/usr/bin/env bash
# The bench set-up: everything `npm test` needs (scripts/ensure.sh: Debian build packages, npm
# dependencies, the addon, the TypeScript build), plus Debian's NumPy and SciPy for the SciPy
# baseline (bench/scipy_baseline.py). PyPI is not used: python3-numpy and python3-scipy come from
# Debian, and the baseline runs under Debian's /usr/bin/python3 (a pyenv python3 earlier on PATH
# would not see them).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure.sh
if ! /usr/bin/python3 -c 'import numpy, scipy' 2>/dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  echo "softnewton bench: installing python3-numpy python3-scipy (Debian)" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-numpy python3-scipy >/dev/null
fi
