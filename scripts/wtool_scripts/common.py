"""What every script shares: where things are, running wtool, JSON and .npy files, hashes, the
error metric, timing, and importing one Keras per process quietly.

Imports only the standard library at module level (NumPy where a helper needs it), so scripts
run by the system python3 (hostile_files.py), the tf_keras child processes and the scripts that
must choose their Keras before importing it can all use it.
"""
import hashlib
import json
import os
import subprocess
import time
from pathlib import Path

SCRIPTS = Path(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # scripts/
REPO = SCRIPTS.parent
SAMPLES = REPO / "samples"
CVE_DIR = REPO.parent / "shared" / "corpus" / "hdf5-cve"  # the project's shared folder
DEFAULT_WTOOL = REPO / ".build" / "release" / "wtool"
T0 = time.time()


def log(msg):
    print(f"[{time.time() - T0:7.1f}s] {msg}", flush=True)


def add_wtool_option(parser, required=False):
    """`--wtool PATH`: the binary to run (default: this checkout's release build)."""
    if required:
        parser.add_argument("--wtool", required=True, help="the wtool binary")
    else:
        parser.add_argument("--wtool", default=str(DEFAULT_WTOOL),
                            help="the wtool binary (default: .build/release/wtool)")


def run(cmd):
    """Runs cmd; returns (exit status, stdout, stderr stripped)."""
    p = subprocess.run(cmd, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr.strip()


def refusal_fault(status, stderr, names):
    """What is wrong with a wtool run that had to refuse its input cleanly (exit 1…128, exactly
    one non-empty stderr line, starting `error: ` and naming one of `names`): ("signal", N) for a
    crash, ("accepted", 0) for exit 0, ("message", 0) for any other stderr; None if clean."""
    if status < 0 or status > 128:
        return "signal", -status if status < 0 else status - 128
    if status == 0:
        return "accepted", 0
    lines = [line for line in stderr.splitlines() if line.strip()]
    if len(lines) != 1 or not lines[0].startswith("error: ") or not any(n in lines[0] for n in names):
        return "message", 0
    return None


def run_json(cmd):
    """Runs cmd (it must succeed) and parses its stdout as JSON (`wtool … --json`)."""
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


# --------------------------------------------------------------------------------------------
# files and hashes


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def sha256_bytes(b):
    return hashlib.sha256(b).hexdigest()


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def le_bytes(arr):
    """Raw little-endian C-order bytes of an array (what sha256 in tensors.json hashes)."""
    import numpy as np

    arr = np.ascontiguousarray(arr)
    return arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()


def pretty_json(obj, indent=""):
    """JSON with one key per line but short scalar lists kept inline ([null, 32, 32, 3])."""
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        inner = indent + "  "
        items = [f"{inner}{json.dumps(k)}: {pretty_json(v, inner)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(obj, list):
        if all(not isinstance(v, (dict, list)) for v in obj):
            return json.dumps(obj)
        inner = indent + "  "
        return "[\n" + ",\n".join(inner + pretty_json(v, inner) for v in obj) + "\n" + indent + "]"
    return json.dumps(obj)


def write_json(path, obj):
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        f.write(pretty_json(obj) + "\n")


def save_npy(path, arr):
    import numpy as np

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    np.save(path, np.ascontiguousarray(arr))


def rel(path, base):
    return str(Path(path).relative_to(base))


# What the reference data is a function of (besides the pinned packages): the entry point, the
# pins, the shared helpers and the generator (wtool_scripts/reference, which holds the model
# families). The checks (parity/, realworld/) and the corpus generator read the data but do not
# make it, so editing them does not regenerate it. code_stamp() hashes these; `reference.py full`
# writes it to STAMP and test.sh keys its cache of the generated data on it.
STAMPED = ("reference.py", "requirements.txt", "wtool_scripts/__init__.py", "wtool_scripts/common.py",
           "wtool_scripts/reference")


def code_stamp():
    """sha256 of one `<sha256 of the file>  <path>` line per stamped file (the .py files of the
    package, no __pycache__), paths relative to scripts/ with `/`, sorted by path: the same
    bytes on every machine and checkout for the same sources."""
    files = {}
    for name in STAMPED:
        p = SCRIPTS / name
        for f in (sorted(p.rglob("*.py")) if p.is_dir() else [p]):
            if "__pycache__" not in f.parts:
                files[f.relative_to(SCRIPTS).as_posix()] = f
    listing = "".join(f"{sha256_file(files[k])}  {k}\n" for k in sorted(files))
    return sha256_bytes(listing.encode())


# --------------------------------------------------------------------------------------------
# numbers


def error_stats(actual, expected):
    """(max|actual - expected|, that / max|expected|) in float64; (inf, inf) if the shapes differ.
    A zero `expected` gives the absolute difference as the relative one."""
    import numpy as np

    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape:
        return float("inf"), float("inf")
    d = float(np.max(np.abs(actual - expected)))
    scale = float(np.max(np.abs(expected)))
    return d, (d / scale if scale else d)


def rel_error(actual, expected):
    """The parity metric: max|actual - expected| / max|expected| (see error_stats)."""
    return error_stats(actual, expected)[1]


def timed_ms(fn, runs, warmup=1):
    """Wall milliseconds of each of `runs` calls of fn, after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return [s * 1e3 for s in samples]


# --------------------------------------------------------------------------------------------
# Keras: one version per process


def shape_list(shape):
    """A Keras shape as JSON: ints, None for unknown dimensions."""
    return [None if d is None else int(d) for d in shape]


def legacy_keras_env():
    """The environment of a child process that runs tf_keras (Keras 2)."""
    return dict(os.environ, TF_USE_LEGACY_KERAS="1")


def application_layers(K):
    """keras.applications' own layer classes that Keras does not register (InceptionResNetV2's
    CustomScaleLayer, ConvNeXt's LayerScale and StochasticDepth), by name, for `custom_objects`:
    loading a saved model of those bases needs them, as it does for any user. K: `keras` or
    `tf_keras`."""
    import importlib

    package = "tf_keras.src.applications" if K.__name__.startswith("tf_keras") else "keras.src.applications"
    resnet = importlib.import_module(f"{package}.inception_resnet_v2")
    convnext = importlib.import_module(f"{package}.convnext")
    return {"CustomScaleLayer": resnet.CustomScaleLayer, "LayerScale": convnext.LayerScale,
            "StochasticDepth": convnext.StochasticDepth}


def import_keras(version, seed=None, quiet=True):
    """`keras` (version "3", TensorFlow backend) or `tf_keras` ("2"), with TensorFlow's and
    absl's logs at ERROR; seeded with keras.utils.set_random_seed(seed) when seed is given."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if version == "2":
        os.environ["TF_USE_LEGACY_KERAS"] = "1"
        import tf_keras as K
    else:
        os.environ.setdefault("KERAS_BACKEND", "tensorflow")
        import keras as K
    if quiet:
        import absl.logging
        import tensorflow as tf

        absl.logging.set_verbosity(absl.logging.ERROR)
        tf.get_logger().setLevel("ERROR")
    if seed is not None:
        K.utils.set_random_seed(seed)
    return K
