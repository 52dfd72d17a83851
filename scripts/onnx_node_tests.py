#!/usr/bin/env python3
"""ONNX backend node tests for the CNN op families, run through wtool; writes docs/onnx-coverage.md.

The `onnx` wheel (1.23) generates the node tests in memory
(`onnx.backend.test.loader.load_model_tests(kind="node")`): one model per test with its input and
expected output tensors. Each selected test's model and inputs are written to a temporary folder
and run through wtool; outputs are compared as `onnx.backend.test.runner` compares them: same
shape and dtype, then `numpy.testing.assert_allclose` at the test's own rtol/atol (the node tests
use rtol=1e-3, atol=1e-7; bfloat16 outputs get two bf16 ULPs of rtol, as the runner gives them).

Each test is reported as
  pass     outputs match,
  refused  wtool declined with a one-line reason (import or run),
  wrong    wtool produced outputs that do not match (or of another shape/dtype),
  crashed  wtool died without a clean error (a signal, a timeout).

Selection, by op type (SELECTED_OPS below, the op families of issue 15): the single-node tests of
those ops, and the `_expanded` variants of those ops (their function bodies) whose ops are all
listed too; the expanded bodies of other ops (Attention, RMSNormalization, ...) are not selected. Tests whose inputs or outputs
use an element type the IR does not hold (float8, 4- and 2-bit types, strings, complex) are
counted apart as out of scope and listed in the report.

Runners (--runner):
  eval   a small Swift executable outside the repo that imports with ONNXReader and evaluates
         with Graph.evaluate (--eval-binary, default $ONNXEVAL), writing DIR/<i>.npy per output;
  wtool  `wtool run MODEL --input NAME=FILE.npy ... --out OUT.npz` (--wtool, default
         .build/release/wtool), once the CLI's tensor I/O exists.

Usage:
  scripts/onnx_node_tests.py [--runner eval|wtool] [--only PATTERN] [--jobs N] [--report docs/onnx-coverage.md]
Exits non-zero when a test is wrong or crashed.
"""
from __future__ import annotations

import argparse
import collections
import concurrent.futures
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper
from onnx.backend.test.loader import load_model_tests

REPO = Path(__file__).resolve().parent.parent

# The CNN op families of issue 15, by family (the report groups by these).
FAMILIES: dict[str, list[str]] = {
    "convolution": ["Conv", "ConvTranspose"],
    "pooling": ["MaxPool", "AveragePool", "LpPool", "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool"],
    "linear": ["Gemm", "MatMul", "Einsum"],
    "normalization": ["BatchNormalization", "InstanceNormalization", "LayerNormalization", "LpNormalization", "LRN"],
    "activation": ["Relu", "LeakyRelu", "PRelu", "Elu", "Selu", "Celu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Softplus",
                   "Softsign", "Gelu", "Mish", "ThresholdedRelu", "Clip", "Softmax", "LogSoftmax"],
    "elementwise": ["Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "Neg", "Abs", "Sqrt", "Exp", "Log", "Reciprocal",
                    "Erf", "Floor", "Ceil", "Round", "Sign", "Where", "Equal", "Greater", "Less", "GreaterOrEqual", "LessOrEqual",
                    "Not", "And", "Or", "Xor", "Mod", "BitShift"],
    "reduction": ["ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum",
                  "ReduceLogSumExp", "ReduceSumSquare", "ArgMax", "ArgMin"],
    "tensor": ["Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Concat", "Split", "Slice", "Gather", "GatherElements",
               "Expand", "Tile", "Pad", "Resize", "Upsample", "DepthToSpace", "SpaceToDepth", "Identity", "Dropout", "Constant",
               "ScatterND", "ScatterElements", "Scatter"],
    "shape and type": ["Shape", "Size", "Cast", "CastLike", "ConstantOfShape", "Range"],
    "quantization": ["QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "MatMulInteger", "ConvInteger", "QLinearConv",
                     "QLinearMatMul"],
}
SELECTED_OPS = {op for ops in FAMILIES.values() for op in ops}
FAMILY_OF = {op: family for family, ops in FAMILIES.items() for op in ops}

# Element types the IR holds (TensorProto codes).
IR_TYPES = {1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 16}


def tensor_types(model: onnx.ModelProto) -> set[int]:
    types = set()
    for v in list(model.graph.input) + list(model.graph.output):
        if v.type.HasField("tensor_type"):
            types.add(v.type.tensor_type.elem_type)
        else:
            types.add(-1)
    for n in model.graph.node:
        for a in n.attribute:
            if a.HasField("t"):
                types.add(a.t.data_type)
            if a.name == "to" and n.op_type in ("Cast",):
                types.add(a.i)
            if a.name == "output_dtype" and a.i:
                types.add(a.i)
    return types


def materialize(case):
    """A TestCase of the on-disk kinds (pytorch-converted, simple, light, ...) with its model and
    data sets loaded like the node tests' in-memory ones (None when it has no data)."""
    if case.model is not None:
        return case
    import glob
    from dataclasses import replace
    model = onnx.load(os.path.join(case.model_dir, "model.onnx") if os.path.isdir(case.model_dir) else case.model_dir)
    def tensors(pattern):
        out = []
        for path in sorted(glob.glob(pattern), key=lambda p: int(re.findall(r"(\d+)\.pb$", p)[0])):
            t = onnx.TensorProto()
            with open(path, "rb") as f:
                t.ParseFromString(f.read())
            out.append(numpy_helper.to_array(t))
        return out
    sets = []
    for d in sorted(glob.glob(os.path.join(case.model_dir, "test_data_set_*"))):
        sets.append((tensors(os.path.join(d, "input_*.pb")), tensors(os.path.join(d, "output_*.pb"))))
    if not sets:
        return None
    return replace(case, model=model, data_sets=sets[:1])


def as_array(value) -> np.ndarray:
    if isinstance(value, onnx.TensorProto):
        return numpy_helper.to_array(value)
    return np.asarray(value)


def select(cases, only: str | None, models: bool = False):
    selected, out_of_scope = [], []
    for case in cases:
        if only and not re.search(only, case.name):
            continue
        ops = {n.op_type for n in case.model.graph.node}
        domains = {n.domain for n in case.model.graph.node}
        if not ops or not ops <= SELECTED_OPS or not domains <= {"", "ai.onnx"}:
            continue
        main = primary_op(case) if not models else sorted(ops)[0]
        if main not in SELECTED_OPS:
            continue  # the expanded body of an op outside the families (Attention, RMSNormalization, ...)
        if tensor_types(case.model) - IR_TYPES:
            out_of_scope.append((case, main))
        else:
            selected.append((case, main))
    return selected, out_of_scope


def primary_op(case) -> str:
    """The op a test is about: its single node's, or for an expanded test the op its name starts
    with ("" when that is no selected op)."""
    ops = [n.op_type for n in case.model.graph.node]
    if len(set(ops)) == 1 and "_expanded" not in case.name:
        return ops[0]
    name = case.name[len("test_"):].replace("_", "").lower()
    return max((op for op in SELECTED_OPS if name.startswith(op.lower())), key=len, default="")


def roundtrip_case(case, binary: str, workdir: Path, timeout: float, opset: int):
    """Import → export (--opset) → import must give the same graph, onnx.checker must accept the
    written model, and onnxruntime must compute the same with it as with the original (a check of
    the writer, independent of the evaluator; eval runner only)."""
    import onnxruntime as ort
    ort.set_default_logger_severity(4)
    d = workdir / case.name
    d.mkdir(parents=True, exist_ok=True)
    model_path, out_path = d / "model.onnx", d / "written.onnx"
    onnx.save(case.model, str(model_path))
    if opset < 0:  # the source's own opset, within the writer's range
        source = next((o.version for o in case.model.opset_import if o.domain in ("", "ai.onnx")), 13)
        opset = min(max(source, 13), 28)
    p = subprocess.run([binary, str(model_path), "--roundtrip", str(out_path), "--opset", str(opset)],
                       capture_output=True, text=True, timeout=timeout)
    if p.returncode < 0:
        return "crashed", f"signal {-p.returncode}"
    if p.returncode in (2, 3, 4):
        lines = [l for l in p.stderr.strip().splitlines() if l.strip()]
        return "refused", (lines[-1] if lines else f"exit {p.returncode}")
    if p.returncode != 0:
        return "wrong", p.stderr.strip()[:400]
    written = onnx.load(str(out_path))
    try:
        onnx.checker.check_model(written, full_check=True)
    except Exception as e:  # noqa: BLE001
        return "wrong", f"checker: {' '.join(str(e).split())[:300]}"
    inputs, _ = case.data_sets[0]

    def run(path):
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        return session.run(None, {i.name: as_array(v) for i, v in zip(session.get_inputs(), inputs)})

    # The reference is onnxruntime on the original model: the writer must not change what it computes.
    try:
        reference, again = run(model_path), run(model_path)
    except Exception as e:  # noqa: BLE001
        return "refused", f"onnxruntime cannot run the original: {' '.join(str(e).split())[:200]}"
    try:
        got = run(out_path)
    except Exception as e:  # noqa: BLE001
        return "wrong", f"onnxruntime cannot run the written model: {' '.join(str(e).split())[:200]}"
    random = any(not np.array_equal(a, b, equal_nan=True) for a, b in zip(reference, again))
    for i, (g, w) in enumerate(zip(got, reference)):
        if g.shape != w.shape or g.dtype != w.dtype:
            return "wrong", f"output {i}: {g.dtype}{g.shape}, the original gives {w.dtype}{w.shape}"
        if random:
            continue  # random outputs (training-mode dropout): shapes and types only
        try:
            np.testing.assert_allclose(g.astype(np.float64) if g.dtype.kind == "f" else g, w.astype(np.float64) if w.dtype.kind == "f" else w,
                                       rtol=case.rtol, atol=case.atol)
        except AssertionError as e:
            return "wrong", f"output {i}: {' '.join(str(e).split())[:300]}"
    return "pass", ""


def run_case(case, runner: str, binary: str, workdir: Path, timeout: float):
    d = workdir / case.name
    d.mkdir(parents=True, exist_ok=True)
    model_path = d / "model.onnx"
    onnx.save(case.model, str(model_path))
    initializers = {t.name for t in case.model.graph.initializer}
    input_names = [v.name for v in case.model.graph.input if v.name not in initializers]
    inputs, expected = case.data_sets[0]
    args = [binary, str(model_path)] if runner == "eval" else [binary, "run", str(model_path)]
    for name, value in zip(input_names, inputs):
        path = d / f"input_{len(args)}.npy"
        np.save(path, as_array(value))
        args += ["--input", f"{name}={path}"]
    out = d / ("out" if runner == "eval" else "out.npz")
    args += ["--out", str(out)]
    try:
        p = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "crashed", f"timed out after {timeout:.0f} s"
    if p.returncode < 0:
        return "crashed", f"signal {-p.returncode}: {p.stderr.strip()[-300:]}"
    if p.returncode != 0:
        lines = [l for l in p.stderr.strip().splitlines() if l.strip()]
        return "refused", (lines[-1] if lines else f"exit {p.returncode}")
    outputs = []
    try:
        if runner == "eval":
            outputs = [np.load(out / f"{i}.npy") for i in range(len(expected))]
        elif not out.exists() and out.with_suffix(".npy").exists():
            outputs = [np.load(out.with_suffix(".npy"))]  # one output may come back as OUT.npy
        else:
            with np.load(out) as z:
                names = [v.name for v in case.model.graph.output]
                outputs = [z[n] for n in names] if len(names) > 1 else [z[z.files[0]]]
    except Exception as e:  # noqa: BLE001
        return "wrong", f"outputs unreadable: {e}"
    for i, (got, want) in enumerate(zip(outputs, expected)):
        want = as_array(want)
        if got.dtype.kind == "V" and got.itemsize == 2 and want.dtype.name == "bfloat16":
            got = got.view(want.dtype)  # .npy has no bfloat16: ml_dtypes writes it as 2-byte void
        if runner == "wtool" and want.dtype.name == "bfloat16" and got.dtype == np.float32:
            # `wtool run` widens a bfloat16 output to float32 (NumPy has no bfloat16; documented in
            # TensorFiles.swift): accepted when every value is a bfloat16 value.
            narrowed = got.astype(want.dtype)
            if not np.array_equal(narrowed.astype(np.float32), got, equal_nan=True):
                return "wrong", f"output {i}: float32 values that are not bfloat16 values"
            got = narrowed
        if got.shape != want.shape:
            return "wrong", f"output {i}: shape {got.shape}, expected {want.shape}"
        if got.dtype != want.dtype:
            return "wrong", f"output {i}: dtype {got.dtype}, expected {want.dtype}"
        rtol = case.rtol
        if want.dtype.name == "bfloat16":
            rtol = max(rtol, 2 ** -6)
            got, want = got.astype(np.float32), want.astype(np.float32)
        try:
            np.testing.assert_allclose(got, want, rtol=rtol, atol=case.atol)
        except AssertionError as e:
            detail = " ".join(str(e).split())
            return "wrong", f"output {i}: {detail[:300]}"
    return "pass", ""


def normalized(reason: str) -> str:
    """A refusal reason with node/value names blanked, to count alike reasons together."""
    r = re.sub(r"'[^']*'", "'…'", reason)
    r = re.sub(r"\b\d+\b", "N", r)
    return r


def cell(text: str) -> str:
    return text.replace("|", "\\|")


def write_report(path: Path, results, out_of_scope, runner: str, seconds: float):
    counts = collections.Counter(status for _, _, status, _ in results)
    total = len(results)
    lines = [
        "# ONNX backend node tests: coverage",
        "",
        f"Generated by `scripts/onnx_node_tests.py --runner {runner}` (onnx {onnx.__version__}, "
        f"{time.strftime('%Y-%m-%d')}, {seconds:.0f} s). Do not edit by hand.",
        "",
        "Selection: the node tests of the CNN op families of issue 15 (`FAMILIES` in the script): each op's single-node "
        "tests and its `_expanded` function bodies made of listed ops, compared at each test's own tolerance "
        "(rtol 1e-3, atol 1e-7). Tests whose tensors use element types the IR does not hold are out of scope "
        "(listed at the end).",
        "",
        f"**{counts['pass']} of {total} pass ({100 * counts['pass'] / max(total, 1):.1f} %)**, "
        f"{counts['refused']} refused, {counts['wrong']} wrong, {counts['crashed']} crashed; "
        f"{len(out_of_scope)} out of scope.",
        "",
        "| family | tests | pass | refused | wrong | crashed |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    by_family = collections.defaultdict(collections.Counter)
    for _, op, status, _ in results:
        by_family[FAMILY_OF.get(op, "other")][status] += 1
    for family in list(FAMILIES) + ["other"]:
        c = by_family.get(family)
        if not c:
            continue
        lines.append(f"| {family} | {sum(c.values())} | {c['pass']} | {c['refused']} | {c['wrong']} | {c['crashed']} |")
    reasons = collections.Counter(normalized(d) for _, _, s, d in results if s == "refused")
    if reasons:
        lines += ["", "## Refusals by reason", "", "| tests | reason |", "|---:|---|"]
        for reason, n in reasons.most_common():
            lines.append(f"| {n} | {cell(reason)} |")
    for status, title in [("wrong", "Wrong"), ("crashed", "Crashed"), ("refused", "Every refusal")]:
        rows = sorted((name, op, d) for name, op, s, d in results if s == status)
        if rows:
            lines += ["", f"## {title}", "", "| test | op | reason |", "|---|---|---|"]
            lines += [f"| `{name}` | {op} | {cell(d)} |" for name, op, d in rows]
    if out_of_scope:
        lines += ["", "## Out of scope (element types the IR does not hold)", ""]
        lines.append(", ".join(f"`{case.name}`" for case, _ in sorted(out_of_scope, key=lambda x: x[0].name)))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runner", choices=["eval", "wtool"], default="eval")
    parser.add_argument("--eval-binary", default=os.environ.get("ONNXEVAL", "onnxeval"))
    parser.add_argument("--wtool", default=str(REPO / ".build" / "release" / "wtool"))
    parser.add_argument("--only", help="regular expression on test names")
    parser.add_argument("--kind", default="node",
                        help="node (generated, the acceptance set) or one of the on-disk kinds the wheel ships: "
                             "pytorch-converted, pytorch-operator, simple, light (no report unless --report is given)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--report", help="the report to write (default docs/onnx-coverage.md for the node tests); '' for none")
    parser.add_argument("--verbose", "-v", action="store_true")
    parser.add_argument("--roundtrip-opset", type=int, default=0,
                        help="instead: import, write at this opset (-1: the test's own, within 13-28), read back and run "
                             "the written model in onnxruntime (eval runner; checks the writer; no report)")
    args = parser.parse_args()
    binary = args.eval_binary if args.runner == "eval" else args.wtool
    if args.report is None:
        args.report = str(REPO / "docs" / "onnx-coverage.md") if args.kind == "node" else ""

    import warnings
    warnings.filterwarnings("ignore")
    if args.kind == "node":
        cases = load_model_tests(kind="node")
    else:
        cases = [c for c in map(materialize, load_model_tests(kind=args.kind)) if c is not None]
    selected, out_of_scope = select(cases, args.only, models=args.kind != "node")
    start = time.time()
    results = []
    with tempfile.TemporaryDirectory(prefix="onnx-node-tests-") as tmp:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(args.jobs, 1)) as pool:
            if args.roundtrip_opset:
                futures = {pool.submit(roundtrip_case, case, binary, Path(tmp), args.timeout, args.roundtrip_opset): (case, op)
                           for case, op in selected}
            else:
                futures = {pool.submit(run_case, case, args.runner, binary, Path(tmp), args.timeout): (case, op)
                           for case, op in selected}
            for future in concurrent.futures.as_completed(futures):
                case, op = futures[future]
                status, detail = future.result()
                results.append((case.name, op, status, detail))
                if args.verbose or status in ("wrong", "crashed"):
                    print(f"{status:8} {case.name}: {detail}", flush=True)
    seconds = time.time() - start
    counts = collections.Counter(s for _, _, s, _ in results)
    print(f"{counts['pass']} passed, {counts['refused']} refused, {counts['wrong']} wrong, {counts['crashed']} crashed "
          f"of {len(results)} selected ({len(out_of_scope)} out of scope) in {seconds:.0f} s")
    if args.report and not args.only and not args.roundtrip_opset:
        write_report(Path(args.report), results, out_of_scope, args.runner, seconds)
        print(f"wrote {args.report}")
    return 1 if counts["wrong"] or counts["crashed"] else 0


if __name__ == "__main__":
    sys.exit(main())
