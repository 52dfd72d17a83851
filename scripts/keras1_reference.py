#!/usr/bin/env python3
"""Keras 1 reference files, made by Keras 1.2.2 itself (issue 20: "older Keras versions").

Runs in its own environment (scripts/requirements-keras1.txt: Keras 1.2.2 on Theano 1.0.5, the
only Keras 1 backend that still installs; `scripts/setup.sh --keras1` makes it). Builds small CNNs
with Keras 1's own layer classes and config keys (Convolution2D(nb_filter, nb_row, nb_col,
border_mode, subsample, dim_ordering), AtrousConvolution2D, Convolution1D, `merge(mode=...)`,
BatchNormalization(mode=0), Dense(output_dim), Dropout(p), ...), seeded, in both dim orderings,
as Sequential and functional models, saves each with Keras 1's `model.save`, and runs Keras 1's
`predict` on the sample photos.

Keras 1 files do not record the backend that wrote them, and Theano's convolution is a true
convolution (its kernels are flipped against TensorFlow's). keras.applications of Keras 1 named the
pairing in its weight files (`*_th_dim_ordering_th_kernels.h5`, `*_tf_dim_ordering_tf_kernels.h5`):
`dim_ordering="th"` layers hold Theano kernels, `"tf"` layers TensorFlow kernels. So a model in
"th" ordering is saved exactly as Keras 1 on Theano wrote it, and a model in "tf" ordering as Keras
1 on TensorFlow would have: its convolution kernels passed through Keras 1's own
`keras.utils.np_utils.convert_kernel` (the documented Theano -> TensorFlow conversion), which keeps
the function the model computes, so Theano's outputs stay the reference. A "th" model is also
saved with TensorFlow kernels (`*.tf-kernels.h5`) for `--keras1-kernels tensorflow`.

Writes, per model, into --out: NAME.h5, NAME.inputs.npy (the photos as the model takes them),
NAME.outputs.npy (Keras 1's predict), and manifest.json (names, params, shapes, orderings).

Usage: .venv-keras1/bin/python scripts/keras1_reference.py --out DIR [--photos samples/photos]
"""
import argparse
import collections
import collections.abc
import inspect
import json
import os
import sys

# Keras 1.2.2 and Theano 1.0.5 predate Python 3.10/3.11: the names they import moved.
for _name in ("Iterable", "Mapping", "MutableMapping", "Sequence", "Callable"):
    if not hasattr(collections, _name):
        setattr(collections, _name, getattr(collections.abc, _name))
if not hasattr(inspect, "getargspec"):
    _ArgSpec = collections.namedtuple("ArgSpec", "args varargs keywords defaults")
    inspect.getargspec = lambda f: _ArgSpec(*inspect.getfullargspec(f)[:4])
os.environ["KERAS_BACKEND"] = "theano"
# Theano compiles its convolution (CorrMM, on OpenBLAS) with g++; compiled modules are kept in
# $THEANO_COMPILEDIR (default ~/.theano).
os.environ["THEANO_FLAGS"] = ",".join(["device=cpu", "floatX=float32", "blas.ldflags=-lopenblas"] +
                                      ([f"base_compiledir={os.environ['THEANO_COMPILEDIR']}"]
                                       if os.environ.get("THEANO_COMPILEDIR") else []))
os.environ.setdefault("HOME", "/tmp")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
import theano  # noqa: E402
import theano.ifelse  # noqa: E402,F401  (Keras 1's in_train_phase uses theano.ifelse without importing it)
import keras  # noqa: E402
from keras import backend as K  # noqa: E402
from keras.layers import (Activation, AtrousConvolution2D, AveragePooling1D, AveragePooling2D,  # noqa: E402
                          BatchNormalization, Convolution1D, Convolution2D, Cropping2D, Dense, Dropout, ELU,
                          Flatten, GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling2D, Input,
                          LeakyReLU, MaxPooling1D, MaxPooling2D, PReLU, Reshape, SpatialDropout2D, UpSampling2D,
                          ZeroPadding2D, merge)
from keras.models import Model, Sequential, model_from_config  # noqa: E402

SIZE = 32


def randomize(model, seed):
    """Seeded weights, with BatchNormalization statistics far from (0, 1) so a wrong epsilon,
    axis or variance/std reading shows."""
    rng = np.random.RandomState(seed)
    for layer in model.layers:
        values = []
        for w in layer.get_weights():
            if "BatchNormalization" == layer.__class__.__name__ and len(values) == 3:
                values.append(rng.uniform(0.5, 2.0, w.shape).astype("float32"))  # running variance
            else:
                values.append(rng.normal(0, 0.3, w.shape).astype("float32"))
        layer.set_weights(values)


# The layers take dim_ordering="default" (keras.json's image_dim_ordering, set per model by
# main()), as most Keras 1 code did. Keras 1.2.2 records the resolved ordering in the config of
# convolution and pooling layers but not of ZeroPadding2D, Cropping2D and UpSampling2D.


def sequential_tf():
    m = Sequential(name="k1_sequential")
    m.add(Convolution2D(8, 3, 3, border_mode="same", activation="relu",
                        input_shape=(SIZE, SIZE, 3)))
    m.add(BatchNormalization(axis=-1, mode=0, epsilon=1e-3))
    m.add(MaxPooling2D((2, 2)))
    m.add(Convolution2D(12, 3, 3, subsample=(2, 2), border_mode="valid", bias=False))
    m.add(LeakyReLU(alpha=0.1))
    m.add(ZeroPadding2D((1, 2)))
    m.add(AveragePooling2D((2, 2), strides=(1, 1), border_mode="valid"))
    m.add(SpatialDropout2D(0.3))
    m.add(Cropping2D(((1, 0), (0, 1))))
    m.add(UpSampling2D((2, 1)))
    m.add(Flatten())
    m.add(Dropout(0.5))
    m.add(Dense(16, activation="tanh"))
    m.add(Dense(5, activation="softmax"))
    return m


def functional_th():
    x = Input(shape=(3, SIZE, SIZE), name="image")
    a = Convolution2D(8, 3, 3, border_mode="same", activation="relu", name="conv_a")(x)
    a = BatchNormalization(axis=1, mode=0, name="bn_a")(a)
    b = Convolution2D(8, 1, 1, name="conv_b")(x)
    s = merge([a, b], mode="sum", name="sum")
    c = merge([a, b], mode="concat", concat_axis=1, name="concat")
    c = AtrousConvolution2D(8, 3, 3, atrous_rate=(2, 2), border_mode="same", name="atrous")(c)
    c = ELU(alpha=0.5)(c)
    m = merge([s, c], mode="mul", name="mul")
    p = MaxPooling2D((2, 2), name="pool")(m)
    p = ZeroPadding2D((1, 0), name="pad")(p)
    p = Cropping2D(((1, 0), (0, 2)), name="crop")(p)
    p = UpSampling2D((2, 2), name="up")(p)
    p = Convolution2D(6, 5, 3, subsample=(2, 2), border_mode="valid", name="conv_c")(p)
    f = Dense(6, activation="relu", name="dense_flat")(Flatten(name="flatten")(p))  # CHW order
    g = Dense(6, name="dense_gap")(GlobalAveragePooling2D(name="gap")(p))
    h = Dense(6, name="dense_gmp")(GlobalMaxPooling2D(name="gmp")(p))
    out = merge([f, g, h], mode="ave", name="ave")
    out = PReLU(name="prelu")(out)
    out = merge([out, h], mode="max", name="max")
    out = Activation("softmax", name="softmax")(out)
    return Model(input=x, output=out, name="k1_functional")


def conv1d_tf():
    """Convolution1D (Keras 1 kept its kernel as (length, 1, in, out)) over a row of the photo."""
    x = Input(shape=(SIZE * 3, SIZE), name="rows")
    y = Convolution1D(10, 5, border_mode="same", activation="relu", name="conv1d")(x)
    y = MaxPooling1D(pool_length=2, stride=2, name="pool1d")(y)
    y = Convolution1D(6, 3, subsample_length=2, border_mode="valid", name="conv1d_b")(y)
    y = AveragePooling1D(pool_length=3, name="avg1d")(y)
    z = GlobalAveragePooling1D(name="gap1d")(y)
    r = Reshape((6, -1), name="reshape")(Flatten(name="flat1d")(y))
    out = merge([Dense(4, name="d1")(z), Dense(4, name="d2")(Flatten(name="flat2")(r))], mode="concat", name="cat")
    return Model(input=x, output=out, name="k1_conv1d")


MODELS = [
    ("k1_sequential_tf", sequential_tf, "tf", 11),
    ("k1_functional_th", functional_th, "th", 12),
    ("k1_conv1d_tf", conv1d_tf, "tf", 13),
]


def photos(folder, ordering, name):
    """The sample photos resized as Keras 1.2.2's `load_img(path, target_size)` resizes them
    (`img.resize(size)`, Pillow's default filter), as float32 scaled to [0, 1], in the model's
    ordering (for the Convolution1D model: each photo's rows as a sequence)."""
    batch = []
    for fname in sorted(os.listdir(folder)):
        if not fname.lower().endswith((".jpg", ".jpeg", ".png")):
            continue
        img = Image.open(os.path.join(folder, fname)).convert("RGB").resize((SIZE, SIZE))
        batch.append(np.asarray(img, dtype="float32") / 255.0)
    x = np.stack(batch)  # N, H, W, C
    if name == "k1_conv1d_tf":
        return x.reshape(len(batch), SIZE, SIZE * 3).transpose(0, 2, 1).copy()  # (N, 3*W, H) rows
    return x.transpose(0, 3, 1, 2).copy() if ordering == "th" else x


class _H5py2View:
    """An h5py group as h5py 2 showed it to Keras 1: string attributes as bytes (h5py 3 gives str,
    and Keras 1 decodes them), datasets as arrays."""

    def __init__(self, group):
        self.group = group
        self.attrs = {k: self._bytes(v) for k, v in group.attrs.items()}

    @staticmethod
    def _bytes(v):
        if isinstance(v, str):
            return v.encode("utf-8")
        if isinstance(v, np.ndarray) and v.dtype.kind in "OU":
            return np.array([e.encode("utf-8") if isinstance(e, str) else e for e in v.tolist()])
        return v

    def __getitem__(self, key):
        import h5py
        item = self.group[key]
        return _H5py2View(item) if isinstance(item, h5py.Group) else item[()]


def load_model(path):
    """Keras 1.2.2's `keras.models.load_model` without the optimizer, reading through an h5py 2
    view of the file (see _H5py2View)."""
    import h5py
    with h5py.File(path, "r") as f:
        view = _H5py2View(f)
        model = model_from_config(json.loads(view.attrs["model_config"].decode("utf-8")))
        model.load_weights_from_hdf5_group(view["model_weights"])
    return model


def convert_kernel(kernel, dim_ordering):
    """Keras 1.2.2's `keras.utils.np_utils.convert_kernel`, line for line, with the index made a
    tuple (its list-of-slices index is an error since NumPy 1.23)."""
    slices = [slice(None, None, -1) for _ in range(kernel.ndim)]
    no_flip = (slice(None, None), slice(None, None))
    if dim_ordering == "th":  # (out_depth, input_depth, ...)
        slices[:2] = no_flip
    else:  # (..., input_depth, out_depth)
        slices[-2:] = no_flip
    return np.copy(kernel[tuple(slices)])


def convert_conv_kernels(path):
    """Rewrites the file's convolution kernels with Keras 1's convert_kernel (Theano <-> TF)."""
    import h5py
    with h5py.File(path, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        layers = config["config"] if isinstance(config["config"], list) else config["config"]["layers"]
        convs = {l["config"]["name"] for l in layers
                 if l["class_name"] in ("Convolution1D", "Convolution2D", "AtrousConvolution2D")}
        group = f["model_weights"]
        for name in convs:
            kernel_name = group[name].attrs["weight_names"][0]
            kernel_name = kernel_name.decode() if isinstance(kernel_name, bytes) else kernel_name
            ds = group[name][kernel_name]
            ds[...] = convert_kernel(ds[...], dim_ordering=config_ordering(layers, name))


def config_ordering(layers, name):
    for l in layers:
        if l["config"]["name"] == name:
            return l["config"].get("dim_ordering", "tf")
    return "tf"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--photos", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "samples", "photos"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    manifest = {"keras_version": keras.__version__, "backend": K.backend(), "theano_version": theano.__version__,
                "models": []}
    for name, build, ordering, seed in MODELS:
        K.set_image_dim_ordering(ordering)
        np.random.seed(seed)
        model = build()
        randomize(model, seed)
        x = photos(args.photos, ordering, name)
        expected = model.predict(x, batch_size=len(x))
        path = os.path.join(args.out, name + ".h5")
        model.save(path)
        # The reference is Keras 1 reading its own file back (what the file means to Keras 1
        # under this keras.json), and it must be the model that was built.
        y = load_model(path).predict(x, batch_size=len(x))
        worst = float(np.abs(y - expected).max() / np.abs(expected).max())
        assert worst < 1e-6, f"{name}: Keras 1 reads its own file back differently ({worst:.2e})"
        if ordering == "tf":
            convert_conv_kernels(path)  # as Keras 1 on TensorFlow would have saved the same function
        else:
            tf_kernels = os.path.join(args.out, name + ".tf-kernels.h5")
            model.save(tf_kernels)
            convert_conv_kernels(tf_kernels)
        np.save(os.path.join(args.out, name + ".inputs.npy"), x)
        np.save(os.path.join(args.out, name + ".outputs.npy"), y)
        manifest["models"].append({"name": name, "ordering": ordering, "params": int(model.count_params()),
                                   "input": model.input_names[0], "output": model.output_names[0],
                                   "input_shape": list(x.shape), "output_shape": list(y.shape),
                                   "tf_kernels_copy": ordering == "th"})
        print(f"{name}: {model.count_params()} params, input {x.shape}, output {y.shape}", flush=True)
    json.dump(manifest, open(os.path.join(args.out, "manifest.json"), "w"), indent=1)


if __name__ == "__main__":
    sys.exit(main())
