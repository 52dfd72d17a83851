"""Keras HDF5: truncations, superblock damage, and sound HDF5 files (made with h5py from the
sample) with hostile Keras content: configs, kernels of the wrong shape/type/size, compression
filters, external storage, soft/external links, virtual datasets, missing data, bad names."""
import json
import os
import shutil
import struct

import numpy as np

from ..common import SAMPLES, read_bytes as read
from .cases import U64, flip


def generate(c):
    import h5py
    k3 = os.path.join(SAMPLES, "mini", "mini.keras3.h5")
    raw = read(k3)
    size = len(raw)
    for at in (1, 7, 8, 24, 56, 96, 512, 2048, 8192, size // 2, size - 4096, size - 1):
        c.file(f"h5-trunc-{at:05d}", f"trunc-{at:05d}.h5", raw[:at], f"Keras 3 .h5 truncated at {at} of {size}")
    w = read(os.path.join(SAMPLES, "mini", "mini.weights.h5"))
    for at in (800, len(w) // 2, len(w) - 1):
        c.file(f"weights-h5-trunc-{at:05d}", f"weights-trunc-{at:05d}.weights.h5", w[:at],
               f"Keras 3 .weights.h5 truncated at {at} (--arch is not needed to fail)")
    tf = read(os.path.join(SAMPLES, "mini", "mini.tfkeras.h5"))
    c.file("tfkeras-h5-trunc-half", "tfkeras-trunc.h5", tf[:len(tf) // 2], "tf_keras .h5 truncated in half")

    # Superblock v0 (HDF5 spec III.A): signature 0-7, versions 8-12, sizes 13-14, K values
    # 16-19, flags 20-23, then base / free-space / EOF / driver addresses (8 bytes each).
    def poke(data, at, fmt, value):
        b = bytearray(data)
        struct.pack_into(fmt, b, at, value)
        return bytes(b)
    sb = [
        ("signature", flip(raw, 1, 0), "an HDF5 signature byte flipped"),
        ("sb-version", poke(raw, 8, "<B", 255), "superblock version 255"),
        ("offset-size", poke(raw, 13, "<B", 3), "size of offsets 3 (not 2/4/8/16/32)"),
        ("length-size", poke(raw, 14, "<B", 0), "size of lengths 0"),
        ("leaf-k-0", poke(raw, 16, "<H", 0), "group leaf node K 0"),
        ("base-address", poke(raw, 24, "<Q", 1 << 40), "base address 2^40"),
        ("eof-huge", poke(raw, 40, "<Q", 1 << 40), "end-of-file address 2^40 (a 1 TB file claimed)"),
        ("eof-max", poke(raw, 40, "<Q", U64 - 1), "end-of-file address 2^64-2"),
        ("root-header-undef", poke(raw, 64, "<Q", U64), "root group object header address undefined (2^64-1)"),
        ("root-header-8", poke(raw, 64, "<Q", 8), "root group object header inside the superblock"),
        ("root-header-past-end", poke(raw, 64, "<Q", size + 4096), "root group object header past the end"),
    ]
    for cid, data, what in sb:
        c.file(f"h5-{cid}", f"{cid}.h5", data, what)
    c.file("h5-as-zip-name", "hdf5-named.keras", raw[:size // 3], "a truncated HDF5 file named .keras")

    # Sound HDF5, hostile Keras content (made with h5py from the sample).
    def variant(cid, what, edit, name=None, expect="invalid"):
        path = os.path.join(c.out, "models", name or f"{cid}.h5")
        shutil.copyfile(k3, path)
        with h5py.File(path, "r+") as f:
            edit(f)
        c.add(f"h5-{cid}", os.path.relpath(path, c.out), what, expect)

    def set_config(text):
        def edit(f):
            f.attrs["model_config"] = text
        return edit
    config = json.loads(read_attr(k3, "model_config"))
    c_filters = json.loads(json.dumps(config))
    layer = next(l for l in c_filters["config"]["layers"] if l["class_name"] == "Conv2D")
    variant("config-not-json", "model_config is not JSON", set_config("{\"class_name\": "))
    variant("config-deep", "model_config nested 100,000 arrays deep", set_config("[" * 100000 + "]" * 100000))
    variant("config-deep-objects", "model_config nested 100,000 objects deep",
            set_config("{\"a\":" * 100000 + "1" + "}" * 100000))
    layer["config"]["filters"] = 1 << 40
    variant("config-filters-huge", "a Conv2D with 2^40 filters", set_config(json.dumps(c_filters)))
    layer["config"]["filters"] = 8
    layer["config"]["kernel_size"] = [-3, -3]
    variant("config-kernel-negative", "a Conv2D with kernel size -3", set_config(json.dumps(c_filters)))
    layer["config"]["kernel_size"] = [3, 3]
    layer["config"]["strides"] = [0, 0]
    variant("config-strides-0", "a Conv2D with strides 0", set_config(json.dumps(c_filters)))
    c_in = json.loads(json.dumps(config))
    inp = c_in["config"]["layers"][0]["config"]
    inp["batch_shape"] = [None, 1 << 62, 1 << 62, 3]
    variant("config-input-overflow", "input batch_shape (None, 2^62, 2^62, 3)", set_config(json.dumps(c_in)))
    c_lambda = json.loads(json.dumps(config))
    c_lambda["config"]["layers"][1]["class_name"] = "Lambda"
    variant("config-lambda", "a Lambda layer (Python bytecode in a model file): carried, never run",
            set_config(json.dumps(c_lambda)), expect="carried")

    def kernel_path(f):
        return "model_weights/block1_conv1/block1_conv1/kernel"

    def replace_kernel(**kw):
        def edit(f):
            p = kernel_path(f)
            del f[p]
            f.create_dataset(p, **kw)
        return edit
    variant("kernel-shape", "block1_conv1 kernel of shape (3, 3, 3, 9)", replace_kernel(data=np.zeros((3, 3, 3, 9), "f4")))
    variant("kernel-int8", "block1_conv1 kernel stored as int8", replace_kernel(data=np.zeros((3, 3, 3, 8), "i1")))
    variant("kernel-string", "block1_conv1 kernel stored as strings",
            replace_kernel(data=np.array([b"x"] * 216).reshape(3, 3, 3, 8)))
    variant("kernel-huge-sparse", "block1_conv1 kernel declared (2^20, 2^20, 3, 8), chunked, never written",
            replace_kernel(shape=(1 << 20, 1 << 20, 3, 8), dtype="f4", chunks=(1, 1, 3, 8)))
    variant("kernel-lzf", "block1_conv1 kernel compressed with LZF (filter 32000, a plugin wtool will not load)",
            replace_kernel(data=np.zeros((3, 3, 3, 8), "f4"), chunks=(3, 3, 3, 8), compression="lzf"))
    ext = os.path.join(c.out, "models", "external-raw.bin")
    with open(ext, "wb") as f:
        f.write(b"\0" * 864)

    def external(f):
        p = kernel_path(f)
        del f[p]
        f.create_dataset(p, shape=(3, 3, 3, 8), dtype="f4", external=[(ext, 0, 864)])
    variant("kernel-external", "block1_conv1 kernel in HDF5 external storage (a file next to it)", external)

    def soft(f):
        p = kernel_path(f)
        del f[p]
        f[p] = h5py.SoftLink("/model_weights/block1_conv2/block1_conv2/kernel")
    variant("kernel-softlink", "block1_conv1 kernel is a soft link to another dataset", soft)

    def extlink(f):
        p = kernel_path(f)
        del f[p]
        f[p] = h5py.ExternalLink("/etc/passwd", "/x")
    variant("kernel-extlink", "block1_conv1 kernel is an external link to /etc/passwd", extlink)

    def vds(f):
        p = kernel_path(f)
        del f[p]
        layout = h5py.VirtualLayout(shape=(3, 3, 3, 8), dtype="f4")
        layout[:] = h5py.VirtualSource("/etc/passwd", "x", shape=(3, 3, 3, 8))
        f.create_virtual_dataset(p, layout)
    variant("kernel-virtual", "block1_conv1 kernel is a virtual dataset over /etc/passwd", vds)

    def drop_kernel(f):
        del f[kernel_path(f)]
    variant("kernel-missing", "block1_conv1 kernel dataset deleted", drop_kernel)

    def bad_names(f):
        f["model_weights"].attrs["layer_names"] = np.array([b"input_layer", b"block1\xff", b"block1_conv2",
                                                            b"block1_pool", b"block2_conv1", b"block2_pool"])
    variant("layer-names-utf8", "layer_names with an invalid UTF-8 byte", bad_names)


def read_attr(path, name):
    import h5py
    with h5py.File(path, "r") as f:
        v = f.attrs[name]
    return v.decode() if isinstance(v, bytes) else v

