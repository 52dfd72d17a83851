#!/usr/bin/env python3
"""Small Keras models for the .h5 writer's tests (Tests/KerasFormatTests/Fixtures/writer), saved by
Keras itself with model.save("x.h5"), plus seeded inputs and Keras's predictions for them.

    python scripts/writer_fixtures.py [--out Tests/KerasFormatTests/Fixtures/writer]

  zoo.keras3/       every layer class wtool maps, with branches (Add, Multiply, Concatenate), a
                    frozen BatchNormalization, fused and standalone activations: Keras's own
                    model.layers order of a branching graph is what the writer must reproduce.
  nested.keras3/    a Functional model nested in a Functional model whose output a later layer
                    reads (Keras 3 and tf_keras number that call differently).
  nested.tfkeras/   the same architecture saved by tf_keras (run in a child process).
Each folder: model.h5, inputs/<k>.npy (1,H,W,3) float32, expected/<k>.npy = model.predict.

    python scripts/writer_fixtures.py --resnet50 DIR

writes the same for keras.applications.ResNet50(weights=None) with seeded BatchNormalization
statistics (about 100 MB, so not committed; the parity stage makes it in its work folder).
"""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wtool_scripts.common import import_keras  # noqa: E402


def zoo(keras, L):
    x_in = keras.Input((16, 16, 3), name="img")
    a = L.ZeroPadding2D(((1, 0), (0, 1)), name="zp")(x_in)
    a = L.Conv2D(8, 3, strides=2, padding="valid", activation="relu6", name="c1")(a)
    a = L.BatchNormalization(epsilon=1.001e-5, name="bn1")(a)
    b = L.DepthwiseConv2D(3, padding="same", depth_multiplier=2, name="dw")(a)
    b = L.ReLU(max_value=6.0, name="r6")(b)
    c = L.SeparableConv2D(16, 3, padding="same", activation="swish", name="sep")(a)
    c = L.LeakyReLU(0.2, name="lr")(c)
    d = L.Add(name="add")([b, c])
    e = L.Multiply(name="mul")([b, d])
    f = L.Concatenate(name="cat")([d, e])
    f = L.Conv2D(16, 1, name="proj", use_bias=False)(f)
    g = L.AveragePooling2D(2, padding="same", name="ap")(f)
    g = L.MaxPooling2D(2, strides=1, padding="same", name="mp")(g)
    h = L.GlobalAveragePooling2D(name="gap")(g)
    h2 = L.GlobalMaxPooling2D(keepdims=True, name="gmp")(g)
    h2 = L.Flatten(name="fl")(h2)
    h = L.Concatenate(name="cat2")([h, h2])
    h = L.Dense(12, activation="tanh", name="d1")(h)
    h = L.Dropout(0.3, name="drop")(h)
    h = L.Reshape((3, 4), name="rs")(h)
    h = L.Flatten(name="fl2")(h)
    h = L.Activation("sigmoid", name="act")(h)
    h = L.Dense(5, name="d2")(h)
    out = L.Softmax(name="sm")(h)
    model = keras.Model(x_in, out, name="zoo")
    model.get_layer("bn1").trainable = False
    return model, (16, 16, 3)


def nested(keras, L):
    i = keras.Input((8, 8, 16))
    y = L.Conv2D(16, 3, padding="same", activation="relu", name="ic")(i)
    y = L.BatchNormalization(name="ibn")(y)
    inner = keras.Model(i, y, name="inner")
    x_in = keras.Input((8, 8, 3), name="img")
    y = L.Conv2D(16, 1, name="stem")(x_in)
    z = L.Add(name="res")([y, inner(y)])
    z = L.GlobalAveragePooling2D(name="gap")(z)
    return keras.Model(x_in, z, name="nested"), (8, 8, 3)


def resnet50(keras, L):
    return keras.applications.ResNet50(weights=None, input_shape=(224, 224, 3)), (224, 224, 3)


def save(keras, build, folder, count=3):
    import numpy as np
    keras.utils.set_random_seed(7)
    L = keras.layers
    model, shape = build(keras, L)
    rng = np.random.default_rng(7)
    for layer in model.layers:
        for sub in getattr(layer, "layers", [layer]):
            if isinstance(sub, L.BatchNormalization):  # non-trivial statistics
                sub.set_weights([rng.uniform(0.5, 1.5, w.shape).astype("float32") for w in sub.get_weights()])
    os.makedirs(os.path.join(folder, "inputs"), exist_ok=True)
    os.makedirs(os.path.join(folder, "expected"), exist_ok=True)
    model.save(os.path.join(folder, "model.h5"))
    for k in range(count):
        x = rng.uniform(-1, 1, (1,) + shape).astype("float32")
        np.save(os.path.join(folder, "inputs", f"{k}.npy"), x)
        np.save(os.path.join(folder, "expected", f"{k}.npy"), model.predict(x, verbose=0).astype("float32"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="Tests/KerasFormatTests/Fixtures/writer")
    ap.add_argument("--tfkeras", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--resnet50", metavar="DIR", help="write keras.applications.ResNet50 (weights=None) to DIR instead")
    args = ap.parse_args()
    if args.tfkeras:
        save(import_keras("2", quiet=False), nested, os.path.join(args.out, "nested.tfkeras"))
        return 0
    keras = import_keras("3", quiet=False)
    if args.resnet50:
        save(keras, resnet50, args.resnet50, count=2)
        return 0
    save(keras, zoo, os.path.join(args.out, "zoo.keras3"))
    save(keras, nested, os.path.join(args.out, "nested.keras3"))
    return subprocess.call([sys.executable, __file__, "--out", args.out, "--tfkeras"])


if __name__ == "__main__":
    sys.exit(main())
