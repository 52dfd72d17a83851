#!/usr/bin/env python3
"""The heavy parity stage: every model and flavour of the reference data (scripts/reference.py full)
through the release `wtool`, checked against what Keras and h5py say.

Usage: python scripts/parity.py --reference DIR [--wtool .build/release/wtool] [--report OUT.json]

Checks, per model and flavour:
  convert  `wtool convert` succeeds and `wtool check` passes on the result;
  summary  `wtool summary --json`: total params = Keras's count_params(), output shape = Keras's;
  tensors  every tensor in the .swm is bit-identical to what h5py reads from the source file
           (read back with scripts/swm.py, an independent reader of the format);
  verify   `wtool verify` on the real photos (JPEG/PNG decoding, resizing and preprocessing in
           wtool, as Keras's load_img + preprocess_input) against Keras's outputs, from the .swm
           and straight from the source file: max|Δ|/max|keras| ≤ 1e-4 for every image; for the
           Keras 3 .h5 also with each convolution algorithm forced (`--conv im2col`,
           `winograd-2x2`, `winograd-4x4`; the default `auto` mixes them per layer), and once
           more from the .swm with the transformed kernels mapped from the kernel cache the
           first run filled (the same outputs, to the bit).
  h5 out   `wtool convert` (.swm -> Keras .h5, full and --weights-only) loaded by Keras 3 AND
           tf_keras (scripts/keras_h5_check.py), predictions on the reference inputs against
           Keras's outputs: max|Δ|/max|keras| ≤ 1e-5 (`check_h5_export`); plus the writer's
           fixtures (every mapped layer class, nested models) per --keras target, and
           ResNet50 (`check_resnet50`: also `wtool graph` rendered to SVG by Graphviz).
  onnx     tf2onnx's export: `wtool summary/run/verify` on it and `.onnx -> .swm -> verify`;
           `wtool convert <keras3.h5> out.onnx`: onnx.checker + onnxruntime vs Keras (`check_onnx`).
  safetensors  `.h5 -> .safetensors` read by the safetensors package bit-identical to h5py, and back
           (embedded graph, --arch) at parity; sharded features merged = one run
           (scripts/parity_safetensors.py).
Writes a markdown parity table (--table) for the README.
Ends with the line `parity: N passed, M failed`; exits 1 when anything failed.
"""
import argparse, json, os, subprocess, sys, tempfile, time

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import swm  # noqa: E402
import parity_safetensors  # noqa: E402

WEIGHTS_ONLY = {"weights.h5", "tfkeras-weights.h5", "weights-offset.h5"}


class Checks:
    def __init__(self):
        self.results = []

    def record(self, name, ok, detail=""):
        self.results.append({"check": name, "ok": bool(ok), "detail": detail})
        print(f"  {'PASS' if ok else 'FAIL'}  {name}{'  ' + detail if detail else ''}", flush=True)
        return ok


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr.strip()


def arch_args(model, flavour):
    """`--arch` and its options for weights-only flavours: from the manifest's keras.applications
    constructor arguments when it records them, else the model's name and input shape (vgg16)."""
    if flavour not in WEIGHTS_ONLY:
        return []
    h, w, c = model["input_shape"][1:]
    arch = model.get("arch")
    if not arch:
        return ["--arch", model["name"], "--input-shape", f"{h},{w},{c}"]
    a = arch["args"]
    args = ["--arch", arch["name"], "--input-shape", ",".join(str(d) for d in a["input_shape"])]
    if a.get("include_top", True):
        args += ["--include-top", "--classes", str(a.get("classes", 1000))]
    elif a.get("pooling"):
        args += ["--pooling", a["pooling"]]
    if a.get("alpha", 1.0) != 1.0:
        args += ["--alpha", str(a["alpha"])]
    return args


def check_tensors(checks, label, swm_path, source_path, records):
    """Bit-exact: each dataset h5py reads equals the .swm tensor whose source is that dataset."""
    s = swm.SWM(swm_path)
    by_source = {t["source"]: name for name, t in s.tensors.items()}
    mismatched = []
    with h5py.File(source_path, "r") as f:
        for r in records:
            name = by_source.get(r["dataset_path"])
            expected = np.ascontiguousarray(f[r["dataset_path"]][()]).tobytes()
            if name is None or s.tensors[name]["bytes"] != expected:
                mismatched.append(r["dataset_path"])
    checks.record(f"{label}: tensors bit-identical to h5py", not mismatched and len(records) == len(s.tensors),
                  f"{len(records)} tensors" + (f", differ: {mismatched[:3]}" if mismatched else ""))
    return s


def preprocess_args(model):
    mode = model["preprocessing"]["mode"]
    return ["--rescale", "1/255"] if mode == "rescale" else ["--preprocess", mode]


def verify(checks, label, wtool, model_file, model, ref, extra):
    mdir = os.path.join(ref, model["dir"])
    rc, stdout, err = run([wtool, "verify", model_file, "--images", os.path.join(ref, "photos"),
                           "--expected", os.path.join(mdir, "expected"), "--tolerance", str(TOLERANCE), "--json"]
                          + preprocess_args(model) + extra)
    try:
        report = json.loads(stdout)
    except ValueError:
        checks.record(f"{label}: verify", False, err or stdout[:200])
        return None
    worst = report["worst_relative_error"]
    n = len(report["images"])
    checks.record(f"{label}: verify", rc == 0 and n == len(model["expected"]),
                  f"{n} photos, worst max|Δ|/max|keras| = {worst:.2e}")
    return worst


H5_TOLERANCE = 1e-5
H5_LOADERS = (("3", "Keras 3"), ("2", "tf_keras"))


def keras_h5_check(model_file, keras, inputs, expected, extra=()):
    """Runs scripts/keras_h5_check.py (one Keras per process); returns its JSON report."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras_h5_check.py")
    rc, stdout, err = run([sys.executable, script, model_file, "--keras", keras, "--inputs", inputs,
                           "--expected", expected, "--tolerance", str(H5_TOLERANCE)] + list(extra))
    try:
        return json.loads(stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"ok": False, "loaded": False, "error": (err or stdout)[-300:]}


def record_h5_load(checks, table, label, row, report, params=None):
    detail = (f"{report.get('keras')}: max|Δ|/max|keras| = {report['worst_relative']:.2e}"
              if report.get("loaded") and "worst_relative" in report else report.get("error", "did not load"))
    if "fresh_relative" in report:
        detail += f" (fresh weights: {report['fresh_relative']:.2e})"
    ok = report.get("ok", False) and (params is None or report.get("params") == params)
    checks.record(label, ok, detail + ("" if params is None or report.get("params") == params
                                       else f", {report.get('params')} params vs {params}"))
    table.append(row + (report.get("worst_relative") if report.get("loaded") else None,))


def check_h5_export(checks, table, wtool, model, ref, work):
    """Keras .h5 out: the .swm of the Keras 3 file -> `wtool convert out.h5` (and --weights-only),
    then Keras 3 and tf_keras each load it and predict the reference inputs."""
    name, mdir = model["name"], os.path.join(ref, model["dir"])
    source = model["flavours"].get("keras3.h5")
    if not source:
        return
    inputs, expected = os.path.join(mdir, "inputs"), os.path.join(mdir, "expected")
    swm_file, h5, weights = (os.path.join(work, f"{name}.export.{ext}") for ext in ("swm", "h5", "weights-only.h5"))
    rc, _, err = run([wtool, "convert", os.path.join(mdir, source), swm_file, "--force", "--quiet"])
    if not checks.record(f"{name} h5 out: .swm from the Keras 3 file", rc == 0, err):
        return
    rc, _, err = run([wtool, "convert", swm_file, h5, "--force", "--quiet"])
    if checks.record(f"{name} h5 out: wtool convert .swm -> .h5", rc == 0, err):
        rc, _, err = run([wtool, "diff", swm_file, h5])
        checks.record(f"{name} h5 out: wtool diff .swm .h5 finds nothing", rc == 0, err)
        for keras, label in H5_LOADERS:
            record_h5_load(checks, table, f"{name} h5 out: {label} load_model + predict", (name, ".h5 by wtool", f"{label} load_model"),
                           keras_h5_check(h5, keras, inputs, expected), params=model["total_params"])
    rc, _, err = run([wtool, "convert", swm_file, weights, "--weights-only", "--force", "--quiet"])
    if checks.record(f"{name} h5 out: wtool convert --weights-only", rc == 0, err) and os.path.exists(h5):
        for keras, label in H5_LOADERS:
            record_h5_load(checks, table, f"{name} h5 out: {label} load_weights + predict",
                           (name, "weights-only .h5 by wtool", f"{label} load_weights"),
                           keras_h5_check(weights, keras, inputs, expected, ["--config-from", h5]))


def check_h5_export_fixtures(checks, table, wtool, work):
    """The writer's fixtures (Tests/KerasFormatTests/Fixtures/writer, saved by Keras): every layer
    class wtool maps, and a nested Functional model read by a later layer, which needs --keras 2 or 3."""
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "KerasFormatTests", "Fixtures", "writer")
    cases = [("zoo.keras3", "both", ("3", "2")), ("nested.keras3", "3", ("3",)), ("nested.keras3", "2", ("2",)),
             ("nested.tfkeras", "3", ("3",)), ("nested.tfkeras", "2", ("2",))]
    for fixture, target, loaders in cases:
        folder = os.path.join(root, fixture)
        out = os.path.join(work, f"{fixture}.{target}.h5")
        rc, _, err = run([wtool, "convert", os.path.join(folder, "model.h5"), out, "--keras", target, "--force", "--quiet"])
        if not checks.record(f"{fixture} h5 out --keras {target}: convert", rc == 0, err):
            continue
        for keras in loaders:
            label = dict(H5_LOADERS)[keras]
            record_h5_load(checks, table, f"{fixture} h5 out --keras {target}: {label} load_model + predict",
                           (fixture, f".h5 by wtool --keras {target}", f"{label} load_model"),
                           keras_h5_check(out, keras, os.path.join(folder, "inputs"), os.path.join(folder, "expected")))


def check_resnet50(checks, table, wtool, work):
    """keras.applications.ResNet50 (weights=None, seeded BatchNormalization statistics) saved by
    Keras 3: `wtool graph` renders it with Graphviz, and wtool's .h5 of it (176 layers, branches)
    loads in Keras 3 and tf_keras with Keras's predictions."""
    folder = os.path.join(work, "resnet50")
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "writer_fixtures.py")
    rc, _, err = run([sys.executable, script, "--resnet50", folder])
    if not checks.record("resnet50: saved by Keras 3 (weights=None)", rc == 0, "" if rc == 0 else err[-300:]):
        return
    source, svg, h5 = os.path.join(folder, "model.h5"), os.path.join(work, "resnet50.svg"), os.path.join(work, "resnet50.h5")
    rc, _, err = run([wtool, "graph", source, "--out", svg, "--force"])
    drawn = open(svg).read().count('class="node"') if rc == 0 else 0
    checks.record("resnet50: wtool graph renders an SVG with Graphviz", rc == 0 and drawn == 176 + 2 and "conv5_block3_add" in open(svg).read(),
                  err or f"{drawn} boxes (176 layers, input, output)")
    rc, _, err = run([wtool, "convert", source, h5, "--force", "--quiet"])
    if checks.record("resnet50 h5 out: convert", rc == 0, err):
        for keras, label in H5_LOADERS:
            record_h5_load(checks, table, f"resnet50 h5 out: {label} load_model + predict", ("resnet50", ".h5 by wtool", f"{label} load_model"),
                           keras_h5_check(h5, keras, os.path.join(folder, "inputs"), os.path.join(folder, "expected")))


def onnx_weight_count(path):
    """Elements of an ONNX file's floating-point initializers of rank >= 1: its weights, without
    the scalar operands (Clip bounds, epsilons) that wtool turns into attributes."""
    import onnx

    floats = (onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.DOUBLE, onnx.TensorProto.BFLOAT16)
    return sum(int(np.prod(t.dims)) for t in onnx.load(path, load_external_data=False).graph.initializer
               if t.data_type in floats and len(t.dims) >= 1)


def check_onnx(checks, table, wtool, model, ref, work):
    """ONNX in and out. In: tf2onnx's export read by wtool (`summary`, `run` and `verify` straight
    from the .onnx, and `.onnx -> .swm -> verify`). Out: `wtool convert <keras3.h5> out.onnx`, then
    onnx.checker (full check) and onnxruntime on the reference inputs against Keras's outputs, for
    the default NHWC export and for `--nchw --external-data --opset 13`; and wtool reads its own
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
            rel = max(float(np.abs(got[i] - expected[p["stem"]][0]).max() / np.abs(expected[p["stem"]]).max())
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
    for variant, extra in (("NHWC, opset 17", []), ("NCHW, external data, opset 13", ["--nchw", "--external-data", "--opset", "13"])):
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
            worst = max(worst, float(np.abs(y - ref_y).max() / np.abs(ref_y).max()) if y.shape == ref_y.shape else float("inf"))
        checks.record(f"{label}: onnxruntime matches Keras", worst <= TOLERANCE,
                      f"{len(inputs)} inputs, worst max|Δ|/max|keras| = {worst:.2e} (onnxruntime {ort.__version__})")
        table.append((name, f"keras3.h5 -> .onnx ({variant})", "onnxruntime", worst))
        if not extra:
            table.append((name, "keras3.h5 -> .onnx", "wtool verify", verify(checks, f"{label} read back", wtool, out, model, ref, [])))


TOLERANCE = 1e-4


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reference", required=True)
    ap.add_argument("--wtool", default=".build/release/wtool")
    ap.add_argument("--report")
    ap.add_argument("--table", help="write the parity table (markdown) here")
    args = ap.parse_args()
    ref = args.reference
    manifest = json.load(open(os.path.join(ref, "manifest.json")))
    checks = Checks()
    work = tempfile.mkdtemp(prefix="wtool-parity-")
    started = time.time()
    table = []

    for model in manifest["models"]:
        mdir = os.path.join(ref, model["dir"])
        summary = json.load(open(os.path.join(mdir, model["summary"])))
        print(f"{model['name']}: {summary['total_params']:,} params, output {model['output_shape']}", flush=True)
        swm_by_flavour = {}
        for flavour, fname in model["flavours"].items():
            if flavour == "onnx":
                continue
            src = os.path.join(mdir, fname)
            label = f"{model['name']} {flavour}"
            out = os.path.join(work, f"{model['name']}.{flavour}.swm")
            rc, _, err = run([args.wtool, "convert", src, out, "--force", "--quiet"] + arch_args(model, flavour))
            if not checks.record(f"{label}: convert", rc == 0, err):
                continue
            rc, _, err = run([args.wtool, "check", out, "--quiet"])
            checks.record(f"{label}: check", rc == 0, err)
            rc, stdout, err = run([args.wtool, "summary", out, "--json"])
            if checks.record(f"{label}: summary runs", rc == 0, err):
                got = json.loads(stdout)
                checks.record(f"{label}: total params", got["total_params"] == summary["total_params"],
                              f"{got['total_params']} vs Keras {summary['total_params']}")
                checks.record(f"{label}: trainable split",
                              (got["trainable_params"], got["non_trainable_params"]) ==
                              (summary["trainable_params"], summary["non_trainable_params"]),
                              f"{got['trainable_params']}/{got['non_trainable_params']}")
                checks.record(f"{label}: output shape", got["outputs"][0]["shape"] == model["output_shape"][1:],
                              f"{got['outputs'][0]['shape']}")
            via_swm = verify(checks, f"{label} via .swm", args.wtool, out, model, ref, [])
            table.append((model["name"], flavour, "via .swm", via_swm))
            table.append((model["name"], flavour, "direct",
                          verify(checks, f"{label} direct", args.wtool, src, model, ref, arch_args(model, flavour))))
            if flavour == "keras3.h5":
                # The default `--conv auto` mixes algorithms per layer; each one on its own too.
                for conv in ("im2col", "winograd-2x2", "winograd-4x4"):
                    table.append((model["name"], flavour, f"--conv {conv}",
                                  verify(checks, f"{label} --conv {conv}", args.wtool, out, model, ref, ["--conv", conv])))
                # The first verify stored the transformed kernels; this one maps them back.
                again = verify(checks, f"{label} via .swm again (kernel cache)", args.wtool, out, model, ref, [])
                checks.record(f"{label}: kernels from the cache give the same outputs", again == via_swm,
                              f"{again} vs {via_swm}")
            tensors = model.get("tensors", {}).get(flavour)
            if tensors:
                records = json.load(open(os.path.join(mdir, tensors)))
                swm_by_flavour[flavour] = check_tensors(checks, label, out, src, records)
            else:
                swm_by_flavour[flavour] = swm.SWM(out)
        # .keras has no h5py table (its HDF5 sits inside a zip): compare with the Keras 3 .h5.
        if "keras" in swm_by_flavour and "keras3.h5" in swm_by_flavour:
            a, b = swm_by_flavour["keras"], swm_by_flavour["keras3.h5"]
            same = a.tensors.keys() == b.tensors.keys() and all(a.tensors[k]["bytes"] == b.tensors[k]["bytes"] for k in a.tensors)
            checks.record(f"{model['name']} keras: tensors identical to the Keras 3 .h5's", same, f"{len(a.tensors)} tensors")
        check_onnx(checks, table, args.wtool, model, ref, work)
        check_h5_export(checks, table, args.wtool, model, ref, work)
        parity_safetensors.check_safetensors(checks, table, args.wtool, model, ref, work)

    check_h5_export_fixtures(checks, table, args.wtool, work)
    check_resnet50(checks, table, args.wtool, work)

    # The seed's workflow: flow_from_directory + conv_base.predict, and the --until cut.
    feat = manifest.get("features")
    if feat:
        fdir = os.path.join(ref, feat["dir"])
        vgg = next(m for m in manifest["models"] if m["name"] == feat["model"])
        src = os.path.join(ref, vgg["dir"], vgg["flavours"]["keras3.h5"])
        h, w = feat["preprocessing"]["target_size"]
        for name, until, reference in (("features", None, feat["features"]), ("features --until block3_pool", "block3_pool", feat["block3_pool"])):
            out, labels = os.path.join(work, "f.npy"), os.path.join(work, "l.npy")
            rc, _, err = run([args.wtool, "features", src, os.path.join(fdir, feat["data"]), "--out", out, "--labels", labels,
                              "--rescale", "1/255", "--size", f"{h},{w}", "--class-mode", "binary", "--force", "--quiet"]
                             + (["--until", until] if until else []))
            if not checks.record(f"{name}: runs", rc == 0, err):
                continue
            a, b = np.load(out), np.load(os.path.join(fdir, reference))
            rel = float(np.abs(a - b).max() / np.abs(b).max()) if a.shape == b.shape else float("inf")
            checks.record(f"{name}: matches Keras flow_from_directory + predict", rel <= TOLERANCE, f"shape {list(a.shape)}, max|Δ|/max|keras| = {rel:.2e}")
            table.append(("vgg16", "features" + (f" --until {until}" if until else ""), "direct", rel))
            if until is None:
                same_labels = np.array_equal(np.load(labels), np.load(os.path.join(fdir, feat["labels"])))
                files = json.load(open(os.path.join(work, "f.json")))["filenames"]
                same_files = files == json.load(open(os.path.join(fdir, feat["filenames"])))
                checks.record("features: labels and file order identical to Keras", same_labels and same_files, f"{len(files)} files")

    parity_safetensors.check_sharded_features(checks, args.wtool, ref, manifest)

    passed = sum(r["ok"] for r in checks.results)
    failed = len(checks.results) - passed
    print(f"parity stage took {time.time() - started:.0f} s")
    if args.report:
        json.dump(checks.results, open(args.report, "w"), indent=1)
    lines = ["| model | flavour | path | worst max\\|Δ\\|/max\\|keras\\| over the photos |", "|---|---|---|---|"]
    for name, flavour, path, worst in table:
        lines.append(f"| {name} | {flavour} | {path} | {'failed' if worst is None else f'{worst:.2e}'} |")
    print("\n".join(lines))
    if args.table:
        open(args.table, "w").write("\n".join(lines) + "\n")
    print(f"parity: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
