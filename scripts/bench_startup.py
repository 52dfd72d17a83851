#!/usr/bin/env python3
"""Start-up cost of whole wtool processes (issue #16): wall time and peak RSS of `wtool --version`,
`wtool summary MODEL.swm` and `wtool check MODEL.swm`, next to the floor of any Swift program that
imports Foundation (a two-line program compiled here with `swiftc -O`) and one that does not.

Usage: python scripts/bench_startup.py [--wtool .build/release/wtool] [--model M.swm] [--runs 40]

Without --model, the committed sample samples/mini/mini.keras3.h5 is converted to a temporary .swm.
Times are the median over --runs alternated runs (each command once per round); peak RSS is GNU
time's `%M` (/usr/bin/time), the worst of 3 runs. Prints a markdown table.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wtool_scripts.common import REPO, add_wtool_option  # noqa: E402


def measure(args):
    """Seconds one run of `args` takes, its output discarded."""
    start = time.perf_counter()
    status = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    elapsed = time.perf_counter() - start
    if status != 0:
        sys.exit(f"bench_startup: {' '.join(args)} failed")
    return elapsed


def peak_rss(args):
    """Peak RSS (MiB) of one run, from GNU time: its own small process forks the command, whereas
    Python's children report Python's resident set as their high-water mark (it survives exec)."""
    if not os.path.exists("/usr/bin/time"):
        return None
    p = subprocess.run(["/usr/bin/time", "-f", "%M"] + args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return int(p.stderr.strip().splitlines()[-1]) / 1024 if p.returncode == 0 else None


def floor_programs(work):
    """Two tiny Swift programs: the start-up every Swift (and every Foundation) process pays."""
    programs = {}
    for name, source in (("foundation", "import Foundation\nprint(ProcessInfo.processInfo.arguments.count)\n"),
                         ("swift", "print(CommandLine.arguments.count)\n")):
        path = os.path.join(work, f"{name}.swift")
        with open(path, "w") as f:
            f.write(source)
        out = os.path.join(work, name)
        if subprocess.run(["swiftc", "-O", path, "-o", out], capture_output=True).returncode == 0:
            programs[name] = out
    return programs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_wtool_option(ap)
    ap.add_argument("--model", help="a .swm (default: the mini sample, converted)")
    ap.add_argument("--runs", type=int, default=40)
    args = ap.parse_args()
    wtool = os.path.abspath(args.wtool)
    work = tempfile.mkdtemp(prefix="wtool-startup-")
    model = args.model
    if not model:
        model = os.path.join(work, "mini.swm")
        subprocess.run([wtool, "convert", str(REPO / "samples/mini/mini.keras3.h5"), model, "--quiet"], check=True)
    commands = [("`wtool --version`", [wtool, "--version"]),
                (f"`wtool summary {os.path.basename(model)}`", [wtool, "summary", model]),
                (f"`wtool check {os.path.basename(model)}`", [wtool, "check", model])]
    floors = floor_programs(work)
    if "foundation" in floors:
        commands.append(("floor: a Swift program importing Foundation", [floors["foundation"]]))
    if "swift" in floors:
        commands.append(("floor: a Swift program without Foundation", [floors["swift"]]))
    times = {label: [] for label, _ in commands}
    for label, argv in commands:  # warm the page cache
        measure(argv)
    for _ in range(args.runs):
        for label, argv in commands:
            times[label].append(measure(argv))
    peaks = {label: max((peak_rss(argv) or 0) for _ in range(3)) for label, argv in commands}
    print(f"{args.runs} alternated runs each, median wall time; peak RSS (GNU time, worst of 3); "
          f"load average {os.getloadavg()[0]:.1f}")
    print("| process | time | peak RSS |\n|---|---|---|")
    for label, _ in commands:
        rss = f"{peaks[label]:.1f} MiB" if peaks[label] else "—"
        print(f"| {label} | {statistics.median(times[label]) * 1000:.1f} ms | {rss} |")
    subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
