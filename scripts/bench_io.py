#!/usr/bin/env python3
"""I/O benchmark for issue #2: .swm open/touch vs safetensors and h5py, and `wtool convert` vs cp+sync.

Usage: python scripts/bench_io.py MODEL.h5 [--wtool .build/release/wtool] [--runs 7] [--json OUT]

All measurements are on the same machine in one run, page cache warm (each file is read once
first). Reported as medians; the ratios are what matter (machines are noisy).
"""
import argparse, json, os, shutil, statistics, subprocess, sys, tempfile

import h5py
import numpy as np
from safetensors import safe_open
from safetensors.numpy import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wtool_scripts.common import add_wtool_option, run_json, timed_ms  # noqa: E402


def median_time(fn, runs, warmup=1):
    """Median seconds of `runs` calls of fn."""
    return statistics.median(timed_ms(fn, runs, warmup)) / 1e3


def h5_arrays(path):
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out[name] = obj[()]
        f.visititems(visit)
    return out


def touch(arr):
    a = np.ascontiguousarray(arr)
    return int(a.view(np.uint8).view(np.uint64).sum()) if a.nbytes % 8 == 0 else int(a.view(np.uint8).sum())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    add_wtool_option(ap)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--json")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="wtool-bench-io-", dir=os.path.dirname(os.path.abspath(args.model)))
    try:
        swm = os.path.join(work, "model.swm")
        st = os.path.join(work, "model.safetensors")
        subprocess.run([args.wtool, "convert", args.model, swm, "--force", "--quiet"], check=True)
        arrays = h5_arrays(args.model)
        save_file({k.replace("/", "."): np.ascontiguousarray(v) for k, v in arrays.items()}, st)
        for p in (args.model, swm, st):  # warm the page cache
            with open(p, "rb") as f:
                while f.read(1 << 24):
                    pass

        res = {}
        w = run_json([args.wtool, "bench", swm, "--io", "--runs", "2000", "--json"])
        res["swm_open_us"] = w["open_us"]
        res["swm_open_graph_us"] = w["graph_us"]
        res["swm_touch_ms"] = w["touch_ms"]

        def st_open():
            with safe_open(st, framework="numpy") as f:
                f.keys()
        res["safetensors_open_us"] = median_time(st_open, 2000) * 1e6

        def st_touch():
            with safe_open(st, framework="numpy") as f:
                for k in f.keys():
                    touch(f.get_tensor(k))
        res["safetensors_open_touch_ms"] = median_time(st_touch, 30) * 1e3

        def h5_open():
            with h5py.File(args.model, "r") as f:
                list(f.keys())
        res["h5py_open_us"] = median_time(h5_open, 300) * 1e6

        def h5_touch():
            for v in h5_arrays(args.model).values():
                touch(v)
        res["h5py_open_read_touch_ms"] = median_time(h5_touch, 15) * 1e3

        def convert():
            subprocess.run([args.wtool, "convert", args.model, swm, "--force", "--quiet"], check=True)

        def cp_sync():
            dst = os.path.join(work, "copy.h5")
            shutil.copyfile(args.model, dst)
            subprocess.run(["sync"], check=True)
            os.remove(dst)

        # A new output, nothing replaced: the previous round's file is removed untimed on both
        # sides (replacing a file frees the old one's blocks and pages inside the timed call).
        fresh_swm, fresh_copy = os.path.join(work, "fresh.swm"), os.path.join(work, "fresh.h5")

        def convert_fresh():
            subprocess.run([args.wtool, "convert", args.model, fresh_swm, "--quiet"], check=True)

        def cp_sync_fresh():
            shutil.copyfile(args.model, fresh_copy)
            subprocess.run(["sync"], check=True)

        # Interleaved: each round times one of each, so a drift in the machine's speed (or the
        # disk's) hits both sides; the ratios are the medians of the rounds'.
        convert()
        timings = {"convert": [], "cp": [], "convert_fresh": [], "cp_fresh": []}
        for _ in range(args.runs):
            timings["convert"] += timed_ms(convert, 1, 0)
            timings["cp"] += timed_ms(cp_sync, 1, 0)
            for path in (fresh_swm, fresh_copy):
                if os.path.exists(path):
                    os.remove(path)
            subprocess.run(["sync"], check=True)
            timings["convert_fresh"] += timed_ms(convert_fresh, 1, 0)
            timings["cp_fresh"] += timed_ms(cp_sync_fresh, 1, 0)
        res["wtool_convert_ms"] = statistics.median(timings["convert"])
        res["cp_sync_ms"] = statistics.median(timings["cp"])
        res["ratio_convert_vs_cp_sync_rounds"] = statistics.median(c / p for c, p in zip(timings["convert"], timings["cp"]))
        res["wtool_convert_new_file_ms"] = statistics.median(timings["convert_fresh"])
        res["cp_sync_new_file_ms"] = statistics.median(timings["cp_fresh"])
        res["ratio_convert_vs_cp_sync_new_file_rounds"] = statistics.median(
            c / p for c, p in zip(timings["convert_fresh"], timings["cp_fresh"]))

        res["ratio_open_swm_vs_safetensors"] = res["swm_open_us"] / res["safetensors_open_us"]
        res["ratio_convert_vs_cp_sync"] = res["wtool_convert_ms"] / res["cp_sync_ms"]
        res["model"] = os.path.basename(args.model)
        res["model_bytes"] = os.path.getsize(args.model)

        print(f"model {res['model']} ({res['model_bytes'] / 1e6:.1f} MB), medians, warm page cache")
        print(f"  .swm open (mmap + header validation)      {res['swm_open_us']:10.1f} µs")
        print(f"  .swm open + graph decode                  {res['swm_open_graph_us']:10.1f} µs")
        print(f"  safetensors safe_open                     {res['safetensors_open_us']:10.1f} µs")
        print(f"  h5py File open                            {res['h5py_open_us']:10.1f} µs")
        print(f"  .swm touch every tensor byte              {res['swm_touch_ms']:10.2f} ms")
        print(f"  safetensors open + get_tensor all + touch {res['safetensors_open_touch_ms']:10.2f} ms")
        print(f"  h5py open + read all + touch              {res['h5py_open_read_touch_ms']:10.2f} ms")
        print(f"  wtool convert (durable write)             {res['wtool_convert_ms']:10.1f} ms")
        print(f"  cp + sync of the same file                {res['cp_sync_ms']:10.1f} ms")
        print(f"  ratio open .swm / safe_open               {res['ratio_open_swm_vs_safetensors']:10.2f}  (target <= 1)")
        print(f"  ratio convert / (cp + sync)               {res['ratio_convert_vs_cp_sync']:10.2f}  (issue #16: <= 1.5)")
        print(f"  ... median of the rounds' ratios          {res['ratio_convert_vs_cp_sync_rounds']:10.2f}  ({args.runs} interleaved rounds)")
        print(f"  new output file (nothing replaced): convert {res['wtool_convert_new_file_ms']:8.1f} ms, "
              f"cp + sync {res['cp_sync_new_file_ms']:.1f} ms, ratio {res['ratio_convert_vs_cp_sync_new_file_rounds']:.2f}")
        if args.json:
            with open(args.json, "w") as f:
                json.dump(res, f, indent=1, sort_keys=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
