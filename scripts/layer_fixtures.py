#!/usr/bin/env python3
"""Small Keras models using every layer class wtool reads beyond the seed's (issue #20), saved by
Keras itself, with seeded inputs and the saving Keras's own predictions:

    python scripts/layer_fixtures.py [--out Tests/KerasFormatTests/Fixtures/layers]

  images       Rescaling, an adapted Normalization, PReLU(shared_axes), ZeroPadding2D, Cropping2D,
               Conv2DTranspose (same; valid with output_padding), LayerNormalization over (H, W),
               GroupNormalization, UpSampling2D nearest and bilinear, ELU, ReLU(threshold),
               SpatialDropout2D, GaussianNoise, GaussianDropout, Activation of every name both
               Kerases know (hard_sigmoid in each one's own meaning), Average, Maximum, Minimum,
               Subtract, Permute, RepeatVector
  sequences    Conv1D (causal, dilated), SeparableConv1D, DepthwiseConv1D, Max/AveragePooling1D,
               ZeroPadding1D, Cropping1D, UpSampling1D, Conv1DTranspose, GlobalAverage/MaxPooling1D,
               Dot(axes=(2, 1))
  operations   math on tensors: Keras 3 operation nodes (x + 3.0, 2.0 - x, ops.mean, ops.power, …)
               and, saved by tf_keras, the TFOpLambda layers of the same TensorFlow functions
  keras3_only  activations only Keras 3 has (hard_silu, celu, log_softmax), LayerNormalization's
               rms_scaling, the Identity layer
  carried      a Lambda (Python code) and a custom class with a weight: wtool carries them
               (convert, summary, .h5 out) and refuses to run them

Each folder <model>.<flavour> (flavour keras3.h5, tfkeras.h5 or keras) holds the model file,
inputs/<k>.npy and expected/<k>.npy (the parity stage's writer check reads those) and case.json
(count_params, layer classes, inputs and outputs as numbers) for the Swift tests.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wtool_scripts.common import REPO, import_keras, legacy_keras_env  # noqa: E402

SEED = 20


def images(K, L, keras3):
    x_in = K.Input((12, 12, 3), name="img")
    x = L.Rescaling(1.0 / 127.5, offset=-1.0, name="rescale")(x_in)
    x = L.Normalization(name="norm")(x)
    x = L.Conv2D(8, 3, padding="same", name="conv")(x)
    x = L.PReLU(shared_axes=[1, 2], name="prelu")(x)
    x = L.ZeroPadding2D(((1, 2), (0, 1)), name="pad")(x)
    x = L.Cropping2D(((2, 1), (1, 0)), name="crop")(x)
    up = L.Conv2DTranspose(6, 3, strides=2, padding="same", name="deconv_same")(x)
    up = L.LayerNormalization(axis=[1, 2], epsilon=1e-4, name="ln_hw")(up)
    up = L.Conv2DTranspose(6, 2, strides=2, padding="valid", output_padding=1, name="deconv_valid")(up)
    up = L.GroupNormalization(groups=2, name="gn")(up)
    up = L.MaxPooling2D(5, strides=4, name="pool")(up)
    near = L.UpSampling2D(2, name="up_nearest")(x)
    bil = L.UpSampling2D((2, 2), interpolation="bilinear", name="up_bilinear")(x)
    y = L.Concatenate(name="cat")([near, bil])
    y = L.Conv2D(6, 3, strides=2, padding="same", name="conv2")(y)
    y = L.Add(name="merge")([y, up])
    y = L.ELU(0.5, name="elu")(y)
    y = L.ReLU(threshold=0.1, name="thresh")(y)
    y = L.SpatialDropout2D(0.2, name="sdrop")(y)
    y = L.GaussianNoise(0.1, name="noise")(y)
    y = L.GaussianDropout(0.1, name="gdrop")(y)
    names = ["swish", "gelu", "mish", "softplus", "softsign", "selu", "elu", "exponential", "relu6",
             "hard_sigmoid", "tanh", "sigmoid", "leaky_relu"]
    acts = [L.Activation(n, name=f"act_{n}")(y) for n in names]
    avg = L.Average(name="avg")(acts[:5])
    mx = L.Maximum(name="max")(acts[5:9])
    mn = L.Minimum(name="min")(acts[9:])
    z = L.Subtract(name="sub")([avg, mx])
    z = L.Add(name="add")([z, mn])
    z = L.Permute((2, 1, 3), name="perm")(z)
    z = L.GlobalAveragePooling2D(name="gap")(z)
    z = L.Dense(5, name="dense")(z)
    z = L.RepeatVector(2, name="repeat")(z)
    z = L.Flatten(name="flat")(z)
    return K.Model(x_in, z, name="images")


def sequences(K, L, keras3):
    x_in = K.Input((24, 4), name="seq")
    x = L.Conv1D(6, 3, padding="causal", dilation_rate=2, activation="relu", name="causal")(x_in)
    x = L.SeparableConv1D(8, 3, padding="same", depth_multiplier=2, name="sep")(x)
    x = L.DepthwiseConv1D(3, strides=2, padding="valid", depth_multiplier=1, name="dw")(x)
    x = L.MaxPooling1D(2, name="mp")(x)
    x = L.AveragePooling1D(3, strides=1, padding="same", name="ap")(x)
    x = L.ZeroPadding1D((2, 1), name="pad")(x)
    x = L.Cropping1D((1, 0), name="crop")(x)
    x = L.UpSampling1D(3, name="up")(x)
    x = L.Conv1DTranspose(5, 3, strides=2, padding="same", name="deconv")(x)
    g1 = L.GlobalAveragePooling1D(name="gap")(x)
    g2 = L.GlobalMaxPooling1D(name="gmp")(x)
    a = L.Reshape((2, 5), name="ra")(L.Concatenate(name="cat")([g1, g2]))
    b = L.Reshape((5, 3), name="rb")(L.Dense(15, name="db")(g2))
    d = L.Dot(axes=(2, 1), name="dot")([a, b])
    return K.Model(x_in, L.Flatten(name="flat")(d), name="sequences")


def operations(K, L, keras3):
    if keras3:
        ops = K.ops
        mean, total, concat = ops.mean, ops.sum, ops.concatenate
        power, transpose, reshape = ops.power, ops.transpose, ops.reshape
        relu, sqrt, absolute, softmax, sigmoid = ops.relu, ops.sqrt, ops.absolute, ops.softmax, ops.sigmoid
        maximum, expand, squeeze = ops.maximum, ops.expand_dims, ops.squeeze
    else:
        import tensorflow as tf

        mean, total, concat = tf.reduce_mean, tf.reduce_sum, tf.concat
        power, transpose, reshape = tf.pow, tf.transpose, tf.reshape
        relu, sqrt, absolute, softmax, sigmoid = tf.nn.relu, tf.sqrt, tf.abs, tf.nn.softmax, tf.sigmoid
        maximum, expand, squeeze = tf.maximum, tf.expand_dims, tf.squeeze
    x_in = K.Input((6, 6, 3), name="x")
    a = x_in + 3.0
    b = 2.0 - a
    c = a * x_in
    d = mean(c, axis=-1, keepdims=True)
    e = relu(d - 20.0) / 4.0
    f = power(maximum(e, 0.1), 2.0)
    g = sqrt(absolute(b))
    h = concat([f * g, g], axis=-1)
    i = transpose(h, (0, 3, 1, 2))
    j = total(i, axis=(2, 3))
    k = softmax(j * 0.01) + sigmoid(j * 0.01)
    m = reshape(k, (-1, 2, 3))
    m = squeeze(expand(m, 1), axis=1)
    out = L.Dense(4, name="dense")(L.Flatten(name="flat")(m))
    return K.Model(x_in, out, name="operations")


def keras3_only(K, L, keras3):
    x_in = K.Input((5, 5, 4), name="x")
    a = L.Activation("hard_silu", name="hs")(x_in)
    b = L.Activation("celu", name="celu")(x_in)
    c = L.Activation("log_softmax", name="lsm")(x_in)
    d = L.Add(name="add")([a, b, c])
    d = L.LayerNormalization(rms_scaling=True, name="rms")(d)
    d = L.Identity(name="id")(d)
    return K.Model(x_in, d, name="keras3_only")


def carried(K, L, keras3):
    class MyScale(L.Layer):
        def build(self, shape):
            self.k = self.add_weight(shape=(shape[-1],), initializer="ones", name="k")

        def call(self, x):
            return x * self.k

    x_in = K.Input((4, 4, 2), name="x")
    x = L.Conv2D(3, 1, name="conv")(x_in)
    x = L.Lambda(lambda t: t * 2.0 + 1.0, name="lambda")(x)
    x = MyScale(name="scale")(x)
    x = L.Flatten(name="flat")(x)
    return K.Model(x_in, L.Dense(2, name="dense")(x), name="carried")


# model: (builder, input shape, flavours)
MODELS = {
    "images": (images, (12, 12, 3), ("keras3.h5", "tfkeras.h5", "keras")),
    "sequences": (sequences, (24, 4), ("keras3.h5", "tfkeras.h5", "keras")),
    "operations": (operations, (6, 6, 3), ("keras3.h5", "tfkeras.h5", "keras")),
    "keras3_only": (keras3_only, (5, 5, 4), ("keras3.h5", "keras")),
    "carried": (carried, (4, 4, 2), ("keras3.h5", "tfkeras.h5")),
}


def seeded(model, rng):
    """Every weight from rng: kernels N(0, 1/sqrt(fan_in)), vectors 1 + N(0, 0.1) for scales and
    N(0, 0.1) otherwise; Normalization's statistics positive; its count an integer."""
    for layer in model.layers:
        ws = layer.get_weights()
        if not ws:
            continue
        new = []
        for w, v in zip(ws, layer.weights):
            name = v.name.split("/")[-1].split(":")[0]
            if np.issubdtype(w.dtype, np.integer):
                new.append(np.asarray(7, dtype=w.dtype))
            elif layer.__class__.__name__ == "Normalization":
                new.append(rng.uniform(0.2, 0.6, w.shape).astype(np.float32) if name == "mean"
                           else rng.uniform(0.5, 2.0, w.shape).astype(np.float32))
            elif w.ndim >= 2 and name not in ("alpha", "gamma", "beta"):
                fan_in = int(np.prod(w.shape[:-1]))
                new.append(rng.normal(0, 1 / np.sqrt(fan_in), w.shape).astype(np.float32))
            elif name in ("gamma", "k"):
                new.append((1 + 0.1 * rng.standard_normal(w.shape)).astype(np.float32))
            else:
                new.append((0.1 * rng.standard_normal(w.shape)).astype(np.float32))
        layer.set_weights(new)
        if layer.__class__.__name__ == "Normalization" and hasattr(layer, "finalize_state"):
            layer.finalize_state()  # Keras 3 normalises with what this sets aside, not the weights


def save_all(K, keras3, out, flavours_wanted):
    """Builds, seeds, saves and predicts every model for this Keras's flavours."""
    for name, (build, shape, flavours) in MODELS.items():
        for flavour in flavours:
            if flavour not in flavours_wanted:
                continue
            K.backend.clear_session()
            model = build(K, K.layers, keras3)
            seeded(model, np.random.default_rng(SEED))
            folder = out / f"{name}.{flavour}"
            if folder.exists():
                shutil.rmtree(folder)
            (folder / "inputs").mkdir(parents=True)
            (folder / "expected").mkdir()
            file = folder / ("model.keras" if flavour == "keras" else "model.h5")
            model.save(file)
            rng = np.random.default_rng(SEED + 1)
            case = {"generator": "python scripts/layer_fixtures.py", "keras_version": K.__version__, "file": file.name,
                    "count_params": int(model.count_params()),
                    "trainable_params": int(sum(np.prod(w.shape) for w in model.trainable_weights)),
                    "layers": [[layer.name, layer.__class__.__name__] for layer in model.layers],
                    "input_shape": [None, *shape], "inputs": [], "outputs": []}
            scale = 60.0 if name == "images" else 1.0
            for k in range(2):
                x = (rng.standard_normal((1, *shape)) * scale + (120 if name == "images" else 0)).astype(np.float32)
                y = np.asarray(model(x, training=False), dtype=np.float32)
                np.save(folder / "inputs" / f"{k}.npy", x)
                np.save(folder / "expected" / f"{k}.npy", y)
                case["inputs"].append({"shape": list(x.shape), "values": [float(v) for v in x.ravel()]})
                case["outputs"].append({"shape": list(y.shape), "values": [float(v) for v in y.ravel()]})
            (folder / "case.json").write_text(json.dumps(case) + "\n")
            print(f"  {folder.name}: {model.count_params()} params, output {list(y.shape)}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(REPO / "Tests/KerasFormatTests/Fixtures/layers"))
    ap.add_argument("--tf-keras-child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.tf_keras_child:
        save_all(import_keras("2", seed=SEED), False, out, {"tfkeras.h5"})
        return
    save_all(import_keras("3", seed=SEED), True, out, {"keras3.h5", "keras"})
    subprocess.run([sys.executable, __file__, "--out", str(out), "--tf-keras-child"], check=True, env=legacy_keras_env())


if __name__ == "__main__":
    main()
