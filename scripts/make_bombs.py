#!/usr/bin/env python3
"""Generates the resource-bomb corpus (issue #18): small files built to make a reader commit
absurd memory or time — declared shapes of 10^12 elements, negative or overflowing, graphs of
10^5+ nodes, cycles, deeply nested protobuf, thousands of attributes, `.keras` zip bombs and `..`
entries, HDF5 files with huge chunk or attribute sizes, 60000×60000 images — and a manifest
saying which wtool command each one is given to.

Usage: scripts/make_bombs.py --out DIR [--wtool .build/release/wtool]
Writes DIR/<case files> and DIR/manifest.json: [{"name", "format", "what", "args"}], where args
is the wtool command line with {DIR} for the corpus folder and {OUT} for a scratch output folder.
scripts/bomb_check.py runs them. Needs numpy, onnx and h5py (the project's venv).
"""
from __future__ import annotations

import argparse
import io
import json
import os
import struct
import subprocess
import sys
import zipfile
import zlib

import h5py
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES: list[dict] = []


def case(name, fmt, what, args, expect="refused"):
    """expect: "refused" (one error line), or "bounded" (a success is fine too, within the
    memory cap and the time limit: files that are legal but extreme, or hostile only in what
    they must not do, like writing outside their folder)."""
    CASES.append({"name": name, "format": fmt, "what": what, "args": args, "expect": expect})


def save_onnx(out, name, graph, opset=17, check=False):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="bombs")
    path = os.path.join(out, name)
    with open(path, "wb") as f:
        f.write(model.SerializeToString())
    return name


def declared_tensor(name, dims, data_type=TensorProto.FLOAT):
    """A TensorProto whose dims claim much and whose data is a few bytes."""
    t = TensorProto()
    t.name = name
    t.data_type = data_type
    t.dims.extend(dims)
    t.raw_data = b"\0" * 16
    return t


def x_input(shape=(1, 4)):
    return [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(shape))]


def y_output(shape=None):
    return [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)]


def onnx_cases(out):
    # Declared shapes that overflow or are absurd, on initializers.
    for name, dims, what in [
        ("onnx-init-1e12.onnx", [10**12], "an initializer declaring 10^12 floats with 16 bytes of data"),
        ("onnx-init-negative.onnx", [-5, 4], "an initializer with a negative dimension"),
        ("onnx-init-2pow62.onnx", [2**62, 4], "an initializer whose byte size overflows (2^62 × 4 floats)"),
        ("onnx-init-overflow.onnx", [2**31, 2**31, 2**31], "an initializer whose element count overflows Int64"),
        ("onnx-init-2pow63.onnx", [2**63 - 1], "an initializer of 2^63 − 1 elements"),
    ]:
        g = helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"])], "g", x_input(), y_output(), [declared_tensor("w", dims)])
        case(name, "onnx", what, ["summary", "{DIR}/" + save_onnx(out, name, g)])
    # External data that points outside the model's folder, or far past its file.
    t = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[4], data_location=TensorProto.EXTERNAL)
    t.external_data.extend([onnx.StringStringEntryProto(key="location", value="../../../../../etc/passwd")])
    g = helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"])], "g", x_input(), y_output(), [t])
    case("onnx-external-dotdot.onnx", "onnx", "external data at ../../../../../etc/passwd",
         ["convert", "{DIR}/" + save_onnx(out, "onnx-external-dotdot.onnx", g), "{OUT}/o.swm"])
    open(os.path.join(out, "onnx-external-huge.bin"), "wb").write(b"\0" * 64)
    t = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[2**40], data_location=TensorProto.EXTERNAL)
    t.external_data.extend([onnx.StringStringEntryProto(key="location", value="onnx-external-huge.bin"),
                            onnx.StringStringEntryProto(key="offset", value="0"),
                            onnx.StringStringEntryProto(key="length", value=str(2**42))])
    g = helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"])], "g", x_input(), y_output(), [t])
    case("onnx-external-huge.onnx", "onnx", "external data declaring 4 TiB in a 64-byte file",
         ["convert", "{DIR}/" + save_onnx(out, "onnx-external-huge.onnx", g), "{OUT}/o.swm"])

    # 120,000 nodes.
    n = 120_000
    nodes = [helper.make_node("Relu", ["x" if i == 0 else f"t{i - 1}"], ["y" if i == n - 1 else f"t{i}"]) for i in range(n)]
    g = helper.make_graph(nodes, "long", x_input(), y_output([1, 4]))
    case("onnx-120k-nodes.onnx", "onnx", "a chain of 120,000 Relu nodes",
         ["convert", "{DIR}/" + save_onnx(out, "onnx-120k-nodes.onnx", g), "{OUT}/o.swm"])
    # A cycle.
    g = helper.make_graph([helper.make_node("Add", ["x", "b"], ["a"]), helper.make_node("Relu", ["a"], ["b"]),
                           helper.make_node("Relu", ["a"], ["y"])], "cycle", x_input(), y_output())
    case("onnx-cycle.onnx", "onnx", "two nodes that feed each other", ["summary", "{DIR}/" + save_onnx(out, "onnx-cycle.onnx", g)])
    g = helper.make_graph([helper.make_node("Relu", ["y"], ["y"])], "self", x_input(), y_output())
    case("onnx-self-loop.onnx", "onnx", "a node that consumes its own output", ["summary", "{DIR}/" + save_onnx(out, "onnx-self-loop.onnx", g)])
    # Deeply nested subgraphs (If → then_branch → If → …), 300 levels, and raw protobuf nested
    # 30,000 deep, both hand-encoded (the onnx package's own protobuf refuses depth > 100).
    def nested(depth, op):
        graph = b""
        for _ in range(depth):
            attribute = pb(1, b"then_branch") + pb_varint(20, 5) + pb(6, graph)          # AttributeProto: name, type GRAPH, g
            node = pb(1, b"c") + pb(2, b"y") + pb(4, op) + pb(5, attribute)             # NodeProto: input, output, op_type, attribute
            graph = pb(1, node) + pb(2, b"g")                                            # GraphProto: node, name
        opset = pb(1, b"") + pb_varint(2, 17)
        return pb_varint(1, 8) + pb(7, graph) + pb(8, opset)                             # ModelProto: ir_version, graph, opset_import
    open(os.path.join(out, "onnx-nested-300.onnx"), "wb").write(nested(300, b"If"))
    case("onnx-nested-300.onnx", "onnx", "If subgraphs nested 300 deep", ["summary", "{DIR}/onnx-nested-300.onnx"])
    open(os.path.join(out, "onnx-proto-depth-30k.onnx"), "wb").write(nested(30_000, b"If"))
    case("onnx-proto-depth-30k.onnx", "onnx", "protobuf messages nested 90,000 deep (30,000 If graphs)",
         ["summary", "{DIR}/onnx-proto-depth-30k.onnx"])
    # Thousands of attributes on one node.
    node = helper.make_node("Relu", ["x"], ["y"])
    node.attribute.extend(helper.make_attribute(f"a{i}", i) for i in range(20_000))
    g = helper.make_graph([node], "attrs", x_input(), y_output())
    case("onnx-20k-attributes.onnx", "onnx", "one node with 20,000 attributes", ["summary", "{DIR}/" + save_onnx(out, "onnx-20k-attributes.onnx", g)])
    # A huge string field claiming 2 GiB, truncated.
    open(os.path.join(out, "onnx-length-2gib.onnx"), "wb").write(b"\x08\x08\x3a" + varint(2**31 - 1) + b"\x0a\x00")
    case("onnx-length-2gib.onnx", "onnx", "a graph field claiming 2 GiB in a 10-byte file", ["summary", "{DIR}/onnx-length-2gib.onnx"])
    # Shape arithmetic on constants (folded at import, or evaluated by the runtime): ConstantOfShape,
    # Expand, Range, Tile of 10^12 elements, beside an ordinary input so `run` has one to feed.
    np.save(os.path.join(out, "x-1x4.npy"), np.zeros((1, 4), np.float32))

    def constant_bomb(name, node, inits, what):
        g = helper.make_graph([node, helper.make_node("Relu", ["x"], ["z"])], "bomb", x_input(),
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None),
                               helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 4])], inits)
        case(name, "onnx", what, ["run", "{DIR}/" + save_onnx(out, name, g), "--input", "x={DIR}/x-1x4.npy", "--out", "{OUT}/o.npz"])
    constant_bomb("onnx-constantofshape-1e12.onnx", helper.make_node("ConstantOfShape", ["shape"], ["y"]),
                  [numpy_helper.from_array(np.array([10**12], np.int64), "shape")], "ConstantOfShape of 10^12 elements")
    constant_bomb("onnx-expand-1e12.onnx", helper.make_node("Expand", ["one", "shape"], ["y"]),
                  [numpy_helper.from_array(np.array([1.0], np.float32), "one"),
                   numpy_helper.from_array(np.array([10**6, 10**6], np.int64), "shape")], "Expand of a constant to 10^6 × 10^6")
    constant_bomb("onnx-range-1e12.onnx", helper.make_node("Range", ["s", "l", "d"], ["y"]),
                  [numpy_helper.from_array(np.array(v, np.float32), n) for n, v in (("s", 0.0), ("l", 1e12), ("d", 1.0))],
                  "Range(0, 10^12, 1) of constants")
    constant_bomb("onnx-tile-4e12.onnx", helper.make_node("Tile", ["base", "reps"], ["y"]),
                  [numpy_helper.from_array(np.ones((2, 2), np.float32), "base"),
                   numpy_helper.from_array(np.array([10**6, 10**6], np.int64), "reps")], "Tile of a constant by 10^6 × 10^6")
    # Run-time bombs: a declared input of 60000×60000×3 and an upsampling Resize by 10^4.
    g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "bigin",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 60000, 60000, 3])], y_output())
    case("onnx-input-60000.onnx", "onnx", "a model whose input is 60000×60000×3, run on a photo",
         ["run", "{DIR}/" + save_onnx(out, "onnx-input-60000.onnx", g), os.path.join(ROOT, "samples/photos/chelsea.jpg"),
          "--out", "{OUT}/o.npy"])
    scales = numpy_helper.from_array(np.array([1, 1, 1e4, 1e4], np.float32), "scales")
    g = helper.make_graph([helper.make_node("Resize", ["x", "", "scales"], ["y"])], "resize",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 64, 64])], y_output(), [scales], )
    np.save(os.path.join(out, "x-1x3x64x64.npy"), np.zeros((1, 3, 64, 64), np.float32))
    case("onnx-resize-1e4.onnx", "onnx", "Resize by 10^4 in each spatial dimension (a 2.5 × 10^9-pixel output)",
         ["run", "{DIR}/" + save_onnx(out, "onnx-resize-1e4.onnx", g, opset=13), "--input", "x={DIR}/x-1x3x64x64.npy", "--out", "{OUT}/o.npy"])
    # 100,000 tiny initializers.
    inits = [numpy_helper.from_array(np.array([float(i)], np.float32), f"w{i}") for i in range(100_000)]
    g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "inits", x_input(), y_output(), inits)
    case("onnx-100k-initializers.onnx", "onnx", "100,000 unused initializers",
         ["convert", "{DIR}/" + save_onnx(out, "onnx-100k-initializers.onnx", g), "{OUT}/o.swm"], expect="bounded")


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def pb(field, payload: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return varint(field << 3 | 2) + varint(len(payload)) + payload


def pb_varint(field, value) -> bytes:
    return varint(field << 3) + varint(value)


def zip_bomb_member(size, chunk=1 << 24):
    """A raw deflate stream of `size` zero bytes (`size` a multiple of `chunk`), made in
    milliseconds: one chunk compressed and byte-aligned with a full flush is an independent
    segment, so repeating it and closing with an empty final block is a valid stream."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = comp.compress(b"\0" * chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    assert size % chunk == 0
    return segment * (size // chunk) + b"\x03\x00", None


def write_zip_with_raw_member(path, members):
    """A zip whose members are given as (name, uncompressed size, crc, deflated bytes)."""
    with open(path, "wb") as f:
        central = b""
        for name, size, crc, data in members:
            offset = f.tell()
            nb = name.encode()
            f.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 8, 0, 0, crc, min(len(data), 0xFFFFFFFF),
                                min(size, 0xFFFFFFFF), len(nb), 0) + nb + data)
            central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 8, 0, 0, crc, min(len(data), 0xFFFFFFFF),
                                   min(size, 0xFFFFFFFF), len(nb), 0, 0, 0, 0, 0, offset) + nb
        start = f.tell()
        f.write(central)
        f.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), start, 0))


_ZERO_CRCS: dict[int, int] = {}


def crc_of_zeros(size, chunk=1 << 24):
    if size not in _ZERO_CRCS:
        crc = 0
        zeros = b"\0" * chunk
        left = size
        while left > 0:
            crc = zlib.crc32(zeros[:min(chunk, left)], crc)
            left -= min(chunk, left)
        _ZERO_CRCS[size] = crc
    return _ZERO_CRCS[size]


def keras_cases(out):
    config = open(os.path.join(ROOT, "samples/mini/mini.keras"), "rb")
    with zipfile.ZipFile(config) as z:
        real = {n: z.read(n) for n in z.namelist()}
    # A zip bomb in model.weights.h5: 3 GiB of zeros in ~3 MB.
    size = 3 << 30
    data, _ = zip_bomb_member(size)
    write_zip_with_raw_member(os.path.join(out, "keras-zip-bomb.keras"), [
        ("config.json", len(real["config.json"]), zlib.crc32(real["config.json"]), zlib.compress(real["config.json"])[2:-4]),
        ("model.weights.h5", size, crc_of_zeros(size), data)])
    case("keras-zip-bomb.keras", "keras", "model.weights.h5 inflating to 3 GiB of zeros from 3 MB",
         ["convert", "{DIR}/keras-zip-bomb.keras", "{OUT}/o.swm"])
    # config.json inflating to 1 GiB of zeros (not JSON: only its size matters).
    size = 1 << 30
    data, _ = zip_bomb_member(size)
    write_zip_with_raw_member(os.path.join(out, "keras-config-bomb.keras"), [("config.json", size, crc_of_zeros(size), data)])
    case("keras-config-bomb.keras", "keras", "config.json inflating to 1 GiB", ["summary", "{DIR}/keras-config-bomb.keras"])
    # Entries with .. and absolute paths beside a real model: nothing may be written outside.
    with zipfile.ZipFile(os.path.join(out, "keras-dotdot.keras"), "w") as z:
        for n, d in real.items():
            z.writestr(n, d)
        z.writestr("../../../../tmp/wtool-zip-slip", b"owned")
        z.writestr("/tmp/wtool-zip-slip-abs", b"owned")
    case("keras-dotdot.keras", "keras", "entries named ../../../../tmp/… and /tmp/… beside a real model (nothing may be written there)",
         ["convert", "{DIR}/keras-dotdot.keras", "{OUT}/o.swm"], expect="bounded")
    # A member whose declared size is 6 GiB but whose data is small (a lying header).
    write_zip_with_raw_member(os.path.join(out, "keras-declared-6gib.keras"), [
        ("config.json", 6 << 30, 0, zlib.compress(real["config.json"])[2:-4])])
    case("keras-declared-6gib.keras", "keras", "config.json declaring 6 GiB", ["summary", "{DIR}/keras-declared-6gib.keras"])
    # A config nested 100,000 deep.
    deep = b'{"class_name": "Sequential", "config": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with zipfile.ZipFile(os.path.join(out, "keras-json-depth.keras"), "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("config.json", deep)
        z.writestr("model.weights.h5", real["model.weights.h5"])
    case("keras-json-depth.keras", "keras", "config.json nested 100,000 deep", ["summary", "{DIR}/keras-json-depth.keras"])
    # 100,000 layers.
    layers = [{"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4], "dtype": "float32", "name": "in"}}]
    layers += [{"class_name": "Activation", "config": {"name": f"a{i}", "activation": "relu"}} for i in range(100_000)]
    cfg = json.dumps({"class_name": "Sequential", "config": {"name": "deep", "layers": layers}})
    with h5py.File(os.path.join(out, "keras-100k-layers.h5"), "w", libver="latest") as f:
        f.attrs["keras_version"] = "2.15.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs.create("model_config", np.bytes_(cfg))
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = np.array([], dtype="S1")
    case("keras-100k-layers.h5", "keras", "a Sequential of 100,000 layers", ["convert", "{DIR}/keras-100k-layers.h5", "{OUT}/o.swm"])
    # JSON nested 100,000 deep in an .h5's model_config (parsed in the isolated child).
    with h5py.File(os.path.join(out, "keras-h5-json-depth.h5"), "w", libver="latest") as f:
        f.attrs["keras_version"] = "2.15.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs.create("model_config", np.bytes_(deep))
        f.create_group("model_weights").attrs["layer_names"] = np.array([], dtype="S1")
    case("keras-h5-json-depth.h5", "keras", "model_config nested 100,000 deep", ["summary", "{DIR}/keras-h5-json-depth.h5"])
    # HDF5: a weight whose dataspace is patched to 2^40 × 7, and a chunked one whose chunk is patched huge.
    h5_patched(out)


def h5_patched(out):
    cfg = {"class_name": "Sequential", "config": {"name": "m", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 12345], "dtype": "float32", "name": "in"}},
        {"class_name": "Dense", "config": {"name": "dense", "units": 7, "activation": "linear", "use_bias": False}}]}}

    def write(path, chunks, padded_names=False):
        with h5py.File(path, "w") as f:
            f.attrs["keras_version"] = "2.15.0"
            f.attrs["backend"] = "tensorflow"
            f.attrs["model_config"] = json.dumps(cfg)
            g = f.create_group("model_weights")
            # The attribute case lists 1237 names, a count to find and patch in the bytes.
            g.attrs["layer_names"] = [b"dense"] + ([b"pad%04d" % i for i in range(1236)] if padded_names else [])
            d = g.create_group("dense")
            d.attrs["weight_names"] = [b"dense/kernel:0"]
            d.create_dataset("dense/kernel:0", data=np.zeros((12345, 7), np.float32), chunks=chunks)
    path = os.path.join(out, "hdf5-dims-2pow40.h5")
    write(path, None)
    raw = bytearray(open(path, "rb").read())
    needle = struct.pack("<QQ", 12345, 7)
    at = raw.find(needle)
    assert at > 0
    raw[at:at + 16] = struct.pack("<QQ", 2**40 + 12345, 7)
    if raw.find(needle, at + 16) > 0:   # max dims
        j = raw.find(needle, at + 16)
        raw[j:j + 16] = struct.pack("<QQ", 2**40 + 12345, 7)
    open(path, "wb").write(raw)
    case("hdf5-dims-2pow40.h5", "hdf5", "a weight whose dataspace says 2^40 × 7", ["convert", "{DIR}/hdf5-dims-2pow40.h5", "{OUT}/o.swm"])
    path = os.path.join(out, "hdf5-chunk-huge.h5")
    write(path, (12345, 7))
    raw = bytearray(open(path, "rb").read())
    needle = struct.pack("<III", 12345, 7, 4)   # layout message v3: chunk dims (u32) + element size
    at = raw.find(needle)
    assert at > 0, "chunk layout not found"
    raw[at:at + 12] = struct.pack("<III", 0xFFFFFFF0, 0xFFFFFFF0, 4)
    open(path, "wb").write(raw)
    case("hdf5-chunk-huge.h5", "hdf5", "a weight whose chunk is patched to 2^32 × 2^32 elements", ["convert", "{DIR}/hdf5-chunk-huge.h5", "{OUT}/o.swm"])
    path = os.path.join(out, "hdf5-attribute-huge.h5")
    write(path, None, padded_names=True)
    raw = bytearray(open(path, "rb").read())
    needle = struct.pack("<Q", 1237)
    at = raw.find(needle)
    assert at > 0, "attribute dataspace not found"
    raw[at:at + 8] = struct.pack("<Q", 2**56)
    open(path, "wb").write(raw)
    case("hdf5-attribute-huge.h5", "hdf5", "the layer_names attribute's dataspace patched to 2^56 strings", ["summary", "{DIR}/hdf5-attribute-huge.h5"])


def npy_header(shape_text, descr="<f4"):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape_text)
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode()


def npy_cases(out):
    g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "relu",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 4])], y_output())
    model = save_onnx(out, "relu-any.onnx", g)
    for name, shape, what in [("npy-1e12.npy", "(1000000000000,)", "a .npy header declaring 10^12 floats"),
                              ("npy-overflow.npy", "(4611686018427387904, 4)", "a .npy header whose byte size overflows"),
                              ("npy-negative.npy", "(-3, 4)", "a .npy header with a negative dimension")]:
        open(os.path.join(out, name), "wb").write(npy_header(shape) + b"\0" * 64)
        case(name, "npy", what, ["run", "{DIR}/" + model, "--input", "x={DIR}/" + name, "--out", "{OUT}/o.npy"])
    size = 3 << 30
    data, _ = zip_bomb_member(size)
    payload = npy_header("(%d, 4)" % (size // 16))
    write_zip_with_raw_member(os.path.join(out, "npz-bomb.npz"), [("x.npy", size, crc_of_zeros(size), data)])
    case("npz-bomb.npz", "npy", "an .npz whose member inflates to 3 GiB", ["run", "{DIR}/" + model, "--input", "x={DIR}/npz-bomb.npz", "--out", "{OUT}/o.npy"])


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def image_cases(out):
    mini = os.path.join(out, "mini.swm")
    # PNG 60000×60000: a real zlib stream of the first rows (the rest missing).
    ihdr = struct.pack(">IIBBBBB", 60000, 60000, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\0" * (1 + 60000 * 3) * 64)
    png = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", rows) + png_chunk(b"IEND", b"")
    open(os.path.join(out, "image-60000.png"), "wb").write(png)
    case("image-60000.png", "image", "a PNG declaring 60000×60000 pixels", ["run", "{DIR}/mini.swm", "{DIR}/image-60000.png", "--out", "{OUT}/o.npy"])
    ihdr = struct.pack(">IIBBBBB", 100_000_000, 1, 8, 0, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + png_chunk(b"IEND", b"")
    open(os.path.join(out, "image-1e8-wide.png"), "wb").write(png)
    case("image-1e8-wide.png", "image", "a PNG 10^8 pixels wide and 1 high", ["run", "{DIR}/mini.swm", "{DIR}/image-1e8-wide.png", "--out", "{OUT}/o.npy"])
    # JPEG 60000×60000: a real baseline JPEG (from the samples) with its SOF0 size patched.
    raw = bytearray(open(os.path.join(ROOT, "samples/photos/chelsea.jpg"), "rb").read())
    i = 2
    while i < len(raw):
        marker = raw[i + 1]
        length = struct.unpack(">H", raw[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            raw[i + 5:i + 9] = struct.pack(">HH", 60000, 60000)
            break
        i += 2 + length
    open(os.path.join(out, "image-60000.jpg"), "wb").write(raw)
    case("image-60000.jpg", "image", "a JPEG whose frame header says 60000×60000", ["run", "{DIR}/mini.swm", "{DIR}/image-60000.jpg", "--out", "{OUT}/o.npy"])
    # features over a folder holding the 60000×60000 images.
    for cls in ("a", "b"):
        os.makedirs(os.path.join(out, "dataset", cls), exist_ok=True)
    os.replace(os.path.join(out, "image-60000.png"), os.path.join(out, "dataset/a/big.png")) if False else None
    with open(os.path.join(out, "dataset/a/big.png"), "wb") as f:
        f.write(open(os.path.join(out, "image-60000.png"), "rb").read())
    with open(os.path.join(out, "dataset/b/big.jpg"), "wb") as f:
        f.write(open(os.path.join(out, "image-60000.jpg"), "rb").read())
    case("features-60000", "image", "features over a folder of 60000×60000 images",
         ["features", "{DIR}/mini.swm", "{DIR}/dataset", "--out", "{OUT}/f.npy", "--labels", "{OUT}/l.npy"])
    # A huge --size request on a real photo.
    case("size-60000", "image", "run with --size 60000,60000 on a real photo",
         ["run", "{DIR}/mini.swm", os.path.join(ROOT, "samples/photos/chelsea.jpg"), "--size", "60000,60000", "--out", "{OUT}/o.npy"])


def swm_cases(out, wtool):
    mini = os.path.join(out, "mini.swm")
    subprocess.run([wtool, "convert", os.path.join(ROOT, "samples/mini/mini.keras3.h5"), mini, "--quiet", "--force"], check=True)
    raw = bytearray(open(mini, "rb").read())
    def fix_crcs(b: bytearray) -> bytearray:
        """Recomputes header_crc32 and fixed_crc32 (schemas/swm.md), so only the sizes lie."""
        header_size, = struct.unpack_from("<Q", b, 16)
        graph_size, = struct.unpack_from("<I", b, 52)
        if header_size <= len(b):
            struct.pack_into("<I", b, 56, zlib.crc32(bytes(b[64:header_size - graph_size])))
        struct.pack_into("<I", b, 60, zlib.crc32(bytes(b[:60])))
        return b
    patched = bytearray(raw)
    struct.pack_into("<Q", patched, 16, 2**40)
    open(os.path.join(out, "swm-header-2pow40.swm"), "wb").write(fix_crcs(patched))
    case("swm-header-2pow40.swm", "swm", "a .swm whose header-size field says 2^40 (CRCs fixed)", ["summary", "{DIR}/swm-header-2pow40.swm"])
    tensors, = struct.unpack_from("<I", raw, 40)
    dims_at = 64 + 48 * tensors
    for name, value, what in [("swm-dims-1e12.swm", 10**12, "a tensor dimension of 10^12 (CRCs fixed)"),
                              ("swm-dims-2pow63.swm", 2**63 - 1, "a tensor dimension of 2^63 − 1 (CRCs fixed)")]:
        patched = bytearray(raw)
        struct.pack_into("<Q", patched, dims_at, value)
        open(os.path.join(out, name), "wb").write(fix_crcs(patched))
        case(name, "swm", what, ["summary", "{DIR}/" + name])
    patched = bytearray(raw)
    struct.pack_into("<I", patched, 40, 0xFFFFFFFF)
    open(os.path.join(out, "swm-tensor-count.swm"), "wb").write(fix_crcs(patched))
    case("swm-tensor-count.swm", "swm", "a tensor count of 2^32 − 1 (CRCs fixed)", ["summary", "{DIR}/swm-tensor-count.swm"])
    # A .swm of the 120,000-node ONNX graph (converted with the limit raised), read with the default.
    long_onnx = os.path.join(out, "onnx-120k-nodes.onnx")
    p = subprocess.run([wtool, "convert", long_onnx, os.path.join(out, "swm-120k-nodes.swm"), "--quiet", "--force",
                        "--max-nodes", "200000"], capture_output=True)
    if p.returncode == 0:
        case("swm-120k-nodes.swm", "swm", "a .swm holding a graph of 120,000 nodes", ["run", "{DIR}/swm-120k-nodes.swm",
             "--input", "x={DIR}/x-1x4.npy", "--out", "{OUT}/o.npy"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--wtool", default=os.path.join(ROOT, ".build/release/wtool"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    onnx_cases(args.out)
    keras_cases(args.out)
    npy_cases(args.out)
    swm_cases(args.out, args.wtool)
    image_cases(args.out)
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(CASES, f, indent=1)
    formats = sorted({c["format"] for c in CASES})
    counts = ", ".join("%d %s" % (sum(c["format"] == x for c in CASES), x) for x in formats)
    print(f"make_bombs: {len(CASES)} cases ({counts}) in {args.out}")


if __name__ == "__main__":
    main()
