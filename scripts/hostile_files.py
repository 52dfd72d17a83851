#!/usr/bin/env python3
"""Runs wtool over hostile inputs and checks that every one fails cleanly.

Usage: python scripts/hostile_files.py [--wtool .build/release/wtool] DIR_OR_FILE...

For each file, `wtool summary FILE` and `wtool convert FILE OUT.swm` must: exit with status 1 (not
a signal, not a timeout), print exactly one line on stderr starting with `error: ` and naming the
file, and leave no output file behind (neither OUT.swm nor OUT.swm.tmp-*). Ends with the line
`hostile files: N passed, M failed`.
"""
import argparse, os, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wtool_scripts.common import add_wtool_option, refusal_fault  # noqa: E402


def check(wtool, path, work):
    problems = []
    for args in (["summary", path], ["convert", path, os.path.join(work, "out.swm")]):
        t0 = time.time()
        try:
            p = subprocess.run([wtool] + args + ["--import-time-limit", "20"], capture_output=True, text=True,
                               timeout=120, errors="replace")
        except subprocess.TimeoutExpired:
            problems.append(f"{args[0]}: hang (killed after 120 s)")
            continue
        fault = refusal_fault(p.returncode, p.stderr, [path])
        if fault and fault[0] == "signal":
            problems.append(f"{args[0]}: died from signal {fault[1]}")
        elif fault and fault[0] == "accepted":
            problems.append(f"{args[0]}: accepted a hostile file")
        elif fault:
            problems.append(f"{args[0]}: stderr is not one 'error: <file>: …' line: {p.stderr[:300]!r}")
        leftovers = os.listdir(work)
        if leftovers:
            problems.append(f"{args[0]}: left {leftovers}")
            for name in leftovers:
                os.remove(os.path.join(work, name))
        if time.time() - t0 > 60:
            problems.append(f"{args[0]}: took {time.time() - t0:.0f} s")
    return problems


def main():
    ap = argparse.ArgumentParser()
    add_wtool_option(ap)
    ap.add_argument("paths", nargs="+")
    args = ap.parse_args()
    files = []
    for p in args.paths:
        if os.path.isdir(p):
            files += sorted(os.path.join(p, n) for n in os.listdir(p)
                            if n not in ("README.md", "COPYING") and os.path.isfile(os.path.join(p, n)))
        else:
            files.append(p)
    work = tempfile.mkdtemp(prefix="wtool-hostile-")
    passed = failed = 0
    for f in files:
        problems = check(args.wtool, f, work)
        if problems:
            failed += 1
            print(f"  FAIL  {os.path.basename(f)}: {'; '.join(problems)}", flush=True)
        else:
            passed += 1
    print(f"hostile files: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
