#!/usr/bin/env python3
"""Inference benchmark: wtool vs onnxruntime vs Keras on the same model, machine and run.

Usage: python scripts/bench_runtime.py --reference DIR [--model vgg16[,resnet50,...]] [--batches 1,20]
                                       [--runs 10] [--wtool .build/release/wtool] [--json OUT]

Each engine gets the same input shape (the model's, from the reference manifest), two warm-up
batches, then the median of --runs batches; engines run one after another, never at once. The
ratios are the result (machines are noisy): wtool ms/image ÷ the other's. Several --model names
(comma-separated) are measured in the same run, one model after another.
"""
import argparse, json, os, statistics, subprocess, sys, tempfile, time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np


def median_ms(fn, runs, warmup=2):
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples) * 1e3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reference", required=True)
    ap.add_argument("--model", default="vgg16", help="model name(s) from the manifest, comma-separated")
    ap.add_argument("--batches", default="1,20")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--wtool", default=".build/release/wtool")
    ap.add_argument("--json")
    args = ap.parse_args()
    manifest = json.load(open(os.path.join(args.reference, "manifest.json")))
    results = [bench(args, manifest, name) for name in args.model.split(",")]
    if args.json:
        json.dump(results if len(results) > 1 else results[0], open(args.json, "w"), indent=1)


def bench(args, manifest, name):
    model = next(m for m in manifest["models"] if m["name"] == name)
    mdir = os.path.join(args.reference, model["dir"])
    h5 = os.path.join(mdir, model["flavours"]["keras3.h5"])
    onnx_path = os.path.join(mdir, model["flavours"]["onnx"])
    shape = model["input_shape"][1:]
    work = tempfile.mkdtemp(prefix="wtool-bench-")
    swm = os.path.join(work, f"{name}.swm")
    subprocess.run([args.wtool, "convert", h5, swm, "--quiet"], check=True)

    import onnxruntime as ort
    import keras
    sess = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    onnx_input = sess.get_inputs()[0].name
    kmodel = keras.models.load_model(h5, compile=False)

    rows = []
    for batch in [int(b) for b in args.batches.split(",")]:
        x = np.random.default_rng(0).uniform(-128, 128, size=[batch] + shape).astype(np.float32)
        w = json.loads(subprocess.run([args.wtool, "bench", swm, "--batch", str(batch), "--runs", str(args.runs), "--json"],
                                      check=True, capture_output=True, text=True).stdout)
        wt = w["ms_per_batch"]
        ot = median_ms(lambda: sess.run(None, {onnx_input: x}), args.runs)
        kt = median_ms(lambda: kmodel.predict_on_batch(x), args.runs)
        rows.append({"batch": batch, "wtool_ms_per_image": wt / batch, "onnxruntime_ms_per_image": ot / batch,
                     "keras_ms_per_image": kt / batch, "wtool_load_ms": w["load_ms"],
                     "ratio_wtool_vs_onnxruntime": wt / ot, "ratio_wtool_vs_keras": wt / kt})

    print(f"{name} {shape}, ms per image (median of {args.runs} batches), same machine, one engine at a time")
    print(f"{'batch':>5} {'wtool':>9} {'onnxruntime':>12} {'keras':>9} {'wtool/ort':>10} {'wtool/keras':>12}")
    for r in rows:
        print(f"{r['batch']:>5} {r['wtool_ms_per_image']:>9.1f} {r['onnxruntime_ms_per_image']:>12.1f} "
              f"{r['keras_ms_per_image']:>9.1f} {r['ratio_wtool_vs_onnxruntime']:>10.2f} {r['ratio_wtool_vs_keras']:>12.2f}")
    versions = {"onnxruntime": ort.__version__, "keras": keras.__version__, "keras_backend": keras.backend.backend()}
    print(f"versions: {versions}")
    return {"model": name, "input_shape": shape, "rows": rows, "versions": versions}


if __name__ == "__main__":
    sys.exit(main())
