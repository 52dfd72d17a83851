#!/usr/bin/env python3
"""safetensors and sharded features (issue 19) on their own; the checks live in
wtool_scripts/parity/safetensors_checks.py and are part of scripts/parity.py's stage.

Usage: python scripts/parity_safetensors.py --reference DIR [--wtool .build/release/wtool] [--models A,B]
"""
import argparse
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wtool_scripts.common import add_wtool_option  # noqa: E402
from wtool_scripts.parity.checks import Checks  # noqa: E402
from wtool_scripts.parity.safetensors_checks import check_safetensors, check_sharded_features  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reference", required=True)
    add_wtool_option(ap)
    ap.add_argument("--models", help="only these models of the manifest (comma-separated); no shard check")
    args = ap.parse_args()
    only = [n for n in (args.models or "").split(",") if n]
    manifest = json.load(open(os.path.join(args.reference, "manifest.json")))
    checks, table = Checks(), []
    work = tempfile.mkdtemp(prefix="wtool-safetensors-")
    try:
        for model in manifest["models"]:
            if not only or model["name"] in only:
                model_work = tempfile.mkdtemp(prefix=model["name"] + "-", dir=work)
                check_safetensors(checks, table, args.wtool, model, args.reference, model_work)
                shutil.rmtree(model_work, ignore_errors=True)
        if not only:
            check_sharded_features(checks, args.wtool, args.reference, manifest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for name, flavour, path, worst in table:
        print(f"| {name} | {flavour} | {path} | {'failed' if worst is None else f'{worst:.2e}'} |")
    failed = sum(not r["ok"] for r in checks.results)
    print(f"safetensors parity: {len(checks.results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
