"""The Keras 3 side: image loading and preprocessing as Keras does them, model summaries, and
the expected outputs (whole model and per layer)."""
import os

import numpy as np

from ..common import import_keras, rel, save_npy, shape_list


def keras3():
    """Keras 3 in this process, logs quiet, seeded (keras.utils.set_random_seed(0))."""
    return import_keras("3", seed=0)


def keras3_summary_text(model):
    """model.summary() as Keras 3 prints it with the default line_length (88 columns for a
    sequential-like model when the terminal is wide enough; rich box characters)."""
    chunks = []
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "160"  # default_line_length = min(88, columns - 4); rich width
    try:
        model.summary(print_fn=lambda s, **kw: chunks.append(s))
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old
    text = "".join(chunks)
    return text if text.endswith("\n") else text + "\n"


def summary_json(model):
    def count(ws):
        return int(sum(int(np.prod(w.shape)) for w in ws))

    layers = []
    for layer in model.layers:
        layers.append({
            "name": layer.name,
            "type": layer.__class__.__name__,
            "output_shape": shape_list(layer.output.shape),
            "params": int(layer.count_params()),
            "trainable": bool(layer.trainable),
        })
    return {
        "model": model.name,
        "type": model.__class__.__name__,
        "total_params": int(model.count_params()),
        "trainable_params": count(model.trainable_weights),
        "non_trainable_params": count(model.non_trainable_weights),
        "input_shape": shape_list(model.inputs[0].shape),
        "output_shape": shape_list(model.outputs[0].shape),
        "layers": layers,
    }


def keras_load(path, **kw):
    import keras

    return keras.utils.img_to_array(keras.utils.load_img(path, **kw))


def preprocess(mode, x):
    """x: HxWxC float32 from img_to_array. Returns the (1,H,W,C) float32 model input."""
    import keras

    x = np.array(x, dtype=np.float32)[None]
    if mode == "caffe":
        y = keras.applications.vgg16.preprocess_input(x.copy())
    elif mode == "tf":
        y = keras.applications.mobilenet.preprocess_input(x.copy())
    elif mode == "divide255":
        y = x / 255.0
    elif mode == "torch":
        y = keras.applications.densenet.preprocess_input(x.copy())
    elif mode == "none":
        y = x.copy()
    else:
        raise ValueError(mode)
    assert y.dtype == np.float32, y.dtype
    return y


PREPROCESSING = {
    "caffe": {
        "mode": "caffe",
        "keras": "keras.applications.vgg16.preprocess_input",
        "formula": "RGB->BGR, then x[...,c] -= float32(mean[c]) with mean "
                   "(BGR) = [103.939, 116.779, 123.68], float32 arithmetic, no scaling",
    },
    "divide255": {
        "mode": "rescale",
        "keras": "x / 255.0 (numpy float32 / python float: float32 division)",
        "formula": "float32(x) / float32(255)",
    },
    "tf": {
        "mode": "tf",
        "keras": "keras.applications.{mobilenet,inception_v3,xception}.preprocess_input",
        "formula": "x /= float32(127.5); x -= float32(1) (in place, float32 arithmetic)",
    },
    "torch": {
        "mode": "torch",
        "keras": "keras.applications.densenet.preprocess_input",
        "formula": "x /= float32(255); x[...,c] = (x[...,c] - float32(mean[c])) / float32(std[c]) with mean "
                   "[0.485, 0.456, 0.406], std [0.229, 0.224, 0.225] (float32 arithmetic)",
    },
    "none": {
        "mode": "none",
        "keras": "img_to_array only: the model rescales its own input (Rescaling/Normalization layers: "
                 "EfficientNet, MobileNetV3, ConvNeXt with include_preprocessing)",
        "formula": "float32(x)",
    },
    "multiply255": {
        "mode": "rescale",
        "keras": "ImageDataGenerator(rescale=1./255).standardize: x *= rescale",
        "formula": "float32(x) * float32(1/255)  (differs from x/255 by 1 ulp for 126 of "
                   "the 256 byte values)",
    },
}


def preprocessing_entry(mode, size, color_mode="rgb"):
    """The manifest's `preprocessing` block: PREPROCESSING[mode] at target size (h, w)."""
    return {**PREPROCESSING[mode], "target_size": list(size), "interpolation": "nearest",
            "color_mode": color_mode}


def photo_inputs(photo_paths, mode, size, color_mode="rgb"):
    """{stem: (1,H,W,C) model input}: load_img(target_size=size, color_mode=…) + preprocessing
    `mode`."""
    return {s: preprocess(mode, keras_load(path, target_size=tuple(size), color_mode=color_mode))
            for s, path in photo_paths.items()}


def per_layer_model(model):
    import keras

    layers = [l for l in model.layers if l.__class__.__name__ != "InputLayer"]
    return layers, keras.Model(model.inputs, [l.output for l in layers])


def run_keras3(model, x):
    return np.asarray(model(x, training=False), dtype=np.float32)


def write_expected(model, inputs, out_dir, per_layer_stems, expected_name="expected"):
    """inputs: {stem: (1,H,W,3)}. Writes inputs/<stem>.npy, expected/<stem>.npy and
    expected/<stem>/<layer>.npy for stems in per_layer_stems."""
    layers, probe = (per_layer_model(model) if per_layer_stems else (None, None))
    rec = {"inputs": {}, "expected": {}, "per_layer": {}}
    for stem, x in inputs.items():
        save_npy(out_dir / "inputs" / f"{stem}.npy", x)
        y = run_keras3(model, x)
        save_npy(out_dir / expected_name / f"{stem}.npy", y)
        rec["inputs"][stem] = f"inputs/{stem}.npy"
        rec["expected"][stem] = f"{expected_name}/{stem}.npy"
        if stem in per_layer_stems:
            outs = probe(x, training=False)
            outs = outs if isinstance(outs, (list, tuple)) else [outs]
            rec["per_layer"][stem] = {}
            for layer, o in zip(layers, outs):
                p = out_dir / expected_name / stem / f"{layer.name}.npy"
                save_npy(p, np.asarray(o, dtype=np.float32))
                rec["per_layer"][stem][layer.name] = rel(p, out_dir)
            assert np.array_equal(np.load(p), y), "last layer output != model output"
    return rec
