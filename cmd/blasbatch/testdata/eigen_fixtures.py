#!/usr/bin/python3
"""Fixtures for the eigh and eig kernels, written by NumPy.

  eigen_fixtures.py gen DIR
      Writes DIR/eigh/ (symmetric matrices, and one that is not) and
      DIR/eig/ (general matrices, most with complex eigenvalues, and one 2x3),
      plus DIR/expected.json: for each kernel, "good" maps each item id to
      numpy.linalg.eigvalsh (eigh) or numpy.linalg.eigvals as [re, im] pairs
      (eig), and "bad" maps each bad item id to a regex its error must match.

  eigen_fixtures.py check-saved KERNEL INPUT.npy SAVEDIR PREFIX
      Loads blasbatch's --save outputs PREFIX.values.npy and
      PREFIX.vectors.npy and checks them against INPUT.npy with NumPy:
      A @ V = V @ diag(w) column by column, unit columns, orthonormal V and
      ascending values equal to eigvalsh (eigh), complex128 arrays (eig).
      Prints "ok"."""
import json, os, sys
import numpy as np


def gen(d):
    rng = np.random.default_rng(23)
    expected = {"eigh": {"good": {}, "bad": {}}, "eig": {"good": {}, "bad": {}}}

    def save(kernel, name, arr):
        os.makedirs(os.path.join(d, kernel), exist_ok=True)
        p = os.path.join(d, kernel, name)
        np.save(p, arr)
        return p

    def sym(n):
        b = rng.integers(1, 10) + (2 * rng.random() + 0.1) * rng.random((n, n))
        return (b + b.T) / 2  # exactly symmetric: IEEE addition commutes

    def gen_mat(n):
        return rng.standard_normal((n, n)) * rng.integers(1, 10)

    def pairs(a):
        return [[float(z.real), float(z.imag)] for z in np.linalg.eigvals(a)]

    good = expected["eigh"]["good"]
    for n in (1, 2, 5, 40):
        a = sym(n)
        good[save("eigh", f"sym{n}.npy", a)] = np.linalg.eigvalsh(a).tolist()
    a = np.asfortranarray(sym(7))
    good[save("eigh", "sym-fortran.npy", a)] = np.linalg.eigvalsh(a).tolist()
    s = np.stack([sym(6) for _ in range(3)])
    p = save("eigh", "stack.npy", s)
    for i in range(3):
        good[f"{p}[{i}]"] = np.linalg.eigvalsh(s[i]).tolist()
    # Diagonal matrix with repeated eigenvalues.
    a = np.diag([3.0, -1.0, 3.0, 0.5])
    good[save("eigh", "diag.npy", a)] = np.linalg.eigvalsh(a).tolist()
    a = sym(5)
    a[3, 1] += 1e-3
    expected["eigh"]["bad"][save("eigh", "nonsym.npy", a)] = "not symmetric.*symmetrize"

    good = expected["eig"]["good"]
    for n in (1, 2, 5, 40):
        a = gen_mat(n)
        good[save("eig", f"gen{n}.npy", a)] = pairs(a)
    c, s_ = np.cos(0.7), np.sin(0.7)
    a = np.array([[c, -s_, 0], [s_, c, 0], [0, 0, 2.0]])
    good[save("eig", "rotation.npy", a)] = pairs(a)
    a = np.triu(gen_mat(6))
    good[save("eig", "triangular.npy", a)] = pairs(a)
    st = np.stack([gen_mat(4) for _ in range(2)])
    p = save("eig", "stack.npy", st)
    for i in range(2):
        good[f"{p}[{i}]"] = pairs(st[i])
    expected["eig"]["bad"][save("eig", "wide.npy", gen_mat(3)[:2])] = "square.*2×3"

    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump(expected, f)


def check_saved(kernel, inp, savedir, prefix):
    a = np.load(inp).astype(np.float64)
    pre = os.path.join(savedir, prefix)
    w, v = np.load(pre + ".values.npy"), np.load(pre + ".vectors.npy")
    n = a.shape[0]
    assert w.shape == (n,) and v.shape == (n, n), (w.shape, v.shape)
    scale = max(np.abs(a).max(), 1e-300) * n
    if kernel == "eigh":
        assert w.dtype == np.float64 and v.dtype == np.float64, (w.dtype, v.dtype)
        assert np.all(np.diff(w) >= 0), "ascending"
        assert np.allclose(w, np.linalg.eigvalsh(a), rtol=0, atol=1e-12 * scale), "values"
        assert np.allclose(v.T @ v, np.eye(n), atol=1e-12 * n), "orthonormal"
    else:
        assert w.dtype == np.complex128 and v.dtype == np.complex128, (w.dtype, v.dtype)
        assert np.allclose(np.linalg.norm(v, axis=0), 1, atol=1e-12 * n), "unit columns"
    # Columns are the eigenvectors, as numpy.linalg.eigh and eig return them.
    assert np.allclose(a @ v, v * w, rtol=0, atol=1e-12 * scale), "A @ V = V @ diag(w)"
    print("ok")


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2])
    elif sys.argv[1] == "check-saved":
        check_saved(*sys.argv[2:6])
    else:
        sys.exit("usage: eigen_fixtures.py gen DIR | check-saved KERNEL INPUT.npy SAVEDIR PREFIX")
