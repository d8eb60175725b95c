# The Python worker blasbatch exec -py MODULE:FUNC runs, once per lane.
# It imports MODULE once (the current directory first on sys.path) and
# calls FUNC(path) for each item. Protocol, one JSON object a line:
#   blasbatch → worker (stdin):  {"path_b64": "..."}   the item's path, raw bytes in base64
#   worker → blasbatch:          {"ready": PID} once, after the import, or {"fatal": "..."}
#                                {"ok": true, "result": ...} or
#                                {"ok": false, "error": "Type: message", "traceback": "..."}
# The protocol has the process's original standard output to itself: what
# the user's code prints goes to standard error.
import base64, json, math, os, sys, traceback

proto = os.fdopen(os.dup(1), "w", buffering=1)
os.dup2(2, 1)
sys.stdout = sys.stderr


def say(obj):
    proto.write(json.dumps(obj, allow_nan=False, separators=(",", ":")) + "\n")
    proto.flush()


def clean(x):
    """x as JSON: NumPy scalars and arrays as numbers and lists, NaN and Inf as null."""
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, int):
        return x
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {str(k): clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [clean(v) for v in x]
    np = sys.modules.get("numpy")
    if np is not None:
        if isinstance(x, np.ndarray):
            return clean(x.tolist())
        if isinstance(x, np.generic):
            return clean(x.item())
    if isinstance(x, complex):
        return [clean(x.real), clean(x.imag)]
    raise TypeError("the function returned a %s, which is not JSON (return numbers, strings, lists, dicts or NumPy values)" % type(x).__name__)


def main():
    spec = sys.argv[1]
    modname, _, funcname = spec.partition(":")
    sys.path.insert(0, os.getcwd())
    try:
        import importlib
        mod = importlib.import_module(modname)
        func = getattr(mod, funcname)
    except BaseException as e:
        say({"fatal": "importing %s: %s: %s" % (spec, type(e).__name__, e)})
        return 1
    say({"ready": os.getpid()})
    for line in sys.stdin:
        req = json.loads(line)
        path = os.fsdecode(base64.b64decode(req["path_b64"]))
        try:
            out = {"ok": True, "result": clean(func(path))}
        except BaseException as e:
            if isinstance(e, KeyboardInterrupt):
                raise
            tb = traceback.format_exc().rstrip().splitlines()
            out = {"ok": False, "error": "%s: %s" % (type(e).__name__, e), "traceback": "\n".join(tb[-8:])}
        say(out)
    return 0


sys.exit(main())
