"""tensors*.json: every weight dataset of a saved file, in the model's order, with its shape,
dtype, offset and the sha256 of its little-endian bytes (what parity.py and check_reference.py
compare wtool's and Keras's files against)."""
import numpy as np

from ..common import le_bytes, sha256_bytes

def decode(v):
    return v.decode("utf8") if isinstance(v, bytes) else str(v)


def _h5_list_attr(group, name):
    """A Keras list attribute, following the chunked name0, name1, ... convention."""
    if name in group.attrs:
        vals = group.attrs[name]
    else:
        vals, k = [], 0
        while f"{name}{k}" in group.attrs:
            vals.extend(group.attrs[f"{name}{k}"])
            k += 1
    return [decode(v) for v in np.asarray(vals).reshape(-1) if not isinstance(v, float)]


def legacy_tensor_table(h5path):
    """Every weight dataset of a legacy Keras .h5 (full model or weights-only), in
    layer_names / weight_names order."""
    import h5py

    out = []
    with h5py.File(h5path, "r") as f:
        root = f["model_weights"] if ("layer_names" not in f.attrs and "model_weights" in f) else f
        for lname in _h5_list_attr(root, "layer_names"):
            g = root[lname]
            for wname in _h5_list_attr(g, "weight_names"):
                ds = g[wname]
                data = ds[()]
                out.append({
                    "layer": lname, "weight_name": wname, "dataset_path": ds.name,
                    "shape": list(ds.shape), "dtype": str(ds.dtype.name),
                    "hdf5_dtype": ds.dtype.str, "sha256": sha256_bytes(le_bytes(data)),
                    "offset": int(ds.id.get_offset()) if ds.id.get_offset() is not None else None,
                    "nbytes": int(ds.id.get_storage_size()),
                })
    return out


def keras3_weights_tensor_table(h5path, layer_order):
    """Every dataset of a Keras 3 .weights.h5, ordered like the model's layers
    (HDF5 itself lists groups alphabetically: conv2d_10 before conv2d_2)."""
    import h5py

    rows = []
    with h5py.File(h5path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                vars_group = obj.parent
                lname = decode(vars_group.attrs.get("name", b"")) or vars_group.parent.name
                rows.append({
                    "layer": lname, "weight_name": obj.name.rsplit("/", 1)[1],
                    "dataset_path": obj.name, "shape": list(obj.shape),
                    "dtype": str(obj.dtype.name), "hdf5_dtype": obj.dtype.str,
                    "sha256": sha256_bytes(le_bytes(obj[()])),
                    "offset": int(obj.id.get_offset()) if obj.id.get_offset() is not None else None,
                    "nbytes": int(obj.id.get_storage_size()),
                })
        f.visititems(visit)
    pos = {n: i for i, n in enumerate(layer_order)}
    rows.sort(key=lambda r: (pos.get(r["layer"], len(pos)), int(r["weight_name"])
                             if r["weight_name"].isdigit() else 0))
    return rows

