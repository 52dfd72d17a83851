"""ONNX: truncations, hostile initializer dims/types, external-data path traversal and ranges,
graph damage, hostile Conv attributes and input dims, 100-deep nested graphs and
protobuf-level damage written by hand, random bytes (seeded), a sparse 3 GiB file."""
import os

from ..common import SAMPLES, read_bytes as read


def generate(c):
    import onnx
    from onnx import helper
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
    ocase("op-unknown", "an unknown op type: carried, never run",
          lambda m: setattr(m.graph.node[2], "op_type", "FrobnicateRelu"), expect="carried")
    ocase("op-domain", "a Relu from an unknown domain: carried, never run",
          lambda m: setattr(m.graph.node[2], "domain", "com.example"), expect="carried")
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

