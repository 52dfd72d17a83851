"""Reference data for wtool's parity tests, produced by Keras itself (scripts/reference.py).

Every number comes from Keras / PIL / tf2onnx; nothing is typed by hand. Weights are seeded
random (no network here), photos are the public-domain/CC0 samples shipped in the
scikit-image wheel. Keras 3 (`import keras`, TF backend) runs in the main process; tf_keras
(Keras 2) runs in a child process (`reference.py _tfkeras`, TF_USE_LEGACY_KERAS=1), so the two
Keras versions never share a process.

    cli.py        the command line: samples | full | stamp | _tfkeras
    samples.py    the committed set (samples/): photos, pixels, the mini models, STRUCTURE.txt
    full.py       the large set CI generates and caches: VGG16, the classifier, the zoo, features
    models/       what to build: one module per model family, registered in models/__init__.py
    produce.py    one model's files: flavours, tensors tables, summaries, expected outputs
    flavours.py   the saved flavours (Keras 3 .h5/.keras/.weights.h5, tf_keras .h5, tf2onnx)
    tfkeras.py    the tf_keras child process and its tasks
    keras3.py     the Keras 3 side: image loading, preprocessing, summaries, expected outputs
    weights.py    seeded weights (and calibrated BatchNormalization statistics)
    photos.py     the photos (skimage samples) and their licence text
    pixels.py     PIL's resizes re-implemented and checked bit-exactly against PIL
    features.py   flow_from_directory + conv_base.predict, the seed workflow's features
    introspect.py tensors*.json: every weight dataset of a file, hashed
    structure.py  STRUCTURE.txt: the HDF5 / zip / ONNX layout of every mini flavour
    manifest.py   the manifest's versions block

See samples/README.md for the file layout and scripts/check_reference.py for the check that
reloads every saved flavour and compares it with the expected outputs.
"""

import os
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Known, harmless: the legacy-.h5 nag of both Keras versions, and Keras 3's note that a
# single-input Functional model was called with a bare tensor instead of a list.
warnings.filterwarnings("ignore", message=".*HDF5 file via `model.save\\(\\)`")
warnings.filterwarnings("ignore", message="The structure of `inputs` doesn't match")
