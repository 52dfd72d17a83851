#!/usr/bin/env python3
"""Inference benchmark: wtool vs onnxruntime vs Keras on the same model, machine and run.

Usage: python scripts/bench_runtime.py --reference DIR [--model all|vgg16[,resnet50,...]] [--batches 1,20]
                                       [--runs 5] [--rounds 5] [--conv auto[,im2col,...]]
                                       [--process] [--wtool .build/release/wtool] [--json OUT]

Machines are noisy (this one's speed drifts by 2x within minutes), so engines are interleaved:
each round times every engine in turn (--runs batches each, after warm-up), and the reported
ratio is the median over rounds of that round's ratio; per-engine times are medians over all
batches. wtool runs as `wtool bench` subprocesses (its in-process batch time; load not counted);
onnxruntime and Keras run in this process. Several --model names and several wtool --conv
algorithms are measured in the same run.

--model all (the default) measures the six seed models (VGG16, VGG19, ResNet50, InceptionV3,
Xception, MobileNet) and the keras.applications models of the Keras-reach issue the reference set
has (MobileNetV2, EfficientNetB0; those missing are listed), and ends with one table of the
wtool ÷ onnxruntime ratios, model by batch, for the README.

--process adds, for the first model: `wtool run` on one photo as a whole process (start to .npy
written), with its kernel cache warm and (for Winograd) without one, next to `python -c` doing the same with onnxruntime (PIL load, Keras's nearest resize,
preprocessing, session, np.save), alternated --rounds times, with each one's peak RSS; and the
memory floor the issue sets, weights + the largest activation pair + 10%.
"""
import argparse, json, os, shutil, statistics, subprocess, sys, tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wtool_scripts.common import add_wtool_option, import_keras, rel_error, run_json, timed_ms  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reference", required=True)
    ap.add_argument("--model", default="all", help="model name(s) from the manifest, comma-separated, or 'all'")
    ap.add_argument("--batches", default="1,20")
    ap.add_argument("--runs", type=int, default=5, help="batches per engine per round")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--conv", default="auto", help="wtool --conv algorithm(s), comma-separated")
    ap.add_argument("--no-keras", action="store_true", help="skip Keras (it is the slowest to time)")
    ap.add_argument("--process", action="store_true", help="also time whole-process runs and peak memory")
    add_wtool_option(ap)
    ap.add_argument("--json")
    args = ap.parse_args()
    manifest = json.load(open(os.path.join(args.reference, "manifest.json")))
    names = args.model.split(",")
    missing = []
    if args.model == "all":
        present = {m["name"] for m in manifest["models"] if "onnx" in m["flavours"]}
        names = [n for n in SEED_MODELS + EXTRA_MODELS if n in present]
        missing = [n for n in SEED_MODELS + EXTRA_MODELS if n not in present]
    results = [bench(args, manifest, name) for name in names]
    print_table(args, results, missing)
    if args.process:
        results[0]["process"] = process_bench(args, manifest, names[0])
    if args.json:
        json.dump(results if len(results) > 1 else results[0], open(args.json, "w"), indent=1)


SEED_MODELS = ["vgg16", "vgg19", "resnet50", "inception_v3", "xception", "mobilenet"]
# The Keras-reach issue's keras.applications models, measured when the reference set has them.
EXTRA_MODELS = ["mobilenet_v2", "efficientnet_b0"]


def print_table(args, results, missing):
    """The wtool ÷ onnxruntime table: one row per model, one column per batch (median of rounds)."""
    batches = [int(b) for b in args.batches.split(",")]
    convs = args.conv.split(",")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\nwtool ÷ onnxruntime, median over {args.rounds} interleaved rounds (lower is faster; "
          f"load average at the end {load:.2f}):")
    header = "| model | input | " + " | ".join(f"batch {b}" + (f" {c}" if len(convs) > 1 else "") for b in batches for c in convs)
    print(header + " | wtool ms/image (batch " + ", ".join(map(str, batches)) + ") |")
    print("|---" * (2 + len(batches) * len(convs) + 1) + "|")
    for r in results:
        by_batch = {row["batch"]: row for row in r["rows"]}
        cells = [f"{by_batch[b]['ratio_vs_onnxruntime'][f'wtool:{c}']:.2f}" for b in batches for c in convs]
        ms = ", ".join(f"{by_batch[b]['ms_per_image'][f'wtool:{convs[0]}']:.1f}" for b in batches)
        size = "x".join(str(d) for d in r["input_shape"][:2])
        print(f"| {r['model']} | {size} | " + " | ".join(cells) + f" | {ms} |")
    if missing:
        print(f"not in the reference set (not measured): {', '.join(missing)}")


def model_files(args, manifest, name):
    model = next(m for m in manifest["models"] if m["name"] == name)
    mdir = os.path.join(args.reference, model["dir"])
    return model, os.path.join(mdir, model["flavours"]["keras3.h5"]), os.path.join(mdir, model["flavours"]["onnx"])


def bench(args, manifest, name):
    model, h5, onnx_path = model_files(args, manifest, name)
    shape = model["input_shape"][1:]
    work = tempfile.mkdtemp(prefix="wtool-bench-")
    swm = os.path.join(work, f"{name}.swm")
    subprocess.run([args.wtool, "convert", h5, swm, "--quiet"], check=True)

    import onnxruntime as ort
    sess = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    onnx_input = sess.get_inputs()[0].name
    kmodel = None
    if not args.no_keras:
        kmodel = import_keras("3", quiet=False).models.load_model(h5, compile=False)
    convs = args.conv.split(",")

    rows = []
    for batch in [int(b) for b in args.batches.split(",")]:
        x = np.random.default_rng(0).uniform(-128, 128, size=[batch] + shape).astype(np.float32)
        samples = {k: [] for k in [f"wtool:{c}" for c in convs] + ["onnxruntime"] + (["keras"] if kmodel else [])}
        ratios = {k: [] for k in samples if k.startswith("wtool")}
        load_ms = {}
        for _ in range(args.rounds):
            round_ms = {}
            for c in convs:
                # Its own kernel cache: warm after the first round, as for every run after a model's first.
                w = run_json([args.wtool, "bench", swm, "--batch", str(batch), "--runs", str(args.runs),
                              "--conv", c, "--kernel-cache", os.path.join(work, "kernels"), "--json"])
                # `wtool bench` reports the median of its runs; weight it like --runs samples.
                samples[f"wtool:{c}"] += [w["ms_per_batch"]] * args.runs
                round_ms[f"wtool:{c}"] = w["ms_per_batch"]
                load_ms[c] = w["load_ms"]
            o = timed_ms(lambda: sess.run(None, {onnx_input: x}), args.runs)
            samples["onnxruntime"] += o
            round_ms["onnxruntime"] = statistics.median(o)
            if kmodel:
                samples["keras"] += timed_ms(lambda: kmodel.predict_on_batch(x), args.runs)
            for k in ratios:
                ratios[k].append(round_ms[k] / round_ms["onnxruntime"])
        row = {"batch": batch, "ms_per_image": {k: statistics.median(v) / batch for k, v in samples.items()},
               "ratio_vs_onnxruntime": {k: statistics.median(v) for k, v in ratios.items()},
               "ratio_spread": {k: [min(v), max(v)] for k, v in ratios.items()},
               "wtool_load_ms": load_ms}
        if kmodel:
            row["ratio_vs_keras"] = {k: statistics.median(samples[k]) / statistics.median(samples["keras"]) for k in ratios}
        rows.append(row)

    print(f"{name} {shape}: ms per image (median over {args.rounds} interleaved rounds of {args.runs} batches)")
    names = list(rows[0]["ms_per_image"])
    print(f"{'batch':>5} " + " ".join(f"{n:>18}" for n in names) + "   wtool/onnxruntime (median of rounds [min, max])")
    for r in rows:
        ratio = "  ".join(f"{k.split(':')[1]} {v:.2f} [{r['ratio_spread'][k][0]:.2f}, {r['ratio_spread'][k][1]:.2f}]"
                          for k, v in r["ratio_vs_onnxruntime"].items())
        print(f"{r['batch']:>5} " + " ".join(f"{r['ms_per_image'][n]:>18.1f}" for n in names) + "   " + ratio)
    print("wtool load (ms, model opened and kernels prepared, kernel cache warm): "
          + ", ".join(f"{c} {v:.1f}" for c, v in rows[-1]["wtool_load_ms"].items()))
    shutil.rmtree(work, ignore_errors=True)
    versions = {"onnxruntime": ort.__version__}
    if kmodel:
        import keras
        versions.update({"keras": keras.__version__, "keras_backend": keras.backend.backend()})
    print(f"versions: {versions}")
    return {"model": name, "input_shape": shape, "rows": rows, "versions": versions}


ORT_SCRIPT = r"""
import sys, numpy as np, onnxruntime as ort
from PIL import Image
model, photo, out, h, w = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
img = Image.open(photo).convert("RGB").resize((w, h), Image.NEAREST)
x = np.asarray(img, dtype=np.float32)[..., ::-1] - np.array([103.939, 116.779, 123.68], dtype=np.float32)
s = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
np.save(out, s.run(None, {s.get_inputs()[0].name: x[None]})[0])
"""


# Runs argv[1:] as a grandchild and prints its wall seconds and peak RSS. A child forked straight
# from this process would inherit its high-water mark (Keras makes it >1 GB), so a small, freshly
# started Python does the fork.
MEASURE = r"""
import os, sys, time
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    os.execvp(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(time.perf_counter() - t0, usage.ru_maxrss * 1024, os.waitstatus_to_exitcode(status))
"""


def run_child(cmd):
    """Wall seconds and peak RSS (bytes) of one process running `cmd`."""
    p = subprocess.run([sys.executable, "-c", MEASURE] + cmd, capture_output=True, text=True)
    wall, rss, code = p.stdout.split()
    if int(code) != 0:
        raise SystemExit(f"{cmd[0]} failed: {p.stderr.strip()}")
    return float(wall), int(rss)


def process_bench(args, manifest, name):
    model, h5, onnx_path = model_files(args, manifest, name)
    h, w = model["input_shape"][1:3]
    work = tempfile.mkdtemp(prefix="wtool-process-")
    swm = os.path.join(work, f"{name}.swm")
    subprocess.run([args.wtool, "convert", h5, swm, "--quiet"], check=True)
    photo = os.path.join(args.reference, "photos", manifest["photos"][0]["file"])
    out_w, out_o = os.path.join(work, "w.npy"), os.path.join(work, "o.npy")
    convs = args.conv.split(",")
    # Each --conv with the kernel cache (filled by the warm-up run: what every run after a
    # model's first sees) and, where there are transformed kernels, without it (every load
    # transforms: a model's first run, or --kernel-cache none).
    kernels = os.path.join(work, "kernels")
    commands = {}
    for c in convs:
        base = [args.wtool, "run", swm, photo, "--out", out_w, "--force", "--conv", c]
        commands[f"wtool run:{c}"] = base + ["--kernel-cache", kernels]
        if c != "im2col":
            commands[f"wtool run:{c},no cache"] = base + ["--kernel-cache", "none"]
    commands["python onnxruntime"] = [sys.executable, "-c", ORT_SCRIPT, onnx_path, photo, out_o, str(h), str(w)]
    for cmd in commands.values():   # warm the page cache and the kernel cache, and check they work
        run_child(cmd)
    times = {k: [] for k in commands}
    rss = {k: 0 for k in commands}
    for _ in range(args.rounds):
        for k, cmd in commands.items():
            t, m = run_child(cmd)
            times[k].append(t)
            rss[k] = max(rss[k], m)
    a, b = np.load(out_w), np.load(out_o)
    agreement = rel_error(a, b)

    # The floor: weights + the largest pair of consecutive activations (one layer's input and
    # output, batch 1, float32) + 10%.
    summary = run_json([args.wtool, "summary", swm, "--json"])
    weights = summary["total_params"] * 4   # float32
    acts = [int(np.prod([d for d in layer["output_shape"] if d is not None])) * 4 for layer in summary["layers"]]
    pair = max(acts[i] + acts[i + 1] for i in range(len(acts) - 1))
    floor = (weights + pair) * 1.1

    result = {"photo": os.path.basename(photo), "seconds": {k: statistics.median(v) for k, v in times.items()},
              "peak_rss_bytes": rss, "weights_bytes": weights, "largest_activation_pair_bytes": pair,
              "memory_floor_bytes": floor, "wtool_vs_onnxruntime_max_rel_diff": agreement}
    print(f"\n{name}, one photo, whole process (start to .npy written), median of {args.rounds} alternated runs:")
    for k, v in result["seconds"].items():
        print(f"  {k:<26} {v * 1e3:8.1f} ms   peak RSS {rss[k] / 2**20:7.1f} MiB")
    for k in commands:
        if k.startswith("wtool"):
            print(f"  {k} / python onnxruntime: {result['seconds'][k] / result['seconds']['python onnxruntime']:.2f}x time, "
                  f"{rss[k] / rss['python onnxruntime']:.2f}x memory")
    print(f"  memory floor (weights {weights / 2**20:.1f} MiB + largest activation pair {pair / 2**20:.1f} MiB + 10%): "
          f"{floor / 2**20:.1f} MiB; the two outputs agree to {agreement:.1e}")
    shutil.rmtree(work, ignore_errors=True)
    return result


if __name__ == "__main__":
    sys.exit(main())
