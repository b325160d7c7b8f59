#!/usr/bin/python3
"""SciPy baseline for bench/ (issue 6): the same planted problem, read from the same LIBSVM file,
solved by scipy.optimize.minimize with trust-exact, Newton-CG and L-BFGS-B, to the same gradient
tolerance as softnewton.

The loss, gradient, Hessian and Hessian-vector product of docs/math.md §§1–3 are written here in
NumPy, independently of the project's code, for the softmax-unit model with unit identity or
sigmoid (the units the benchmark uses):

    L(x) = 1/2 ||phi(a*softmax(Cx) + c) - b||^2 + 1/2 ||w*Cx||^2 + lambda/2 ||x||^2

Each method stops at the first iterate with ||grad L|| <= tol (L2 norm), checked in the callback
from the gradient the method itself evaluated at that iterate (cached: no extra pass), so that every
method stops by the same rule as softnewton. Prints one JSON object on stdout.

Run with Debian's interpreter (python3-numpy, python3-scipy): /usr/bin/python3 bench/scipy_baseline.py …
"""
import argparse
import json
import sys
import time

import numpy as np
import scipy
import scipy.optimize
import scipy.sparse as sp


def read_libsvm(path, cols):
    """LIBSVM text -> (CSR matrix n x cols, labels), parsed with NumPy: every number in one C-level
    pass (np.fromstring), rows split by the count of ':' on each line."""
    with open(path, "rb") as f:
        data = f.read()
    raw = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(raw == 10)
    if len(data) and data[-1:] != b"\n":
        newlines = np.append(newlines, len(data))
    colons = np.flatnonzero(raw == 58)
    per_row = np.diff(np.concatenate(([0], np.searchsorted(colons, newlines))))
    numbers = np.fromstring(data.replace(b":", b" "), dtype=np.float64, sep=" ")
    n = len(per_row)
    indptr = np.concatenate(([0], np.cumsum(per_row))).astype(np.int64)
    # token layout per row: label, then (index, value) pairs
    row_start = np.arange(n) + 2 * indptr[:-1]
    labels = numbers[row_start]
    entry = np.arange(indptr[-1])
    row_of_entry = np.repeat(np.arange(n), per_row)
    pos = row_start[row_of_entry] + 1 + 2 * (entry - indptr[row_of_entry])
    indices = numbers[pos].astype(np.int64) - 1
    values = numbers[pos + 1]
    C = sp.csr_matrix((values, indices, indptr), shape=(n, cols))
    return C, labels


class Model:
    """softmax-unit with unit identity or sigmoid (docs/math.md §§2–3)."""

    def __init__(self, C, b, scale, bias=0.0, unit="identity", w=0.0, ridge=0.0):
        self.C, self.b, self.a, self.c = C, b, scale, bias
        self.unit, self.w2, self.ridge = unit, w * w, ridge
        self._key = None

    def _phi(self, v):
        if self.unit == "identity":
            return v, np.ones_like(v), np.zeros_like(v)
        y = 1.0 / (1.0 + np.exp(-v))
        d1 = y * (1.0 - y)
        return y, d1, d1 * (1.0 - 2.0 * y)

    def _at(self, x):
        key = x.tobytes()
        if key == self._key:
            return self._state
        C, a = self.C, self.a
        z = C @ x
        e = np.exp(z - z.max())
        s = e / e.sum()
        v = a * s + self.c
        y, d1, d2 = self._phi(v)
        r = y - self.b
        loss = 0.5 * r @ r + 0.5 * self.w2 * (z @ z) + 0.5 * self.ridge * (x @ x)
        g = a * d1 * r
        E = a * a * (d1 * d1 + r * d2)
        alpha = s @ g
        grad_z = s * g - alpha * s + self.w2 * z
        grad = C.T @ grad_z + self.ridge * x
        self._key, self._state = key, dict(z=z, s=s, g=g, E=E, alpha=alpha, loss=loss, grad=grad)
        self.last_grad_norm = float(np.linalg.norm(grad))
        return self._state

    def fun(self, x):
        return self._at(x)["loss"]

    def jac(self, x):
        return self._at(x)["grad"]

    def _pieces(self, x):
        st = self._at(x)
        s, g, E, alpha = st["s"], st["g"], st["E"], st["alpha"]
        u = s * g
        q = s * s * E + u
        gamma = s @ (s * E)
        D = q - alpha * s + self.w2
        return s, q, D, gamma + 2.0 * alpha

    def hess(self, x):
        s, q, D, sigma = self._pieces(x)
        C = self.C
        if sp.issparse(C):
            H = (C.T @ C.multiply(D[:, None]).tocsr()).toarray()
        else:
            H = C.T @ (C * D[:, None])
        ca, cb = C.T @ s, C.T @ q
        H += sigma * np.outer(ca, ca) - np.outer(ca, cb) - np.outer(cb, ca)
        H[np.diag_indices_from(H)] += self.ridge
        return H

    def hessp(self, x, v):
        s, q, D, sigma = self._pieces(x)
        t = self.C @ v
        s0, s1 = s @ t, q @ t
        return self.C.T @ (D * t + s * (sigma * s0 - s1) - q * s0) + self.ridge * v


class Reached(Exception):
    pass


def run(model, method, x0, tol, timeout, max_iter):
    iterations = [0]
    start = time.perf_counter()

    def callback(xk, *rest):
        iterations[0] += 1
        grad_norm = np.linalg.norm(model.jac(xk))  # cached when the method evaluated xk
        if grad_norm <= tol:
            raise Reached()
        if time.perf_counter() - start > timeout:
            raise TimeoutError()

    options = {"maxiter": max_iter}
    kwargs = dict(jac=model.jac, callback=callback)
    if method == "trust-exact":
        kwargs["hess"] = model.hess
        options["gtol"] = tol
    elif method == "Newton-CG":
        kwargs["hessp"] = model.hessp
        options["xtol"] = 1e-30
    elif method == "L-BFGS-B":
        options.update(gtol=0.0, ftol=0.0, maxcor=10, maxfun=10 * max_iter)
    status = "maxIterations"
    x = x0
    try:
        res = scipy.optimize.minimize(model.fun, x0, method=method, options=options, **kwargs)
        x = res.x
        status = "converged" if np.linalg.norm(model.jac(res.x)) <= tol else f"stopped: {res.message}"
    except Reached:
        status = "converged"
    except TimeoutError:
        status = "timeout"
    seconds = time.perf_counter() - start
    return dict(method=method, seconds=seconds, iterations=iterations[0], status=status,
                gradNorm=model.last_grad_norm, loss=float(model._state["loss"]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--cols", type=int, required=True)
    ap.add_argument("--x0", required=True, help="text file, one number per line")
    ap.add_argument("--scale", default="n")
    ap.add_argument("--unit", default="identity")
    ap.add_argument("--tol", type=float, required=True, help="absolute: stop at ||grad L|| <= tol")
    ap.add_argument("--methods", default="trust-exact,Newton-CG,L-BFGS-B")
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("--max-iter", type=int, default=20000)
    ap.add_argument("--quick", type=float, default=0.0, help="seconds: quicker runs are repeated to three (median)")
    args = ap.parse_args()

    t0 = time.perf_counter()
    C, b = read_libsvm(args.data, args.cols)
    read_seconds = time.perf_counter() - t0
    n, d = C.shape
    dense = C.nnz >= 0.5 * n * d
    if dense:
        C = C.toarray()
    x0 = np.loadtxt(args.x0, dtype=np.float64)
    scale = float(n) if args.scale == "n" else float(args.scale)
    out = dict(scipy=scipy.__version__, numpy=np.__version__, rows=n, cols=d, nnz=int(np.count_nonzero(C) if dense else C.nnz),
               representation="dense ndarray" if dense else "CSR", readSeconds=read_seconds)
    model = Model(C, b, scale, unit=args.unit)
    out["loss0"] = float(model.fun(x0))
    out["gradNorm0"] = float(np.linalg.norm(model.jac(x0)))
    out["runs"] = []
    for method in args.methods.split(","):
        # A run quicker than --quick seconds is repeated to three and the median kept, as on
        # softnewton's side: one run of a few tens of milliseconds is at the mercy of the machine.
        runs = []
        while len(runs) < (3 if runs and runs[0]["seconds"] < args.quick else 1):
            model = Model(C, b, scale, unit=args.unit)
            runs.append(run(model, method, x0.copy(), args.tol, args.timeout, args.max_iter))
        runs.sort(key=lambda r: r["seconds"])
        out["runs"].append(runs[len(runs) // 2])
        print(f"scipy {method}: {out['runs'][-1]}", file=sys.stderr)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
