#!/usr/bin/env python3
"""Generates wtool's corruption corpus from the committed samples (issue #7).

Usage: python scripts/make_corpus.py --wtool .build/release/wtool --out DIR [--seed 7]

Every case is derived from a real file: samples/mini/*.h5 and *.keras, a .swm that `wtool
convert` makes from samples/mini/mini.keras3.h5, samples/mini/mini.onnx, samples/photos/* and
samples/mini/expected/*.npy. The corpus is generated (in CI, into a temporary folder), never
committed: it holds FIFOs, sockets, dangling symlinks, unreadable and sparse multi-GB files.

Cases (DIR/manifest.json lists them, each with a one-line `what`):
  - truncations at 0, 1, every header boundary and mid-data; bit flips in headers, with and
    without the checksums fixed up (fixed up, the structural rule is what must fire);
  - huge declared sizes and dims, negative (2^64-1) and overflowing shapes, overlapping and
    misaligned tensor offsets, wrong magic, versions, byte order; hostile graph JSON;
  - HDF5 superblock damage, refused HDF5 features (external storage, soft/external links),
    hostile Keras configs; .keras zip damage and zip bombs (one holding an HDF5 CVE file);
  - ONNX truncations, hostile dims, external-data path traversal, protobuf-level damage;
  - empty files, directories, FIFOs, a socket, dangling and looping symlinks, device files,
    an unreadable (mode 000) file, non-UTF-8 file names;
  - hostile .npy references for `verify --expected`, hostile images for `run`.

`expect` says what every command must do with a case:
  invalid   summary, convert, check and run all fail cleanly (non-zero exit, one
            `error: <file>: …` line, no signal, no hang, nothing left behind);
  checksum  the header and graph are sound but tensor bytes do not match their CRC-32:
            `check` and `convert` must fail naming the tensor; `summary` and `run`, which by
            design (schemas/swm.md §5) do not read every byte, succeed;
  valid     a labelled control that every command accepts (check only on .swm);
  unrunnable  a sound model whose declared input no image can fill (10^6 x 10^6 pixels):
            summary, convert and check accept it, run must fail cleanly;
  mismatch  (verify --expected) a sound reference that cannot match: verify reports FAIL.
`role` says how it is used: `model` (the MODEL argument of every command), `expected` (a
folder given to `verify --expected`), `image` (an image given to `run` with a sound model).

The case list is deterministic: a fixed seed picks the random bit flips. The generators, one
module per format, are in wtool_scripts/corpus/ (cli.py lists them in order).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wtool_scripts.corpus.cli import main  # noqa: E402

if __name__ == "__main__":
    main(__doc__)
