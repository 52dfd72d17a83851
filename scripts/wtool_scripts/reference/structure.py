"""STRUCTURE.txt: a precise dump of every saved flavour of the mini models (HDF5 groups,
datasets and attributes with their HDF5 types; the .keras zip's members; the ONNX graph and
initializers, each matched to the Keras tensor behind it)."""
import json
import struct
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from ..common import le_bytes, pretty_json, sha256_bytes
from .introspect import decode

def _h5_type_desc(t):
    import h5py

    h5t = h5py.h5t
    cls = t.get_class()
    if cls == h5t.STRING:
        cset = "UTF-8" if t.get_cset() == h5t.CSET_UTF8 else "ASCII"
        pad = {h5t.STR_NULLTERM: "nullterm", h5t.STR_NULLPAD: "nullpad",
               h5t.STR_SPACEPAD: "spacepad"}.get(t.get_strpad(), "?")
        if t.is_variable_str():
            return f"STRING vlen {cset} ({pad})"
        return f"STRING fixed[{t.get_size()}] {cset} ({pad})"
    if cls == h5t.FLOAT:
        order = "LE" if t.get_order() == h5t.ORDER_LE else "BE"
        return f"FLOAT {t.get_size() * 8}-bit {order}"
    if cls == h5t.INTEGER:
        order = "LE" if t.get_order() == h5t.ORDER_LE else "BE"
        sign = "signed" if t.get_sign() == h5t.SGN_2 else "unsigned"
        return f"INTEGER {t.get_size() * 8}-bit {sign} {order}"
    names = {h5t.COMPOUND: "COMPOUND", h5t.ENUM: "ENUM", h5t.VLEN: "VLEN",
             h5t.ARRAY: "ARRAY", h5t.OPAQUE: "OPAQUE", h5t.REFERENCE: "REFERENCE",
             h5t.BITFIELD: "BITFIELD", h5t.TIME: "TIME"}
    return names.get(cls, f"class {cls}")


def _h5_space_desc(space):
    import h5py

    kind = space.get_simple_extent_type()
    if kind == h5py.h5s.SCALAR:
        return "scalar"
    if kind == h5py.h5s.NULL:
        return "null"
    return f"simple {tuple(space.get_simple_extent_dims())}"

def _short(v, n=160):
    s = repr(v)
    return s if len(s) <= n else s[:n] + f"... ({len(s)} chars)"


def h5_structure(path, title):
    """Precise dump of an HDF5 file: file-level facts, every group/dataset (name order, as
    HDF5 iterates), every attribute with its HDF5 type class and dataspace."""
    import h5py

    lines = [f"=== {title}", ""]
    with h5py.File(path, "r") as f:
        fcpl = f.id.get_create_plist()
        sb, fl, stab, shhdr = fcpl.get_version()
        lines.append(f"file size {Path(path).stat().st_size} B; superblock v{sb}, userblock "
                     f"{fcpl.get_userblock()} B; h5py libver bounds {f.libver}; "
                     f"signature at offset 0")
        lines.append("")

        def attrs(obj, indent):
            names = list(obj.attrs)
            for name in names:
                aid = h5py.h5a.open(obj.id, name.encode())
                desc = f"{_h5_type_desc(aid.get_type())}, {_h5_space_desc(aid.get_space())}"
                val = obj.attrs[name]
                if name in ("model_config", "training_config"):
                    shown = f"<JSON, {len(decode(val))} chars, printed below>"
                else:
                    shown = _short(val.tolist() if isinstance(val, np.ndarray) else val)
                lines.append(f"{indent}@{name}: {desc} = {shown}")

        def group(g, indent):
            gcpl = g.id.get_create_plist()
            order = gcpl.get_link_creation_order()
            lines.append(f"{indent}{g.name or '/'}  (group, {len(g)} members"
                         f"{', creation order tracked' if order else ''})")
            attrs(g, indent + "  ")
            for name in g:  # h5py iterates by name (lexicographic), as HDF5 does by default
                link = g.get(name, getlink=True)
                if not isinstance(link, h5py.HardLink):
                    lines.append(f"{indent}  {name}: {type(link).__name__}")
                    continue
                obj = g[name]
                if isinstance(obj, h5py.Group):
                    group(obj, indent + "  ")
                else:
                    dcpl = obj.id.get_create_plist()
                    layout = {h5py.h5d.CONTIGUOUS: "contiguous", h5py.h5d.CHUNKED: "chunked",
                              h5py.h5d.COMPACT: "compact"}.get(dcpl.get_layout(), "?")
                    off = obj.id.get_offset()
                    lines.append(
                        f"{indent}  {obj.name}  (dataset {_h5_type_desc(obj.id.get_type())}, "
                        f"numpy {obj.dtype.str}, shape {obj.shape}, {layout}, "
                        f"filters {dcpl.get_nfilters()}, offset {off}, "
                        f"{obj.id.get_storage_size()} B)")
                    attrs(obj, indent + "    ")

        group(f, "")
        for name in ("model_config", "training_config"):
            if name in f.attrs:
                lines += ["", f"@{name} (pretty-printed; stored as one compact JSON string):"]
                lines.append(pretty_json(json.loads(decode(f.attrs[name]))))
    lines.append("")
    return lines


def zip_structure(path, title):
    lines = [f"=== {title}", ""]
    names = {zipfile.ZIP_STORED: "STORED", zipfile.ZIP_DEFLATED: "DEFLATED"}
    with zipfile.ZipFile(path) as z, open(path, "rb") as raw:
        for info in z.infolist():
            raw.seek(info.header_offset)
            hdr = raw.read(30)
            n, m = struct.unpack("<HH", hdr[26:30])
            data_off = info.header_offset + 30 + n + m
            lines.append(f"{info.filename}: {names.get(info.compress_type, info.compress_type)}, "
                         f"{info.file_size} B (compressed {info.compress_size} B), local header "
                         f"at {info.header_offset}, data at {data_off}")
        for name in ("metadata.json", "config.json"):
            if name in z.namelist():
                text = z.read(name).decode("utf8")
                lines += ["", f"{name}:"]
                lines.append(pretty_json(json.loads(text)) if name == "config.json" else text)
        with tempfile.TemporaryDirectory() as tmp:
            inner = Path(tmp) / "model.weights.h5"
            inner.write_bytes(z.read("model.weights.h5"))
            lines.append("")
            lines += h5_structure(inner, f"{title} :: model.weights.h5 (inside the zip)")
    return lines


def onnx_structure(path, title, keras_tensors=None):
    import onnx
    from onnx import numpy_helper

    m = onnx.load(str(path))
    g = m.graph
    lines = [f"=== {title}", ""]
    lines.append(f"ir_version {m.ir_version}; opset_import "
                 f"{[(o.domain, o.version) for o in m.opset_import]}; producer "
                 f"{m.producer_name} {m.producer_version}; graph name {g.name!r}; "
                 f"metadata_props {[(p.key, p.value) for p in m.metadata_props]}")

    def vi(v):
        t = v.type.tensor_type
        dims = [d.dim_param if d.HasField("dim_param") else
                (d.dim_value if d.HasField("dim_value") else "?") for d in t.shape.dim]
        return f"{v.name}: {onnx.TensorProto.DataType.Name(t.elem_type)} {dims}"

    lines += ["inputs:"] + ["  " + vi(v) for v in g.input]
    lines += ["outputs:"] + ["  " + vi(v) for v in g.output]
    lines.append(f"value_info entries: {len(g.value_info)}")
    counts = {}
    for n in g.node:
        counts[n.op_type] = counts.get(n.op_type, 0) + 1
    lines.append(f"nodes: {len(g.node)} {counts}")
    for i, n in enumerate(g.node):
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
        attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in attrs.items()}
        lines.append(f"  [{i}] {n.op_type} {n.name!r} {list(n.input)} -> {list(n.output)} "
                     f"{attrs}")
    lines.append("initializers:")
    by_sha = {}
    for t in keras_tensors or []:
        if len(t["shape"]) == 4:
            by_sha[t["sha256_oihw"]] = f"{t['weight_name']} transposed (3,2,0,1)"
        by_sha.setdefault(t["sha256"], f"{t['weight_name']} as is")
    for t in g.initializer:
        arr = numpy_helper.to_array(t)
        where = (f"raw_data {len(t.raw_data)} B" if t.raw_data else
                 f"float_data {len(t.float_data)} / int64_data {len(t.int64_data)}")
        loc = "EXTERNAL" if t.data_location == onnx.TensorProto.EXTERNAL else "DEFAULT"
        match = by_sha.get(sha256_bytes(le_bytes(arr)), "")
        lines.append(f"  {t.name}: {onnx.TensorProto.DataType.Name(t.data_type)} "
                     f"{list(t.dims)}, {where}, {loc}" + (f"  == keras {match}" if match else ""))
    lines.append("")
    return lines


def write_structure(out):
    """samples/mini/STRUCTURE.txt."""
    import h5py

    tensors = json.loads((out / "mini" / "mini.tensors.json").read_text())
    with h5py.File(out / "mini" / "mini.keras3.h5", "r") as f:
        for t in tensors:  # lets the ONNX dump name the Keras tensor behind each initializer
            arr = f[t["dataset_path"]][()]
            oihw = arr.transpose(3, 2, 0, 1) if arr.ndim == 4 else arr
            t["sha256_oihw"] = sha256_bytes(le_bytes(oihw))
    lines = [
        "HDF5 / zip / ONNX structure of every saved flavour of the mini models, dumped with",
        "h5py (regenerate: python scripts/reference.py samples). Attribute types are HDF5's",
        "own type class (STRING vlen/fixed, ASCII/UTF-8, FLOAT ...) and dataspace (scalar /",
        "simple (n,)). Members are listed in the order HDF5 iterates them (by name), which is",
        "NOT the model's layer order: use layer_names / weight_names (legacy .h5) or the",
        "`name` attribute of each vars group (Keras 3 .weights.h5).",
        "",
    ]
    d = out / "mini"
    lines += h5_structure(d / "mini.keras3.h5", "mini/mini.keras3.h5 (Keras 3 model.save .h5)")
    lines += h5_structure(d / "mini.tfkeras.h5", "mini/mini.tfkeras.h5 (tf_keras model.save .h5)")
    lines += h5_structure(d / "mini.weights.h5", "mini/mini.weights.h5 (Keras 3 save_weights)")
    lines += h5_structure(d / "mini.tfkeras-weights.h5",
                          "mini/mini.tfkeras-weights.h5 (tf_keras save_weights .h5)")
    lines += zip_structure(d / "mini.keras", "mini/mini.keras (Keras 3 native zip)")
    lines += onnx_structure(d / "mini.onnx", "mini/mini.onnx (tf2onnx from the tf_keras model)",
                            tensors)
    c = out / "mini_classifier"
    lines += h5_structure(c / "mini_classifier.keras3.h5",
                          "mini_classifier/mini_classifier.keras3.h5 (Keras 3, nested model)")
    lines += h5_structure(c / "mini_classifier.tfkeras.h5",
                          "mini_classifier/mini_classifier.tfkeras.h5 (tf_keras, nested model)")
    lines += zip_structure(c / "mini_classifier.keras", "mini_classifier/mini_classifier.keras")
    lines += h5_structure(d / "unsupported.keras3.h5",
                          "mini/unsupported.keras3.h5 (Keras 3, a Lambda and a Conv2DTranspose)")
    (d / "STRUCTURE.txt").write_text("\n".join(lines))

