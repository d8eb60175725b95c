"""NumPy side of matio's interoperability test (see numpy_test.go).

    numpy_interop.py gen DIR    write .npy/.npz files with NumPy into DIR, the
                                values matio must decode from each (raw '<f8'
                                in a .bin file, items concatenated in C order)
                                and DIR/manifest.json describing what matio's
                                Reader must report for each file.
    numpy_interop.py check DIR  load the files matio.WriteNpy wrote into DIR
                                (listed in DIR/manifest.json) and compare them
                                with the expected values; exit 1 on a mismatch.
"""

import io
import json
import os
import sys

import numpy as np
from numpy.lib import format as npformat


def items(arr, prefix):
    """Events matio yields for a good 2-D or 3-D array."""
    if arr.ndim == 2:
        return [{"id": prefix, "rows": arr.shape[0], "cols": arr.shape[1]}]
    return [{"id": "%s[%d]" % (prefix, i), "rows": arr.shape[1], "cols": arr.shape[2]}
            for i in range(arr.shape[0])]


def expected_bytes(arr):
    # Item by item in C order, as float64: tobytes's default order is 'C'.
    return arr.astype("<f8").tobytes()


def gen(d):
    rng = np.random.default_rng(20240229)
    manifest = []

    def mat(shape):
        a = rng.standard_normal(shape) * 1e3
        flat = a.reshape(-1)
        flat[:4] = [np.nan, np.inf, -np.inf, -0.0]  # passed through as is
        return a

    def ints(dtype, shape):
        info = np.iinfo(dtype)
        a = rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
        a.reshape(-1)[:2] = [info.min, info.max]
        return a

    def add_npy(name, arr, version=None, pickle=False):
        path = os.path.join(d, name)
        with open(path, "wb") as f:
            npformat.write_array(f, arr, version=version, allow_pickle=pickle)
        entry = {"file": name, "descr": arr.dtype.str,
                 "fortran": bool(arr.flags.f_contiguous and not arr.flags.c_contiguous),
                 "version": list(version or (1, 0))}
        if arr.dtype.kind in "fiub" and arr.ndim in (2, 3) and arr.size > 0 and arr.itemsize <= 8 and arr.dtype != np.float16:
            entry["events"] = items(arr, "")
            entry["bin"] = name + ".bin"
            with open(os.path.join(d, entry["bin"]), "wb") as f:
                f.write(expected_bytes(arr))
        manifest.append(entry)
        return entry

    def bad_npy(name, arr, error, **kw):
        entry = add_npy(name, arr, **kw)
        entry["events"] = [{"id": "", "error": error}]
        entry.pop("bin", None)

    # Every dtype, both byte orders, C and Fortran order.
    kinds = {
        "f8": mat((5, 7)),
        "f4": mat((5, 7)).astype(np.float32),
        "i1": ints(np.int8, (5, 7)), "i2": ints(np.int16, (5, 7)),
        "i4": ints(np.int32, (5, 7)), "i8": ints(np.int64, (5, 7)),
        "u1": ints(np.uint8, (5, 7)), "u2": ints(np.uint16, (5, 7)),
        "u4": ints(np.uint32, (5, 7)), "u8": ints(np.uint64, (5, 7)),
        "b1": rng.integers(0, 2, size=(5, 7)).astype(bool),
    }
    for i, (kind, a) in enumerate(sorted(kinds.items())):
        version = [(1, 0), (2, 0), (3, 0)][i % 3]
        orders = ["<", ">"] if a.dtype.itemsize > 1 else ["|"]
        for bo in orders:
            b = a.astype(a.dtype.newbyteorder(bo)) if bo != "|" else a
            tag = {"<": "le", ">": "be", "|": ""}[bo]
            add_npy("%s%s_c.npy" % (kind, tag), b, version=version)
            add_npy("%s%s_f.npy" % (kind, tag), np.asfortranarray(b), version=version)
    # Every format version for float64.
    for v in [(1, 0), (2, 0), (3, 0)]:
        add_npy("f8_v%d.npy" % v[0], mat((6, 3)), version=v)
    # Stacks: C and Fortran order.
    add_npy("stack_c.npy", mat((4, 5, 6)))
    add_npy("stack_f.npy", np.asfortranarray(mat((4, 5, 6))))
    add_npy("stack_f_f4be.npy", np.asfortranarray(mat((3, 2, 5)).astype(">f4")), version=(2, 0))
    add_npy("stack_f_i2.npy", np.asfortranarray(ints(np.int16, (3, 4, 2))))
    add_npy("big.npy", mat((300, 400)))
    add_npy("big_f.npy", np.asfortranarray(mat((300, 400))))

    # Bad cases NumPy can make.
    obj = np.empty((2, 2), dtype=object)
    obj[:] = [[1, "a"], [None, 2.5]]
    bad_npy("object.npy", obj, "ErrObject", pickle=True)
    bad_npy("unicode.npy", np.array([["ab", "c"], ["d", "e"]]), "ErrDtype")
    bad_npy("bytes.npy", np.array([[b"ab", b"c"]]), "ErrDtype")
    bad_npy("complex.npy", (mat((2, 2)) + 1j).astype(np.complex128), "ErrDtype")
    bad_npy("half.npy", mat((2, 2)).astype(np.float16), "ErrDtype")
    bad_npy("datetime.npy", np.array([["2020-01-01"]], dtype="datetime64[D]"), "ErrDtype")
    bad_npy("structured.npy", np.zeros((2, 2), dtype=[("a", "<f8"), ("b", "<i4")]), "ErrDtype")
    bad_npy("vector.npy", mat((5,)), "ErrShape")
    bad_npy("scalar.npy", np.float64(3.5), "ErrShape")
    bad_npy("empty.npy", np.zeros((0, 5)), "ErrShape")
    bad_npy("empty_stack.npy", np.zeros((0, 5, 5)), "ErrShape")
    bad_npy("four_d.npy", mat((2, 2, 2, 2)), "ErrShape")

    # Archives: members in the order given, good ones and bad ones.
    members = [
        ("a", mat((3, 4))),
        ("b", ints(np.int32, (3, 2, 5))),
        ("vec", mat((4,))),
        ("d", np.asfortranarray(mat((4, 3)).astype(np.float32))),
        ("e", np.asfortranarray(mat((2, 3, 4)))),
        ("obj", obj),
        ("z", np.array(["x", "y"])),
        ("g", ints(np.uint8, (2, 2))),
    ]
    for name, save in [("stored.npz", np.savez), ("deflated.npz", np.savez_compressed)]:
        save(os.path.join(d, name), **dict(members))
        events, data = [], b""
        for m, arr in members:
            if m == "vec":
                events.append({"id": ":" + m, "error": "ErrShape"})
            elif m == "obj":
                events.append({"id": ":" + m, "error": "ErrObject"})
            elif m == "z":
                events.append({"id": ":" + m, "error": "ErrDtype"})
            else:
                events += items(arr, ":" + m)
                data += expected_bytes(arr)
        with open(os.path.join(d, name + ".bin"), "wb") as f:
            f.write(data)
        manifest.append({"file": name, "events": events, "bin": name + ".bin"})

    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


def check(d):
    with open(os.path.join(d, "manifest.json")) as f:
        manifest = json.load(f)
    for e in manifest:
        a = np.load(os.path.join(d, e["file"]), allow_pickle=False)
        with open(os.path.join(d, e["bin"]), "rb") as f:
            want = np.frombuffer(f.read(), dtype="<f8").reshape(e["shape"])
        problems = []
        if a.dtype != np.dtype("<f8"):
            problems.append("dtype %s" % a.dtype.str)
        if list(a.shape) != e["shape"]:
            problems.append("shape %s" % (a.shape,))
        elif a.tobytes() != want.tobytes():  # bit for bit, in C order
            problems.append("values differ")
        if e["fortran"] and a.ndim == 2 and min(a.shape) > 1 and not a.flags.f_contiguous:
            problems.append("not loaded in Fortran order")
        with open(os.path.join(d, e["file"]), "rb") as f:
            major, minor = npformat.read_magic(f)
        if (major, minor) != (1, 0):
            problems.append("version %d.%d" % (major, minor))
        if problems:
            print("%s: %s" % (e["file"], ", ".join(problems)))
            sys.exit(1)
    print("ok: %d files" % len(manifest))


if __name__ == "__main__":
    {"gen": gen, "check": check}[sys.argv[1]](sys.argv[2])
