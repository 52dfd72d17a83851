"""The seed's workflow: `wtool features` against Keras's flow_from_directory + conv_base.predict,
and the --until cut against Keras's intermediate output; labels and file order identical."""
import json
import os

import numpy as np

from ..common import rel_error, run
from .checks import TOLERANCE


def check_features(checks, table, wtool, manifest, ref, work):
    feat = manifest.get("features")
    if not feat:
        return
    fdir = os.path.join(ref, feat["dir"])
    vgg = next(m for m in manifest["models"] if m["name"] == feat["model"])
    src = os.path.join(ref, vgg["dir"], vgg["flavours"]["keras3.h5"])
    h, w = feat["preprocessing"]["target_size"]
    for name, until, reference in (("features", None, feat["features"]), ("features --until block3_pool", "block3_pool", feat["block3_pool"])):
        out, labels = os.path.join(work, "f.npy"), os.path.join(work, "l.npy")
        rc, _, err = run([wtool, "features", src, os.path.join(fdir, feat["data"]), "--out", out, "--labels", labels,
                          "--rescale", "1/255", "--size", f"{h},{w}", "--class-mode", "binary", "--force", "--quiet"]
                         + (["--until", until] if until else []))
        if not checks.record(f"{name}: runs", rc == 0, err):
            continue
        a, b = np.load(out), np.load(os.path.join(fdir, reference))
        rel = rel_error(a, b)
        checks.record(f"{name}: matches Keras flow_from_directory + predict", rel <= TOLERANCE, f"shape {list(a.shape)}, max|Δ|/max|keras| = {rel:.2e}")
        table.append(("vgg16", "features" + (f" --until {until}" if until else ""), "direct", rel))
        if until is None:
            same_labels = np.array_equal(np.load(labels), np.load(os.path.join(fdir, feat["labels"])))
            files = json.load(open(os.path.join(work, "f.json")))["filenames"]
            same_files = files == json.load(open(os.path.join(fdir, feat["filenames"])))
            checks.record("features: labels and file order identical to Keras", same_labels and same_files, f"{len(files)} files")
