""".swm graph JSON damaged (its CRC fixed up): not JSON, deep nesting, bad numbers and UTF-8,
broken references and order, hostile attributes and input shapes."""
import json


def generate(c):
    base = c.base

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
    graph_case("missing-weight", "a node reads a weight absent from the table",
               nodes(lambda ns: ns[0]["inputs"].__setitem__(1, "block1_conv1/extra")))
    graph_case("extra-operand", "a conv with a fourth operand",
               nodes(lambda ns: ns[0]["inputs"].append("block1_conv1/bias")))
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
