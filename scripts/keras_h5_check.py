#!/usr/bin/env python3
"""Loads a Keras .h5 (one wtool wrote) with real Keras and compares its predictions with expected
outputs. One Keras per process: run it once with --keras 3 (keras.models.load_model) and once with
--keras 2 (tf_keras, TF_USE_LEGACY_KERAS=1).

    python scripts/keras_h5_check.py --keras 3 model.h5 --inputs DIR --expected DIR
    python scripts/keras_h5_check.py --keras 2 weights.h5 --config-from model.h5 --inputs DIR --expected DIR
    python scripts/keras_h5_check.py --keras 3 --serve   # JSON jobs on stdin, one JSON report per line
    python scripts/keras_h5_check.py --keras 3 model.h5 --load-only   # loads and counts parameters only

--serve keeps one Keras for many checks (the parity stage's loaders: a TensorFlow import is seconds),
clearing the Keras session after each job.

--config-from loads that full-model file, clones it (`clone_model`: same architecture, freshly
initialised weights) and calls model.load_weights(FILE) on the clone: the check for
`wtool convert --weights-only`. The fresh clone must miss the expected outputs (reported as
fresh_relative) so that a load that changed nothing cannot pass.

keras.applications' own layers (InceptionResNetV2's CustomScaleLayer, ConvNeXt's LayerScale and
StochasticDepth) are not registered with Keras; they are passed as custom objects, as a user
loading such a model must.

Inputs and expected outputs are .npy files paired by name. Metric per input:
rel = max|prediction - expected| / max|expected|; the row passes when the worst rel <= --tolerance
(default 1e-5). Prints one JSON object: {"keras", "loaded", "params", "worst_relative",
"inputs", "ok", "error"} and exits 1 unless ok.
"""
import argparse
import gc
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wtool_scripts.common import application_layers, import_keras, rel_error  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model", nargs="?")
    ap.add_argument("--keras", choices=["2", "3"], required=True)
    ap.add_argument("--inputs")
    ap.add_argument("--expected")
    ap.add_argument("--config-from", help="clone the model in this full .h5 (fresh weights), then load_weights(MODEL)")
    ap.add_argument("--tolerance", type=float, default=1e-5)
    ap.add_argument("--load-only", action="store_true",
                    help="only load the model and count its parameters (for models this Keras loads but cannot run "
                         "here: TensorFlow's CPU convolutions take channels-last tensors only)")
    ap.add_argument("--serve", action="store_true",
                    help="read jobs as JSON lines on stdin ({model, inputs, expected, config_from, tolerance}), "
                         "answer each with one JSON line: one Keras import for many checks")
    args = ap.parse_args()
    if not args.serve and not (args.model and ((args.inputs and args.expected) or args.load_only)):
        ap.error("MODEL, --inputs and --expected are required (or --serve)")

    # Only the JSON reports go to stdout; whatever Keras or TensorFlow print goes to stderr.
    answer = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    sys.stdout = sys.stderr
    keras = import_keras(args.keras, quiet=False)
    import numpy as np

    if not args.serve:
        report = check(keras, np, vars(args))
        print(json.dumps(report), file=answer, flush=True)
        return 0 if report["ok"] else 1
    for line in sys.stdin:
        if not line.strip():
            continue
        job = dict(vars(args), config_from=None, tolerance=args.tolerance)
        job.update(json.loads(line))
        try:
            report = check(keras, np, job)
        finally:
            keras.backend.clear_session()
            gc.collect()
        print(json.dumps(report), file=answer, flush=True)
    return 0


def check(keras, np, job):
    """Loads job["model"] (or clones job["config_from"] and loads its weights) and predicts."""
    report = {"keras": keras.__version__, "loaded": False, "ok": False}
    objects = application_layers(keras)
    try:
        fresh = None
        if job.get("config_from"):
            source = keras.models.load_model(job["config_from"], compile=False, custom_objects=objects)
            # Two clones: predict() on the first traces a function that keeps what a layer
            # computed from its weights at build time (Normalization's statistics), so the
            # clone that loads the weights must not have run before.
            fresh = worst_relative(keras.models.clone_model(source), job, np)[0]
            model = keras.models.clone_model(source)
            model.load_weights(job["model"])
        else:
            model = keras.models.load_model(job["model"], compile=False, custom_objects=objects)
    except Exception as error:  # the point is to report it
        report["error"] = f"{type(error).__name__}: {error}".splitlines()[0][:400]
        return report
    report["loaded"] = True
    report["params"] = int(model.count_params())
    report["trainable_params"] = int(sum(np.prod(w.shape) for w in model.trainable_weights))
    if job.get("load_only"):
        report["ok"] = True
        return report
    worst, rows = worst_relative(model, job, np)
    ok = bool(rows) and worst <= job["tolerance"]
    if fresh is not None:
        report["fresh_relative"] = fresh
        ok = ok and fresh > job["tolerance"]
    report.update(worst_relative=worst, inputs=rows, ok=ok)
    return report


def worst_relative(model, job, np):
    worst, rows = 0.0, {}
    for name in sorted(n for n in os.listdir(job["expected"]) if n.endswith(".npy")):
        x = np.load(os.path.join(job["inputs"], name))
        expected = np.load(os.path.join(job["expected"], name))
        rel = rel_error(np.asarray(model.predict(x, verbose=0)).reshape(expected.shape), expected)
        rows[name[:-4]] = rel
        worst = max(worst, rel)
    return worst, rows


if __name__ == "__main__":
    sys.exit(main())
