"""The seed workflow's features: tf_keras ImageDataGenerator(rescale=1./255).flow_from_directory
over eight mixed photos (JPEG/PNG, RGB/L/P, mixed sizes) in two classes, then conv_base.predict
per batch (and the block3_pool cut), in the tf_keras child with VGG16's seeded weights
(`full`, after the vgg16 model wrote them)."""
from pathlib import Path

import numpy as np

from ..common import log, write_json
from .keras3 import preprocessing_entry
from .models import build_arch
from .photos import skimage_data_dir
from .tfkeras import run_tfkeras
from .weights import apply_weights, load_weights_npz, npz_path

FEATURE_IMAGES = [  # (class, file name, skimage source, crop box or None, size or None, fmt)
    ("cats", "cat.000.jpg", "chelsea.png", None, None, "JPEG"),
    ("cats", "cat.001.png", "chelsea.png", (100, 20, 360, 300), None, "PNG"),
    ("cats", "cat.002.jpg", "chelsea.png", None, (233, 155), "JPEG"),
    ("cats", "cat.003.png", "camera.png", (0, 0, 512, 384), None, "PNG"),
    ("dogs", "dog.000.jpg", "coffee.png", None, None, "JPEG"),
    ("dogs", "dog.001.png", "astronaut.png", (0, 0, 400, 512), None, "PNG"),
    ("dogs", "dog.002.jpg", "rocket.jpg", (100, 0, 500, 427), None, "JPEG"),
    ("dogs", "dog.003.png", "retina.jpg", None, (300, 300), "PNG-P"),
]


def make_feature_images(data_dir):
    from PIL import Image

    src = skimage_data_dir()
    rows = []
    for cls, name, fname, box, size, fmt in FEATURE_IMAGES:
        im = Image.open(src / fname)
        im.load()
        if box:
            im = im.crop(box)
        if size:
            im = im.resize(size, Image.Resampling.LANCZOS)
        path = data_dir / cls / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "JPEG":
            im.convert("RGB").save(path, "JPEG", quality=90)
        elif fmt == "PNG-P":
            im.convert("RGB").quantize(colors=128, dither=Image.Dither.NONE).save(path, "PNG")
        else:
            im.save(path, "PNG")
        chk = Image.open(path)
        rows.append({"file": f"{cls}/{name}", "source": fname, "mode": chk.mode,
                     "size_wh": list(chk.size), "format": chk.format})
    return rows


def make_features(out, work, batch_size=3):
    """out/features: the images, and what the tf_keras child computes from them; returns the
    manifest's `features` block."""
    fdir = out / "features"
    images = make_feature_images(fdir / "data")
    info = run_tfkeras([{"op": "features", "weights": str(npz_path(work, "vgg16")),
                         "data": str(fdir / "data"), "out": str(fdir), "batch_size": batch_size}],
                       work)[0]
    log(f"features: {info['samples']} images in {info['batches']} batches, "
        f"classes {info['class_indices']}")
    return {
        "dir": "features", "data": "data", "images": images, "model": "vgg16",
        "generator": "tf_keras ImageDataGenerator(rescale=1./255).flow_from_directory(data, "
                     "target_size=(150, 150), class_mode='binary', shuffle=False, "
                     f"batch_size={info['batch_size']}); conv_base.predict per batch",
        "preprocessing": preprocessing_entry("multiply255", (150, 150)),
        "samples": info["samples"], "batch_size": info["batch_size"],
        "features": "features.npy", "features_shape": [info["samples"], 4, 4, 512],
        "block3_pool": "block3_pool.npy", "block3_pool_shape": [info["samples"], 18, 18, 256],
        "labels": "labels.npy", "filenames": "filenames.json",
        "class_indices": "class_indices.json"}


def tfk_features(K, task):
    """The child side (a tfkeras.py task)."""
    from tf_keras.preprocessing.image import ImageDataGenerator

    conv_base = build_arch(K, "vgg16")
    apply_weights(K, conv_base, load_weights_npz(task["weights"]))
    probe = K.Model(conv_base.inputs, conv_base.get_layer("block3_pool").output)
    datagen = ImageDataGenerator(rescale=1.0 / 255)
    gen = datagen.flow_from_directory(task["data"], target_size=(150, 150),
                                      batch_size=task["batch_size"], class_mode="binary",
                                      shuffle=False)
    n = gen.samples
    feats, b3, labels = [], [], []
    for i in range(len(gen)):
        xb, yb = gen[i]
        feats.append(conv_base.predict(xb, verbose=0))
        b3.append(probe.predict(xb, verbose=0))
        labels.append(yb)
    out = Path(task["out"])
    features = np.concatenate(feats).astype(np.float32)
    assert features.shape == (n, 4, 4, 512), features.shape
    np.save(out / "features.npy", features)
    np.save(out / "block3_pool.npy", np.concatenate(b3).astype(np.float32))
    np.save(out / "labels.npy", np.concatenate(labels).astype(np.float32))
    write_json(out / "filenames.json", list(gen.filenames))
    write_json(out / "class_indices.json", gen.class_indices)
    return {"samples": n, "batches": len(gen), "batch_size": task["batch_size"],
            "filenames": list(gen.filenames), "class_indices": gen.class_indices}
