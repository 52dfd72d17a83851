"""The saved flavours of a model, all from the same seeded weights:

  keras3.h5           Keras 3 model.save(".h5") (legacy HDF5, full model)
  keras               Keras 3 model.save(".keras") (zip: config.json, metadata.json, model.weights.h5)
  weights.h5          Keras 3 model.save_weights(".weights.h5")
  tfkeras.h5          tf_keras model.save(".h5")               } in the tf_keras child process
  tfkeras-weights.h5  tf_keras model.save_weights(".h5")       } (tfkeras.py), from the same
  onnx                tf2onnx.convert.from_keras, opset 15     } weights handed over as an .npz
  weights-offset.h5   Keras 3 .weights.h5 whose layer names are offset (save_offset_named_weights)
"""
import numpy as np

from ..common import rel
from .weights import leaf_layers

ALL_FLAVOURS = ("keras3.h5", "tfkeras.h5", "keras", "weights.h5", "tfkeras-weights.h5", "onnx")
FULL_MODEL_FLAVOURS = ("keras3.h5", "tfkeras.h5", "keras")
APPLICATION_FLAVOURS = ("keras3.h5", "tfkeras.h5", "weights.h5", "tfkeras-weights.h5", "onnx")

KERAS3 = {"keras3.h5": "{stem}.keras3.h5", "keras": "{stem}.keras", "weights.h5": "{stem}.weights.h5"}
# flavour: (file name, key of the tf_keras child's `save` task)
TFKERAS = {"tfkeras.h5": ("{stem}.tfkeras.h5", "h5"),
           "tfkeras-weights.h5": ("{stem}.tfkeras-weights.h5", "weights_h5"),
           "onnx": ("{stem}.onnx", "onnx")}


def save_keras3(model, out_dir, stem, flavours):
    """Saves the Keras 3 flavours among `flavours`; returns {flavour: path}."""
    files = {}
    for key, name in KERAS3.items():
        if key in flavours:
            files[key] = out_dir / name.format(stem=stem)
            if key == "weights.h5":
                model.save_weights(files[key])
            else:
                model.save(files[key])
    return files


def tfkeras_save_task(arch, npz, out_dir, stem, flavours, summary_txt):
    """The tf_keras child's `save` task for the tf_keras flavours among `flavours` (and its
    model.summary() text); returns (task, {flavour: path})."""
    task = {"op": "save", "arch": arch, "weights": str(npz), "summary_txt": str(summary_txt)}
    files = {}
    for key, (name, task_key) in TFKERAS.items():
        if key in flavours:
            files[key] = out_dir / name.format(stem=stem)
            task[task_key] = str(files[key])
    return task, files


def save_offset_named_weights(keras, spec, weights, path, rebuild):
    """A Keras 3 .weights.h5 of `spec` built after three unnamed Conv2D + BatchNormalization
    pairs in the same session, so its auto-named layers are conv2d_3, conv2d_4, ... where a
    fresh model has conv2d, conv2d_1, ...: each `vars` group's `name` attribute then names a
    different layer of the fresh model. Keras binds such files by position (saving_lib ignores
    names, asserted below with rebuild(), a fresh model); wtool --arch must too."""
    keras.backend.clear_session()
    x = keras.Input((8, 8, 3))
    for _ in range(3):
        x = keras.layers.BatchNormalization()(keras.layers.Conv2D(4, 3)(x))
    model = spec.build(keras)
    weighted = [layer for layer in leaf_layers(keras, model) if layer.get_weights()]
    assert len(weighted) == len(weights) and weighted[0].name != next(iter(weights)), weighted[0].name
    for layer, arrays in zip(weighted, weights.values()):
        layer.set_weights(arrays)
    model.save_weights(path)
    fresh = rebuild()
    fresh.load_weights(path)
    for a, b in zip(fresh.get_weights(), model.get_weights()):
        assert np.array_equal(a, b)
    return weighted[0].name


def add_offset_named_weights(keras, spec, weights, out_dir, entry, rebuild):
    """The weights-offset.h5 flavour: saved next to the others and recorded in the entry."""
    path = out_dir / f"{spec.name}.offset-names.weights.h5"
    first = save_offset_named_weights(keras, spec, weights, path, rebuild)
    entry["flavours"]["weights-offset.h5"] = rel(path, out_dir)
    entry["offset_names"] = {"flavour": "weights-offset.h5", "first_conv": first,
                             "note": "Keras 3 save_weights of a model auto-named after "
                                     "three other Conv2D/BN pairs; Keras binds it by position"}
    return path, first
