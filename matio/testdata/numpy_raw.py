"""NumPy side of matio's ReadRaw and WriteNpyRaw tests (see rawread_test.go).

    numpy_raw.py gen DIR    write integer (and float and bool) arrays with
                            NumPy into DIR as .npy files and .npz members:
                            every integer dtype in both byte orders, C and
                            Fortran order, 2-D and 3-D; beside each, NAME.raw
                            holds the elements ReadRaw must give: item after
                            item, row-major, in the machine's byte order
                            (bools as 0 and 1); DIR/manifest.json lists them.
    numpy_raw.py check DIR  load the .npy files matio.WriteNpyRaw wrote into
                            DIR (listed in DIR/written.json with the dtype
                            they must have and NAME.raw, their native bytes)
                            and compare; exit 1 on a mismatch.
"""

import json
import os
import sys

import numpy as np

INTS = ["i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8"]


def native_bytes(a):
    # Row-major, the machine's byte order; bools as 0/1 bytes.
    return np.ascontiguousarray(a.astype(a.dtype.newbyteorder("="))).tobytes()


def gen(d):
    rng = np.random.default_rng(20240515)
    manifest = []

    def array(dt, shape):
        dt = np.dtype(dt)
        if dt.kind in "iu":
            info = np.iinfo(dt)
            a = rng.integers(info.min, info.max, size=shape, dtype=dt.newbyteorder("="), endpoint=True)
            flat = a.reshape(-1)
            flat[: min(4, flat.size)] = [info.min, info.max, 0, 1][: min(4, flat.size)]
        elif dt.kind == "b":
            a = rng.integers(0, 2, size=shape).astype(bool)
        else:
            a = rng.standard_normal(shape).astype(dt.newbyteorder("="))
            flat = a.reshape(-1)
            flat[: min(4, flat.size)] = [np.nan, np.inf, -np.inf, -0.0][: min(4, flat.size)]
        return a.astype(dt)

    def add(name, arr, members=None):
        path = os.path.join(d, name)
        if members is None:
            np.save(path, arr)
            expect = native_bytes(arr)
            entry = {"file": name, "descr": arr.dtype.str, "ndim": arr.ndim,
                     "fortran": bool(arr.flags.f_contiguous and not arr.flags.c_contiguous)}
        else:
            with open(path, "wb") as f:
                (np.savez_compressed if name.endswith("z.npz") else np.savez)(f, **members)
            expect = b"".join(native_bytes(members[k]) for k in members)
            entry = {"file": name, "descr": "", "ndim": 0, "fortran": False}
        with open(path + ".raw", "wb") as f:
            f.write(expect)
        manifest.append(entry)

    for order in "<>":
        for t in INTS + ["f4", "f8", "b1"]:
            dt = ("|" if t[1] == "1" else order) + t
            if order == ">" and t[1] == "1":
                continue  # one-byte types have one order
            for shape in [(3, 5), (1, 1), (7, 1), (40, 33)]:
                a = array(dt, shape)
                add("c_%s%s_%dx%d.npy" % ("be" if order == ">" else "le", t, *shape), a)
                add("f_%s%s_%dx%d.npy" % ("be" if order == ">" else "le", t, *shape), np.asfortranarray(a))
            s = array(dt, (4, 6, 5))
            add("cs_%s%s.npy" % ("be" if order == ">" else "le", t), s)
            add("fs_%s%s.npy" % ("be" if order == ">" else "le", t), np.asfortranarray(s))
    members = {}
    for i, t in enumerate(INTS):
        members["m%d_%s" % (i, t)] = array(">" + t if t[1] != "1" else t, (5 + i, 3))
        members["s%d_%s" % (i, t)] = np.asfortranarray(array(t, (2, 4, 3 + i)))
    add("ints.npz", None, members)
    add("ints_z.npz", None, members)
    # The question's own matrices.
    q = np.random.RandomState(0).randint(1, 101, size=(50, 40))
    add("question_int64.npy", q)
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump(manifest, f)
    print("wrote %d files" % len(manifest))


def check(d):
    with open(os.path.join(d, "written.json")) as f:
        written = json.load(f)
    bad = 0
    for e in written:
        a = np.load(os.path.join(d, e["file"]))
        with open(os.path.join(d, e["file"] + ".raw"), "rb") as f:
            raw = f.read()
        want = np.frombuffer(raw, dtype=np.dtype(e["dtype"]).newbyteorder("=")).reshape(e["shape"], order="F" if e["fortran"] else "C")
        if a.dtype != np.dtype(e["dtype"]) or a.shape != tuple(e["shape"]) or not np.array_equal(a, want):
            print("%s: dtype %s shape %s, want %s %s; equal: %s" % (e["file"], a.dtype, a.shape, e["dtype"], e["shape"], np.array_equal(a, want)))
            bad += 1
        if bool(a.flags.f_contiguous and not a.flags.c_contiguous) != e["fortran"] and a.ndim > 1 and min(a.shape) > 1:
            print("%s: fortran order %s, want %s" % (e["file"], a.flags.f_contiguous, e["fortran"]))
            bad += 1
    print("checked %d files, %d bad" % (len(written), bad))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    {"gen": gen, "check": check}[sys.argv[1]](sys.argv[2])
