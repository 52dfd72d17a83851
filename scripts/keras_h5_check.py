#!/usr/bin/env python3
"""Loads a Keras .h5 (one wtool wrote) with real Keras and compares its predictions with expected
outputs. One Keras per process: run it once with --keras 3 (keras.models.load_model) and once with
--keras 2 (tf_keras, TF_USE_LEGACY_KERAS=1).

    python scripts/keras_h5_check.py --keras 3 model.h5 --inputs DIR --expected DIR
    python scripts/keras_h5_check.py --keras 2 weights.h5 --config-from model.h5 --inputs DIR --expected DIR

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
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wtool_scripts.common import application_layers, import_keras, rel_error  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--keras", choices=["2", "3"], required=True)
    ap.add_argument("--inputs", required=True)
    ap.add_argument("--expected", required=True)
    ap.add_argument("--config-from", help="clone the model in this full .h5 (fresh weights), then load_weights(MODEL)")
    ap.add_argument("--tolerance", type=float, default=1e-5)
    args = ap.parse_args()

    keras = import_keras(args.keras, quiet=False)
    import numpy as np

    report = {"keras": keras.__version__, "loaded": False, "ok": False}
    objects = application_layers(keras)
    try:
        fresh = None
        if args.config_from:
            source = keras.models.load_model(args.config_from, compile=False, custom_objects=objects)
            # Two clones: predict() on the first traces a function that keeps what a layer
            # computed from its weights at build time (Normalization's statistics), so the
            # clone that loads the weights must not have run before.
            fresh = worst_relative(keras.models.clone_model(source), args, np)[0]
            model = keras.models.clone_model(source)
            model.load_weights(args.model)
        else:
            model = keras.models.load_model(args.model, compile=False, custom_objects=objects)
    except Exception as error:  # the point is to report it
        report["error"] = f"{type(error).__name__}: {error}".splitlines()[0][:400]
        print(json.dumps(report))
        return 1
    report["loaded"] = True
    report["params"] = int(model.count_params())
    report["trainable_params"] = int(sum(np.prod(w.shape) for w in model.trainable_weights))
    worst, rows = worst_relative(model, args, np)
    ok = bool(rows) and worst <= args.tolerance
    if fresh is not None:
        report["fresh_relative"] = fresh
        ok = ok and fresh > args.tolerance
    report.update(worst_relative=worst, inputs=rows, ok=ok)
    print(json.dumps(report))
    return 0 if ok else 1


def worst_relative(model, args, np):
    worst, rows = 0.0, {}
    for name in sorted(n for n in os.listdir(args.expected) if n.endswith(".npy")):
        x = np.load(os.path.join(args.inputs, name))
        expected = np.load(os.path.join(args.expected, name))
        rel = rel_error(np.asarray(model.predict(x, verbose=0)).reshape(expected.shape), expected)
        rows[name[:-4]] = rel
        worst = max(worst, rel)
    return worst, rows


if __name__ == "__main__":
    sys.exit(main())
