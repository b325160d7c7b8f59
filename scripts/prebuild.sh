#!/usr/bin/env bash
# What `npm pack` / `npm publish` run first (package.json "prepack"): puts the addon that
# scripts/ensure.sh built into the layout of `prebuildify --napi --tag-libc`, which node-gyp-build
# loads when the package is installed (docs/install.md):
#   prebuilds/linux-x64/node.napi.glibc.node   stripped; checked to need only glibc, libstdc++, libgcc_s
#   licenses/                                  the copyright texts of the libraries linked into it
# One build serves the developer and the package: build/Release/softnewton.node is already the
# static, baseline-CPU build (binding.gyp), so nothing is compiled twice.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'softnewton prebuild: %s\n' "$*" >&2; }

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  say "the package's prebuilt binary is made on Linux x86-64 only, not on $(uname -s)-$(uname -m)"
  exit 1
fi

src=build/Release/softnewton.node
out=prebuilds/linux-x64/node.napi.glibc.node
[ -f "$src" ] || { say "$src is missing: run bash scripts/ensure.sh"; exit 1; }
if [ -n "$(find native binding.gyp -type f -newer "$src" -print -quit)" ]; then
  say "$src is older than its sources: run bash scripts/ensure.sh"
  exit 1
fi
rm -rf prebuilds
mkdir -p "$(dirname "$out")"
strip --strip-all -o "$out" "$src"
bash scripts/check-linkage.sh "$out" >/dev/null
say "$out: $(stat -c %s "$out") bytes"

# The copyright files of the Debian packages whose static archives are linked in (binding.gyp,
# native/link.gypi): OpenBLAS (BSD-3-Clause); LAPACK and LAPACKE (modified BSD), whose LAPACK is
# also what Debian's OpenBLAS carries; liblbfgs (MIT); libgfortran and libquadmath (GCC's runtime,
# GPL-3 with the GCC Runtime Library Exception, and LGPL-2.1 for libquadmath).
rm -rf licenses
mkdir -p licenses
copy_copyright() { # copy_copyright PACKAGE NAME
  local file=/usr/share/doc/$1/copyright
  [ -f "$file" ] || { say "missing $file (apt-get install $1)"; exit 1; }
  cp "$file" "licenses/$2"
}
copy_copyright libopenblas-pthread-dev OpenBLAS.txt
copy_copyright liblapacke-dev LAPACK-and-LAPACKE.txt
copy_copyright liblbfgs-dev liblbfgs.txt
copy_copyright libgfortran-12-dev libgfortran-and-libquadmath.txt
cat > licenses/README.md <<'TEXT'
# Licences of the libraries inside the prebuilt binary

`prebuilds/linux-x64/node.napi.glibc.node` links these libraries statically, from Debian 12's
packages; each file here is that package's copyright file, as Debian ships it:

| library | licence | file |
| --- | --- | --- |
| OpenBLAS 0.3.21 (pthread) | BSD-3-Clause | OpenBLAS.txt |
| LAPACK and LAPACKE 3.11 | modified BSD (BSD-3-Clause) | LAPACK-and-LAPACKE.txt |
| liblbfgs 1.10 | MIT | liblbfgs.txt |
| libgfortran, libquadmath (GCC 12) | GPL-3.0 with the GCC Runtime Library Exception; libquadmath LGPL-2.1 | libgfortran-and-libquadmath.txt |

At run time the binary uses the system's glibc, libstdc++ and libgcc_s. A build from source links
whatever the machine provides instead (docs/install.md).
TEXT
say "licenses/: $(ls licenses | tr '\n' ' ')"
