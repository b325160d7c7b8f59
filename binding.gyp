{
  "variables": {
    "openblas_cflags": "<!(pkg-config --cflags openblas)",
    "openblas_libdir": "<!(pkg-config --variable=libdir openblas)",
    "eigen_cflags": "<!(pkg-config --cflags eigen3)"
  },
  "targets": [
    {
      "target_name": "softnewton",
      "dependencies": [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except_all"
      ],
      "sources": [
        "native/core/matrix.cc",
        "native/core/model.cc",
        "native/core/objective.cc",
        "native/core/vmath.cc",
        "native/core/linalg.cc",
        "native/core/planted.cc",
        "native/core/footprint.cc",
        "native/core/strassen.cc",
        "native/core/sketch/sketch.cc",
        "native/core/sketch/leverage.cc",
        "native/core/sketch/countsketch.cc",
        "native/core/sketch/uniform.cc",
        "native/core/solver/loop.cc",
        "native/core/solver/newton.cc",
        "native/core/solver/first_order.cc",
        "native/core/solver/solve.cc",
        "native/binding/addon.cc",
        "native/binding/convert.cc",
        "native/binding/problem_handle.cc",
        "native/binding/generate.cc",
        "native/binding/sketch_binding.cc",
        "native/binding/solve_binding.cc",
        "native/binding/bench_binding.cc",
        "native/binding/certify_binding.cc",
        "native/binding/limits_binding.cc"
      ],
      "include_dirs": ["native"],
      "cflags_cc": [
        "-std=c++17", "-O3", "-march=x86-64-v3", "-fno-math-errno", "-ffp-contract=off",
        "-Wall", "-Wextra", "-Wno-unused-parameter",
        "<@(openblas_cflags)", "<@(eigen_cflags)"
      ],
      "cflags_cc!": ["-std=gnu++17", "-fno-exceptions"],
      "libraries": [
        "-L<(openblas_libdir)", "-Wl,-rpath,<(openblas_libdir)",
        "-llapacke", "-lopenblas", "-llbfgs", "-lmvec"
      ],
      "defines": ["EIGEN_USE_BLAS", "EIGEN_NO_DEBUG", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"]
    }
  ],
  "conditions": [
    # softnewton_mpi: the distributed solve's addon (issue 15, docs/distributed.md), built only where
    # Open MPI is installed (pkg-config ompi), and loaded only by src/distributed/. It compiles the
    # core again, so that the main addon above never links libmpi. OMPI_SKIP_MPICXX: without it the
    # MPI C++ bindings' symbols (_ZN3MPI8Datatype4FreeEv) are left undefined and Node cannot load it.
    ["'<!(pkg-config --exists ompi && echo yes || echo no)'=='yes'", {
      "targets": [
        {
          "target_name": "softnewton_mpi",
          "dependencies": [
            "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except_all"
          ],
          "sources": [
            "native/core/matrix.cc",
            "native/core/model.cc",
            "native/core/objective.cc",
            "native/core/vmath.cc",
            "native/core/linalg.cc",
            "native/core/planted.cc",
            "native/core/strassen.cc",
            "native/core/sketch/sketch.cc",
            "native/core/sketch/leverage.cc",
            "native/core/sketch/countsketch.cc",
            "native/core/sketch/uniform.cc",
            "native/core/solver/loop.cc",
            "native/core/solver/newton.cc",
            "native/core/solver/first_order.cc",
            "native/core/solver/solve.cc",
            "native/binding/convert.cc",
            "native/distributed/mpi_reduction.cc",
            "native/distributed/addon.cc"
          ],
          "include_dirs": ["native"],
          "cflags_cc": [
            "-std=c++17", "-O3", "-march=x86-64-v3", "-fno-math-errno",
            "-Wall", "-Wextra", "-Wno-unused-parameter",
            "<!@(pkg-config --cflags openblas eigen3 ompi)"
          ],
          "cflags_cc!": ["-std=gnu++17", "-fno-exceptions"],
          "libraries": [
            "-L<!(pkg-config --variable=libdir openblas)", "-Wl,-rpath,<!(pkg-config --variable=libdir openblas)",
            "<!@(pkg-config --libs ompi)", "-llapacke", "-lopenblas", "-llbfgs", "-lmvec"
          ],
          "defines": ["OMPI_SKIP_MPICXX=1", "EIGEN_USE_BLAS", "EIGEN_NO_DEBUG", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"]
        }
      ]
    }]
  ]
}
