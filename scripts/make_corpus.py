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

The case list is deterministic: a fixed seed picks the random bit flips.
"""
import argparse
import io
import json
import os
import random
import shutil
import socket
import struct
import subprocess
import sys
import zipfile
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wtool_scripts.swm import ENTRY, FIXED, MAGIC as SWM_MAGIC  # noqa: E402  (the layout's one Python description)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLES = os.path.join(ROOT, "samples")
CVE_DIR = os.path.join(ROOT, "..", "shared", "corpus", "hdf5-cve")
U64 = 2**64 - 1


# ---------------------------------------------------------------------------------------------
# .swm layout (schemas/swm.md): parse a sound file into parts, rebuild it with chosen damage.


class SWMParts:
    """A .swm split into its sections; `build()` reassembles it, fixing every CRC unless told."""

    def __init__(self, raw):
        (magic, self.major, self.minor, self.bom, header_size, self.data_offset, data_size, count,
         dims_count, strings_size, graph_size, _, _) = FIXED.unpack_from(raw, 0)
        assert magic == SWM_MAGIC
        self.entries = [list(ENTRY.unpack_from(raw, 64 + 48 * i)) for i in range(count)]
        dims_at = 64 + 48 * count
        self.dims = list(struct.unpack_from(f"<{dims_count}Q", raw, dims_at))
        strings_at = dims_at + 8 * dims_count
        self.strings = bytearray(raw[strings_at:strings_at + strings_size])
        self.graph_json = bytes(raw[strings_at + strings_size + 4:header_size])
        self.data = bytearray(raw[self.data_offset:])
        assert len(self.data) == data_size
        self.raw = bytes(raw)

    def copy(self):
        return SWMParts(self.raw)

    @property
    def graph(self):
        return json.loads(self.graph_json)

    def set_graph(self, obj):
        self.graph_json = json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()

    def name(self, i):
        e = self.entries[i]
        return bytes(self.strings[e[2]:e[2] + e[3]]).decode()

    def build(self, fix_fixed=True, fix_header=True, fix_graph=True, **override):
        table = b"".join(ENTRY.pack(*e) for e in self.entries)
        dims = struct.pack(f"<{len(self.dims)}Q", *self.dims)
        indexed = table + dims + bytes(self.strings)
        graph_crc = zlib.crc32(self.graph_json) if fix_graph else zlib.crc32(self.graph_json) ^ 1
        graph = struct.pack("<I", graph_crc) + self.graph_json
        header_size = 64 + len(indexed) + len(graph)
        # The bytes always sit where a sound writer puts them; overrides change only the fields.
        layout_offset = (header_size + 4095) // 4096 * 4096
        fields = dict(major=self.major, minor=self.minor, bom=self.bom, header_size=header_size,
                      data_offset=layout_offset, data_size=len(self.data), count=len(self.entries),
                      dims_count=len(self.dims), strings_size=len(self.strings), graph_size=len(graph),
                      header_crc=zlib.crc32(indexed) if fix_header else zlib.crc32(indexed) ^ 1)
        magic = override.pop("magic", SWM_MAGIC)
        fields.update(override)
        fixed = FIXED.pack(magic, fields["major"], fields["minor"], fields["bom"], fields["header_size"],
                           fields["data_offset"], fields["data_size"], fields["count"], fields["dims_count"],
                           fields["strings_size"], fields["graph_size"], fields["header_crc"], 0)[:60]
        fixed += struct.pack("<I", zlib.crc32(fixed) if fix_fixed else zlib.crc32(fixed) ^ 1)
        body = fixed + indexed + graph
        return body + b"\0" * (layout_offset - len(body)) + bytes(self.data)

    def boundaries(self):
        count, dims_count = len(self.entries), len(self.dims)
        dims_at = 64 + 48 * count
        strings_at = dims_at + 8 * dims_count
        graph_at = strings_at + len(self.strings)
        header_size = graph_at + 4 + len(self.graph_json)
        return {"fixed header": 64, "first table entry": 64 + 48, "table": dims_at, "dims": strings_at,
                "strings": graph_at, "graph CRC": graph_at + 4, "header": header_size,
                "data section": self.data_offset}


# ---------------------------------------------------------------------------------------------


class Corpus:
    def __init__(self, out, seed):
        self.out = out
        self.rng = random.Random(seed)
        self.cases = []
        self.ids = set()

    def add(self, cid, rel, what, expect="invalid", role="model", **extra):
        assert cid not in self.ids, cid
        self.ids.add(cid)
        self.cases.append(dict(id=cid, path=rel, what=what, expect=expect, role=role, **extra))

    def file(self, cid, name, data, what, expect="invalid", role="model", sub="models", mode=None, **extra):
        rel = os.path.join(sub, name)
        full = os.path.join(self.out, rel)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(data)
        if mode is not None:
            os.chmod(full, mode)
        self.add(cid, rel, what, expect, role, **extra)
        return full


def flip(data, offset, bit):
    b = bytearray(data)
    b[offset] ^= 1 << bit
    return bytes(b)


def read(path):
    with open(path, "rb") as f:
        return f.read()


# ---------------------------------------------------------------------------------------------
# .swm


def swm_cases(c, base):
    raw = base.raw
    size = len(raw)
    b = base.boundaries()
    c.file("swm-valid", "mini.swm", raw, "the sound .swm every other .swm case is made from", expect="valid")
    c.file("swm-valid-minor-99", "minor99.swm", base.build(minor=99),
           "minor version 1.99: readers accept higher minors (§6)", expect="valid")

    # Truncations: every section boundary, one byte either side, and mid-data.
    offsets = {1: "1 byte", 4: "half the magic", 7: "magic minus one byte", 8: "the magic only",
               12: "mid fixed header", 59: "before fixed_crc32", 60: "fixed_crc32 cut"}
    for label, at in b.items():
        offsets.setdefault(at - 1, f"one byte before the end of the {label}")
        offsets.setdefault(at, f"exactly at the end of the {label}")
        if at + 1 < size:
            offsets.setdefault(at + 1, f"one byte after the end of the {label}")
    data_at = b["data section"]
    for frac in (4, 2):
        offsets.setdefault(data_at + (size - data_at) // frac, f"mid-data (1/{frac})")
    offsets.setdefault(size - 64, "last 64 bytes missing")
    offsets.setdefault(size - 1, "last byte missing")
    for at in sorted(offsets):
        if 0 < at < size:
            c.file(f"swm-trunc-{at:05d}", f"trunc-{at:05d}.swm", raw[:at], f".swm truncated at {at}: {offsets[at]}")
    c.file("swm-trailing-1", "trailing1.swm", raw + b"\0", "one trailing byte after the data section")
    c.file("swm-trailing-page", "trailing4096.swm", raw + b"\0" * 4096, "a trailing page after the data section")

    # Magic, version, byte order.
    c.file("swm-magic-byte0", "magic0.swm", b"\x88" + raw[1:], "first magic byte wrong")
    c.file("swm-magic-7bit", "magic7bit.swm", bytes([raw[0] & 0x7F]) + raw[1:], "magic mangled by a 7-bit channel")
    c.file("swm-text-mode", "textmode.swm", raw.replace(b"\r\n", b"\n"), "CRLF -> LF text-mode transfer damage")
    c.file("swm-magic-hdf5", "hdf5magic.swm", b"\x89HDF\r\n\x1a\n" + raw[8:], ".swm body behind an HDF5 signature")
    c.file("swm-major-2", "major2.swm", base.build(major=2), "major version 2")
    c.file("swm-major-0", "major0.swm", base.build(major=0), "major version 0")
    c.file("swm-major-ffff", "majorffff.swm", base.build(major=0xFFFF), "major version 65535")
    c.file("swm-big-endian", "bigendian.swm", base.build(bom=0x0D0C0B0A), "big-endian byte-order mark")
    c.file("swm-bom-garbage", "bom.swm", base.build(bom=0xDEADBEEF), "garbage byte-order mark")

    # Checksums not fixed up: random single-bit flips in each header region.
    fixed_crc_bytes = list(range(0, 60))
    for at in sorted(c.rng.sample(fixed_crc_bytes, 10)):
        bit = c.rng.randrange(8)
        c.file(f"swm-flip-fixed-{at:02d}", f"flipfixed{at:02d}.swm", flip(raw, at, bit),
               f"bit {bit} of fixed-header byte {at} flipped (fixed_crc32 must catch it)")
    for at in sorted(c.rng.sample(range(64, b["strings"]), 10)):
        bit = c.rng.randrange(8)
        c.file(f"swm-flip-table-{at:04d}", f"fliptable{at:04d}.swm", flip(raw, at, bit),
               f"bit {bit} of table/dims/strings byte {at} flipped (header_crc32 must catch it)")
    for at in sorted(c.rng.sample(range(b["graph CRC"], b["header"]), 6)):
        bit = c.rng.randrange(8)
        c.file(f"swm-flip-graph-{at:04d}", f"flipgraph{at:04d}.swm", flip(raw, at, bit),
               f"bit {bit} of graph JSON byte {at} flipped (the graph CRC must catch it)")
    c.file("swm-bad-fixed-crc", "fixedcrc.swm", base.build(fix_fixed=False), "fixed_crc32 off by one bit")
    c.file("swm-bad-header-crc", "headercrc.swm", base.build(fix_header=False), "header_crc32 off by one bit")
    c.file("swm-bad-graph-crc", "graphcrc.swm", base.build(fix_graph=False), "graph CRC off by one bit")

    # Fixed-header fields, every CRC fixed up so the structural rule fires.
    n = len(base.entries)
    fixed_cases = [
        ("header-size-plus1", dict(header_size=b["header"] + 1), "header_size one more than its sections"),
        ("header-size-max", dict(header_size=U64), "header_size 2^64-1"),
        ("tensor-count-plus1", dict(count=n + 1), "tensor_count one more than the table holds"),
        ("tensor-count-max", dict(count=0xFFFFFFFF), "tensor_count 2^32-1"),
        ("tensor-count-cap", dict(count=(1 << 20) + 1, header_size=64 + 48 * ((1 << 20) + 1)),
         "tensor_count over the 2^20 cap, header_size to match"),
        ("huge-consistent-header", dict(count=1 << 20, dims_count=0xFFFFFFFF, strings_size=0xFFFFFFFF,
                                        graph_size=0xFFFFFFFF,
                                        header_size=64 + 48 * (1 << 20) + 8 * 0xFFFFFFFF + 2 * 0xFFFFFFFF),
         "every size field at its maximum, header_size consistent with them (over the 64 MiB cap)"),
        ("dims-count-max", dict(dims_count=0xFFFFFFFF), "dims_count 2^32-1"),
        ("strings-size-max", dict(strings_size=0xFFFFFFFF), "strings_size 2^32-1"),
        ("graph-size-0", dict(graph_size=0), "graph_size 0"),
        ("graph-size-5", dict(graph_size=5), "graph_size 5 (under the 6-byte minimum)"),
        ("graph-size-max", dict(graph_size=0xFFFFFFFF), "graph_size 2^32-1"),
        ("data-offset-unaligned", dict(data_offset=4095), "data_offset not a page multiple"),
        ("data-offset-0", dict(data_offset=0), "data_offset 0 (inside the header)"),
        ("data-offset-huge", dict(data_offset=U64 - 4095), "data_offset 2^64-4096 (page multiple, past the end)"),
        ("data-offset-next-page", dict(data_offset=b["data section"] + 4096), "data_offset one page too far"),
        ("data-size-max", dict(data_size=U64), "data_size 2^64-1"),
        ("data-size-0", dict(data_size=0), "data_size 0 (the whole data section is trailing bytes)"),
        ("data-size-minus1", dict(data_size=len(base.data) - 1), "data_size one short (one trailing byte)"),
        ("data-size-plus1", dict(data_size=len(base.data) + 1), "data_size one past the end of the file"),
    ]
    for cid, override, what in fixed_cases:
        c.file(f"swm-{cid}", f"{cid}.swm", base.build(**override), what + "; CRCs fixed up")

    # Tensor table entries.
    def entry_case(cid, what, edit, expect="invalid"):
        p = base.copy()
        edit(p)
        c.file(f"swm-{cid}", f"{cid}.swm", p.build(), what + "; CRCs fixed up", expect=expect)

    def set_field(i, field, value):
        def edit(p):
            p.entries[i][field] = value
        return edit

    OFF, LEN, NOFF, NLEN, DIDX, RANK, DTYPE, LAYOUT, FLAGS, CRC, RES1, RES2 = range(12)
    e1 = base.entries[1]
    entry_case("offset-plus1", "tensor #2 data offset + 1 (misaligned)", set_field(2, OFF, base.entries[2][OFF] + 1))
    entry_case("offset-plus32", "tensor #2 data offset + 32 (misaligned)", set_field(2, OFF, base.entries[2][OFF] + 32))
    entry_case("offset-overlap", "tensor #2 placed on tensor #0's bytes (overlap)", set_field(2, OFF, base.entries[0][OFF]))
    entry_case("offset-overlap-partial", "tensor #1 starts inside tensor #0 (64-aligned overlap)",
               set_field(1, OFF, base.entries[0][OFF] + 64))
    entry_case("offset-end", "tensor #2 starts at the end of the data section", set_field(2, OFF, len(base.data)))
    entry_case("offset-past-end", "tensor #2 starts a page past the data section", set_field(2, OFF, len(base.data) + 4096))
    entry_case("offset-wraps", "tensor #2 offset 2^64-64: offset + length wraps around", set_field(2, OFF, U64 - 63))
    entry_case("length-plus4", "tensor #1 byte length 4 more than its shape", set_field(1, LEN, e1[LEN] + 4))
    entry_case("length-huge", "tensor #1 byte length 2^63", set_field(1, LEN, 1 << 63))
    entry_case("length-max", "tensor #1 byte length 2^64-1", set_field(1, LEN, U64))
    entry_case("name-offset-outside", "name offset at the end of the string table",
               set_field(1, NOFF, len(base.strings)))
    entry_case("name-offset-max", "name offset 2^32-1", set_field(1, NOFF, 0xFFFFFFFF))
    entry_case("name-length-0", "empty tensor name", set_field(1, NLEN, 0))
    entry_case("name-length-4097", "name length 4097 (over the cap)", set_field(1, NLEN, 4097))
    entry_case("name-length-max", "name length 2^32-1", set_field(1, NLEN, 0xFFFFFFFF))

    def bad_utf8(seq):
        def edit(p):
            e = p.entries[1]
            p.strings[e[NOFF]:e[NOFF] + len(seq)] = seq
        return edit
    entry_case("name-utf8-ff", "tensor name with a 0xFF byte (invalid UTF-8)", bad_utf8(b"\xff"))
    entry_case("name-utf8-overlong", "tensor name with an overlong UTF-8 '/' (C0 AF)", bad_utf8(b"\xc0\xaf"))
    entry_case("name-utf8-surrogate", "tensor name with a UTF-8-encoded surrogate (ED A0 80)", bad_utf8(b"\xed\xa0\x80"))

    def duplicate(p):
        p.entries[3][NOFF], p.entries[3][NLEN] = p.entries[1][NOFF], p.entries[1][NLEN]
    entry_case("name-duplicate", "two tensors with the same name", duplicate)

    def rename(p):
        e = p.entries[0]
        name = bytes(p.strings[e[NOFF]:e[NOFF] + e[NLEN]])
        p.strings[e[NOFF] + e[NLEN] - 1] = ord("x") if name[-1:] != b"x" else ord("y")
    entry_case("name-not-in-graph", "a tensor renamed: the graph's weight is missing and the tensor unused", rename)
    entry_case("dims-index-outside", "dims index = dims_count", set_field(0, DIDX, len(base.dims)))
    entry_case("dims-index-max", "dims index 2^32-1", set_field(0, DIDX, 0xFFFFFFFF))
    entry_case("rank-9", "rank 9 (over the cap of 8)", set_field(0, RANK, 9))
    entry_case("rank-255", "rank 255", set_field(0, RANK, 255))
    entry_case("rank-0", "a kernel with rank 0 (scalar) but 864 bytes", set_field(0, RANK, 0))
    e0_dims = base.entries[0][DIDX]

    def set_dims(values, length=None):
        def edit(p):
            for k, v in enumerate(values):
                p.dims[e0_dims + k] = v
            if length is not None:
                p.entries[0][LEN] = length
        return edit
    entry_case("dim-2-40", "a dim of 2^40 (the cap)", set_dims([1 << 40]))
    entry_case("dim-negative", "a dim of 2^64-1 (-1 as signed)", set_dims([U64]))
    entry_case("dim-2-63", "a dim of 2^63 (Int64.min as signed)", set_dims([1 << 63]))
    entry_case("dims-overflow-elements", "dims 2^39 x 2^39: element count overflows u64",
               set_dims([1 << 39, 1 << 39, 1, 1]))
    entry_case("dims-overflow-bytes", "dims 2^39 x 2^23 x 1 x 1: bytes = elements x 4 overflows u64",
               set_dims([1 << 39, 1 << 23, 1, 1], length=0))
    entry_case("dims-huge-consistent", "dims 2^36 x 2^20, byte length consistent (2^58), far past the data",
               set_dims([1 << 36, 1 << 20, 1, 1], length=1 << 58))
    entry_case("dims-zero", "a kernel with a 0 dim and byte length 0 (shape disagrees with its layer)",
               set_dims([0], length=0))
    entry_case("dtype-0", "dtype code 0", set_field(1, DTYPE, 0))
    entry_case("dtype-10", "dtype code 10", set_field(1, DTYPE, 10))
    entry_case("dtype-255", "dtype code 255", set_field(1, DTYPE, 255))
    entry_case("dtype-f16", "an f32 bias relabelled f16 (byte length now wrong)", set_field(1, DTYPE, 2))
    entry_case("dtype-f64-consistent", "an f32 bias relabelled f64 with half the elements (shape disagrees with its layer)",
               lambda p: (p.entries[1].__setitem__(DTYPE, 9), p.dims.__setitem__(p.entries[1][DIDX], 4)))
    entry_case("layout-6", "layout code 6", set_field(1, LAYOUT, 6))
    entry_case("layout-255", "layout code 255", set_field(1, LAYOUT, 255))
    entry_case("flags-2", "reserved flag bit 1 set", set_field(1, FLAGS, 2))
    entry_case("flags-80", "reserved flag bit 7 set", set_field(1, FLAGS, 0x80))
    entry_case("reserved-u32", "reserved u32 non-zero", set_field(1, RES1, 1))
    entry_case("reserved-u64", "reserved u64 non-zero", set_field(1, RES2, 1 << 63))

    def no_tensors(p):
        p.entries, p.dims, p.strings = [], [], bytearray()
    entry_case("no-tensors", "an empty tensor table under a graph that names six weights", no_tensors)

    def drop_last(p):
        p.entries = p.entries[:-1]
    entry_case("missing-tensor", "the last tensor removed from the table", drop_last)

    # Data damage the header cannot see: only the CRCs can.
    def swap_biases(p):
        a, bb = 1, 3  # block1_conv1/bias and block1_conv2/bias: both 8 floats
        p.entries[a][OFF], p.entries[bb][OFF] = p.entries[bb][OFF], p.entries[a][OFF]
    entry_case("swapped-biases", "two equal-size biases' offsets swapped (CRCs not moved with them)", swap_biases,
               expect="checksum")
    for k in range(4):
        i = c.rng.randrange(len(base.entries))
        e = base.entries[i]
        at = e[OFF] + c.rng.randrange(e[LEN])
        bit = c.rng.randrange(8)
        p = base.copy()
        p.data[at] ^= 1 << bit
        c.file(f"swm-data-flip-{k}", f"dataflip{k}.swm", p.build(),
               f"bit {bit} of data byte {at} flipped (inside tensor '{base.name(i)}')", expect="checksum",
               tensor=base.name(i))

    # The graph JSON, with its CRC fixed up.
    def graph_case(cid, what, edit=None, json_bytes=None, expect="invalid"):
        p = base.copy()
        if json_bytes is not None:
            p.graph_json = json_bytes
        else:
            g = p.graph
            edit(g)
            p.set_graph(g)
        c.file(f"swm-graph-{cid}", f"graph-{cid}.swm", p.build(), "graph JSON: " + what, expect=expect)

    graph_case("not-json", "not JSON", json_bytes=b"{\"name\": ")
    graph_case("empty-object", "an empty object", json_bytes=b"{}")
    graph_case("array", "an array", json_bytes=b"[]")
    graph_case("deep-nesting", "100,000 nested arrays", json_bytes=b"{\"name\":" + b"[" * 100000 + b"]" * 100000 + b"}")
    graph_case("deep-nesting-objects", "50,000 nested objects",
               json_bytes=b"{\"name\":" + b"{\"a\":" * 50000 + b"1" + b"}" * 50000 + b"}")
    graph_case("huge-number", "a dimension written 1e999999", json_bytes=base.graph_json.replace(b"[-1,32,32,3]", b"[-1,1e999999,32,3]"))
    graph_case("int-overflow", "a dimension of 2^63", json_bytes=base.graph_json.replace(b"[-1,32,32,3]", b"[-1,9223372036854775808,32,3]"))
    graph_case("invalid-utf8", "a 0xFF byte inside a string", json_bytes=base.graph_json.replace(b"mini_vgg", b"mini\xffvgg", 1))
    graph_case("bom", "a UTF-8 byte-order mark before the JSON, which the JSON decoder skips (RFC 8259 §8.1 lets it)",
               json_bytes=b"\xef\xbb\xbf" + base.graph_json, expect="valid")
    graph_case("trailing-garbage", "trailing garbage after the object", json_bytes=base.graph_json + b"}}")

    def nodes(f):
        def edit(g):
            f(g["nodes"])
        return edit
    graph_case("missing-weight", "a node names a weight absent from the table",
               nodes(lambda ns: ns[0]["weights"].append("block1_conv1/extra")))
    graph_case("no-nodes", "no nodes (every tensor unused)", nodes(lambda ns: ns.clear()))
    graph_case("unknown-op", "an unknown op kind", nodes(lambda ns: ns[2]["op"].__setitem__("kind", "frobnicate")))
    graph_case("unknown-input", "a node reads a tensor nobody produces", nodes(lambda ns: ns[3]["inputs"].__setitem__(0, "ghost")))
    graph_case("cycle", "a node reads its own output", nodes(lambda ns: ns[3]["inputs"].__setitem__(0, ns[3]["outputs"][0])))
    graph_case("order", "nodes out of topological order", nodes(lambda ns: ns.reverse()))
    graph_case("duplicate-node", "two nodes with the same name and output",
               nodes(lambda ns: ns.insert(3, json.loads(json.dumps(ns[2])))))
    graph_case("unknown-output", "the graph output is not produced", lambda g: g.__setitem__("outputs", ["ghost"]))
    graph_case("no-outputs", "no graph outputs", lambda g: g.__setitem__("outputs", []))
    graph_case("no-inputs", "no graph inputs", lambda g: g.__setitem__("inputs", []))

    def attrs(i, key, value):
        return nodes(lambda ns: ns[i]["op"]["attributes"].__setitem__(key, value))
    graph_case("strides-0", "conv strides 0", attrs(0, "strides", [0, 0]))
    graph_case("strides-negative", "conv strides -1", attrs(0, "strides", [-1, -1]))
    graph_case("kernel-negative", "conv kernel size -3", attrs(0, "kernelSize", [-3, -3]))
    graph_case("kernel-mismatch", "conv kernel size 5x5 for a 3x3 kernel tensor", attrs(0, "kernelSize", [5, 5]))
    graph_case("filters-huge", "conv filters 2^40", attrs(0, "filters", 1 << 40))
    graph_case("filters-negative", "conv filters -8", attrs(0, "filters", -8))
    graph_case("dilations-huge", "conv dilations 2^62", attrs(0, "dilations", [1 << 62, 1 << 62]))
    graph_case("groups-0", "conv groups 0", attrs(0, "groups", 0))
    graph_case("padding-huge", "explicit pooling padding 2^62",
               attrs(2, "padding", {"explicit": {"top": 1 << 62, "bottom": 1 << 62, "left": 0, "right": 0}}))
    graph_case("padding-negative", "explicit pooling padding -40",
               attrs(2, "padding", {"explicit": {"top": -40, "bottom": -40, "left": 0, "right": 0}}))
    graph_case("pool-0", "pool size 0", attrs(2, "poolSize", [0, 0]))
    graph_case("pool-huge", "pool size 2^62", attrs(2, "poolSize", [1 << 62, 1 << 62]))

    def input_shape(shape):
        return lambda g: g["inputs"][0].__setitem__("shape", shape)
    graph_case("input-negative-dim", "input shape (-1, -5, 32, 3)", input_shape([-1, -5, 32, 3]))
    graph_case("input-zero-dim", "input shape (-1, 0, 0, 3)", input_shape([-1, 0, 0, 3]))
    graph_case("input-huge", "input shape (-1, 2^31, 2^31, 3): a sound graph, but no image that size can be run",
               input_shape([-1, 1 << 31, 1 << 31, 3]), expect="unrunnable")
    graph_case("input-overflow", "input shape (-1, 2^62, 2^62, 3): over the 2^60 bound, element counts overflow Int",
               input_shape([-1, 1 << 62, 1 << 62, 3]))
    graph_case("input-large", "input shape (-1, 10^6, 10^6, 3): a sound graph whose image would take 12 TB",
               input_shape([-1, 10**6, 10**6, 3]), expect="unrunnable")
    graph_case("input-rank-1", "input shape (-1,)", input_shape([-1]))
    graph_case("input-channels", "input shape (-1, 32, 32, 7): channels disagree with the kernel",
               input_shape([-1, 32, 32, 7]))
    graph_case("input-dtype", "input dtype code 99", lambda g: g["inputs"][0].__setitem__("dtype", 99))


# ---------------------------------------------------------------------------------------------
# Keras HDF5


def h5_cases(c, work):
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
    variant("config-lambda", "a Lambda layer (Python bytecode in a model file)", set_config(json.dumps(c_lambda)))

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


# ---------------------------------------------------------------------------------------------
# .keras zip


def keras_cases(c):
    path = os.path.join(SAMPLES, "mini", "mini.keras")
    raw = read(path)
    size = len(raw)
    for at in (1, 4, 30, size // 2, size - 22, size - 1):
        c.file(f"keras-trunc-{at:05d}", f"trunc-{at:05d}.keras", raw[:at], f".keras truncated at {at} of {size}")
    with zipfile.ZipFile(path) as z:
        members = {i.filename: z.read(i.filename) for i in z.infolist()}

    def make(members_list, method=zipfile.ZIP_DEFLATED):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", method) as z:
            for name, data in members_list:
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = method
                z.writestr(info, data)
        return buf.getvalue()

    def with_members(**replace):
        out = []
        for name, data in members.items():
            key = name.replace(".", "_")
            if key in replace:
                if replace[key] is None:
                    continue
                data = replace[key]
            out.append((name, data))
        return out

    def zcase(cid, what, data, expect="invalid"):
        c.file(f"keras-{cid}", f"{cid}.keras", data, what, expect=expect)

    zcase("valid", "the sample .keras rebuilt by Python's zipfile", make(list(members.items())), expect="valid")
    zcase("no-config", "no config.json", make(with_members(config_json=None)))
    zcase("no-weights", "no model.weights.h5", make(with_members(model_weights_h5=None)))
    zcase("npz-weights", "weights as model.weights.npz", make(with_members(model_weights_h5=None) + [("model.weights.npz", b"PK")]))
    zcase("config-not-json", "config.json is not JSON", make(with_members(config_json=b"{\"class_name\":")))
    zcase("config-deep", "config.json nested 100,000 arrays deep", make(with_members(config_json=b"[" * 100000 + b"]" * 100000)))
    zcase("weights-text", "model.weights.h5 is text", make(with_members(model_weights_h5=b"not hdf5")))
    zcase("weights-zip", "model.weights.h5 is itself a zip", make(with_members(model_weights_h5=raw)))
    zcase("weights-truncated", "model.weights.h5 truncated in half",
          make(with_members(model_weights_h5=members["model.weights.h5"][:len(members["model.weights.h5"]) // 2])))
    cves = sorted(n for n in os.listdir(CVE_DIR) if n.endswith(".h5")) if os.path.isdir(CVE_DIR) else []
    for name in [n for n in cves if n in ("cve-2016-4332-stab.h5", "cve-2017-17505.h5", "cve-2020-10810.h5",
                                           "cve-2018-17437.h5")]:
        zcase(f"weights-{name[:-3]}", f"model.weights.h5 is the HDF Group's {name}",
              make(with_members(model_weights_h5=read(os.path.join(CVE_DIR, name)))))
    stored = make(list(members.items()), zipfile.ZIP_STORED)
    at = stored.index(b"config.json") + len(b"config.json")  # first byte of its stored data
    zcase("member-crc", "a byte of config.json changed (its CRC-32 no longer matches)", flip(stored, at + 10, 2))
    # Local and central headers both claim LZMA (method 14) for deflated data.
    lz = bytearray(make(list(members.items())))
    for sig, off in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        i = lz.find(sig)
        while i >= 0:
            struct.pack_into("<H", lz, i + off, 14)
            i = lz.find(sig, i + 4)
    zcase("method-lzma", "every member claims compression method 14 (LZMA)", bytes(lz))
    enc = bytearray(make(list(members.items())))
    for sig, off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        i = enc.find(sig)
        while i >= 0:
            struct.pack_into("<H", enc, i + off, struct.unpack_from("<H", enc, i + off)[0] | 1)
            i = enc.find(sig, i + 4)
    zcase("encrypted", "every member flagged as encrypted", bytes(enc))
    cd = bytearray(raw)
    eocd = cd.rfind(b"PK\x05\x06")
    struct.pack_into("<I", cd, eocd + 16, size + 1000)
    zcase("cd-offset", "the central directory offset points past the end", bytes(cd))
    cd2 = bytearray(raw)
    struct.pack_into("<HH", cd2, eocd + 8, 0xFFFF, 0xFFFF)
    zcase("cd-count", "the end record claims 65,535 entries; the central directory itself is sound and is what "
          "is read (as Python's zipfile does)", bytes(cd2), expect="valid")

    # Zip bombs. A member that inflates past the size both headers declare:
    bomb_cfg = zlib.compressobj(9, zlib.DEFLATED, -15)
    inflated = b" " * (64 << 20)
    deflated = bomb_cfg.compress(inflated) + bomb_cfg.flush()
    lie = bytearray(make(with_members(config_json=None) + [("config.json", inflated)]))
    # zipfile wrote the true sizes; declare 64 bytes instead in the local and central headers.
    i = lie.find(b"PK\x03\x04config.json"[:4])
    while i >= 0:
        name_len = struct.unpack_from("<H", lie, i + 26)[0]
        if bytes(lie[i + 30:i + 30 + name_len]) == b"config.json":
            struct.pack_into("<I", lie, i + 22, 64)
        i = lie.find(b"PK\x03\x04", i + 4)
    i = lie.find(b"PK\x01\x02")
    while i >= 0:
        name_len = struct.unpack_from("<H", lie, i + 28)[0]
        if bytes(lie[i + 46:i + 46 + name_len]) == b"config.json":
            struct.pack_into("<I", lie, i + 24, 64)
        i = lie.find(b"PK\x01\x02", i + 4)
    assert len(deflated) < 1 << 20
    zcase("bomb-lying-size", "config.json declares 64 bytes and inflates to 64 MiB", bytes(lie))
    # An honest bomb: 1 GiB of zeros as model.weights.h5, about 1 MiB compressed (streamed in,
    # so generating it takes no gigabyte of memory).
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in with_members(model_weights_h5=None):
            z.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
        info = zipfile.ZipInfo("model.weights.h5", date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w") as member:
            zeros = bytes(1 << 20)
            for _ in range(1024):
                member.write(zeros)
    zcase("bomb-1gib", "model.weights.h5 inflates to 1 GiB of zeros (about 1 MiB in the zip)", buf.getvalue())


# ---------------------------------------------------------------------------------------------
# ONNX


def onnx_cases(c):
    import onnx
    from onnx import helper, numpy_helper
    path = os.path.join(SAMPLES, "mini", "mini.onnx")
    raw = read(path)
    size = len(raw)
    c.file("onnx-valid", "mini.onnx", raw, "the sample ONNX model", expect="valid")
    for at in (1, 2, 3, 10, 64, size // 2, size - 1):
        c.file(f"onnx-trunc-{at:05d}", f"trunc-{at:05d}.onnx", raw[:at], f".onnx truncated at {at} of {size}")
    base = onnx.load_from_string(raw)

    def ocase(cid, what, edit, expect="invalid"):
        m = onnx.ModelProto()
        m.CopyFrom(base)
        edit(m)
        c.file(f"onnx-{cid}", f"{cid}.onnx", m.SerializeToString(), what, expect=expect)

    def init(m, i=4):  # block1_conv1's kernel, (8, 3, 3, 3)
        return m.graph.initializer[i]

    def set_dims(dims):
        def edit(m):
            del init(m).dims[:]
            init(m).dims.extend(dims)
        return edit
    ocase("init-dims-huge", "a kernel declared (2^40, 2^40, 3, 3)", set_dims([1 << 40, 1 << 40, 3, 3]))
    ocase("init-dims-negative", "a kernel with dim -1", set_dims([-1, 3, 3, 3]))
    ocase("init-dims-overflow", "a kernel (2^62, 4, 3, 3): element and byte counts overflow", set_dims([1 << 62, 4, 3, 3]))
    ocase("init-dims-mismatch", "a kernel declared (9, 3, 3, 3) with 8x3x3x3 bytes", set_dims([9, 3, 3, 3]))
    ocase("init-raw-short", "a kernel's raw_data 4 bytes short", lambda m: setattr(init(m), "raw_data", init(m).raw_data[:-4]))
    ocase("init-type-0", "a kernel with data_type UNDEFINED", lambda m: setattr(init(m), "data_type", 0))
    ocase("init-type-string", "a kernel with data_type STRING", lambda m: setattr(init(m), "data_type", 8))
    ocase("init-type-99", "a kernel with data_type 99", lambda m: setattr(init(m), "data_type", 99))

    def external(location, offset=None, length=None):
        def edit(m):
            t = init(m)
            t.ClearField("raw_data")
            t.data_location = onnx.TensorProto.EXTERNAL
            del t.external_data[:]
            for k, v in (("location", location), ("offset", offset), ("length", length)):
                if v is not None:
                    e = t.external_data.add()
                    e.key, e.value = k, str(v)
        return edit
    ocase("external-traversal", "external data at ../../../../etc/passwd", external("../../../../etc/passwd"))
    ocase("external-absolute", "external data at /etc/passwd", external("/etc/passwd"))
    ocase("external-missing", "external data in a file that does not exist", external("nope.bin"))
    ocase("external-proc", "external data in /proc/self/mem (a path traversal to a special file)",
          external("../../../../../../proc/self/mem"))
    weights_bin = os.path.join(c.out, "models", "weights.bin")
    with open(weights_bin, "wb") as f:
        f.write(b"\0" * 864)
    ocase("external-offset-huge", "external data offset 2^62", external("weights.bin", offset=1 << 62, length=864))
    ocase("external-offset-negative", "external data offset -64", external("weights.bin", offset=-64, length=864))
    ocase("external-length-short", "external data length 100 for 864 bytes", external("weights.bin", offset=0, length=100))
    ocase("external-past-end", "external data range past the end of its file", external("weights.bin", offset=64, length=864))
    fifo_bin = os.path.join(c.out, "models", "fifo.bin")
    os.mkfifo(fifo_bin)
    ocase("external-fifo", "external data in a FIFO (reading it would block)", external("fifo.bin"))

    def node(i):
        return lambda m: m.graph.node[i]
    ocase("op-unknown", "an unknown op type", lambda m: setattr(m.graph.node[2], "op_type", "FrobnicateRelu"))
    ocase("op-domain", "a Relu from an unknown domain", lambda m: setattr(m.graph.node[2], "domain", "com.example"))
    ocase("input-ghost", "a node reads a tensor nobody produces", lambda m: m.graph.node[3].input.__setitem__(0, "ghost"))
    ocase("cycle", "a node reads its own output", lambda m: m.graph.node[3].input.__setitem__(0, m.graph.node[3].output[0]))
    ocase("no-graph", "no graph", lambda m: m.ClearField("graph"))
    ocase("no-nodes", "a graph without nodes", lambda m: m.graph.ClearField("node"))
    ocase("dup-initializer", "two initializers with the same name",
          lambda m: m.graph.initializer.append(m.graph.initializer[1]))

    def conv_attr(name, value):
        def edit(m):
            conv = m.graph.node[1]
            for a in conv.attribute:
                if a.name == name:
                    conv.attribute.remove(a)
                    break
            conv.attribute.append(helper.make_attribute(name, value))
        return edit
    ocase("conv-strides-0", "Conv strides (0, 0)", conv_attr("strides", [0, 0]))
    ocase("conv-pads-negative", "Conv pads -5", conv_attr("pads", [-5, -5, -5, -5]))
    ocase("conv-pads-huge", "Conv pads 2^62", conv_attr("pads", [1 << 62] * 4))
    ocase("conv-kernel-mismatch", "Conv kernel_shape (5, 5) for a 3x3 kernel", conv_attr("kernel_shape", [5, 5]))
    ocase("conv-group-0", "Conv group 0", conv_attr("group", 0))
    ocase("conv-dilations-huge", "Conv dilations 2^62", conv_attr("dilations", [1 << 62, 1 << 62]))

    def input_dims(values):
        def edit(m):
            dims = m.graph.input[0].type.tensor_type.shape.dim
            for d, v in zip(dims[1:], values):
                d.dim_value = v
        return edit
    ocase("input-dims-huge", "graph input (N, 2^40, 2^40, 3)", input_dims([1 << 40, 1 << 40]))
    ocase("input-dims-negative", "graph input (N, -32, 32, 3)", input_dims([-32, 32]))

    # Graphs nested in attributes 100 deep, written by hand (Python's protobuf refuses to build
    # them): appended as a second `graph` field, which protobuf merges into the first.
    def varint(v):
        out = bytearray()
        while True:
            out.append((v & 0x7F) | (0x80 if v > 0x7F else 0))
            v >>= 7
            if not v:
                return bytes(out)

    def ld(field, payload):
        return varint(field << 3 | 2) + varint(len(payload)) + payload
    inner = b""
    for k in range(100):
        attribute = ld(1, b"body") + ld(6, inner) + varint(20 << 3) + varint(5)  # name, g, type GRAPH
        inner = ld(1, ld(4, b"Loop") + ld(5, attribute))  # GraphProto { node { op_type, attribute } }
    c.file("onnx-nesting-100", "nesting-100.onnx", raw + ld(7, inner),
           "a node attribute holding graphs nested 100 deep (over the 64 message-depth limit)")

    # Protobuf-level damage, by hand.
    assert raw[0] == 0x08  # ir_version varint
    ir_len = 2
    c.file("onnx-varint-overlong", "varint-overlong.onnx", b"\x08" + b"\x88" + b"\x80" * 9 + b"\x00" + raw[ir_len:],
           "ir_version as an 11-byte varint")
    c.file("onnx-wire-type", "wire-type.onnx", b"\x0a\x01\x08" + raw[ir_len:], "ir_version with wire type 2 (bytes)")
    graph_at = raw.index(b"\x3a")  # field 7 (graph), length-delimited
    c.file("onnx-length-huge", "length-huge.onnx",
           raw[:graph_at] + b"\x3a" + b"\xff\xff\xff\xff\xff\xff\xff\xff\x3f" + raw[graph_at + 3:],
           "the graph field's length prefix is 2^62")
    name = b"mini_vgg/block1_conv1/Relu"
    at = raw.index(name)
    c.file("onnx-utf8", "utf8.onnx", raw[:at] + b"\xff" + raw[at + 1:], "a node name with an invalid UTF-8 byte")
    c.file("onnx-garbage", "garbage.onnx", bytes(c.rng.randrange(256) for _ in range(4096)), "4 KiB of random bytes named .onnx")
    sparse = os.path.join(c.out, "models", "sparse-3g.onnx")
    with open(sparse, "wb") as f:
        f.write(raw[:16])
        f.truncate(3 << 30)
    c.add("onnx-sparse-3g", "models/sparse-3g.onnx", "a sparse 3 GiB file named .onnx (over protobuf's 2 GiB)")


# ---------------------------------------------------------------------------------------------
# The file system


def fs_cases(c, base_raw):
    models = os.path.join(c.out, "models")
    trunc = base_raw[:100]
    for ext in ("swm", "h5", "keras", "onnx"):
        c.file(f"fs-empty-{ext}", f"empty.{ext}", b"", f"an empty file named .{ext}")
    c.file("fs-text", "readme.swm", b"This is not a model.\n", "a text file named .swm")
    c.file("fs-photo-as-model", "photo.h5", read(os.path.join(SAMPLES, "photos", "rocket.jpg")), "a JPEG named .h5")
    c.file("fs-npy-as-model", "array.swm", read(os.path.join(SAMPLES, "mini", "expected", "rocket.npy")), "a .npy named .swm")
    for ext in ("swm", "h5"):
        os.makedirs(os.path.join(models, f"dir.{ext}"))
        c.add(f"fs-directory-{ext}", f"models/dir.{ext}", f"a directory named .{ext}")
    for ext in ("swm", "h5", "onnx"):
        os.mkfifo(os.path.join(models, f"fifo.{ext}"))
        c.add(f"fs-fifo-{ext}", f"models/fifo.{ext}", f"a FIFO named .{ext} with no writer (opening it blocks)")
    s = socket.socket(socket.AF_UNIX)
    s.bind(os.path.join(models, "socket.swm"))
    s.close()
    c.add("fs-socket", "models/socket.swm", "a Unix socket named .swm")
    os.symlink("does-not-exist.swm", os.path.join(models, "dangling.swm"))
    c.add("fs-dangling-symlink", "models/dangling.swm", "a dangling symlink")
    os.symlink("loop-b.swm", os.path.join(models, "loop-a.swm"))
    os.symlink("loop-a.swm", os.path.join(models, "loop-b.swm"))
    c.add("fs-symlink-loop", "models/loop-a.swm", "a symlink loop")
    for dev, name in (("/dev/null", "null.swm"), ("/dev/zero", "zero.onnx"), ("/dev/zero", "zero.h5"),
                      ("/dev/urandom", "urandom.swm")):
        os.symlink(dev, os.path.join(models, name))
        c.add(f"fs-dev-{name.replace('.', '-')}", f"models/{name}", f"a symlink to {dev} named {name}")
    c.file("fs-unreadable", "unreadable.swm", trunc, "mode 000 (as root it is readable, and truncated)", mode=0)
    os.makedirs(os.path.join(models, "locked"))
    c.file("fs-locked-dir", "locked/inside.swm", trunc, "inside a mode 000 directory (truncated for root)")
    os.chmod(os.path.join(models, "locked"), 0)
    sparse = os.path.join(models, "sparse-2g.swm")
    with open(sparse, "wb") as f:
        f.write(base_raw[:64])
        f.truncate(2 << 30)
    c.add("fs-sparse-swm", "models/sparse-2g.swm", "a sparse 2 GiB file with a sound fixed header and a zero table")
    # Non-UTF-8 names (as bytes on disk; the manifest holds them surrogate-escaped).
    for raw_name, data, what in ((b"bad\xff\xfe.swm", trunc, "truncated .swm"),
                                 (b"\xc0\xaf.h5", b"not hdf5", "text"),
                                 (b"latin1-caf\xe9.swm", base_raw, "a sound .swm")):
        p = os.path.join(os.fsencode(models), raw_name)
        with open(p, "wb") as f:
            f.write(data)
        c.add(f"fs-name-{raw_name.hex()}", os.path.join("models", os.fsdecode(raw_name)),
              f"a non-UTF-8 file name ({raw_name!r}) holding {what}")


# ---------------------------------------------------------------------------------------------
# References for verify --expected, images for run


def npy_cases(c):
    good = read(os.path.join(SAMPLES, "mini", "expected", "rocket.npy"))
    arr = np.load(os.path.join(SAMPLES, "mini", "expected", "rocket.npy"))

    def header(d, version=(1, 0), pad=True):
        text = repr(d).encode("latin1") if not isinstance(d, bytes) else d
        if pad:
            total = 10 + len(text) + 1
            text += b" " * ((64 - total % 64) % 64) + b"\n"
        if version[0] == 1:
            return b"\x93NUMPY" + bytes(version) + struct.pack("<H", len(text)) + text
        return b"\x93NUMPY" + bytes(version) + struct.pack("<I", len(text)) + text

    def ncase(cid, what, data, expect="invalid"):
        c.file(f"npy-{cid}", "rocket.npy", data, f"verify --expected: rocket.npy {what}", expect=expect,
               role="expected", sub=os.path.join("expected", cid))

    body = arr.astype("<f4").tobytes()
    shape = arr.shape
    ncase("valid", "is Keras's own output", good, expect="valid")
    ncase("empty", "is empty", b"")
    ncase("magic", "has a wrong magic", b"\x93NUMPZ" + good[6:])
    ncase("trunc-header", "is cut inside its header", good[:20])
    ncase("trunc-data", "is missing its last 4 bytes", good[:-4])
    ncase("trailing", "has 4 trailing bytes", good + b"\0" * 4)
    ncase("version-9", "claims format version 9.0", good[:6] + b"\x09\x00" + good[8:])
    ncase("header-len-huge", "declares a 4 GiB header (version 2.0)", b"\x93NUMPY\x02\x00" + struct.pack("<I", 0xFFFFFFFF) + good[10:])
    ncase("header-garbage", "has a header that is not a dict", header(b"__import__('os').system('true')"))
    ncase("pickle", "holds a pickled object array (dtype 'O')",
          header({"descr": "|O", "fortran_order": False, "shape": (1,)}) + b"\x80\x04N.")
    ncase("fortran", "is Fortran-ordered", header({"descr": "<f4", "fortran_order": True, "shape": shape}) + body)
    ncase("shape-huge", "declares shape (2^62,)", header({"descr": "<f4", "fortran_order": False, "shape": (1 << 62,)}) + body)
    ncase("shape-negative", "declares shape (-1,)", header({"descr": "<f4", "fortran_order": False, "shape": (-1,)}) + body)
    ncase("shape-overflow", "declares shape (2^32, 2^32, 2^32)",
          header({"descr": "<f4", "fortran_order": False, "shape": (1 << 32, 1 << 32, 1 << 32)}) + body)
    ncase("shape-wrong", "has the right dtype and size but shape (2, 1) for a (1, 1) output",
          header({"descr": "<f4", "fortran_order": False, "shape": (2, 1)}) + body * 2)
    ncase("dtype-structured", "has a structured dtype", header(b"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1, 1), }") + body)
    ncase("dtype-big-endian", "is big-endian float64 (wtool reads little-endian .npy only)",
          header({"descr": ">f8", "fortran_order": False, "shape": shape}) + arr.astype(">f8").tobytes())
    ncase("dtype-complex", "holds complex64", header({"descr": "<c8", "fortran_order": False, "shape": shape}) + body * 2)
    ncase("nan", "holds NaN: a sound file that can never match (verify must report FAIL)",
          header({"descr": "<f4", "fortran_order": False, "shape": shape}) + np.full(shape, np.nan, "<f4").tobytes(),
          expect="mismatch")
    ncase("inf", "holds +inf: a sound file that can never match (verify must report FAIL)",
          header({"descr": "<f4", "fortran_order": False, "shape": shape}) + np.full(shape, np.inf, "<f4").tobytes(),
          expect="mismatch")
    ncase("directory", "is a directory", b"")
    d = os.path.join(c.out, "expected", "directory", "rocket.npy")
    os.remove(d)
    os.makedirs(d)
    os.makedirs(os.path.join(c.out, "expected", "fifo"))
    os.mkfifo(os.path.join(c.out, "expected", "fifo", "rocket.npy"))
    c.add("npy-fifo", "expected/fifo/rocket.npy", "verify --expected: rocket.npy is a FIFO", role="expected")


def image_cases(c):
    jpg = read(os.path.join(SAMPLES, "photos", "rocket.jpg"))
    png = read(os.path.join(SAMPLES, "photos", "camera.png"))

    def icase(cid, name, data, what, expect="invalid"):
        c.file(f"img-{cid}", name, data, "run: image " + what, expect=expect, role="image", sub="images")

    icase("valid-jpg", "rocket.jpg", jpg, "the sample JPEG", expect="valid")
    icase("empty", "empty.jpg", b"", "empty")
    icase("text", "text.png", b"not an image\n", "is text")
    icase("gif", "tiny.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "is a GIF")
    icase("jpg-soi-only", "soi.jpg", jpg[:2], "JPEG with only its SOI marker")
    sos = jpg.index(b"\xff\xda")
    icase("jpg-before-scan", "headers.jpg", jpg[:sos], "JPEG cut before its scan data")
    sof = next(jpg.index(m) for m in (b"\xff\xc0", b"\xff\xc2", b"\xff\xc1") if m in jpg)
    big = bytearray(jpg)
    struct.pack_into(">HH", big, sof + 5, 65500, 65500)
    icase("jpg-huge-dims", "huge.jpg", bytes(big), "JPEG whose frame header claims 65500 x 65500")
    zero = bytearray(jpg)
    struct.pack_into(">HH", zero, sof + 5, 0, 0)
    icase("jpg-zero-dims", "zero.jpg", bytes(zero), "JPEG whose frame header claims 0 x 0")
    icase("png-sig-only", "sig.png", png[:8], "PNG with only its signature")
    icase("png-trunc", "trunc.png", png[:len(png) // 2], "PNG cut in half")

    def png_ihdr(w, h):
        b = bytearray(png)
        struct.pack_into(">II", b, 16, w, h)
        struct.pack_into(">I", b, 29, zlib.crc32(bytes(b[12:29])))
        return bytes(b)
    icase("png-huge-dims", "huge.png", png_ihdr(0x7FFFFFFF, 0x7FFFFFFF), "PNG whose IHDR claims 2^31-1 x 2^31-1 (CRC fixed)")
    icase("png-zero-dims", "zero.png", png_ihdr(0, 0), "PNG whose IHDR claims 0 x 0 (CRC fixed)")
    icase("png-bad-crc", "crc.png", flip(png, 20, 0), "PNG with a damaged IHDR CRC")
    os.makedirs(os.path.join(c.out, "images", "dir.jpg"))
    c.add("img-directory", "images/dir.jpg", "run: image is a directory named .jpg", role="image")
    os.mkfifo(os.path.join(c.out, "images", "fifo.png"))
    c.add("img-fifo", "images/fifo.png", "run: image is a FIFO named .png (opening it blocks)", role="image")


# ---------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--wtool", required=True, help="the wtool binary (makes the base .swm)")
    ap.add_argument("--out", required=True, help="output folder (replaced)")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    if os.path.exists(args.out):
        for dirpath, dirnames, _ in os.walk(args.out):  # undo mode 000 folders before removing
            for d in dirnames:
                os.chmod(os.path.join(dirpath, d), 0o755)
        shutil.rmtree(args.out)
    os.makedirs(os.path.join(args.out, "models"))
    c = Corpus(args.out, args.seed)

    base_path = os.path.join(args.out, "base.swm")
    subprocess.run([args.wtool, "convert", os.path.join(SAMPLES, "mini", "mini.keras3.h5"), base_path, "--quiet"],
                   check=True)
    base = SWMParts(read(base_path))
    assert base.build() == base.raw, "the rebuilt .swm differs from wtool's: make_corpus.py's layout is out of date"
    os.remove(base_path)

    swm_cases(c, base)
    h5_cases(c, args.out)
    keras_cases(c)
    onnx_cases(c)
    fs_cases(c, base.raw)
    npy_cases(c)
    image_cases(c)

    manifest = {"seed": args.seed, "cases": c.cases,
                "support": {"model": "models/mini.swm", "images": os.path.join(SAMPLES, "photos", "rocket.jpg")}}
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    counts = {}
    for case in c.cases:
        counts[case["expect"]] = counts.get(case["expect"], 0) + 1
    print(f"corpus: {len(c.cases)} cases in {args.out} ("
          + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) + f"; seed {args.seed})")


if __name__ == "__main__":
    main()
