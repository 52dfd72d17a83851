"""The command line of scripts/make_corpus.py: the base .swm from wtool, then every generator."""
import argparse
import json
import os
import shutil
import subprocess

from ..common import SAMPLES, add_wtool_option, read_bytes
from . import (filesystem_cases, hdf5_cases, image_cases, keras_zip_cases, npy_cases, onnx_cases,
               swm_graph, swm_header, swm_table)
from .cases import Corpus
from .swm_layout import SWMParts

# One module per format, each with generate(corpus). They run in this order, which is part of
# the corpus: the seeded random numbers are drawn in it. A new format: its module, and a line here.
GENERATORS = (
    swm_header,  # .swm: truncations, magic/version, bit flips (seeded), fixed-header fields
    swm_table,  # .swm: tensor table entries, data damage (seeded)
    swm_graph,  # .swm: graph JSON
    hdf5_cases,  # Keras HDF5
    keras_zip_cases,  # .keras zips
    onnx_cases,  # ONNX (seeded random bytes)
    filesystem_cases,  # FIFOs, sockets, symlinks, devices, permissions, names
    npy_cases,  # verify --expected references
    image_cases,  # images for run
)


def main(doc):
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    add_wtool_option(ap, required=True)
    ap.add_argument("--out", required=True, help="output folder (replaced)")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    if os.path.exists(args.out):
        for dirpath, dirnames, _ in os.walk(args.out):  # undo mode 000 folders before removing
            for d in dirnames:
                os.chmod(os.path.join(dirpath, d), 0o755)
        shutil.rmtree(args.out)
    os.makedirs(os.path.join(args.out, "models"))

    base_path = os.path.join(args.out, "base.swm")
    subprocess.run([args.wtool, "convert", os.path.join(SAMPLES, "mini", "mini.keras3.h5"), base_path, "--quiet"],
                   check=True)
    base = SWMParts(read_bytes(base_path))
    assert base.build() == base.raw, "the rebuilt .swm differs from wtool's: swm_layout.py is out of date"
    os.remove(base_path)

    c = Corpus(args.out, args.seed, base)
    for generator in GENERATORS:
        generator.generate(c)

    manifest = {"seed": args.seed, "cases": c.cases,
                "support": {"model": "models/mini.swm", "images": os.path.join(SAMPLES, "photos", "rocket.jpg")}}
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    counts = {}
    for case in c.cases:
        counts[case["expect"]] = counts.get(case["expect"], 0) + 1
    print(f"corpus: {len(c.cases)} cases in {args.out} ("
          + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) + f"; seed {args.seed})")
