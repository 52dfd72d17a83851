#!/usr/bin/env python3
"""Checks the example app's output (Examples/ClassifyFolder --json: one {"file", "output"} per line)
against Keras's expected outputs (<expected>/<stem>.npy): max|Δ|/max|keras| <= 1e-5 per image, and
every expected image present.

    python scripts/check_classify_folder.py OUT.jsonl samples/mini_classifier/expected
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wtool_scripts.common import rel_error  # noqa: E402


def main():
    lines, expected_dir = open(sys.argv[1]).read().splitlines(), sys.argv[2]
    expected = {n[:-4] for n in os.listdir(expected_dir) if n.endswith(".npy")}
    seen, worst = set(), 0.0
    for line in lines:
        row = json.loads(line)
        stem = row["file"].rsplit(".", 1)[0]
        if stem not in expected:
            continue
        want = np.load(os.path.join(expected_dir, stem + ".npy")).ravel()
        worst = max(worst, rel_error(np.ravel(row["output"]), want))
        seen.add(stem)
    ok = seen == expected and worst <= 1e-5
    print(f"ClassifyFolder: {len(seen)}/{len(expected)} images, worst max|Δ|/max|keras| = {worst:.2e} -> {'ok' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
