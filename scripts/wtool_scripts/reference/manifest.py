"""The head of a set's manifest.json: what made it (command, code stamp, package versions)."""
import sys

import numpy as np

from ..common import code_stamp


def versions():
    import h5py
    import keras
    import onnx
    import PIL
    import tensorflow as tf

    v = {"python": sys.version.split()[0], "keras": keras.__version__,
         "tensorflow": tf.__version__, "h5py": h5py.__version__,
         "hdf5": h5py.version.hdf5_version, "numpy": np.__version__, "pillow": PIL.__version__,
         "onnx": onnx.__version__}
    for mod in ("tf_keras", "tf2onnx", "onnxruntime", "skimage"):
        try:  # tf_keras is only imported by the child process; read its metadata instead
            from importlib.metadata import version as dist_version

            v[mod] = dist_version({"skimage": "scikit-image", "tf_keras": "tf_keras"}.get(mod, mod))
        except Exception:  # pragma: no cover
            v[mod] = None
    return v


def new_manifest(generator, stamp=None, **sections):
    """{generator, script_sha256 (common.code_stamp()), versions, **sections} (empty sections
    the set fills in)."""
    return {"generator": generator, "script_sha256": stamp or code_stamp(), "versions": versions(),
            **sections}
