#!/usr/bin/env python3
"""The heavy parity stage: every model and flavour of the reference data (scripts/reference.py full)
through the release `wtool`, checked against what Keras and h5py say.

Usage: python scripts/parity.py --reference DIR [--wtool .build/release/wtool] [--report OUT.json] [--models A,B]

Checks, per model and flavour:
  convert  `wtool convert` succeeds and `wtool check` passes on the result;
  summary  `wtool summary --json`: total params = Keras's count_params(), output shape = Keras's;
  tensors  every tensor in the .swm is bit-identical to what h5py reads from the source file
           (read back with wtool_scripts/swm.py, an independent reader of the format);
  verify   `wtool verify` on the real photos (JPEG/PNG decoding, resizing and preprocessing in
           wtool, as Keras's load_img + preprocess_input) against Keras's outputs, from the .swm
           and straight from the source file: max|Δ|/max|keras| ≤ 1e-4 for every image; for the
           Keras 3 .h5 of the six seed models (all with --variants all) also with each convolution algorithm forced (`--conv im2col`, `onednn`,
           `winograd-2x2`, `winograd-4x4`; the default `auto` mixes them per layer), with the C
           kernels' portable path (`WTOOL_ISA=portable`), and once
           more from the .swm with the transformed kernels mapped from the kernel cache the
           first run filled (the same outputs, to the bit).
  h5 out   `wtool convert` (.swm -> Keras .h5, full and --weights-only) loaded by Keras 3 AND
           tf_keras (scripts/keras_h5_check.py), predictions on the reference inputs against
           Keras's outputs: max|Δ|/max|keras| ≤ 1e-5 (`check_h5_export`); plus the writer's
           fixtures (every mapped layer class, nested models) per --keras target, and
           ResNet50 (`check_resnet50`: also `wtool graph` rendered to SVG by Graphviz).
  tensors  onnx.helper models taking tensors (NCHW, two inputs/outputs, int64 ids, bool outputs) through
           `wtool run --input` and `verify --input --reference` against onnxruntime, and the refusals
           of bad inputs (`check_tensor_io`);
  onnx     tf2onnx's export: `wtool summary/run/verify` on it and `.onnx -> .swm -> verify`;
           `wtool convert <keras3.h5> out.onnx`: onnx.checker + onnxruntime vs Keras (`check_onnx`).
  safetensors  `.h5 -> .safetensors` read by the safetensors package bit-identical to h5py, and back
           (embedded graph, --arch) at parity; sharded features merged = one run
           (`check_safetensors`, `check_sharded_features`).
Writes a markdown parity table (--table) for the README.
Ends with the line `parity: N passed, M failed`; exits 1 when anything failed.
The checks live in wtool_scripts/parity/ (one module per concern above).
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wtool_scripts.common import add_wtool_option  # noqa: E402
from wtool_scripts.parity.checks import Checks  # noqa: E402
from wtool_scripts.parity.features import check_features  # noqa: E402
from wtool_scripts.parity.flavours import check_flavours  # noqa: E402
from wtool_scripts.parity.h5_export import (check_h5_export, check_h5_export_fixtures, check_resnet50,  # noqa: E402
                                            close_keras_workers)
from wtool_scripts.parity.onnx_checks import check_onnx  # noqa: E402
from wtool_scripts.parity.safetensors_checks import check_safetensors, check_sharded_features  # noqa: E402
from wtool_scripts.parity.tensor_io import check_tensor_io  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reference", required=True)
    add_wtool_option(ap)
    ap.add_argument("--report")
    ap.add_argument("--table", help="write the parity table (markdown) here")
    ap.add_argument("--models", help="only these models' checks (comma-separated), without the set-wide "
                                     "ones (writer fixtures, ResNet50, features, tensor models)")
    ap.add_argument("--variants", choices=["seed", "all"], default="seed",
                    help="which models' Keras 3 .h5 is verified with every --conv algorithm forced and "
                         "WTOOL_ISA=portable: the six seed models (default) or all")
    args = ap.parse_args()
    ref = args.reference
    manifest = json.load(open(os.path.join(ref, "manifest.json")))
    checks = Checks()
    work = tempfile.mkdtemp(prefix="wtool-parity-")
    started = time.time()
    table = []

    only = [n for n in (args.models or "").split(",") if n]
    missing = sorted(set(only) - {m["name"] for m in manifest["models"]})
    if missing:
        ap.error(f"not in {ref}/manifest.json: {', '.join(missing)}")
    try:
        for model in manifest["models"]:
            if only and model["name"] not in only:
                continue
            # One folder per model, removed when its checks are done: every model's converted and
            # exported copies together came to 14 GB; one model's stay under 3 GB.
            model_work = tempfile.mkdtemp(prefix=model["name"] + "-", dir=work)
            check_flavours(checks, table, args.wtool, model, ref, model_work, args.variants)
            check_onnx(checks, table, args.wtool, model, ref, model_work)
            check_h5_export(checks, table, args.wtool, model, ref, model_work)
            check_safetensors(checks, table, args.wtool, model, ref, model_work)
            shutil.rmtree(model_work, ignore_errors=True)

        if not only:
            check_h5_export_fixtures(checks, table, args.wtool, work)
            check_resnet50(checks, table, args.wtool, work)
            check_features(checks, table, args.wtool, manifest, ref, work)
            check_tensor_io(checks, table, args.wtool, manifest, ref, work)
            check_sharded_features(checks, args.wtool, ref, manifest)
    finally:
        close_keras_workers()
        shutil.rmtree(work, ignore_errors=True)

    passed = sum(r["ok"] for r in checks.results)
    failed = len(checks.results) - passed
    print(f"parity stage took {time.time() - started:.0f} s")
    if args.report:
        json.dump(checks.results, open(args.report, "w"), indent=1)
    lines = ["| model | flavour | path | worst max\\|Δ\\|/max\\|keras\\| over the photos |", "|---|---|---|---|"]
    for name, flavour, path, worst in table:
        lines.append(f"| {name} | {flavour} | {path} | {'failed' if worst is None else f'{worst:.2e}'} |")
    print("\n".join(lines))
    if args.table:
        open(args.table, "w").write("\n".join(lines) + "\n")
    print(f"parity: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
