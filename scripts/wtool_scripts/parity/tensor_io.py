"""Tensor I/O (issue 14): the onnx.helper models of the reference set through
`wtool run MODEL --input NAME=FILE.npy … --out OUT.npz` and `wtool verify --input … --reference`,
against onnxruntime: shapes and dtypes identical, max|Δ|/max|ref| ≤ 1e-5 (exact for integers and
bools); and the refusals a user meets — an unknown input, a missing one, a wrong dtype or rank —
one line on stderr naming it, a non-zero exit, and no output file."""
import os

import numpy as np

from ..common import run

TOLERANCE = 1e-5


def _compare(got, want):
    if got.shape != want.shape or got.dtype != want.dtype:
        return None, f"{got.dtype}{list(got.shape)} vs {want.dtype}{list(want.shape)}"
    if got.dtype.kind in "biu":
        return (0.0 if np.array_equal(got, want) else float("inf")), "exact"
    scale = float(np.abs(want).max()) or 1.0
    return float(np.abs(got.astype(np.float64) - want).max() / scale), ""


def check_tensor_io(checks, table, wtool, manifest, ref, work):
    for entry in manifest.get("tensor_models", []):
        name = entry["name"]
        model = os.path.join(ref, entry["model"])
        inputs = [f"{k}={os.path.join(ref, v)}" for k, v in entry["inputs"].items()]
        args = [a for i in inputs for a in ("--input", i)]
        out = os.path.join(work, f"{name}.outputs.npz")
        rc, _, err = run([wtool, "run", model, *args, "--out", out, "--force", "--quiet"])
        if checks.record(f"tensor io {name}: run --input", rc == 0, err):
            got = np.load(out)
            want = np.load(os.path.join(ref, entry["expected"]))
            worst = 0.0
            for key in want.files:
                if key not in got.files:
                    checks.record(f"tensor io {name}: output {key}", False, "missing from wtool's .npz")
                    continue
                error, detail = _compare(got[key], want[key])
                ok = error is not None and error <= TOLERANCE
                checks.record(f"tensor io {name}: {key} {want[key].dtype}{list(want[key].shape)} vs onnxruntime", ok,
                              f"{error:.2e} {detail}" if error is not None else detail)
                worst = max(worst, error if error is not None else float("inf"))
            table.append((name, "onnx.helper, tensors in", "run --input vs onnxruntime", worst))
        rc, stdout, err = run([wtool, "verify", model, *args, "--reference", os.path.join(ref, entry["expected"]),
                               "--tolerance", str(TOLERANCE)])
        checks.record(f"tensor io {name}: verify --input --reference", rc == 0, err or stdout.strip().splitlines()[-1])
        _check_refusals(checks, wtool, name, model, entry, ref, work)


def _check_refusals(checks, wtool, name, model, entry, ref, work):
    first, path = next(iter(entry["inputs"].items()))
    source = np.load(os.path.join(ref, path))
    wrong_dtype = os.path.join(work, f"{name}.{first}.wrongtype.npy")
    np.save(wrong_dtype, source.astype(np.float64 if source.dtype != np.float64 else np.float32))
    wrong_rank = os.path.join(work, f"{name}.{first}.wrongrank.npy")
    np.save(wrong_rank, source.reshape(-1))
    others = [a for k, v in entry["inputs"].items() if k != first for a in ("--input", f"{k}={os.path.join(ref, v)}")]
    cases = {
        "unknown input": (["--input", f"no_such_input={os.path.join(ref, path)}"] + others, "no_such_input"),
        "wrong dtype": (["--input", f"{first}={wrong_dtype}"] + others, first),
        "wrong rank": (["--input", f"{first}={wrong_rank}"] + others, first),
    }
    if len(entry["inputs"]) > 1:
        cases["missing input"] = (["--input", f"{first}={os.path.join(ref, path)}"], next(k for k in entry["inputs"] if k != first))
    for what, (args, named) in cases.items():
        out = os.path.join(work, f"{name}.refused.npz")
        if os.path.exists(out):
            os.remove(out)
        rc, _, err = run([wtool, "run", model, *args, "--out", out])
        lines = err.splitlines()
        clean = rc == 1 and len(lines) == 1 and lines[0].startswith("error: ") and named in lines[0] and not os.path.exists(out)
        leftovers = [f for f in os.listdir(work) if f.startswith(f"{name}.refused.npz")]
        checks.record(f"tensor io {name}: {what} refused in one line naming '{named}', no output", clean and not leftovers,
                      f"exit {rc}: {err[:200]}")
