#!/usr/bin/env python3
"""Real faults under wtool (issue #18): every command completes, or fails with one line naming
the file and the cause and leaves no output and no temporary file.

Faults, all real (root is needed for the mounts; CI runs as root):
  enospc      outputs on a small tmpfs (`mount -t tmpfs -o size=…`): disk full mid-write
  quota       outputs on a tmpfs with a user block quota, written as uid 65534: EDQUOT
  readonly    outputs in a read-only bind mount of a folder
  vanished    the output folder removed (rm -rf) while a command writes into it
  kill        SIGKILL, SIGTERM, SIGINT at spread-out moments of each command's run (measured
              first), with outputs unnamed (O_TMPFILE) and, for SIGTERM/SIGINT, with the named
              fallback too (WTOOL_NO_O_TMPFILE=1); an isolated import child must die too
  concurrent  two processes writing one output at the same moment (with and without --force;
              two `features --resume` on one output)
  truncated   the source cut to a fraction of its size while the command reads it
  resume      `features --resume` killed with SIGKILL at spread-out moments, then resumed: the
              result must equal an uninterrupted run byte for byte

For each case: `completed` (exit 0, outputs valid), `clean failure` (non-zero exit, exactly one
`error: <file>: <cause>` line naming the file, no stack trace), `stopped` (the signal we sent, the
exit status it should give, nothing left). Counted against wtool: `crashes` (any other signal,
a trap, a timeout, an error that is not one line naming the file), and `partial/leftover` (an
output that is not whole, a `.tmp-` file, an orphaned `wtool _import`). The last two must be 0.

Usage: scripts/fault_injection.py --wtool .build/release/wtool [--quick] [--keep]
Exit status 1 when a crash, a partial output or a leftover was seen.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = sys.executable


class Fault:
    def __init__(self, wtool: str, work: str):
        self.wtool = os.path.abspath(wtool)
        self.work = work
        self.rows: dict[str, dict[str, int]] = {}
        self.problems: list[str] = []
        self.mounts: list[str] = []
        self.env = dict(os.environ, SWIFT_BACKTRACE="enable=no", WTOOL_KERNEL_CACHE="none")

    # ---- bookkeeping -------------------------------------------------------------------------
    def count(self, group: str, outcome: str, detail: str = "") -> None:
        row = self.rows.setdefault(group, {"cases": 0, "completed": 0, "clean failures": 0, "stopped": 0,
                                           "crashes": 0, "partial/leftover": 0})
        row["cases"] += 1
        row[outcome] += 1
        if outcome in ("crashes", "partial/leftover"):
            self.problems.append(f"{group}: {outcome}: {detail}")
            print(f"  PROBLEM {group}: {outcome}: {detail}", flush=True)

    def mount(self, kind: str, target: str, options: str = "", source: str = "none") -> None:
        os.makedirs(target, exist_ok=True)
        cmd = ["mount", "-t", kind] + (["-o", options] if options else []) + [source, target]
        subprocess.run(cmd, check=True)
        self.mounts.append(target)

    def unmount_all(self) -> None:
        for target in reversed(self.mounts):
            subprocess.run(["umount", "-l", target], check=False)
        self.mounts.clear()

    # ---- running wtool -----------------------------------------------------------------------
    def start(self, args, env=None, cwd=None, user=None):
        cmd = [self.wtool] + args
        if user is not None:
            cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"] + cmd
        return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, errors="replace",
                                env=dict(self.env, **(env or {})), cwd=cwd or self.work, start_new_session=True)

    def run(self, args, env=None, cwd=None, user=None, timeout=300):
        p = self.start(args, env, cwd, user)
        try:
            _, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            _, err = p.communicate()
            return None, err
        return p.returncode, err

    CRASH_MARKERS = ("Fatal error", "Stack dump", "Backtrace", "Program crashed", "Current stack trace", "panic")

    def judge_failure(self, status, stderr: str, names) -> tuple[str, str]:
        """A non-zero exit we did not cause: clean only if exactly one `error:` line names a file
        (information lines such as `run`'s preprocessing note may precede it)."""
        errors = [l for l in stderr.splitlines() if l.startswith("error: ")]
        if status is None:
            return "crashes", "timed out"
        if status < 0 or status > 128:
            return "crashes", f"died from signal {-status if status < 0 else status - 128}: {stderr[-300:]!r}"
        if any(m in stderr for m in self.CRASH_MARKERS):
            return "crashes", f"a trap or stack trace: {stderr[-400:]!r}"
        if len(errors) != 1 or not any(n in errors[0] for n in names):
            return "crashes", f"not one 'error: <file>: …' line: {stderr[-400:]!r}"
        return "clean failures", errors[0]

    def leftovers(self, folders, allowed) -> list[str]:
        found = []
        for folder in folders:
            if not os.path.isdir(folder):
                continue
            for name in os.listdir(folder):
                if name not in allowed:
                    found.append(os.path.join(folder, name))
        found += [f"orphan wtool _import (pid {pid})" for pid in self.import_children()]
        return found

    def import_children(self) -> list[int]:
        pids = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                cmdline = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
            except OSError:
                continue
            if len(cmdline) > 1 and cmdline[0] == self.wtool.encode() and b"_import" in cmdline and self.work.encode() in b" ".join(cmdline):
                pids.append(int(pid))
        return pids

    def valid(self, path: str) -> bool:
        """Whether an output that exists is whole."""
        if path.endswith(".swm"):
            status, _ = self.run(["check", path, "--quiet"])
            return status == 0
        if path.endswith(".onnx"):
            status, _ = self.run(["summary", path])
            return status == 0
        if path.endswith(".npy"):
            code = f"import numpy; numpy.load({path!r})"
            return subprocess.run([PYTHON, "-c", code], capture_output=True).returncode == 0
        if path.endswith(".h5"):
            status, _ = self.run(["summary", path])
            return status == 0
        return os.path.getsize(path) > 0

    def settle_children(self) -> None:
        """An isolated child killed through PR_SET_PDEATHSIG may take a moment to be reaped."""
        deadline = time.time() + 3
        while self.import_children() and time.time() < deadline:
            time.sleep(0.02)

    # ---- fixtures ----------------------------------------------------------------------------
    def fixtures(self) -> None:
        w = self.work
        status, err = self.run(["convert", os.path.join(ROOT, "samples/mini/mini.keras3.h5"), "mini.swm", "--quiet"])
        assert status == 0, err
        # A 128 MiB model, one Dense layer, as a Keras 2 legacy .h5 (h5py), then .swm and .onnx by wtool.
        code = f"""
import h5py, json, numpy as np
rng = np.random.default_rng(0)
dense = {{"name": "dense", "trainable": True, "dtype": "float32", "units": 8192, "activation": "linear", "use_bias": True,
         "kernel_initializer": {{"class_name": "GlorotUniform", "config": {{"seed": None}}}},
         "bias_initializer": {{"class_name": "Zeros", "config": {{}}}}, "kernel_regularizer": None, "bias_regularizer": None,
         "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None}}
cfg = {{"class_name": "Sequential", "config": {{"name": "big", "layers": [
    {{"class_name": "InputLayer", "config": {{"batch_input_shape": [None, 4096], "dtype": "float32", "name": "input_1"}}}},
    {{"class_name": "Dense", "config": dense}}]}}}}
with h5py.File({os.path.join(w, 'big.h5')!r}, "w") as f:
    f.attrs["keras_version"] = "2.15.0"
    f.attrs["backend"] = "tensorflow"
    f.attrs["model_config"] = json.dumps(cfg)
    g = f.create_group("model_weights")
    g.attrs["layer_names"] = [b"dense"]
    d = g.create_group("dense")
    d.attrs["weight_names"] = [b"dense/kernel:0", b"dense/bias:0"]
    d.create_dataset("dense/kernel:0", data=rng.standard_normal((4096, 8192), dtype=np.float32))
    d.create_dataset("dense/bias:0", data=np.zeros(8192, np.float32))
"""
        subprocess.run([PYTHON, "-c", code], check=True)
        for args in (["convert", "big.h5", "big.swm", "--quiet"], ["convert", "big.swm", "big.onnx", "--quiet"]):
            status, err = self.run(args)
            assert status == 0, f"{args}: {err}"
        # A dataset: 2 classes × 24 photos.
        for cls, photo in (("cats", "chelsea.jpg"), ("rockets", "rocket.jpg")):
            os.makedirs(os.path.join(w, "data", cls), exist_ok=True)
            for i in range(24):
                shutil.copy(os.path.join(ROOT, "samples/photos", photo), os.path.join(w, "data", cls, f"{i:03d}.jpg"))
        self.photo = os.path.join(ROOT, "samples/photos/chelsea.jpg")

    # The commands under test: (name, args with OUT for the output folder, outputs relative to OUT, input files).
    def commands(self, out: str):
        j = lambda n: os.path.join(out, n)
        return [
            ("convert swm→swm f16", ["convert", "big.swm", j("o.swm"), "--dtype", "f16", "--quiet"], [j("o.swm")], ["big.swm"]),
            ("convert h5→swm (isolated child)", ["convert", "big.h5", j("o.swm"), "--quiet"], [j("o.swm")], ["big.h5"]),
            ("convert onnx→onnx", ["convert", "big.onnx", j("o.onnx"), "--quiet"], [j("o.onnx")], ["big.onnx"]),
            ("convert swm→h5", ["convert", "big.swm", j("o.h5"), "--quiet"], [j("o.h5")], ["big.swm"]),
            ("features", ["features", "mini.swm", "data", "--out", j("f.npy"), "--labels", j("l.npy"), "--size", "160,160",
                          "--quiet"], [j("f.npy"), j("l.npy"), j("f.json")], ["mini.swm", "data"]),
            ("run", ["run", "mini.swm", self.photo, self.photo, "--out", j("r.npy"), "--size", "320,320"], [j("r.npy")], ["mini.swm"]),
        ]

    def check_case(self, group, args, outputs, names, status, stderr, folders, allowed=(), expect=None):
        """Judges one finished case. expect: None (complete or clean failure), or an exit status we caused."""
        self.settle_children()
        left = [p for p in self.leftovers(folders, set(allowed) | {os.path.basename(o) for o in outputs})]
        present = [o for o in outputs if os.path.exists(o)]
        if status == 0 and expect is None:
            broken = [o for o in outputs if not os.path.exists(o) or not self.valid(o)]
            if broken or left:
                self.count(group, "partial/leftover", f"{args}: completed but {broken + left}")
            else:
                self.count(group, "completed")
        elif expect is not None and (status == expect or (expect == -9 and status == -9)):
            # Stopped by us: all outputs whole (it had finished) or none, and nothing else.
            whole = len(present) == len(outputs) and all(self.valid(o) for o in present)
            if left or (present and not whole):
                self.count(group, "partial/leftover", f"{args}: stopped, left {left + ([] if whole else present)}")
            else:
                self.count(group, "stopped")
        elif expect is not None and status == 0:
            self.count(group, "completed")   # finished before the signal landed
        else:
            outcome, detail = self.judge_failure(status, stderr, names)
            if outcome == "clean failures" and (left or present):
                self.count(group, "partial/leftover", f"{args}: failed ({detail}) but left {left + present}")
            else:
                self.count(group, outcome, detail)
        for o in outputs:
            if os.path.exists(o):
                os.remove(o)
        for folder in folders:
            if os.path.isdir(folder):
                for name in os.listdir(folder):
                    if name not in allowed:
                        p = os.path.join(folder, name)
                        shutil.rmtree(p) if os.path.isdir(p) else os.remove(p)

    # ---- the faults --------------------------------------------------------------------------
    def enospc(self) -> None:
        print("== ENOSPC: outputs on a tmpfs too small for them", flush=True)
        for size in ("64k", "8m"):
            target = os.path.join(self.work, f"full-{size}")
            self.mount("tmpfs", target, f"size={size}")
            for name, args, outputs, inputs in self.commands(target):
                status, err = self.run(args)
                self.check_case("enospc", args, outputs, [target], status, err, [target])
            # The kernel cache on a full disk: ignored, the run completes.
            cache = os.path.join(target, "kernels")
            status, err = self.run(["run", "mini.swm", self.photo, "--out", "cached.npy", "--conv", "winograd-4x4", "--force"],
                                   env={"WTOOL_KERNEL_CACHE": cache})
            self.check_case("enospc", ["run (kernel cache on the full disk)"], [os.path.join(self.work, "cached.npy")], [cache],
                            status, err, [target], allowed={"kernels"})
            shutil.rmtree(cache, ignore_errors=True)

    def quota(self) -> None:
        print("== EDQUOT: a user block quota on a tmpfs, written as uid 65534", flush=True)
        target = os.path.join(self.work, "quota")
        try:
            self.mount("tmpfs", target, "size=64m,usrquota,usrquota_block_hardlimit=1m")
        except subprocess.CalledProcessError:
            print("   (this kernel's tmpfs has no quota support: skipped)")
            return
        os.chmod(target, 0o777)
        os.chmod(self.work, 0o755)
        for name, args, outputs, inputs in self.commands(target):
            if "h5→swm" in name:
                continue  # the child's scratch is the output itself; same path as convert swm→swm
            status, err = self.run(args, user=65534)
            self.check_case("quota", args, outputs, [target], status, err, [target])

    def readonly(self) -> None:
        print("== read-only output folder (bind mount, ro)", flush=True)
        source = os.path.join(self.work, "rw")
        target = os.path.join(self.work, "ro")
        os.makedirs(source, exist_ok=True)
        self.mount("none", target, "bind", source=source)
        subprocess.run(["mount", "-o", "remount,bind,ro", target], check=True)
        for name, args, outputs, inputs in self.commands(target):
            status, err = self.run(args)
            self.check_case("read-only", args, outputs, [target], status, err, [target, source])
        status, err = self.run(["run", "mini.swm", self.photo, "--out", "cached.npy", "--conv", "winograd-4x4", "--force"],
                               env={"WTOOL_KERNEL_CACHE": os.path.join(target, "kernels")})
        self.check_case("read-only", ["run (kernel cache read-only)"], [os.path.join(self.work, "cached.npy")], [target],
                        status, err, [target])

    def durations(self) -> dict[str, float]:
        """Each command's uninterrupted run time, for spreading the kill moments over it."""
        out = os.path.join(self.work, "timing")
        os.makedirs(out, exist_ok=True)
        times = {}
        for name, args, outputs, inputs in self.commands(out):
            t0 = time.time()
            status, err = self.run(args)
            times[name] = time.time() - t0
            assert status == 0, f"{name}: {err}"
            for o in outputs:
                os.remove(o)
        shutil.rmtree(out)
        print("   durations: " + ", ".join(f"{k} {v:.2f} s" for k, v in times.items()), flush=True)
        return times

    def vanished(self, times) -> None:
        print("== the output folder removed mid-write", flush=True)
        for name, _, _, _ in self.commands("x"):
            target = os.path.join(self.work, "vanishing")
            os.makedirs(target, exist_ok=True)
            _, args, outputs, inputs = next(c for c in self.commands(target) if c[0] == name)
            p = self.start(args)
            time.sleep(times[name] * 0.5)
            shutil.rmtree(target, ignore_errors=True)
            _, err = p.communicate(timeout=300)
            if p.returncode == 0 and not os.path.exists(target):
                # Removed after the command committed: writing into a removed folder fails (open
                # O_TMPFILE and linkat both give ENOENT), so exit 0 means the outputs were whole.
                self.count("vanished folder", "completed")
                continue
            self.check_case("vanished folder", args, outputs, [target], p.returncode, err, [self.work],
                            allowed=set(os.listdir(self.work)) - {"vanishing"})

    def kills(self, times, quick) -> None:
        print("== SIGKILL / SIGTERM / SIGINT at spread-out moments", flush=True)
        moments = (0.05, 0.3, 0.6, 0.9) if quick else (0.02, 0.15, 0.3, 0.45, 0.6, 0.75, 0.9)
        target = os.path.join(self.work, "killed")
        os.makedirs(target, exist_ok=True)
        plans = [(signal.SIGKILL, {}), (signal.SIGTERM, {}), (signal.SIGINT, {}),
                 (signal.SIGTERM, {"WTOOL_NO_O_TMPFILE": "1"}), (signal.SIGINT, {"WTOOL_NO_O_TMPFILE": "1"})]
        for sig, env in plans:
            for name, args, outputs, inputs in self.commands(target):
                for fraction in (moments if sig == signal.SIGKILL else moments[1::2]):
                    p = self.start(args, env=env)
                    time.sleep(times[name] * fraction)
                    try:
                        os.kill(p.pid, sig)
                    except ProcessLookupError:
                        pass
                    _, err = p.communicate(timeout=300)
                    expect = {signal.SIGKILL: -9, signal.SIGTERM: 143, signal.SIGINT: 130}[sig]
                    group = f"kill {sig.name}" + (" (named fallback)" if env else "")
                    self.check_case(group, args + [f"@{fraction:.0%}"], outputs, [target], p.returncode, err, [target],
                                    expect=expect)

    def concurrent(self) -> None:
        print("== two writers of one output", flush=True)
        target = os.path.join(self.work, "shared")
        os.makedirs(target, exist_ok=True)
        out = os.path.join(target, "same.swm")
        for force in ([], ["--force"]):
            for _ in range(3):
                ps = [self.start(["convert", "big.swm", out, "--dtype", "f16", "--quiet"] + force) for _ in range(2)]
                results = [(p.wait(timeout=300), p.stderr.read()) for p in ps]
                statuses = sorted(s for s, _ in results)
                left = self.leftovers([target], {"same.swm"})
                whole = os.path.exists(out) and self.valid(out)
                ok_statuses = [0, 0] if force else [0, 1]
                failures_clean = all(self.judge_failure(s, e, [out])[0] == "clean failures" for s, e in results if s != 0)
                if statuses != ok_statuses or not failures_clean:
                    self.count("concurrent writers", "crashes", f"statuses {statuses}: {[e for _, e in results]}")
                elif left or not whole:
                    self.count("concurrent writers", "partial/leftover", f"left {left}, whole {whole}")
                else:
                    self.count("concurrent writers", "completed")
                    self.count("concurrent writers", "completed" if force else "clean failures")
                os.remove(out) if os.path.exists(out) else None
        # Two `features --resume` on one output: the second is refused at once.
        args = ["features", "mini.swm", "data", "--out", os.path.join(target, "f.npy"), "--labels", os.path.join(target, "l.npy"),
                "--size", "160,160", "--resume", "--quiet"]
        first = self.start(args)
        deadline = time.time() + 30
        while not os.path.exists(os.path.join(target, "f.resume.json")) and time.time() < deadline:
            time.sleep(0.01)
        status, err = self.run(args)
        first.wait(timeout=300)
        outcome, detail = self.judge_failure(status, err, ["f.npy"])
        self.count("concurrent writers", "completed" if first.returncode == 0 else "crashes", first.stderr.read())
        self.count("concurrent writers", outcome if "another process" in err else "crashes", err)
        for name in os.listdir(target):
            os.remove(os.path.join(target, name))

    def truncated(self, times) -> None:
        print("== the source truncated while it is read", flush=True)
        target = os.path.join(self.work, "trunc")
        os.makedirs(target, exist_ok=True)
        cases = [("convert swm→onnx", "big.swm", lambda src: ["convert", src, os.path.join(target, "o.onnx"), "--quiet"], "convert swm→swm f16"),
                 ("convert onnx→swm", "big.onnx", lambda src: ["convert", src, os.path.join(target, "o.swm"), "--quiet"], "convert onnx→onnx"),
                 ("convert h5→swm", "big.h5", lambda src: ["convert", src, os.path.join(target, "o.swm"), "--quiet"], "convert h5→swm (isolated child)"),
                 ("summary onnx", "big.onnx", lambda src: ["summary", src], "convert onnx→onnx")]
        for name, source, make, timing in cases:
            for fraction in (0.1, 0.4, 0.7):
                copy = os.path.join(target, "src-" + source)
                shutil.copy(os.path.join(self.work, source), copy)
                p = self.start(make(copy))
                time.sleep(times[timing] * fraction)
                with open(copy, "r+b") as f:
                    f.truncate(os.path.getsize(copy) // 3)
                _, err = p.communicate(timeout=300)
                outputs = [os.path.join(target, n) for n in ("o.onnx", "o.swm")]
                self.check_case("truncated source", make(copy), [o for o in outputs if o in make(copy)], [copy],
                                p.returncode, err, [target], allowed={os.path.basename(copy)})
                os.remove(copy)

    def resume(self, quick) -> None:
        print("== features --resume after SIGKILL equals an uninterrupted run", flush=True)
        target = os.path.join(self.work, "resume")
        os.makedirs(target, exist_ok=True)
        base = ["features", "mini.swm", "data", "--size", "160,160", "--batch", "4", "--class-mode", "categorical", "--quiet"]
        # The uninterrupted run in a folder of its own under the same names: the sidecar records the
        # labels file relative to the features, so equal names make every byte comparable.
        whole = os.path.join(self.work, "resume-whole")
        os.makedirs(whole, exist_ok=True)
        status, err = self.run(base + ["--out", os.path.join(whole, "f.npy"), "--labels", os.path.join(whole, "l.npy")])
        assert status == 0, err
        reference = {theirs: open(os.path.join(whole, ours), "rb").read()
                     for ours, theirs in (("f.npy", "whole.npy"), ("l.npy", "whole-l.npy"), ("f.json", "whole.json"))}
        args = base + ["--out", os.path.join(target, "f.npy"), "--labels", os.path.join(target, "l.npy"), "--resume"]
        t0 = time.time()
        self.run(args)
        duration = time.time() - t0
        for n in ("f.npy", "l.npy", "f.json"):
            os.remove(os.path.join(target, n))
        for fraction in ((0.2, 0.6) if quick else (0.1, 0.3, 0.5, 0.7, 0.9, 0.97)):
            p = self.start(args)
            time.sleep(duration * fraction)
            p.kill()
            p.wait()
            status, err = self.run(args)
            got = {}
            for ours, theirs in (("f.npy", "whole.npy"), ("l.npy", "whole-l.npy"), ("f.json", "whole.json")):
                path = os.path.join(target, ours)
                got[theirs] = open(path, "rb").read() if os.path.exists(path) else None
            left = self.leftovers([target], {"f.npy", "l.npy", "f.json"})
            if status != 0:
                outcome, detail = self.judge_failure(status, err, ["f.npy", "l.npy"])
                self.count("resume after SIGKILL", outcome if outcome == "crashes" else "crashes", f"resume failed: {detail}")
            elif got != reference or left:
                self.count("resume after SIGKILL", "partial/leftover",
                           f"@{fraction:.0%}: differs {[k for k in reference if got[k] != reference[k]]}, left {left}")
            else:
                self.count("resume after SIGKILL", "completed")
            for n in ("f.npy", "l.npy", "f.json"):
                if os.path.exists(os.path.join(target, n)):
                    os.remove(os.path.join(target, n))

    def table(self) -> None:
        columns = ["cases", "completed", "clean failures", "stopped", "crashes", "partial/leftover"]
        if not self.rows:
            print("fault injection: no case ran")
            return
        width = max(len(k) for k in self.rows) + 2
        print()
        print("fault".ljust(width) + "".join(c.rjust(18) for c in columns))
        total = {c: 0 for c in columns}
        for group, row in self.rows.items():
            print(group.ljust(width) + "".join(str(row[c]).rjust(18) for c in columns))
            for c in columns:
                total[c] += row[c]
        print("total".ljust(width) + "".join(str(total[c]).rjust(18) for c in columns))
        print(f"\nfault injection: {total['cases']} cases, {total['completed']} completed, {total['clean failures']} clean failures, "
              f"{total['stopped']} stopped cleanly; {total['crashes']} crashes, {total['partial/leftover']} partial or leftover")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wtool", default=os.path.join(ROOT, ".build/release/wtool"))
    ap.add_argument("--quick", action="store_true", help="fewer kill moments")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    ap.add_argument("--only", default="", help="comma-separated faults (enospc,quota,readonly,vanished,kill,concurrent,truncated,resume)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("fault_injection.py needs root (tmpfs and bind mounts)", file=sys.stderr)
        return 2
    work = tempfile.mkdtemp(prefix="wtool-faults-")
    os.chmod(work, 0o755)
    fault = Fault(args.wtool, work)
    only = set(filter(None, args.only.split(",")))
    want = lambda name: not only or name in only
    try:
        fault.fixtures()
        times = fault.durations()
        if want("enospc"): fault.enospc()
        if want("quota"): fault.quota()
        if want("readonly"): fault.readonly()
        if want("vanished"): fault.vanished(times)
        if want("kill"): fault.kills(times, args.quick)
        if want("concurrent"): fault.concurrent()
        if want("truncated"): fault.truncated(times)
        if want("resume"): fault.resume(args.quick)
    finally:
        fault.unmount_all()
        fault.table()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"work folder kept: {work}")
    return 1 if fault.problems else 0


if __name__ == "__main__":
    sys.exit(main())
