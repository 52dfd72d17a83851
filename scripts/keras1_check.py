#!/usr/bin/env python3
"""Keras 1 files through wtool (issue 20: "older Keras versions"), against Keras 1 itself.

1. Regenerates the Keras 1 reference files with Keras 1.2.2 on Theano
   (scripts/keras1_reference.py in .venv-keras1, made by `scripts/setup.sh --keras1`) and checks
   that the committed samples/keras1 are what it makes: every weight equal (h5py), Keras 1's
   predictions within 1e-6 (Theano's BLAS may differ in the last bits on another machine).
2. For each model of samples/keras1/manifest.json, through the wtool binary:
   convert   `.h5 -> .swm` and `wtool check`;
   summary   `summary --json` total and trainable parameters equal Keras 1's count_params();
   run       `wtool run --input` straight from the .h5 and from the .swm: max|Δ|/max|keras 1| ≤ 1e-5;
   kernels   the "th" model saved with TensorFlow kernels, read with `--conv-kernels tensorflow`;
   export    `.h5` written by wtool (Keras 3 and Keras 2 formats) loaded by Keras 3 and tf_keras and
             predicting within 1e-5 (a channels-first model: loaded and its parameters counted
             only, as TensorFlow's CPU convolutions take channels-last tensors); `.onnx` run by
             onnxruntime within 1e-5.

Usage: scripts/keras1_check.py [--wtool PATH] [--keras1-python .venv-keras1/bin/python] [--no-regenerate]
Ends with `keras 1 files: N passed, M failed`; exits 1 when anything failed.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wtool_scripts.common import REPO, add_wtool_option, rel_error  # noqa: E402

SAMPLES = REPO / "samples" / "keras1"
TOLERANCE = 1e-5


class Results:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, label, ok, detail=""):
        print(f"  {'PASS' if ok else 'FAIL'}  {label}{'  ' + detail if detail else ''}", flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        return ok


def wtool(binary, *args):
    p = subprocess.run([binary, *args], capture_output=True, text=True, timeout=300)
    return p.returncode, (p.stderr.strip().splitlines() or [""])[-1]


def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return out


def regenerate(results, python, work):
    out = os.path.join(work, "regenerated")
    env = dict(os.environ, THEANO_COMPILEDIR=os.path.join(os.environ.get("WTOOL_CACHE", os.path.expanduser("~/.cache/wtool")), "theano"))
    p = subprocess.run([python, str(REPO / "scripts" / "keras1_reference.py"), "--out", out], capture_output=True, text=True, env=env)
    if not results.check("Keras 1.2.2 regenerates the reference files", p.returncode == 0, (p.stderr.strip().splitlines() or [""])[-1]):
        return
    for name in sorted(n for n in os.listdir(SAMPLES) if n.endswith(".h5")):
        a, b = datasets(SAMPLES / name), datasets(os.path.join(out, name))
        same = a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
        results.check(f"{name}: committed weights = regenerated", same, f"{len(a)} datasets")
    for name in sorted(n for n in os.listdir(SAMPLES) if n.endswith(".outputs.npy")):
        rel = rel_error(np.load(os.path.join(out, name)), np.load(SAMPLES / name))
        results.check(f"{name}: committed Keras 1 predictions = regenerated", rel <= 1e-6, f"{rel:.2e}")


def keras_load(version, model, inputs_dir=None, expected_dir=None, load_only=False):
    args = [sys.executable, str(REPO / "scripts" / "keras_h5_check.py"), "--keras", version, model]
    args += ["--load-only"] if load_only else ["--inputs", inputs_dir, "--expected", expected_dir, "--tolerance", str(TOLERANCE)]
    p = subprocess.run(args, capture_output=True, text=True, timeout=600)
    try:
        return json.loads(p.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return {"ok": False, "error": (p.stderr.strip().splitlines() or ["no report"])[-1]}


def check_model(results, binary, entry, work):
    name = entry["name"]
    print(f"{name} ({entry['ordering']} ordering, {entry['params']} params)", flush=True)
    source = str(SAMPLES / f"{name}.h5")
    inputs, expected = SAMPLES / f"{name}.inputs.npy", np.load(SAMPLES / f"{name}.outputs.npy")
    swm = os.path.join(work, f"{name}.swm")
    rc, err = wtool(binary, "convert", source, swm, "--quiet")
    if results.check(f"{name}: convert", rc == 0, err):
        rc, err = wtool(binary, "check", swm)
        results.check(f"{name}: check", rc == 0, err)
    p = subprocess.run([binary, "summary", source, "--json"], capture_output=True, text=True)
    summary = json.loads(p.stdout) if p.returncode == 0 else {}
    results.check(f"{name}: summary total params = Keras 1's", summary.get("total_params") == entry["params"],
                  f"{summary.get('total_params')} vs {entry['params']}")

    def run(label, model, *extra):
        out = os.path.join(work, f"{name}.{label}.npy")
        rc, err = wtool(binary, "run", model, "--input", f"{entry['input']}={inputs}", "--out", out, "--quiet", *extra)
        if rc != 0:
            return results.check(f"{name}: run {label}", False, err)
        y = np.load(out)
        rel = rel_error(y, expected)
        results.check(f"{name}: run {label} = Keras 1", y.shape == expected.shape and rel <= TOLERANCE,
                      f"shape {list(y.shape)}, max|Δ|/max|keras| = {rel:.2e}")

    run("direct", source)
    if os.path.exists(swm):
        run("swm", swm)
    if entry.get("tf_kernels_copy"):
        run("tf-kernels", str(SAMPLES / f"{name}.tf-kernels.h5"), "--conv-kernels", "tensorflow")

    folder = os.path.join(work, name)
    os.makedirs(os.path.join(folder, "in"))
    os.makedirs(os.path.join(folder, "out"))
    np.save(os.path.join(folder, "in", "batch.npy"), np.load(inputs))
    np.save(os.path.join(folder, "out", "batch.npy"), expected)
    channels_first = entry["ordering"] == "th"
    for version in ("3", "2"):
        h5 = os.path.join(work, f"{name}.keras{version}.h5")
        rc, err = wtool(binary, "convert", source, h5, "--keras", version, "--quiet")
        if not results.check(f"{name}: .h5 out --keras {version}", rc == 0, err):
            continue
        report = keras_load(version, h5, os.path.join(folder, "in"), os.path.join(folder, "out"), load_only=channels_first)
        what = "loads (parameters counted; TF's CPU convolution is channels-last only)" if channels_first else "predicts"
        ok = report.get("ok") and report.get("params") == entry["params"]
        detail = report.get("error") or (f"{report.get('params')} params" + ("" if channels_first else f", {report.get('worst_relative', 0):.2e}"))
        results.check(f"{name}: Keras {version} {what}", bool(ok), detail)
    onnx_path = os.path.join(work, f"{name}.onnx")
    rc, err = wtool(binary, "convert", source, onnx_path, "--quiet")
    if results.check(f"{name}: .onnx out", rc == 0, err):
        import onnxruntime
        session = onnxruntime.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
        y = session.run(None, {session.get_inputs()[0].name: np.load(inputs)})[0]
        rel = rel_error(y, expected)
        results.check(f"{name}: onnxruntime = Keras 1", rel <= TOLERANCE, f"{rel:.2e}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_wtool_option(ap)
    ap.add_argument("--keras1-python", default=str(REPO / ".venv-keras1" / "bin" / "python"))
    ap.add_argument("--no-regenerate", action="store_true", help="skip step 1 (no Keras 1 environment needed)")
    args = ap.parse_args()
    results = Results()
    manifest = json.load(open(SAMPLES / "manifest.json"))
    with tempfile.TemporaryDirectory(prefix="wtool-keras1-") as work:
        if not args.no_regenerate:
            regenerate(results, args.keras1_python, work)
        for entry in manifest["models"]:
            check_model(results, os.path.abspath(args.wtool), entry, work)
    print(f"keras 1 files: {results.passed} passed, {results.failed} failed")
    return 1 if results.failed else 0


if __name__ == "__main__":
    sys.exit(main())
