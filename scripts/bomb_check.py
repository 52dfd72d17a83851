#!/usr/bin/env python3
"""Runs the resource-bomb corpus (scripts/make_bombs.py) through wtool under a memory cap.

Each case runs in a shell with `ulimit -v` (address space, default 4 GiB) and a wall-clock limit
(default 60 s), and must be refused with exactly one `error: <file>: …` line (exit 1), in
bounded time, leaving no output. Counted against wtool:
  crash   any signal or trap, or an error that is not one line naming a file
  hang    the time limit reached
  oom     the memory cap reached: killed by SIGKILL, or an allocation failure reported as a crash
  accepted  exit 0 on a bomb (nothing refused it); a case marked "bounded" (legal but extreme,
            or hostile only in what it must not do) may succeed, within the cap and the time
Prints a table per format and the line `bombs: N cases, R refused cleanly, 0 crashes, 0 hangs,
0 out-of-memory`; exits 1 when any case is not refused cleanly.

Usage: scripts/bomb_check.py --wtool .build/release/wtool [--memory-gib 4] [--timeout 60] DIR
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

MARKERS_OOM = ("allocat", "out of memory", "Cannot allocate memory", "memory limit")
MARKERS_CRASH = ("Fatal error", "Stack dump", "Backtrace", "Program crashed", "Current stack trace")


def run_case(wtool, case, corpus, out, memory_bytes, timeout):
    args = [a.replace("{DIR}", corpus).replace("{OUT}", out) for a in case["args"]]

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    t0 = time.time()
    env = dict(os.environ, SWIFT_BACKTRACE="enable=no", WTOOL_KERNEL_CACHE="none")
    p = subprocess.Popen([wtool] + args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, errors="replace",
                         preexec_fn=limit, env=env, cwd=out)
    try:
        _, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        return "hang", f"over {timeout} s", time.time() - t0, args
    elapsed = time.time() - t0
    status = p.returncode
    errors = [l for l in err.splitlines() if l.startswith("error: ")]
    if status == -9:
        return "oom", "killed (SIGKILL)", elapsed, args
    if status < 0 or status > 128 or any(m in err for m in MARKERS_CRASH):
        kind = "oom" if any(m.lower() in err.lower() for m in MARKERS_OOM) else "crash"
        return kind, f"status {status}: {err[-300:]!r}", elapsed, args
    if status == 0:
        return ("bounded" if case.get("expect") == "bounded" else "accepted"), "exit 0", elapsed, args
    if status == 64 and err.startswith("Error: "):
        return "refused", err.splitlines()[0], elapsed, args   # ArgumentParser's validate(): a usage error
    if len(errors) != 1:
        return "crash", f"not one error line: {err[-300:]!r}", elapsed, args
    left = os.listdir(out)
    if left:
        return "crash", f"left {left}", elapsed, args
    return "refused", errors[0], elapsed, args


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wtool", default=".build/release/wtool")
    ap.add_argument("--memory-gib", type=float, default=4)
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--only", default="", help="run the cases whose name contains this")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every case's error line")
    ap.add_argument("corpus")
    args = ap.parse_args()
    wtool = os.path.abspath(args.wtool)
    corpus = os.path.abspath(args.corpus)
    cases = [c for c in json.load(open(os.path.join(corpus, "manifest.json"))) if args.only in c["name"]]
    memory = int(args.memory_gib * (1 << 30))
    table: dict[str, dict[str, int]] = {}
    kinds = ["refused", "bounded", "accepted", "crash", "hang", "oom"]
    slowest = (0.0, "")
    failures = 0
    for case in cases:
        out = tempfile.mkdtemp(prefix="wtool-bomb-")
        kind, detail, elapsed, argv = run_case(wtool, case, corpus, out, memory, args.timeout)
        shutil.rmtree(out, ignore_errors=True)
        for stray in ("/tmp/wtool-zip-slip", "/tmp/wtool-zip-slip-abs"):
            if os.path.exists(stray):
                kind, detail = "crash", f"wrote {stray} outside its folder"
                os.remove(stray)
        row = table.setdefault(case["format"], {k: 0 for k in kinds})
        row[kind] += 1
        slowest = max(slowest, (elapsed, case["name"]))
        if kind not in ("refused", "bounded"):
            failures += 1
            print(f"  FAIL {case['name']} ({case['what']}): {kind}: {detail}", flush=True)
        elif args.verbose:
            print(f"  ok   {case['name']} {elapsed:.2f} s: {detail}", flush=True)
    print()
    print("format".ljust(8) + "".join(k.rjust(10) for k in ["cases"] + kinds))
    total = {k: 0 for k in kinds}
    for fmt, row in sorted(table.items()):
        print(fmt.ljust(8) + str(sum(row.values())).rjust(10) + "".join(str(row[k]).rjust(10) for k in kinds))
        for k in kinds:
            total[k] += row[k]
    print("total".ljust(8) + str(len(cases)).rjust(10) + "".join(str(total[k]).rjust(10) for k in kinds))
    print(f"\nbombs: {len(cases)} cases under ulimit -v {args.memory_gib:g} GiB, {total['refused']} refused cleanly, "
          f"{total['bounded']} legal-but-extreme read within the limits, {total['accepted']} bombs accepted, "
          f"{total['crash']} crashes, {total['hang']} hangs, {total['oom']} out-of-memory; "
          f"slowest {slowest[1]} {slowest[0]:.1f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
