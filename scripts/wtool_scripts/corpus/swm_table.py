""".swm tensor table entries damaged one field at a time (CRCs fixed up), and data damage only
the tensor CRCs can see (`checksum` cases: swapped biases, seeded bit flips)."""
from .cases import U64


def generate(c):
    base = c.base

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
    entry_case("layout-8", "layout code 8 (the first unassigned one)", set_field(1, LAYOUT, 8))
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
