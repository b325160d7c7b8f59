# The native build (docs/install.md explains the choices).
#   softnewton        the shipped addon: what `npm pack` puts in prebuilds/ (scripts/prebuild.sh)
#   softnewton_core   the project's kernels (native/core), a static library linked into the addons
#   softnewton_bench, softnewton_v3   bench-only, built only with --softnewton_bench=1
#                     (bench/setup.sh): benchKernel and the Strassen experiment, and the same addon
#                     compiled for -march=x86-64-v3 without dispatch, for bench/prebuilt.ts.
# Variables (node-gyp rebuild --name=value):
#   softnewton_march   the -march of our own code on x64; default x86-64, the baseline every x86-64
#                      CPU runs. Hot loops dispatch at run time (native/core/dispatch.h).
#   softnewton_static  1 (Linux default): link OpenBLAS, LAPACK, LAPACKE, liblbfgs and the Fortran
#                      runtime from their static archives, so that the binary needs only glibc,
#                      libstdc++ and libgcc_s. 0: link the shared libraries found by pkg-config.
{
  "variables": {
    "softnewton_bench%": 0,
    "softnewton_march%": "x86-64",
    "conditions": [
      ["OS=='linux'", { "softnewton_static%": 1 }, { "softnewton_static%": 0 }]
    ],
    "openblas_cflags": "<!(pkg-config --cflags openblas)",
    "openblas_libdir": "<!(pkg-config --variable=libdir openblas)",
    "binding_sources": [
      "native/binding/addon.cc",
      "native/binding/convert.cc",
      "native/binding/problem_handle.cc",
      "native/binding/generate.cc",
      "native/binding/sketch_binding.cc",
      "native/binding/solve_binding.cc",
      "native/binding/solve_io.cc",
      "native/binding/certify_binding.cc",
      "native/binding/cpu_binding.cc",
      "native/binding/limits_binding.cc"
    ],
    "core_sources": [
      "native/core/parallel.cc",
      "native/core/matrix.cc",
      "native/core/model.cc",
      "native/core/objective.cc",
      "native/core/vmath.cc",
      "native/core/linalg.cc",
      "native/core/planted.cc",
      "native/core/footprint.cc",
      "native/core/sketch/sketch.cc",
      "native/core/sketch/leverage.cc",
      "native/core/sketch/countsketch.cc",
      "native/core/sketch/uniform.cc",
      "native/core/solver/loop.cc",
      "native/core/solver/newton.cc",
      "native/core/solver/first_order.cc",
      "native/core/solver/solve.cc"
    ]
  },
  "target_defaults": {
    "include_dirs": ["native"],
    "cflags_cc": [
      "-std=c++17", "-O3", "-fno-math-errno", "-fvisibility=hidden",
      # No compiler-fused multiply-adds: the vectorised exp's argument reduction and the blocked
      # sums rely on each operation rounding as written, the same in every dispatch clone
      # (docs/performance.md).
      "-ffp-contract=off",
      "-ffunction-sections", "-fdata-sections",
      "-Wall", "-Wextra", "-Wno-unused-parameter",
      "<@(openblas_cflags)"
    ],
    "cflags_cc!": ["-std=gnu++17", "-fno-exceptions"],
    "defines": ["NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
    "conditions": [
      ["target_arch=='x64'", {
        "cflags_cc": ["-march=<(softnewton_march)"],
        "defines": ["SOFTNEWTON_MARCH=\"<(softnewton_march)\""]
      }]
    ]
  },
  "targets": [
    {
      "target_name": "softnewton_core",
      "type": "static_library",
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except_all"],
      "sources": ["<@(core_sources)"]
    },
    {
      "target_name": "softnewton",
      "dependencies": [
        "softnewton_core",
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except_all"
      ],
      "sources": ["<@(binding_sources)", "native/binding/module.cc"],
      "includes": ["native/link.gypi"]
    }
  ],
  "conditions": [
    # softnewton_mpi: the distributed solve's addon (issue 15, docs/distributed.md), built only where
    # Open MPI is installed (pkg-config ompi), and loaded only by src/distributed/. It links the same
    # core library, so that the main addon above never links libmpi. OMPI_SKIP_MPICXX: without it the
    # MPI C++ bindings' symbols (_ZN3MPI8Datatype4FreeEv) are left undefined and Node cannot load it.
    ["'<!(pkg-config --exists ompi && echo yes || echo no)'=='yes'", {
      "targets": [
        {
          "target_name": "softnewton_mpi",
          "dependencies": [
            "softnewton_core",
            "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except_all"
          ],
          "sources": [
            "native/binding/convert.cc",
            "native/binding/solve_io.cc",
            "native/distributed/mpi_reduction.cc",
            "native/distributed/addon.cc"
          ],
          "cflags_cc": ["<!@(pkg-config --cflags ompi)"],
          "defines": ["OMPI_SKIP_MPICXX=1"],
          "libraries": ["<!@(pkg-config --libs ompi)"],
          "includes": ["native/link.gypi"]
        }
      ]
    }],
    ["softnewton_bench==1", {
      "targets": [
        {
          "target_name": "softnewton_bench",
          "product_dir": "<(PRODUCT_DIR)/bench",
          "dependencies": [
            "softnewton_core",
            "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except_all"
          ],
          "sources": [
            "<@(binding_sources)",
            "native/bench/bench_binding.cc",
            "native/bench/strassen.cc",
            "native/bench/bench_module.cc"
          ],
          "includes": ["native/link.gypi"]
        },
        {
          "target_name": "softnewton_v3",
          "product_dir": "<(PRODUCT_DIR)/bench",
          "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except_all"],
          "sources": ["<@(core_sources)", "<@(binding_sources)", "native/binding/module.cc"],
          "cflags_cc!": ["-march=<(softnewton_march)"],
          "cflags_cc": ["-march=x86-64-v3"],
          "defines!": ["SOFTNEWTON_MARCH=\"<(softnewton_march)\""],
          "defines": ["SOFTNEWTON_NO_DISPATCH", "SOFTNEWTON_MARCH=\"x86-64-v3\""],
          "includes": ["native/link.gypi"]
        }
      ]
    }]
  ]
}
