"""A second, independent reader of the .swm format (schemas/swm.md), in plain Python.

The parity stage uses it to compare what wtool wrote with what h5py reads from the source
file, so the check does not trust wtool's own reader. Validates the magic, version, CRCs and
bounds it needs; it is a test tool, not a hardened parser.
"""
import json
import struct
import zlib

import numpy as np

MAGIC = b"\x89SWM\r\n\x1a\n"
FIXED = struct.Struct("<8sHHIQQQIIIIII")  # the fixed header, 64 bytes (schemas/swm.md §2)
ENTRY = struct.Struct("<QQIIIBBBBIIQ")  # one tensor table entry, 48 bytes (§3)
DTYPES = {1: "<f4", 2: "<f2", 3: "<u2", 4: "i1", 5: "<i4", 6: "<i8", 7: "u1", 8: "?", 9: "<f8"}


class SWM:
    def __init__(self, path):
        with open(path, "rb") as f:
            self.raw = f.read()
        b = self.raw
        if b[:8] != MAGIC:
            raise ValueError(f"{path}: bad magic")
        (_, major, minor, bom, header_size, data_offset, data_size, count, dims_count, strings_size,
         graph_size, header_crc, fixed_crc) = FIXED.unpack_from(b, 0)
        if (major, bom) != (1, 0x0A0B0C0D):
            raise ValueError(f"{path}: version {major}.{minor} / byte order {bom:#x}")
        if zlib.crc32(b[:60]) != fixed_crc:
            raise ValueError(f"{path}: fixed header CRC")
        if zlib.crc32(b[64:header_size - graph_size]) != header_crc:
            raise ValueError(f"{path}: header CRC")
        if data_offset % 4096 or data_offset + data_size != len(b):
            raise ValueError(f"{path}: data section bounds")
        dims_at = FIXED.size + ENTRY.size * count
        strings_at = dims_at + 8 * dims_count
        graph_at = strings_at + strings_size
        graph_crc, = struct.unpack_from("<I", b, graph_at)
        graph_json = b[graph_at + 4:header_size]
        if zlib.crc32(graph_json) != graph_crc:
            raise ValueError(f"{path}: graph CRC")
        self.graph = json.loads(graph_json)
        self.tensors = {}
        for i in range(count):
            off, length, name_off, name_len, dims_index, rank, dtype, layout, flags, crc, _, _ = ENTRY.unpack_from(
                b, FIXED.size + ENTRY.size * i)
            name = b[strings_at + name_off:strings_at + name_off + name_len].decode("utf-8")
            shape = struct.unpack_from(f"<{rank}Q", b, dims_at + 8 * dims_index)
            start = data_offset + off
            data = b[start:start + length]
            if off % 64 or start + length > len(b):
                raise ValueError(f"{path}: tensor {name} out of bounds or misaligned")
            if zlib.crc32(data) != crc:
                raise ValueError(f"{path}: tensor {name} CRC")
            self.tensors[name] = {"dtype": DTYPES[dtype], "shape": list(shape), "bytes": data,
                                  "trainable": bool(flags & 1), "layout": layout,
                                  "source": self.graph.get("weightSources", {}).get(name)}

    def array(self, name):
        t = self.tensors[name]
        return np.frombuffer(t["bytes"], dtype=t["dtype"]).reshape(t["shape"])
