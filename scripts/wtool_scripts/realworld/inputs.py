"""The input tensors of a model from its recipe in `catalog.py`, the same on every run (photos of
`samples/photos`, seeded random numbers)."""
import numpy as np

from ..common import SAMPLES

PHOTOS = ["chelsea.jpg", "coffee.jpg", "astronaut.png", "rocket.jpg"]


def _photo(layout, hw, channels, scale, mean, std, batch):
    from PIL import Image

    images = []
    for i in range(batch):
        img = Image.open(SAMPLES / "photos" / PHOTOS[i % len(PHOTOS)]).convert("L" if channels == 1 else "RGB")
        img = img.resize((hw[1], hw[0]), Image.BILINEAR)
        x = np.asarray(img, dtype=np.float32).reshape(hw[0], hw[1], channels) * np.float32(scale)
        x = (x - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
        images.append(x.transpose(2, 0, 1) if layout == "NCHW" else x)
    return np.stack(images).astype(np.float32)


LINES = ["wtool reads ONNX files", "from other exporters: 2024", "PP-OCRv4 det / rec / cls", "The quick brown fox jumps",
         "over the lazy dog 0123456789", "Invoice No. 4711, total 99.50", "Table 3: results per model"]


def _document(layout, hw, channels, scale, mean, std, batch):
    """Black text on white, drawn with Pillow's built-in font: one line filling a short image
    (a text-line crop, as OCR recognisers and direction classifiers see), lines of a few sizes
    down a tall one (a page, for text detection and layout analysis)."""
    from PIL import Image, ImageDraw, ImageFont

    h, w = hw
    images = []
    for b in range(batch):
        img = Image.new("L" if channels == 1 else "RGB", (w, h), "white")
        draw = ImageDraw.Draw(img)
        if h <= 64:
            draw.text((4, h * 0.15), LINES[b % len(LINES)], fill="black", font=ImageFont.load_default(size=max(8, int(h * 0.6))))
        else:
            step = max(24, h // 10)
            for i, y in enumerate(range(8, h - step // 2, step)):
                size = int(step * (0.45 + 0.1 * (i % 3)))
                draw.text((8 + 6 * (i % 4), y), LINES[(i + b) % len(LINES)], fill="black", font=ImageFont.load_default(size=size))
        x = np.asarray(img, dtype=np.float32).reshape(h, w, channels) * np.float32(scale)
        x = (x - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
        images.append(x.transpose(2, 0, 1) if layout == "NCHW" else x)
    return np.stack(images).astype(np.float32)


def make(recipe, seed):
    kind = recipe[0]
    rng = np.random.default_rng(seed)
    if kind == "photo":
        return _photo(*recipe[1:])
    if kind == "document":
        return _document(*recipe[1:])
    if kind == "audio":
        return (rng.standard_normal(recipe[1]) * 0.1).astype(np.float32)
    if kind == "bytes":
        return rng.integers(0, 257, size=recipe[1]).astype(np.int32)
    if kind == "onehot":  # ("onehot", shape): seeded one-hot rows along the last axis (DNA: A, C, G, T)
        shape = recipe[1]
        return np.eye(shape[-1], dtype=np.float32)[rng.integers(0, shape[-1], size=shape[:-1])]
    if kind == "tokens":  # ("tokens", shape, low, high, dtype): seeded integers in low..<high
        return rng.integers(recipe[2], recipe[3], size=recipe[1]).astype(recipe[4])
    if kind == "zeros":
        return np.zeros(recipe[1], dtype=recipe[2])
    if kind == "scalar":
        return np.array(recipe[1], dtype=recipe[2])
    raise ValueError(f"unknown input recipe {recipe}")


def make_all(model_inputs):
    return {name: make(recipe, seed) for seed, (name, recipe) in enumerate(model_inputs.items())}
