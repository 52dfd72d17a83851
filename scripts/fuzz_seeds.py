#!/usr/bin/env python3
"""Picks the fuzzing seeds for the ONNX reader from the ONNX backend node tests (issue #18).

The `onnx` wheel generates its node tests in memory (`load_model_tests(kind="node")`): one small
model per test. This keeps the smallest model of each op type (at most --max-bytes), so the seeds
reach every importer path an op family has, and writes them as Fuzz/corpus/onnx-reader/node-<test>.onnx.
Rerun after an onnx upgrade; commit what changes (the set stays small: ~150 KB).

Usage: scripts/fuzz_seeds.py [--out Fuzz/corpus/onnx-reader] [--max-bytes 2048]
"""
import argparse
import os
import sys
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "Fuzz/corpus/onnx-reader"))
    ap.add_argument("--max-bytes", type=int, default=2048)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    from onnx.backend.test.loader import load_model_tests
    best = {}
    for test in load_model_tests(kind="node"):
        model = test.model
        if model is None or len(model.graph.node) == 0:
            continue
        data = model.SerializeToString()
        if len(data) > args.max_bytes:
            continue
        op = model.graph.node[0].op_type
        if op not in best or len(data) < len(best[op][1]):
            best[op] = (test.name, data)
    for name in os.listdir(args.out):
        if name.startswith("node-"):
            os.remove(os.path.join(args.out, name))
    total = 0
    for op, (name, data) in sorted(best.items()):
        with open(os.path.join(args.out, f"node-{name[len('test_'):]}.onnx"), "wb") as f:
            f.write(data)
        total += len(data)
    print(f"fuzz seeds: {len(best)} op types, {total} bytes in {args.out}")


if __name__ == "__main__":
    sys.exit(main())
