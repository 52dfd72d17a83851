"""`reference.py samples`: the small committed set (samples/): six photos, their pixels, the mini
models in every flavour, the unsupported model and STRUCTURE.txt."""
import shutil
import tempfile
from pathlib import Path

from ..common import log, rel, write_json
from .keras3 import keras3
from .manifest import new_manifest
from .models import build_arch, in_set, model_weights
from .photos import make_sample_photos
from .pixels import make_pixels
from .produce import Context, produce
from .structure import write_structure
from .weights import apply_weights


def cmd_samples(args):
    # Pillow before Keras: loaded first, its PNG codec binds the system zlib (1.2.13 on Debian
    # 12) rather than the one TensorFlow brings (1.3.1). pixels/VERSIONS.txt records which.
    import PIL.features  # noqa: F401
    from PIL import Image  # noqa: F401

    keras = keras3()
    out = Path(args.out).resolve()
    for sub in ("photos", "pixels", "mini", "mini_classifier"):
        shutil.rmtree(out / sub, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="wtool-ref-"))
    manifest = new_manifest("python scripts/reference.py samples",
                            photos=[], pixels={}, models=[])

    log("photos")
    photos = make_sample_photos(out / "photos")
    manifest["photos"] = photos

    log("pixels: keras.utils.load_img -> img_to_array (full size, nearest32, bilinear32)")
    manifest["pixels"] = make_pixels(out, photos)

    ctx = Context(keras, out, work, manifest,
                  {p["stem"]: out / "photos" / p["file"] for p in photos}, prefix_files=True)
    for spec in in_set("samples"):
        produce(ctx, spec)

    log("unsupported (a Lambda: carried, not run)")
    unsup = build_arch(keras, "unsupported")
    apply_weights(keras, unsup, model_weights(keras, "unsupported"))
    unsup.save(out / "mini" / "unsupported.keras3.h5")
    manifest["unsupported"] = {"file": "mini/unsupported.keras3.h5",
                               "layer": "custom", "type": "Lambda"}

    log("STRUCTURE.txt")
    write_structure(out)

    write_json(out / "manifest.json", manifest)
    shutil.rmtree(work, ignore_errors=True)
    sizes = sorted(((p.stat().st_size, rel(p, out)) for p in out.rglob("*") if p.is_file()),
                   reverse=True)
    total = sum(s for s, _ in sizes)
    log(f"samples: {len(sizes)} files, {total / 1e6:.2f} MB; largest "
        f"{sizes[0][1]} {sizes[0][0]} B")
    assert sizes[0][0] < 1_000_000 and total < 5_000_000
