""".swm layout (schemas/swm.md): parse a sound file into parts, rebuild it with chosen damage.
The structs and the magic are swm.py's, the format's one Python description."""
import json
import struct
import zlib

from ..swm import ENTRY, FIXED, MAGIC as SWM_MAGIC


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

