"""ONNX in (tf2onnx's export read by wtool) and out (wtool's export in onnx.checker and
onnxruntime)."""
import json
import os

import numpy as np

from ..common import rel_error, run
from .checks import TOLERANCE, preprocess_args, verify



# Operand slots whose constant wtool turns into an attribute of the op rather than a weight.
ATTRIBUTE_OPERANDS = {("Clip", 1), ("Clip", 2)}


def onnx_weight_count(path):
    """Elements of an ONNX file's floating-point initializers: its weights. A scalar counts unless
    every use of it is an operand wtool turns into an attribute (a Clip bound: tf2onnx's ReLU6);
    a scalar operand of Mul or Add (a Rescaling's factor and offset, hard sigmoid's 1/6) stays a
    weight in wtool, as it is in the file."""
    import onnx

    graph = onnx.load(path, load_external_data=False).graph
    uses = {}
    for node in graph.node:
        for slot, name in enumerate(node.input):
            uses.setdefault(name, set()).add((node.op_type, slot))
    floats = (onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.DOUBLE, onnx.TensorProto.BFLOAT16)
    return sum(int(np.prod(t.dims)) for t in graph.initializer
               if t.data_type in floats and (len(t.dims) >= 1 or not uses.get(t.name, set()) <= ATTRIBUTE_OPERANDS))


def summary_layers(mdir, model):
    """Keras's layers ({name, type, ...}) from the model's summary.json."""
    with open(os.path.join(mdir, model["summary"])) as f:
        return json.load(f)["layers"]


def check_onnx(checks, table, wtool, model, ref, work):
    """ONNX in and out. In: tf2onnx's export read by wtool (`summary`, `run` and `verify` straight
    from the .onnx, and `.onnx -> .swm -> verify`). Out: `wtool convert <keras3.h5> out.onnx`, then
    onnx.checker (full check) and onnxruntime on the reference inputs against Keras's outputs, for
    the default NHWC export and for `--nchw --external-data --opset 13` (17 for a model with
    LayerNormalization, which opset 13 must refuse in one line); and wtool reads its own
    export back (`verify`)."""
    import onnx
    import onnxruntime as ort

    name, mdir = model["name"], os.path.join(ref, model["dir"])
    expected = {stem: np.load(os.path.join(mdir, p)) for stem, p in model["expected"].items()}
    summary = json.load(open(os.path.join(mdir, model["summary"])))
    tf2onnx = model["flavours"].get("onnx")
    if tf2onnx:
        src = os.path.join(mdir, tf2onnx)
        label = f"{name} onnx (tf2onnx)"
        rc, stdout, err = run([wtool, "summary", src, "--json"])
        if checks.record(f"{label}: summary runs", rc == 0, err):
            got = json.loads(stdout)
            # tf2onnx folds BatchNormalization into the convolution before it where it can, so
            # the file holds fewer weights than Keras counts: then wtool must count what is there.
            want, note = summary["total_params"], ""
            if any(layer["type"] == "BatchNormalization" for layer in summary["layers"]):
                want = onnx_weight_count(src)
                note = f" (tf2onnx folded BatchNormalization; the .onnx holds {want})" if want != summary["total_params"] else ""
            checks.record(f"{label}: total params", got["total_params"] == want,
                          f"{got['total_params']} vs Keras {summary['total_params']}{note}")
            checks.record(f"{label}: output shape", got["outputs"][0]["shape"] == model["output_shape"][1:],
                          f"{got['outputs'][0]['shape']}")
        # wtool run on the photos, in manifest order, row by row against Keras.
        photos = [p for p in json.load(open(os.path.join(ref, "manifest.json")))["photos"] if p["stem"] in expected]
        out = os.path.join(work, f"{name}.onnx-run.npy")
        rc, _, err = run([wtool, "run", src] + [os.path.join(ref, "photos", p["file"]) for p in photos]
                         + ["--out", out, "--quiet"] + preprocess_args(model))
        if checks.record(f"{label}: run", rc == 0, err):
            got = np.load(out)
            rel = max(rel_error(got[i], expected[p["stem"]][0])
                      for i, p in enumerate(photos)) if got.shape[0] == len(photos) else float("inf")
            checks.record(f"{label}: run matches Keras", rel <= TOLERANCE, f"{len(photos)} photos, worst {rel:.2e}")
            table.append((name, "onnx (tf2onnx)", "run", rel))
        table.append((name, "onnx (tf2onnx)", "verify direct", verify(checks, f"{label} direct", wtool, src, model, ref, [])))
        swm_out = os.path.join(work, f"{name}.onnx.swm")
        rc, _, err = run([wtool, "convert", src, swm_out, "--force", "--quiet"])
        if checks.record(f"{label}: convert to .swm", rc == 0, err):
            rc, _, err = run([wtool, "check", swm_out, "--quiet"])
            checks.record(f"{label}: check the .swm", rc == 0, err)
            table.append((name, "onnx (tf2onnx)", "verify via .swm",
                          verify(checks, f"{label} via .swm", wtool, swm_out, model, ref, [])))

    keras = model["flavours"].get("keras3.h5")
    if not keras:
        return
    inputs = {stem: np.load(os.path.join(mdir, p)) for stem, p in model["inputs"].items()}
    # ONNX has LayerNormalization from opset 17: a model with one (ConvNeXt) must be refused at
    # opset 13 in one line naming --opset 17, and its NCHW + external-data export is made at 17.
    nchw_opset = "13"
    if any(layer["type"] == "LayerNormalization" for layer in summary_layers(mdir, model)):
        out = os.path.join(work, f"{name}.opset13.onnx")
        rc, _, err = run([wtool, "convert", os.path.join(mdir, keras), out, "--nchw", "--opset", "13", "--force", "--quiet"])
        checks.record(f"{name} keras3.h5 -> .onnx --opset 13: refused in one line naming --opset 17",
                      rc != 0 and err.startswith("error: ") and "\n" not in err and "--opset 17" in err and not os.path.exists(out), err)
        nchw_opset = "17"
    for variant, extra in (("NHWC, opset 17", []),
                           (f"NCHW, external data, opset {nchw_opset}", ["--nchw", "--external-data", "--opset", nchw_opset])):
        label = f"{name} keras3.h5 -> .onnx ({variant})"
        out = os.path.join(work, f"{name}.{'nchw' if extra else 'nhwc'}.onnx")
        rc, _, err = run([wtool, "convert", os.path.join(mdir, keras), out, "--force", "--quiet"] + extra)
        if not checks.record(f"{label}: convert", rc == 0, err):
            table.append((name, f"keras3.h5 -> .onnx ({variant})", "onnxruntime", None))
            continue
        checks.record(f"{label}: external data file", os.path.exists(out + ".data") == bool(extra), "")
        try:
            onnx.checker.check_model(out, full_check=True)
            checks.record(f"{label}: onnx.checker.check_model", True, f"onnx {onnx.__version__}")
        except Exception as e:  # noqa: BLE001 - any checker failure is the finding
            checks.record(f"{label}: onnx.checker.check_model", False, str(e).splitlines()[0][:200])
        session = ort.InferenceSession(out, providers=["CPUExecutionProvider"])
        feed = session.get_inputs()[0].name
        worst = 0.0
        for stem, x in inputs.items():
            y = session.run(None, {feed: x.transpose(0, 3, 1, 2).copy() if extra else x})[0]
            if extra and y.ndim == 4:
                y = y.transpose(0, 2, 3, 1)
            ref_y = expected[stem]
            worst = max(worst, rel_error(y, ref_y))
        checks.record(f"{label}: onnxruntime matches Keras", worst <= TOLERANCE,
                      f"{len(inputs)} inputs, worst max|Δ|/max|keras| = {worst:.2e} (onnxruntime {ort.__version__})")
        table.append((name, f"keras3.h5 -> .onnx ({variant})", "onnxruntime", worst))
        if not extra:
            table.append((name, "keras3.h5 -> .onnx", "wtool verify", verify(checks, f"{label} read back", wtool, out, model, ref, [])))


