""".swm: the sound file and minor-version control, truncations at every section boundary, wrong
magic/version/byte order, random bit flips under each CRC (seeded), and every fixed-header
field damaged with the CRCs fixed up (so the structural rule is what must fire)."""
from .cases import U64, flip


def generate(c):
    base = c.base
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
