"""One real-world ONNX file through wtool, as a user would take it:

  convert   `wtool convert FILE.onnx M.swm`, then `wtool check M.swm` and `wtool summary M.swm`;
  round trip `wtool convert M.swm RT.onnx`; onnxruntime runs RT.onnx and the original on the same
            inputs and the outputs must be identical (every output, bit for bit: same name, dtype,
            shape and values);
  run       `wtool run M.swm --input NAME=FILE.npy … --out OUT.npz` against onnxruntime on the
            original: max|Δ| / max|onnxruntime| ≤ 1e-4 per output (exact for integer outputs).
            For a model with ops wtool cannot run, `run` must refuse in one line (`error: …`,
            exit 1) naming each op of `cannot_run` with its count (`LSTM x2`).

On the reference: onnxruntime's Sigmoid (MLAS) is an approximation, off by up to ~7e-8 absolutely
(~3 % relative on outputs near 0). Inside a model that is noise next to float32 rounding; on a
graph output that is a Sigmoid it is not, when the output is small everywhere (a text detector on
an image without text gives ~1e-7 throughout). So a graph output made by a Sigmoid is compared
against the float64 sigmoid of onnxruntime's value of the Sigmoid's input (wtool's Sigmoid is
exact in float32), and the inputs of the text models are text, so their outputs are not all ~0.

A model with QDQ pairs (DequantizeLinear) is compared against onnxruntime at its basic
optimization level: its default level replaces DequantizeLinear → Conv → QuantizeLinear by its
integer kernels (QLinearConv), which round differently from the ONNX definition that wtool
evaluates; the difference from the default level is shown too.
"""
import json
import os
import re
import time
from dataclasses import dataclass, field

import numpy as np

from ..common import run
from . import inputs as input_recipes

TOLERANCE = 1e-4


@dataclass
class StageResult:
    """One file's outcome in a real-world stage (ONNX here, Keras in keras_checks.py)."""
    model: object
    path: str
    convert: str = ""
    run: str = ""
    ok: bool = True
    seconds: float = 0.0
    failures: list = field(default_factory=list)

    def fail(self, what):
        self.ok = False
        self.failures.append(what)


@dataclass
class Result(StageResult):
    producer: str = ""
    opset: str = ""
    nodes: int = 0
    ops: dict = field(default_factory=dict)
    roundtrip: str = ""


def check_and_summarize(wtool, swm, r):
    """`wtool check` and `wtool summary --json` of a converted file, shared by the ONNX and Keras
    stages: a failure marks `r` and names itself in `r.convert`; returns the summary ({} if none)."""
    rc, _, err = run([wtool, "check", swm, "--quiet"])
    if rc != 0:
        r.fail("check")
        r.convert = f"check FAIL: {err.splitlines()[-1] if err else rc}"
    rc, out, err = run([wtool, "summary", swm, "--json"])
    if rc != 0:
        r.fail("summary")
        r.convert = f"summary FAIL: {err.splitlines()[-1] if err else rc}"
        return {}
    return json.loads(out)


def describe(path):
    import onnx

    m = onnx.load(path, load_external_data=False)
    ops = {}

    def walk(g):
        for n in g.node:
            key = (n.domain + "." if n.domain and n.domain != "ai.onnx" else "") + n.op_type
            ops[key] = ops.get(key, 0) + 1
            for a in n.attribute:
                if a.g.node:
                    walk(a.g)
                for sub in a.graphs:
                    walk(sub)

    walk(m.graph)
    producer = " ".join(x for x in (m.producer_name, m.producer_version) if x) or "(none)"
    opset = ", ".join(f"{o.domain or 'ai.onnx'} {o.version}" for o in m.opset_import
                      if (o.domain or "ai.onnx") in ("ai.onnx", "com.microsoft") or any(k.startswith(o.domain + ".") for k in ops))
    return producer, opset, ops


def onnxruntime_outputs(path, feeds, exact_sigmoid=False, basic=False):
    """onnxruntime's outputs of the model at `path`; with `exact_sigmoid`, an output made by a
    top-level Sigmoid is recomputed in float64 from onnxruntime's value of that Sigmoid's input.
    Returns (outputs, names of the outputs recomputed)."""
    import onnx
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    if basic:
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    model = onnx.load(path)
    names = [o.name for o in model.graph.output]
    sigmoids = {}
    if exact_sigmoid:
        for n in model.graph.node:
            if n.op_type == "Sigmoid" and n.domain in ("", "ai.onnx") and n.output[0] in names:
                sigmoids[n.output[0]] = n.input[0]
                if n.input[0] not in names and n.input[0] not in [o.name for o in model.graph.output]:
                    model.graph.output.append(onnx.ValueInfoProto(name=n.input[0]))
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    wanted = {i.name for i in session.get_inputs()}
    every = [o.name for o in session.get_outputs()]
    values = dict(zip(every, session.run(every, {k: v for k, v in feeds.items() if k in wanted})))
    out = {name: values[name] for name in names}
    for name, pre in sigmoids.items():
        x = values[pre].astype(np.float64)
        out[name] = (1 / (1 + np.exp(-x))).astype(out[name].dtype)
    return out, sorted(sigmoids)


def _compare(got, want):
    """max|Δ| / max|want| (0 for equal integers, inf for a shape or dtype mismatch)."""
    if got.shape != want.shape or got.dtype != want.dtype:
        return float("inf"), f"{got.dtype}{list(got.shape)} vs {want.dtype}{list(want.shape)}"
    if got.dtype.kind in "biu":
        return (0.0 if np.array_equal(got, want) else float("inf")), ""
    g, w = got.astype(np.float64), want.astype(np.float64)
    same_nan = np.isnan(g) & np.isnan(w)
    diff = np.where(same_nan, 0, np.abs(g - w))
    scale = float(np.nanmax(np.abs(w))) if w.size and not np.all(np.isnan(w)) else 1.0
    return float(np.max(diff) / (scale or 1.0)) if diff.size else 0.0, ""


def check(model, path, wtool, work, log):
    t0 = time.time()
    r = Result(model, str(path))
    r.producer, r.opset, r.ops = describe(str(path))
    r.nodes = sum(r.ops.values())
    base = os.path.join(work, model.id)
    feeds = input_recipes.make_all(model.inputs)
    args = []
    for name, value in feeds.items():
        f = f"{base}.in.{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.npy"
        np.save(f, value)
        args += ["--input", f"{name}={f}"]

    # convert, check, summary
    swm = base + ".swm"
    rc, _, err = run([wtool, "convert", str(path), swm, "--force", "--quiet"])
    if rc != 0:
        r.convert = f"FAIL: {err.splitlines()[-1] if err else rc}"
        r.fail("convert")
        r.roundtrip = r.run = "-"
        r.seconds = time.time() - t0
        return r
    summary = check_and_summarize(wtool, swm, r)
    if r.ok:
        params = summary.get("total_params")
        r.convert = f"ok ({params:,} params)" if isinstance(params, int) else "ok"

    reference, _ = onnxruntime_outputs(str(path), feeds)

    # round trip
    rt = base + ".roundtrip.onnx"
    rc, _, err = run([wtool, "convert", swm, rt, "--force", "--quiet"])
    if rc != 0:
        r.roundtrip = f"FAIL: {err.splitlines()[-1] if err else rc}"
        r.fail("round trip")
    else:
        try:
            again, _ = onnxruntime_outputs(rt, feeds)
            problems = []
            for name, want in reference.items():
                got = again.get(name)
                if got is None:
                    problems.append(f"no output {name}")
                elif got.dtype != want.dtype or got.shape != want.shape or not np.array_equal(got, want, equal_nan=True):
                    error, detail = _compare(got, want)
                    problems.append(f"{name}: {detail or f'{error:.1e}'}")
            if problems:
                r.roundtrip = "DIFFERS: " + "; ".join(problems)
                r.fail("round trip")
            else:
                r.roundtrip = "identical"
        except Exception as e:  # onnxruntime refusing wtool's file
            r.roundtrip = f"onnxruntime FAIL: {str(e).splitlines()[0][:160]}"
            r.fail("round trip")

    # run
    out = base + ".out.npz"
    if os.path.exists(out):
        os.remove(out)
    rc, _, err = run([wtool, "run", swm, *args, "--out", out, "--force", "--quiet"])
    if model.cannot_run:
        lines = [line for line in err.splitlines() if line.strip()]
        named = all(re.search(rf"\b{re.escape(op)} x{n}\b", err) for op, n in model.cannot_run.items())
        if rc == 1 and len(lines) == 1 and lines[0].startswith("error: ") and named and not os.path.exists(out):
            r.run = "refused: " + lines[0][len("error: "):]
        else:
            r.run = f"FAIL (expected a one-line refusal naming {model.cannot_run}): exit {rc}: {err[:300]}"
            r.fail("run refusal")
    elif rc != 0:
        r.run = f"FAIL: {err.splitlines()[-1] if err else rc}"
        r.fail("run")
    else:
        got = np.load(out)
        worst, problems = 0.0, []
        qdq = "DequantizeLinear" in r.ops
        reference, exact = onnxruntime_outputs(str(path), feeds, exact_sigmoid=True, basic=qdq)
        for name, want in reference.items():
            key = name if name in got.files else (got.files[0] if len(got.files) == 1 and len(reference) == 1 else None)
            if key is None:
                problems.append(f"no output {name}")
                continue
            error, detail = _compare(got[key], want)
            worst = max(worst, error)
            if error > TOLERANCE:
                problems.append(f"{name}: {detail or f'{error:.1e}'}")
        if problems:
            r.run = "WRONG: " + "; ".join(problems)
            r.fail("run")
        else:
            r.run = f"{worst:.1e}" + (" (final Sigmoid in float64)" if exact else "")
            if qdq:
                fused = max(_compare(got[k], v)[0] for k, v in reference.items() if k in got.files
                            for v in [onnxruntime_outputs(str(path), feeds)[0][k]])
                r.run += (f" (onnxruntime's basic level, the ONNX definition; its default fuses QDQ into integer kernels: "
                          f"{fused:.1e} from wtool)")
    r.seconds = time.time() - t0
    return r
