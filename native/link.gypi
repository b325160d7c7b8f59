# How an addon links its libraries; included by each addon target of binding.gyp.
{
  "conditions": [
    ["softnewton_static==1", {
      "libraries": [
        "-L<(openblas_libdir)",
        "-l:liblapacke.a", "-l:libopenblas.a", "-l:liblbfgs.a",
        "-l:libgfortran.a", "-l:libquadmath.a", "-lmvec", "-lpthread", "-lm"
      ],
      "ldflags": [
        "-Wl,--exclude-libs,ALL",
        "-Wl,--gc-sections",
        "-Wl,--version-script=<(module_root_dir)/native/exports.map"
      ]
    }, {
      "libraries": [
        "-L<(openblas_libdir)", "-Wl,-rpath,<(openblas_libdir)",
        "-llapacke", "-lopenblas", "-llbfgs", "-lmvec"
      ]
    }]
  ]
}
