"""The record of checks, and the checks every flavour shares: `wtool verify` against Keras's
expected outputs, the `--arch` options of weights-only flavours, and tensors bit-identical to
what h5py reads (through swm.py, a reader independent of wtool's)."""
import json
import os

import h5py
import numpy as np

from .. import swm
from ..common import run

TOLERANCE = 1e-4
WEIGHTS_ONLY = {"weights.h5", "tfkeras-weights.h5", "weights-offset.h5"}


class Checks:
    def __init__(self):
        self.results = []

    def record(self, name, ok, detail=""):
        self.results.append({"check": name, "ok": bool(ok), "detail": detail})
        print(f"  {'PASS' if ok else 'FAIL'}  {name}{'  ' + detail if detail else ''}", flush=True)
        return ok


def arch_args(model, flavour):
    """`--arch` and its options for weights-only flavours: from the manifest's keras.applications
    constructor arguments when it records them, else the model's name and input shape (vgg16)."""
    if flavour not in WEIGHTS_ONLY:
        return []
    h, w, c = model["input_shape"][1:]
    arch = model.get("arch")
    if not arch:
        return ["--arch", model["name"], "--input-shape", f"{h},{w},{c}"]
    a = arch["args"]
    args = ["--arch", arch["name"], "--input-shape", ",".join(str(d) for d in a["input_shape"])]
    if a.get("include_top", True):
        args += ["--include-top", "--classes", str(a.get("classes", 1000))]
    elif a.get("pooling"):
        args += ["--pooling", a["pooling"]]
    if a.get("alpha", 1.0) != 1.0:
        args += ["--alpha", str(a["alpha"])]
    return args


def check_tensors(checks, label, swm_path, source_path, records):
    """Bit-exact: each dataset h5py reads equals the .swm tensor whose source is that dataset."""
    s = swm.SWM(swm_path)
    by_source = {t["source"]: name for name, t in s.tensors.items()}
    mismatched = []
    with h5py.File(source_path, "r") as f:
        for r in records:
            name = by_source.get(r["dataset_path"])
            expected = np.ascontiguousarray(f[r["dataset_path"]][()]).tobytes()
            if name is None or s.tensors[name]["bytes"] != expected:
                mismatched.append(r["dataset_path"])
    checks.record(f"{label}: tensors bit-identical to h5py", not mismatched and len(records) == len(s.tensors),
                  f"{len(records)} tensors" + (f", differ: {mismatched[:3]}" if mismatched else ""))
    return s


def preprocess_args(model):
    mode = model["preprocessing"]["mode"]
    return ["--rescale", "1/255"] if mode == "rescale" else ["--preprocess", mode]


def verify(checks, label, wtool, model_file, model, ref, extra):
    mdir = os.path.join(ref, model["dir"])
    rc, stdout, err = run([wtool, "verify", model_file, "--images", os.path.join(ref, "photos"),
                           "--expected", os.path.join(mdir, "expected"), "--tolerance", str(TOLERANCE), "--json"]
                          + preprocess_args(model) + extra)
    try:
        report = json.loads(stdout)
    except ValueError:
        checks.record(f"{label}: verify", False, err or stdout[:200])
        return None
    worst = report["worst_relative_error"]
    n = len(report["images"])
    checks.record(f"{label}: verify", rc == 0 and n == len(model["expected"]),
                  f"{n} photos, worst max|Δ|/max|keras| = {worst:.2e}")
    return worst
