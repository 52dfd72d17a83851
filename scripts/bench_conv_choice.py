#!/usr/bin/env python3
"""Per-layer convolution timings behind `--conv auto`'s rule (docs/performance.md).

Usage: python scripts/bench_conv_choice.py MODEL.swm [--batches 1,20] [--rounds 5] [--runs 5]
                                           [--convs winograd-4x4,winograd-2x2,onednn] [--wtool PATH]

Runs `wtool bench --per-layer --json` once per algorithm per round, interleaved (this machine's
speed drifts), and prints for every convolution layer its output size, channels and the median
over rounds of each algorithm's time, marking the fastest. Layers an algorithm does not apply to
run on that algorithm's fallback and are shown all the same.
"""
import argparse, json, os, statistics, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wtool_scripts.common import add_wtool_option, run_json  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--batches", default="1,20")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--convs", default="winograd-4x4,winograd-2x2,onednn")
    add_wtool_option(ap)
    args = ap.parse_args()
    convs = args.convs.split(",")
    summary = run_json([args.wtool, "summary", args.model, "--json"])
    shapes = {l["name"]: l for l in summary["layers"]}
    # Input channels: the channels of the layer before (the summary is in graph order).
    previous = None
    for l in summary["layers"]:
        if previous is not None and previous.get("output_shape"):
            l["input_channels"] = previous["output_shape"][-1]
        previous = l
    for batch in [int(b) for b in args.batches.split(",")]:
        times = {c: {} for c in convs}
        order = []
        for _ in range(args.rounds):
            for c in convs:
                r = run_json([args.wtool, "bench", args.model, "--batch", str(batch), "--runs", str(args.runs), "--per-layer",
                              "--conv", c, "--kernel-cache", "none", "--json"])
                for layer in r["layers"]:
                    if "conv" not in layer["op"].lower():
                        continue
                    if layer["layer"] not in order:
                        order.append(layer["layer"])
                    times[c].setdefault(layer["layer"], []).append(layer["ms"])
        print(f"batch {batch}: median ms over {args.rounds} rounds (* fastest); load average {os.getloadavg()[0]:.2f}")
        print(f"{'layer':<28} {'output':>14} {'in':>5} " + " ".join(f"{c:>14}" for c in convs))
        for name in order:
            info = shapes.get(name, {})
            out = info.get("output_shape", [])
            medians = {c: statistics.median(times[c][name]) for c in convs if name in times[c]}
            best = min(medians, key=medians.get)
            cells = " ".join(f"{medians[c]:>13.3f}{'*' if c == best else ' '}" for c in convs)
            cin = info.get("input_channels", "")
            print(f"{name:<28} {'x'.join(str(d) for d in out[1:] if d is not None):>14} {cin!s:>5} {cells}")
        print()


if __name__ == "__main__":
    sys.exit(main())
