#!/usr/bin/env python3
"""Structure fixtures for wtool's built-in architectures, recorded from keras.applications itself.

    python scripts/applications_fixtures.py [--out Tests/KerasFormatTests/Fixtures/applications]

For each case (architecture, constructor arguments, input shape) it builds the model with
`weights=None` in Keras 3 and in tf_keras (a child process with TF_USE_LEGACY_KERAS=1, after
`clear_session()` in both, so auto-generated names start from zero) and writes one JSON file:

  keras3:   model name, count_params, trainable/non-trainable split, and every entry of
            `model.layers` in order as [name, class, params, output shape, [weight shapes]]
  tf_keras: model name, count_params and [name, class, params] of each layer in order (what
            legacy .h5 files follow; shapes are asserted equal to Keras 3's here, not stored twice)

Tests/KerasFormatTests/ApplicationsTests.swift compares wtool's built-in configs with these.
Nothing in the fixtures is typed by hand; rerun this script to refresh them.
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wtool_scripts.common import REPO, import_keras, legacy_keras_env, shape_list  # noqa: E402

# (fixture name, keras.applications constructor, keyword arguments). input_shape is a kwarg.
CASES = [
    ("vgg16", "VGG16", {"include_top": False, "input_shape": [150, 150, 3]}),
    ("vgg19", "VGG19", {"include_top": False, "input_shape": [112, 112, 3]}),
    ("vgg19_avg", "VGG19", {"include_top": False, "pooling": "avg", "input_shape": [64, 80, 3]}),
    ("resnet50", "ResNet50", {"include_top": False, "input_shape": [128, 128, 3]}),
    ("resnet50_top", "ResNet50", {"include_top": True, "classes": 10, "input_shape": [97, 97, 3]}),
    ("resnet50_max", "ResNet50", {"include_top": False, "pooling": "max", "input_shape": [224, 224, 3]}),
    ("inception_v3", "InceptionV3", {"include_top": False, "input_shape": [139, 139, 3]}),
    ("inception_v3_top", "InceptionV3", {"include_top": True, "input_shape": [299, 299, 3]}),
    ("inception_v3_avg", "InceptionV3", {"include_top": False, "pooling": "avg", "input_shape": [75, 75, 3]}),
    ("xception", "Xception", {"include_top": False, "input_shape": [117, 117, 3]}),
    ("xception_top", "Xception", {"include_top": True, "classes": 7, "input_shape": [71, 71, 3]}),
    ("xception_max", "Xception", {"include_top": False, "pooling": "max", "input_shape": [299, 299, 3]}),
    ("mobilenet", "MobileNet", {"include_top": False, "alpha": 1.0, "input_shape": [128, 128, 3]}),
    ("mobilenet_050_top", "MobileNet", {"include_top": True, "alpha": 0.5, "classes": 10,
                                        "input_shape": [128, 128, 3]}),
    ("mobilenet_075_avg", "MobileNet", {"include_top": False, "alpha": 0.75, "pooling": "avg",
                                        "input_shape": [100, 90, 3]}),
    ("mobilenet_025_top", "MobileNet", {"include_top": True, "alpha": 0.25,
                                        "input_shape": [224, 224, 3]}),
    ("mobilenet_v2", "MobileNetV2", {"include_top": False, "alpha": 1.0, "input_shape": [97, 97, 3]}),
    ("mobilenet_v2_035_top", "MobileNetV2", {"include_top": True, "alpha": 0.35, "classes": 10,
                                             "input_shape": [96, 96, 3]}),
    ("mobilenet_v2_130_avg", "MobileNetV2", {"include_top": False, "alpha": 1.3, "pooling": "avg",
                                             "input_shape": [64, 80, 3]}),
    ("efficientnet_b0", "EfficientNetB0", {"include_top": False, "input_shape": [97, 97, 3]}),
    ("efficientnet_b0_top", "EfficientNetB0", {"include_top": True, "classes": 7, "input_shape": [64, 70, 3]}),
    ("efficientnet_b0_max", "EfficientNetB0", {"include_top": False, "pooling": "max", "input_shape": [224, 224, 3]}),
    ("densenet121", "DenseNet121", {"include_top": False, "input_shape": [97, 97, 3]}),
    ("densenet121_top", "DenseNet121", {"include_top": True, "classes": 5, "input_shape": [64, 64, 3]}),
    ("densenet121_avg", "DenseNet121", {"include_top": False, "pooling": "avg", "input_shape": [224, 224, 3]}),
    ("resnet50_v2", "ResNet50V2", {"include_top": False, "input_shape": [97, 97, 3]}),
    ("resnet50_v2_top", "ResNet50V2", {"include_top": True, "classes": 3, "input_shape": [65, 65, 3]}),
    ("resnet50_v2_max", "ResNet50V2", {"include_top": False, "pooling": "max", "input_shape": [224, 224, 3]}),
]


def describe(K, model):
    def count(ws):
        return int(sum(int(w.shape.num_elements()) if hasattr(w.shape, "num_elements")
                       else int(__import__("numpy").prod(w.shape)) for w in ws))

    layers = []
    for layer in model.layers:
        weights = [shape_list(w.shape) for w in layer.weights]
        layers.append([layer.name, layer.__class__.__name__, int(layer.count_params()) if weights else 0,
                       shape_list(layer.output.shape), weights])
    return {"model_name": model.name, "count_params": int(model.count_params()),
            "trainable_params": count(model.trainable_weights),
            "non_trainable_params": count(model.non_trainable_weights), "layers": layers}


def build_all(K, only=None):
    out = {}
    for name, ctor, kwargs in CASES:
        if only and name not in only:
            continue
        K.backend.clear_session()
        kw = dict(kwargs)
        kw["input_shape"] = tuple(kw["input_shape"])
        model = getattr(K.applications, ctor)(weights=None, **kw)
        out[name] = describe(K, model)
        print(f"  {name}: {len(model.layers)} layers, {model.count_params():,} params", flush=True)
    return out


def pretty(obj, indent=""):
    """One layer per line: small enough to diff, readable enough to review."""
    if isinstance(obj, dict):
        inner = indent + "  "
        return "{\n" + ",\n".join(f"{inner}{json.dumps(k)}: {pretty(v, inner)}" for k, v in obj.items()) \
            + "\n" + indent + "}"
    if isinstance(obj, list) and obj and all(isinstance(v, list) for v in obj) and indent:
        inner = indent + "  "
        return "[\n" + ",\n".join(inner + json.dumps(v) for v in obj) + "\n" + indent + "]"
    return json.dumps(obj)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(REPO / "Tests/KerasFormatTests/Fixtures/applications"))
    ap.add_argument("--only", nargs="+", help="record only these fixtures (names of CASES)")
    ap.add_argument("--tf-keras-child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    only = set(args.only or [])

    if args.tf_keras_child:  # the tf_keras side, in its own process
        K = import_keras("2", quiet=False)
        Path(args.tf_keras_child).write_text(json.dumps({"version": K.__version__, "models": build_all(K, only)}))
        return

    keras = import_keras("3", quiet=False)
    print(f"Keras {keras.__version__}", flush=True)
    k3 = build_all(keras, only)
    tmp = Path(args.out) / ".tf_keras.json"
    Path(args.out).mkdir(parents=True, exist_ok=True)
    print("tf_keras (child process)", flush=True)
    subprocess.run([sys.executable, __file__, "--tf-keras-child", str(tmp)] + (["--only", *only] if only else []),
                   check=True, env=legacy_keras_env())
    tfk = json.loads(tmp.read_text())
    tmp.unlink()
    for name, ctor, kwargs in CASES:
        if only and name not in only:
            continue
        a, b = k3[name], tfk["models"][name]
        assert [x[1:] for x in a["layers"]] == [x[1:] for x in b["layers"]], name
        assert a["count_params"] == b["count_params"], name
        b["layers"] = [x[:3] for x in b["layers"]]
        doc = {
            "generator": "python scripts/applications_fixtures.py",
            "constructor": f"keras.applications.{ctor}",
            "arguments": {"weights": None, **kwargs},
            "keras_version": keras.__version__,
            "tf_keras_version": tfk["version"],
            "keras3": k3[name],
            "tf_keras": tfk["models"][name],
        }
        (Path(args.out) / f"{name}.json").write_text(pretty(doc) + "\n")
    print(f"wrote {len(only) if only else len(CASES)} fixtures to {args.out}")


if __name__ == "__main__":
    main()
