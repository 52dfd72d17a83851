#!/usr/bin/env python3
"""Runs wtool over hostile inputs and checks that every one fails cleanly.

Usage: python scripts/hostile_files.py [--wtool .build/release/wtool] DIR_OR_FILE...

For each file, `wtool summary FILE` and `wtool convert FILE OUT.swm` must: exit with status 1 (not
a signal, not a timeout), print exactly one line on stderr starting with `error: ` and naming the
file, and leave no output file behind (neither OUT.swm nor OUT.swm.tmp-*). Ends with the line
`hostile files: N passed, M failed`.

One exception: a file whose HDF5 structure libhdf5 reads without fault but whose *model* is the
attack (a Keras `Lambda` holding marshalled Python bytecode, an unknown activation naming a
function to call) may be read, because wtool never executes such code: it carries those layers.
Such a file passes only when `summary --json` lists every one of them under "cannot_run" (so
`wtool run` refuses the model by name), and the .swm that `convert` writes passes `wtool check`
and carries the same list.
"""
import argparse, json, os, shutil, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wtool_scripts.common import add_wtool_option, refusal_fault  # noqa: E402


def carried_layers(wtool, path):
    """The layers `summary --json` says wtool carries without computing; None when it refuses."""
    p = subprocess.run([wtool, "summary", path, "--json", "--import-time-limit", "20"], capture_output=True,
                       text=True, timeout=120, errors="replace")
    if p.returncode != 0:
        return None
    return [(c["name"], c["type"]) for c in json.loads(p.stdout).get("cannot_run", [])]


def check_carried(wtool, path, work):
    """Problems with a hostile file wtool read: it must carry (never run) what it cannot compute."""
    carried = carried_layers(wtool, path)
    if not carried:
        return ["accepted a hostile file with nothing carried"]
    out = os.path.join(work, "out.swm")
    problems = []
    if not os.path.exists(out):
        problems.append("summary read it but convert wrote nothing")
    else:
        p = subprocess.run([wtool, "check", out], capture_output=True, text=True, timeout=120, errors="replace")
        if p.returncode != 0:
            problems.append(f"convert wrote a file `check` refuses: {p.stderr.strip()[:200]}")
        elif carried_layers(wtool, out) != carried:
            problems.append("the converted file does not carry the same layers")
    return problems


def check(wtool, path, work):
    problems = []
    accepted = []
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
            accepted.append(args[0])
        elif fault:
            problems.append(f"{args[0]}: stderr is not one 'error: <file>: …' line: {p.stderr[:300]!r}")
        if accepted == ["summary", "convert"]:
            problems += check_carried(wtool, path, work)
        elif accepted and args[0] == "convert":
            problems.append(f"{accepted[0]} accepted a hostile file the other command refused")
        leftovers = [n for n in os.listdir(work) if not (n == "out.swm" and "convert" in accepted)]
        if leftovers:
            problems.append(f"{args[0]}: left {leftovers}")
        for name in os.listdir(work):
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
    try:
        for f in files:
            problems = check(args.wtool, f, work)
            if problems:
                failed += 1
                print(f"  FAIL  {os.path.basename(f)}: {'; '.join(problems)}", flush=True)
            else:
                passed += 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"hostile files: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
