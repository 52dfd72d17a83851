"""The photos: crops/downscales of the public-domain/CC0 samples in the scikit-image wheel
(`samples`), the unmodified originals (`full`), and the licence text that goes with them."""
import inspect
import shutil
from pathlib import Path

import numpy as np

from ..common import log


def skimage_data_dir():
    import skimage

    return Path(skimage.__file__).parent / "data"


# (stem, skimage file, crop box (l, t, r, b) in the original or None, output size (w, h), kind)
# Sizes are odd/non-square on purpose (JPEG MCU edges, non-integer resize ratios).
SAMPLE_PHOTOS = [
    ("chelsea", "chelsea.png", None, (181, 121), "jpeg420"),
    ("coffee", "coffee.png", (60, 0, 600, 400), (150, 111), "jpeg444"),
    ("rocket", "rocket.jpg", (140, 0, 460, 427), (97, 130), "jpeg422"),
    ("camera", "camera.png", (32, 64, 480, 448), (160, 137), "png-L"),
    ("astronaut", "astronaut.png", (96, 0, 416, 400), (104, 130), "png-RGBA"),
    ("hubble", "hubble_deep_field.jpg", (0, 0, 1000, 700), (200, 140), "png-P"),
]

# Originals copied unchanged by `full` (all carry an explicit licence note in skimage).
FULL_PHOTOS = ["chelsea.png", "coffee.png", "astronaut.png", "rocket.jpg",
               "hubble_deep_field.jpg", "camera.png"]

LICENSE_FUNCS = {  # skimage.data function documenting each file
    "chelsea.png": "chelsea", "coffee.png": "coffee", "rocket.jpg": "rocket",
    "camera.png": "camera", "astronaut.png": "astronaut",
    "hubble_deep_field.jpg": "hubble_deep_field", "retina.jpg": "retina",
}


def licence_text(files, derived_note):
    """LICENSE.txt: skimage's README.txt verbatim plus the licence lines of each image's
    docstring in skimage/data/_fetchers.py (the wheel's README.txt itself has none)."""
    import skimage
    import skimage.data

    d = skimage_data_dir()
    out = [
        f"Images from scikit-image {skimage.__version__} (skimage/data/ in the wheel).",
        derived_note,
        "",
        "skimage/data/README.txt, verbatim (it carries no licence lines itself):",
        "",
    ]
    out += ["    " + line for line in (d / "README.txt").read_text().splitlines()]
    out += ["", "Licence/provenance lines from the docstring of each image's loader in",
            "skimage/data/_fetchers.py (quoted verbatim):", ""]
    keys = ("copyright", "cc0", "public domain", "licen", "downloaded from", "courtesy",
            "released", "<http", "freely used", "made available", "photographer")
    for fname in files:
        func = getattr(skimage.data, LICENSE_FUNCS[fname])
        doc = inspect.getdoc(func)
        out.append(f"{fname}  (skimage.data.{func.__name__}):")
        for para in doc.split("\n\n"):  # whole paragraphs that carry licence/provenance words
            if any(k in para.lower() for k in keys) and not para.startswith("Returns"):
                out += ["    " + line.strip() for line in para.strip().splitlines()
                        if line.strip() not in ("Notes", "-----")]
        out.append("")
    out.append("scikit-image itself: BSD-3-Clause, Copyright 2009-2022 the scikit-image team.")
    return "\n".join(out) + "\n"


def make_sample_photos(out_dir):
    from PIL import Image

    src = skimage_data_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    photos = []
    for stem, fname, box, size, kind in SAMPLE_PHOTOS:
        im = Image.open(src / fname)
        im.load()
        if box:
            im = im.crop(box)
        if kind == "png-L":
            im = im.convert("L")
        else:
            im = im.convert("RGB")
        im = im.resize(size, Image.Resampling.LANCZOS)
        if kind.startswith("jpeg"):
            path = out_dir / f"{stem}.jpg"
            sub = {"jpeg420": 2, "jpeg422": 1, "jpeg444": 0}[kind]
            im.save(path, "JPEG", quality=90, subsampling=sub, optimize=False,
                    progressive=False)
            desc = ("baseline JPEG q90, chroma " +
                    {"jpeg420": "4:2:0", "jpeg422": "4:2:2", "jpeg444": "4:4:4"}[kind])
        elif kind == "png-L":
            path = out_dir / f"{stem}.png"
            im.save(path, "PNG")
            desc = "greyscale PNG (mode L, 8-bit)"
        elif kind == "png-RGBA":
            w, h = im.size
            # Alpha: 0 on the left quarter, then a ramp to 255. The RGB under alpha=0 is kept
            # (PIL does not touch it), and Keras's convert("RGB") simply drops alpha, so a
            # decoder that composites onto a background would fail the pixel test.
            xs = np.arange(w)
            ramp = np.clip((xs - w // 4) * 255.0 / max(1, w - 1 - w // 4), 0, 255)
            alpha = np.tile(ramp.round().astype(np.uint8), (h, 1))
            im = im.copy()
            im.putalpha(Image.fromarray(alpha, "L"))
            path = out_dir / f"{stem}.png"
            im.save(path, "PNG")
            desc = "RGBA PNG (alpha 0 on the left quarter, then a ramp; RGB kept under alpha 0)"
        elif kind == "png-P":
            im = im.quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
            path = out_dir / f"{stem}.png"
            im.save(path, "PNG")
            desc = "palette PNG (mode P, 64 colours, no transparency)"
        else:
            raise ValueError(kind)
        check = Image.open(path)
        assert path.stat().st_size < 60_000, (path, path.stat().st_size)
        photos.append({"stem": stem, "file": path.name, "source": fname, "crop": box,
                       "size_wh": list(check.size), "pil_mode": check.mode,
                       "format": check.format, "description": desc,
                       "bytes": path.stat().st_size})
        log(f"photo {path.name:14s} {check.format:4s} {check.mode:4s} {check.size} "
            f"{path.stat().st_size} B")
    (out_dir / "LICENSE.txt").write_text(licence_text(
        [p["source"] for p in photos],
        "The files here are crops/downscales of those originals (made by "
        "scripts/reference.py samples); the astronaut alpha channel and the hubble palette "
        "quantisation are ours."))
    return photos


def copy_full_photos(out_dir):
    """The FULL_PHOTOS originals, unchanged, + LICENSE.txt; returns their manifest rows."""
    from PIL import Image

    out_dir.mkdir()
    rows = []
    for fname in FULL_PHOTOS:
        shutil.copyfile(skimage_data_dir() / fname, out_dir / fname)
        im = Image.open(out_dir / fname)
        rows.append({"stem": Path(fname).stem, "file": fname, "format": im.format,
                     "pil_mode": im.mode, "size_wh": list(im.size)})
    (out_dir / "LICENSE.txt").write_text(licence_text(
        FULL_PHOTOS, "The files here are unmodified copies."))
    return rows
