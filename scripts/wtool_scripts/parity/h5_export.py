"""Keras .h5 out: wtool's .h5 files (full and --weights-only) loaded by Keras 3 AND tf_keras
(scripts/keras_h5_check.py, one Keras per process) and their predictions compared with
Keras's; the writer's fixtures per --keras target; ResNet50 (also `wtool graph` to SVG)."""
import json
import os
import select
import subprocess
import sys
import tempfile

from ..common import REPO, SCRIPTS, run

H5_TOLERANCE = 1e-5
H5_LOADERS = (("3", "Keras 3"), ("2", "tf_keras"))


class _KerasWorker:
    """One `keras_h5_check.py --serve` process per Keras: the loader checks share one TensorFlow
    import (seconds each) instead of paying it ~90 times. A worker that dies or stalls is
    replaced; its job is reported as not loaded."""
    TIMEOUT = 900
    workers = {}

    def __init__(self, keras):
        self.log = tempfile.TemporaryFile()  # Keras's and TensorFlow's chatter, for a failure's message
        self.process = subprocess.Popen([sys.executable, str(SCRIPTS / "keras_h5_check.py"), "--keras", keras, "--serve"],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
                                         text=True, bufsize=1)

    def log_tail(self):
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace").strip()[-300:]

    @classmethod
    def ask(cls, keras, job):
        worker = cls.workers.get(keras)
        if worker is None or worker.process.poll() is not None:
            worker = cls.workers[keras] = cls(keras)
        try:
            worker.process.stdin.write(json.dumps(job) + "\n")
            worker.process.stdin.flush()
            ready, _, _ = select.select([worker.process.stdout], [], [], cls.TIMEOUT)
            line = worker.process.stdout.readline() if ready else ""
        except OSError as error:
            line, ready = "", f"{error}"
        if not line:
            worker.process.kill()
            worker.process.wait()
            del cls.workers[keras]
            why = "stalled" if not ready else f"exited with status {worker.process.returncode}"
            return {"ok": False, "loaded": False,
                    "error": f"keras_h5_check.py --serve --keras {keras} {why}: {worker.log_tail()}"}
        return json.loads(line)

    @classmethod
    def close_all(cls):
        for worker in cls.workers.values():
            worker.process.stdin.close()
            worker.process.wait()
        cls.workers.clear()


def keras_h5_check(model_file, keras, inputs, expected, extra=()):
    """Loads `model_file` with Keras `keras` ("3" or "2": tf_keras) and compares its predictions on
    `inputs` with `expected` (scripts/keras_h5_check.py); returns its JSON report.
    `extra` may be ["--config-from", FULL_MODEL] (the weights-only check)."""
    job = {"model": model_file, "inputs": inputs, "expected": expected, "tolerance": H5_TOLERANCE}
    if extra:
        job["config_from"] = dict(zip(extra[::2], extra[1::2]))["--config-from"]
    return _KerasWorker.ask(keras, job)


close_keras_workers = _KerasWorker.close_all


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
    then Keras 3 and tf_keras each load it and predict the reference inputs. A model with a layer
    the two Kerases spell differently (Keras 3's hard_silu, which tf_keras lacks) is refused for
    both at once, naming --keras 2 or 3: it is then written for each Keras on its own, and a clean
    refusal for the Keras that has no spelling of a layer is the expected outcome."""
    name, mdir = model["name"], os.path.join(ref, model["dir"])
    source = model["flavours"].get("keras3.h5")
    if not source:
        return
    inputs, expected = os.path.join(mdir, "inputs"), os.path.join(mdir, "expected")
    swm_file = os.path.join(work, f"{name}.export.swm")
    rc, _, err = run([wtool, "convert", os.path.join(mdir, source), swm_file, "--force", "--quiet"])
    if not checks.record(f"{name} h5 out: .swm from the Keras 3 file", rc == 0, err):
        return
    h5, weights = (os.path.join(work, f"{name}.export.{ext}") for ext in ("h5", "weights-only.h5"))
    rc, _, err = run([wtool, "convert", swm_file, h5, "--force", "--quiet"])
    if rc != 0 and "--keras" in err:
        checks.record(f"{name} h5 out: --keras both refuses, naming a Keras", err.startswith("error: ") and "\n" not in err, err)
        for keras, label in H5_LOADERS:
            export_for(checks, table, wtool, model, swm_file, keras, label, work, inputs, expected)
        return
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


def export_for(checks, table, wtool, model, swm_file, keras, label, work, inputs, expected):
    """`--keras N` .h5 files (full and weights-only) loaded by that Keras; a one-line refusal
    naming the layer when that Keras has no spelling of it."""
    name = model["name"]
    h5, weights = (os.path.join(work, f"{name}.export{keras}.{ext}") for ext in ("h5", "weights-only.h5"))
    rc, _, err = run([wtool, "convert", swm_file, h5, "--keras", keras, "--force", "--quiet"])
    if rc != 0:
        checks.record(f"{name} h5 out --keras {keras}: refused cleanly ({label} has no spelling)",
                      err.startswith("error: ") and "\n" not in err and "layer '" in err, err)
        return
    record_h5_load(checks, table, f"{name} h5 out --keras {keras}: {label} load_model + predict",
                   (name, f".h5 by wtool --keras {keras}", f"{label} load_model"),
                   keras_h5_check(h5, keras, inputs, expected), params=model["total_params"])
    rc, _, err = run([wtool, "convert", swm_file, weights, "--weights-only", "--keras", keras, "--force", "--quiet"])
    if checks.record(f"{name} h5 out --keras {keras}: --weights-only", rc == 0, err):
        record_h5_load(checks, table, f"{name} h5 out --keras {keras}: {label} load_weights + predict",
                       (name, f"weights-only .h5 by wtool --keras {keras}", f"{label} load_weights"),
                       keras_h5_check(weights, keras, inputs, expected, ["--config-from", h5]))


def check_h5_export_fixtures(checks, table, wtool, work):
    """The writer's fixtures (Tests/KerasFormatTests/Fixtures/writer, saved by Keras): every layer
    class wtool maps, and a nested Functional model read by a later layer, which needs --keras 2 or 3."""
    root = os.path.join(REPO, "Tests", "KerasFormatTests", "Fixtures", "writer")
    cases = [("zoo.keras3", "both", ("3", "2")), ("nested.keras3", "3", ("3",)), ("nested.keras3", "2", ("2",)),
             ("nested.tfkeras", "3", ("3",)), ("nested.tfkeras", "2", ("2",))]
    # The layers of issue #20 (Fixtures/layers, scripts/layer_fixtures.py), each written for the
    # Keras that saved it (hard_sigmoid means what that Keras means) and for both when no name
    # differs. Not images for Keras 3: it cannot load LayerNormalization(axis=[1, 2]) from a
    # legacy .h5, not even the file it saved itself (it builds the layer for axis -1).
    cases += [(f"../layers/{f}", "3", ("3",)) for f in ("sequences.keras3.h5", "keras3_only.keras3.h5")]
    cases += [(f"../layers/{f}", "2", ("2",)) for f in ("images.tfkeras.h5", "sequences.tfkeras.h5")]
    cases += [("../layers/sequences.keras3.h5", "both", ("3", "2"))]
    for fixture, target, loaders in cases:
        folder = os.path.join(root, fixture)
        out = os.path.join(work, f"{os.path.basename(fixture)}.{target}.h5")
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
    rc, _, err = run([sys.executable, str(SCRIPTS / "writer_fixtures.py"), "--resnet50", folder])
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

