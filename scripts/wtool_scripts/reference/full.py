"""`reference.py full --out DIR`: the large set CI generates and caches (not committed): the
skimage originals, every registered model of the `full` set (VGG16, the seed classifier, the
keras.applications zoo) and the flow_from_directory features. Skipped when DIR/STAMP holds
the current code stamp (common.code_stamp) unless --force."""
import shutil
import tempfile
from pathlib import Path

from ..common import code_stamp, log, write_json
from .features import make_features
from .keras3 import keras3
from .manifest import new_manifest
from .models import in_set
from .photos import copy_full_photos
from .pixels import check_resize_models
from .produce import Context, produce
from .tensor_models import make_tensor_models


def cmd_full(args):
    out = Path(args.out).resolve()
    stamp = code_stamp()
    specs = in_set("full")
    only = [n for n in (getattr(args, "models", None) or "").split(",") if n]
    if only:
        unknown = sorted(set(only) - {spec.name for spec in specs})
        if unknown:
            raise SystemExit(f"not models of the full set: {', '.join(unknown)}")
        specs = [spec for spec in specs if spec.name in only]
    elif (out / "STAMP").exists() and (out / "STAMP").read_text().strip() == stamp \
            and (out / "manifest.json").exists() and not args.force:
        log(f"{out} is up to date (STAMP {stamp[:12]}); use --force to regenerate")
        return
    keras = keras3()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    work = Path(tempfile.mkdtemp(prefix="wtool-ref-"))
    manifest = new_manifest("python scripts/reference.py full --out DIR", stamp,
                            photos=[], models=[])

    log("photos: copying skimage originals")
    manifest["photos"] = copy_full_photos(out / "photos")
    photo_paths = {p["stem"]: out / "photos" / p["file"] for p in manifest["photos"]}
    check_resize_models(photo_paths, (150, 150))

    ctx = Context(keras, out, work, manifest, photo_paths, prefix_files=False)
    for spec in specs:
        produce(ctx, spec)
    if only:
        # A partial set: never a cache CI could take for the whole one (no STAMP).
        manifest["partial"] = only
        write_json(out / "manifest.json", manifest)
        shutil.rmtree(work, ignore_errors=True)
        log(f"full --models: {', '.join(only)} in {out}")
        return

    log("features: flow_from_directory(rescale=1./255, target_size=(150,150)) -> conv_base")
    manifest["features"] = make_features(out, work)

    log("tensor_io: onnx.helper models that take tensors, with onnxruntime's outputs")
    manifest["tensor_models"] = make_tensor_models(out)

    write_json(out / "manifest.json", manifest)
    (out / "STAMP").write_text(stamp + "\n")
    shutil.rmtree(work, ignore_errors=True)
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    log(f"full: done, {total / 1e6:.0f} MB in {out}")
