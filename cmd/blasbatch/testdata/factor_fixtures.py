#!/usr/bin/python3
"""Fixtures and checks for the chol, inv, det and qr kernels, from NumPy.

factor_fixtures.py write DIR
    writes DIR/chol, DIR/inv, DIR/det and DIR/qr, each a directory of .npy
    inputs for that kernel (good ones and one or two bad ones), and
    DIR/expected.json: {"good": {kernel: {id: {"file", "index", scalars…,
    "r_abs_diagonal"}}}, "bad": {kernel: {id: pattern}}}, every expected
    number from numpy.linalg (cholesky, slogdet, inv, qr mode='reduced').

factor_fixtures.py check DIR SAVEDIR NAMES.json
    loads the arrays blasbatch --save wrote (NAMES.json maps each good item
    id to its --save file prefix) and compares them with numpy.linalg: L with
    cholesky, the inverse with inv, Q orthonormal with Q·R = A and |R| equal
    to NumPy's |R| (row signs are a convention). Prints "ok" when all agree.
"""
import json, os, sys
import numpy as np

RTOL = 1e-10


def write(d):
    rng = np.random.default_rng(17)
    good = {"chol": {}, "inv": {}, "det": {}, "qr": {}}
    bad = {"chol": {}, "inv": {}, "det": {}, "qr": {}}

    def save(kernel, name, arr):
        p = os.path.join(d, kernel, name)
        np.save(p, np.asarray(arr))
        return p

    def expect(kernel, path, arr, ref):
        a = np.asarray(arr, dtype=np.float64)
        if a.ndim == 2:
            good[kernel][path] = dict(file=path, index=None, **ref(a))
        else:
            for i in range(a.shape[0]):
                good[kernel][f"{path}[{i}]"] = dict(file=path, index=i, **ref(a[i]))

    def spd(n):
        b = rng.standard_normal((n, n))
        a = b @ b.T + n * np.eye(n)
        return (a + a.T) / 2  # exactly symmetric

    def general(n):
        return rng.standard_normal((n, n)) + rng.integers(1, 5) * np.eye(n)

    def chol_ref(a):
        return {"log_det": float(2 * np.sum(np.log(np.diag(np.linalg.cholesky(a)))))}

    def slogdet_ref(a):
        s, l = np.linalg.slogdet(a)
        return {"sign": float(s), "log_abs_det": float(l) if np.isfinite(l) else None}

    def inv_ref(a):
        r = slogdet_ref(a)
        r["rcond"] = float(1 / (np.linalg.norm(a, 1) * np.linalg.norm(np.linalg.inv(a), 1)))
        return r

    def qr_ref(a):
        _, r = np.linalg.qr(a, mode="reduced")
        return {"r_abs_diagonal": np.abs(np.diag(r)).tolist()}

    for k in good:
        os.makedirs(os.path.join(d, k), exist_ok=True)

    for n in (1, 2, 7, 40, 130):
        a = spd(n); expect("chol", save("chol", f"spd{n:03d}.npy", a), a, chol_ref)
    s = np.stack([spd(6) for _ in range(3)]); expect("chol", save("chol", "stack.npy", s), s, chol_ref)
    # Symmetric only within the tolerance (as B·Bᵀ summed in two orders
    # is): its lower triangle is the matrix, as NumPy's cholesky reads it.
    a = spd(40); a[np.triu_indices(40, 1)] *= 1 + 1e-13
    expect("chol", save("chol", "nearsym040.npy", a), a, chol_ref)
    a = spd(6); a[2, 2] = -1.0  # minors 1, 2 positive definite, minor 3 not
    bad["chol"][save("chol", "notspd.npy", a)] = "leading minor of order 3 is not positive definite"
    a = spd(5); a[0, 4] += 1.0
    bad["chol"][save("chol", "nonsym.npy", a)] = "symmetric"

    for n in (1, 2, 3, 8, 50, 129):
        a = general(n); expect("inv", save("inv", f"g{n:03d}.npy", a), a, inv_ref)
        a = general(n); expect("det", save("det", f"g{n:03d}.npy", a), a, slogdet_ref)
    s = np.stack([general(5) for _ in range(4)])
    expect("inv", save("inv", "stack.npy", s), s, inv_ref)
    expect("det", save("det", "stack.npy", s), s, slogdet_ref)
    a = general(6); a[:, 4] = 0  # exactly singular: U gets an exact zero
    bad["inv"][save("inv", "singular.npy", a)] = "singular"
    expect("det", save("det", "singular.npy", a), a, slogdet_ref)  # sign 0, not an error
    bad["det"][save("det", "wide.npy", rng.standard_normal((1, 2)))] = "needs a square matrix, got 1×2"

    for m, n in ((1, 1), (1, 5), (5, 1), (7, 7), (60, 20), (20, 60), (130, 129)):
        a = rng.standard_normal((m, n)) + 1
        expect("qr", save("qr", f"a{m:03d}x{n:03d}.npy", a), a, qr_ref)
    s = np.stack([rng.standard_normal((6, 4)) for _ in range(3)]); expect("qr", save("qr", "stack.npy", s), s, qr_ref)
    a = rng.standard_normal((4, 3)); a[1, 2] = np.nan
    bad["qr"][save("qr", "nan.npy", a)] = "not finite"

    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump({"good": good, "bad": bad}, f)


def close(x, y, what):
    x, y = np.asarray(x), np.asarray(y)
    assert x.shape == y.shape, (what, x.shape, y.shape)
    scale = max(1.0, float(np.abs(y).max()))
    err = float(np.abs(x - y).max()) / scale
    assert err <= RTOL * max(y.shape), (what, err)


def check(d, save, names):
    with open(os.path.join(d, "expected.json")) as f:
        good = json.load(f)["good"]
    with open(names) as f:
        prefix = json.load(f)
    n = 0
    for kernel, items in good.items():
        for id, e in items.items():
            a = np.load(e["file"]).astype(np.float64)
            if e["index"] is not None:
                a = a[e["index"]]
            pre = os.path.join(save, prefix[id])
            if kernel == "chol":
                l = np.load(pre + ".L.npy")
                close(l, np.linalg.cholesky(a), id + " L")
                assert np.all(np.triu(l, 1) == 0), id + " L not lower"
            elif kernel == "inv":
                x = np.load(pre + ".inv.npy")
                ref = np.linalg.inv(a)
                assert x.shape == ref.shape, (id, x.shape)
                cond = np.linalg.cond(a, 1)
                assert np.abs(x - ref).max() <= RTOL * cond * np.abs(ref).max(), (id, "inv")
            elif kernel == "qr":
                q, r = np.load(pre + ".Q.npy"), np.load(pre + ".R.npy")
                k = min(a.shape)
                assert q.shape == (a.shape[0], k) and r.shape == (k, a.shape[1]), (id, q.shape, r.shape)
                close(q @ r, a, id + " Q·R")
                close(q.T @ q, np.eye(k), id + " QᵀQ")
                assert np.all(np.tril(r, -1) == 0), id + " R not upper"
                close(np.abs(r), np.abs(np.linalg.qr(a, mode="reduced")[1]), id + " |R|")
            else:
                continue
            n += 1
    print(f"ok {n}")


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2])
    else:
        check(sys.argv[2], sys.argv[3], sys.argv[4])
