#!/usr/bin/env python3
"""Runs wtool over the corruption corpus (scripts/make_corpus.py) and checks every outcome.

Usage: python scripts/corpus_check.py --wtool .build/release/wtool CORPUS_DIR [--only ID_PREFIX]

For each case of CORPUS_DIR/manifest.json, by its `role`:
  model     `summary`, `convert CASE out.swm`, `check` and `run CASE photo --out out.npy`;
  expected  `verify SOUND_MODEL --images <rocket.jpg> --expected CASE_DIR`;
  image     `run SOUND_MODEL CASE --out out.npy`.
Each command runs in an empty working folder with an empty TMPDIR, under a timeout, in its own
process group. By the case's `expect`:
  invalid   exit status 1…127 (a signal is a crash), exactly one stderr line, starting
            `error: ` and naming the file, nothing left in the working folder or TMPDIR;
  checksum  `check` and `convert` fail that way and name the damaged tensor; `summary` and
            `run` succeed (they do not read every byte, by design);
  valid     every command succeeds and writes exactly its output (`check` fails cleanly on
            files that are not .swm, as it must);
  unrunnable  `summary`, `convert` and `check` succeed, `run` fails cleanly;
  carried   a layer or op wtool keeps without computing it (a Keras Lambda, an unknown ONNX op):
            `summary` and `convert` succeed, `summary --json` lists it under "cannot_run", `check`
            behaves as for a valid file, and `run` fails cleanly saying what "cannot run";
  mismatch  `verify` exits 1 reporting FAIL on stdout (a reference that cannot match).
Never: a signal, a hang, a temporary file left behind. Prints one line per problem and the
counts; exits 1 if anything failed.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wtool_scripts.common import add_wtool_option, refusal_fault  # noqa: E402

TIMEOUT = 60
IMPORT_LIMIT = ["--import-time-limit", "20"]


class Runner:
    def __init__(self, wtool, corpus):
        self.wtool = os.path.abspath(wtool)
        self.corpus = os.path.abspath(corpus)
        self.scratch = tempfile.mkdtemp(prefix="wtool-corpus-")
        self.images = os.path.join(self.scratch, "images")
        os.makedirs(self.images)
        with open(os.path.join(self.corpus, "manifest.json")) as f:
            self.manifest = json.load(f)
        shutil.copy(self.manifest["support"]["images"], self.images)
        self.photo = os.path.join(self.images, os.path.basename(self.manifest["support"]["images"]))
        self.model = os.path.join(self.corpus, self.manifest["support"]["model"])
        self.stats = {"runs": 0, "crashes": 0, "hangs": 0, "accepted": 0, "messages": 0, "leftovers": 0,
                      "refused": 0, "other": 0}

    def run(self, args):
        """Runs wtool ARGS in a fresh folder; returns (status or None on timeout, stdout, stderr, leftovers)."""
        work = tempfile.mkdtemp(dir=self.scratch, prefix="work-")
        tmp = tempfile.mkdtemp(dir=self.scratch, prefix="tmp-")
        env = dict(os.environ, TMPDIR=tmp, SWIFT_BACKTRACE="enable=no")
        self.stats["runs"] += 1
        p = subprocess.Popen([os.fsencode(self.wtool)] + [os.fsencode(a) for a in args], cwd=work, env=env,
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             start_new_session=True)
        try:
            out, err = p.communicate(timeout=TIMEOUT)
            status = p.returncode
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            out, err = p.communicate()
            status = None
        left = sorted(os.listdir(work)) + [os.path.join("$TMPDIR", n) for n in sorted(os.listdir(tmp))]
        shutil.rmtree(work)
        shutil.rmtree(tmp)
        return status, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), left

    def expect_failure(self, label, args, names, tensor=None, mention=None):
        status, out, err, left = self.run(args)
        problems = []
        lines = [l for l in err.splitlines() if l.strip()]
        fault = None if status is None else refusal_fault(status, err, names)
        if status is None:
            self.stats["hangs"] += 1
            problems.append(f"{label}: hang (killed after {TIMEOUT} s)")
        elif fault and fault[0] == "signal":
            self.stats["crashes"] += 1
            problems.append(f"{label}: died from signal {fault[1]}: {err[-300:]!r}")
        elif fault and fault[0] == "accepted":
            self.stats["accepted"] += 1
            problems.append(f"{label}: accepted (exit 0)")
        elif fault:
            self.stats["messages"] += 1
            problems.append(f"{label}: stderr is not one 'error: <file>: …' line: {err[:400]!r}")
        elif tensor is not None and f"'{tensor}'" not in lines[0]:
            self.stats["messages"] += 1
            problems.append(f"{label}: the message does not name tensor '{tensor}': {lines[0]!r}")
        elif mention is not None and mention not in lines[0]:
            self.stats["messages"] += 1
            problems.append(f"{label}: the message does not say {mention!r}: {lines[0]!r}")
        else:
            self.stats["refused"] += 1
        if left:
            self.stats["leftovers"] += 1
            problems.append(f"{label}: left {left}")
        return problems

    def expect_success(self, label, args, outputs):
        status, out, err, left = self.run(args)
        problems = []
        if status is None:
            self.stats["hangs"] += 1
            problems.append(f"{label}: hang (killed after {TIMEOUT} s)")
        elif status != 0:
            if status < 0 or status > 128:
                self.stats["crashes"] += 1
            else:
                self.stats["other"] += 1
            problems.append(f"{label}: exit {status} on a valid input: {err[:400]!r}")
        elif sorted(left) != sorted(outputs):
            self.stats["leftovers"] += 1
            problems.append(f"{label}: wrote {left}, expected {outputs}")
        return problems

    def expect_carried(self, path):
        status, out, err, _ = self.run(["summary", path, "--json"] + IMPORT_LIMIT)
        try:
            carried = json.loads(out).get("cannot_run", []) if status == 0 else []
        except ValueError:
            carried = []
        if carried:
            return []
        self.stats["other"] += 1
        return [f"summary --json: lists nothing under cannot_run (exit {status}, {err[:200]!r})"]

    def expect_mismatch(self, label, args):
        status, out, err, left = self.run(args)
        if status is None:
            self.stats["hangs"] += 1
            return [f"{label}: hang"]
        if status < 0 or status > 128:
            self.stats["crashes"] += 1
            return [f"{label}: died from signal: {err[-300:]!r}"]
        if status != 1 or "FAIL" not in out or left:
            self.stats["accepted" if status == 0 else "other"] += 1
            return [f"{label}: exit {status}, stdout {out[-200:]!r}, stderr {err[:200]!r}, left {left}"]
        self.stats["refused"] += 1
        return []

    def check(self, case):
        path = os.path.join(self.corpus, case["path"])
        # How the file is named in messages: wtool sees arguments as Swift Strings, with invalid
        # UTF-8 repaired to U+FFFD.
        names = [os.fsencode(path).decode("utf-8", "replace")]
        expect, role = case["expect"], case["role"]
        if role == "expected":
            args = ["verify", self.model, "--images", self.images, "--expected", os.path.dirname(path),
                    "--preprocess", "caffe"] + IMPORT_LIMIT
            if expect == "valid":
                return self.expect_success("verify", args, [])
            if expect == "mismatch":
                return self.expect_mismatch("verify", args)
            return self.expect_failure("verify", args, names)
        if role == "image":
            args = ["run", self.model, path, "--out", "out.npy", "--rescale", "1/255", "--quiet"] + IMPORT_LIMIT
            if expect == "valid":
                return self.expect_success("run", args, ["out.npy"])
            return self.expect_failure("run", args, names)
        commands = [
            ("summary", ["summary", path] + IMPORT_LIMIT, []),
            ("convert", ["convert", path, "out.swm", "--quiet"] + IMPORT_LIMIT, ["out.swm"]),
            ("check", ["check", path, "--quiet"], []),
            ("run", ["run", path, self.photo, "--out", "out.npy", "--rescale", "1/255", "--quiet"] + IMPORT_LIMIT,
             ["out.npy"]),
        ]
        problems = []
        for label, args, outputs in commands:
            if expect == "invalid":
                problems += self.expect_failure(label, args, names)
            elif expect == "checksum":
                if label in ("check", "convert"):
                    problems += self.expect_failure(label, args, names, tensor=case.get("tensor"))
                else:
                    problems += self.expect_success(label, args, outputs)
            elif expect == "unrunnable":
                if label == "run":
                    problems += self.expect_failure(label, args, names)
                else:
                    problems += self.expect_success(label, args, outputs)
            elif expect == "carried":
                if label == "run":
                    problems += self.expect_failure(label, args, names, mention="cannot run")
                elif label == "check" and not path.endswith(".swm"):
                    problems += self.expect_failure(label, args, names)
                else:
                    problems += self.expect_success(label, args, outputs)
                    if label == "summary":
                        problems += self.expect_carried(path)
            elif expect == "valid":
                if label == "check" and not path.endswith(".swm"):
                    problems += self.expect_failure(label, args, names)
                else:
                    problems += self.expect_success(label, args, outputs)
            else:
                problems.append(f"unknown expectation {expect!r}")
        return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_wtool_option(ap)
    ap.add_argument("--only", default="", help="check only cases whose id starts with this")
    ap.add_argument("corpus")
    args = ap.parse_args()
    r = Runner(args.wtool, args.corpus)
    cases = [c for c in r.manifest["cases"] if c["id"].startswith(args.only)]
    passed = failed = 0
    start = time.time()
    try:
        for case in cases:
            problems = r.check(case)
            if problems:
                failed += 1
                print(f"  FAIL  {case['id']} ({case['what']}): " + "; ".join(problems), flush=True)
            else:
                passed += 1
    finally:
        shutil.rmtree(r.scratch, ignore_errors=True)
    by_expect = {}
    for c in cases:
        by_expect[c["expect"]] = by_expect.get(c["expect"], 0) + 1
    s = r.stats
    print(f"corpus: {len(cases)} cases (" + ", ".join(f"{v} {k}" for k, v in sorted(by_expect.items()))
          + f"), {s['runs']} wtool runs in {time.time() - start:.0f} s: {passed} passed, {failed} failed")
    print(f"corpus: {s['refused']} clean refusals; {s['crashes']} crashes, {s['hangs']} hangs, "
          f"{s['accepted']} silent acceptances, {s['messages']} malformed messages, {s['leftovers']} leftover files, "
          f"{s['other']} other")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
