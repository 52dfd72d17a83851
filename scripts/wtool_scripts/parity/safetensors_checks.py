#!/usr/bin/env python3
"""safetensors and sharded features in the parity stage (issue 19): parity.py calls
`check_safetensors` per model and `check_sharded_features` once; scripts/parity_safetensors.py runs
them alone.

Per model with a Keras 3 .h5 (VGG16 base, the classifier):
  write    `wtool convert <keras3.h5> out.safetensors`; `wtool check` passes;
  tensors  `safetensors.numpy.load_file` reads every tensor, each bit-identical (dtype, shape, bytes)
           to h5py's read of the source dataset, named by its Keras weight path (Keras 3's
           `weight_name` for a flat model; for a nested one the name wtool's graph gives it);
  layout   the file is the one the reference writer makes of the same tensors and metadata:
           `safetensors.numpy.save_file(load_file(ours), metadata)` gives the same header (parsed,
           in order) and the same data bytes;
  read     `.safetensors -> .swm` with the embedded graph, and with `--arch` (weights-only flavours'
           arguments), each `wtool verify`ed against Keras (max|Δ|/max|keras| <= 1e-4), and
           `wtool verify` straight from the .safetensors; a weights-only file written by the
           reference writer from h5py's arrays (no wtool metadata) + `--arch`, verified too;
  pytorch  `--pytorch-layout`: conv kernels are h5py's HWIO transposed to OIHW (depthwise HWCM to
           [C*M, 1, kh, kw]), bit for bit, and
           `wtool diff` finds nothing between it and the source.
Once: the reference class folder in 3 shards merged equals the unsharded `wtool features` output
byte for byte, and a missing or repeated shard is refused (scripts/shards_local.sh).
"""
import json
import os
import subprocess

import h5py
import numpy as np

from ..common import SCRIPTS, run
from .checks import arch_args, verify

def header(path):
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        return n, json.loads(f.read(n))


def check_tensors(checks, label, path, source, records, names):
    """Every tensor of `path`, read by the safetensors package, against h5py's read of `source`."""
    from safetensors.numpy import load_file

    tensors = load_file(path)
    bad = []
    with h5py.File(source, "r") as f:
        for r in records:
            want = np.array(f[r["dataset_path"]][()], order="C")  # keeps 0-d (Normalization's count)
            got = tensors.get(names.get(r["dataset_path"], "?"))
            if got is None or got.dtype != want.dtype or got.shape != want.shape or got.tobytes() != want.tobytes():
                bad.append(r["dataset_path"])
    return checks.record(f"{label}: safetensors.numpy.load_file reads every tensor bit-identical to h5py",
                         not bad and len(tensors) == len(records),
                         f"{len(tensors)} tensors" + (f", differ: {bad[:3]}" if bad else ""))


def check_reference_layout(checks, label, path, work):
    """The reference writer, given our tensors and metadata, writes the same header and data."""
    from safetensors import safe_open
    from safetensors.numpy import load_file, save_file

    with safe_open(path, "np") as f:
        metadata = f.metadata()
    again = os.path.join(work, "reference-written.safetensors")
    save_file(load_file(path), again, metadata=metadata)
    (n1, h1), (n2, h2) = header(path), header(again)
    # Metadata keys are a hash map in the reference (any order); tensors come in its storage order.
    same_header = n1 == n2 and list(h1.items())[1:] == list(h2.items())[1:] and h1["__metadata__"] == h2["__metadata__"]
    with open(path, "rb") as a, open(again, "rb") as b:
        a.seek(8 + n1), b.seek(8 + n2)
        same_data = a.read() == b.read()
    return checks.record(f"{label}: laid out as safetensors' own writer lays it out", same_header and same_data,
                         f"header {n1} bytes ({n1 % 8 == 0 and 'padded to 8' or 'NOT padded'}), "
                         f"{len(h1) - 1} tensors, data {'identical' if same_data else 'DIFFERS'}")


def check_safetensors(checks, table, wtool, model, ref, work):
    from safetensors import safe_open
    from safetensors.numpy import load_file, save_file

    name, mdir = model["name"], os.path.join(ref, model["dir"])
    source_name = model["flavours"].get("keras3.h5")
    tensors_json = model.get("tensors", {}).get("keras3.h5")
    if not source_name or not tensors_json:
        return
    source = os.path.join(mdir, source_name)
    records = json.load(open(os.path.join(mdir, tensors_json)))
    label = f"{name} safetensors"
    out = os.path.join(work, f"{name}.safetensors")
    rc, _, err = run([wtool, "convert", source, out, "--force", "--quiet"])
    if not checks.record(f"{label}: wtool convert keras3.h5 -> .safetensors", rc == 0, err):
        return
    rc, stdout, err = run([wtool, "check", out])
    checks.record(f"{label}: wtool check", rc == 0, err or stdout.strip())
    with safe_open(out, "np") as f:
        graph = json.loads(f.metadata()["wtool.graph"])
        keys = set(f.keys())
    # Flat models: the name is Keras 3's own weight path (`variable.path`), found without asking
    # wtool — but for a DepthwiseConv2D, whose kernel Keras 3 calls `kernel` and wtool (as tf_keras)
    # `depthwise_kernel`. Nested ones: wtool names weights by layer scope (Keras 3's paths there
    # are the outer model's), so the source of each comes from wtool's graph.
    types = {layer["name"]: layer["type"] for layer in json.load(open(os.path.join(mdir, model["summary"])))["layers"]}

    def wtool_name(r):
        n = r["weight_name"]
        return n[:-len("kernel")] + "depthwise_kernel" if types.get(r["layer"]) == "DepthwiseConv2D" and n.endswith("/kernel") else n

    flat = all(wtool_name(r) in keys for r in records)
    names = ({r["dataset_path"]: wtool_name(r) for r in records} if flat
             else {src: n for n, src in graph["weightSources"].items()})
    check_tensors(checks, f"{label} ({'named by Keras weight path' if flat else 'nested: named by layer scope'})",
                  out, source, records, names)
    check_reference_layout(checks, label, out, work)

    # Reading it back: the embedded graph, --arch, and straight from the file.
    table.append((name, "keras3.h5 -> .safetensors", "verify direct",
                  verify(checks, f"{label} direct", wtool, out, model, ref, [])))
    swm_out = os.path.join(work, f"{name}.from-safetensors.swm")
    rc, _, err = run([wtool, "convert", out, swm_out, "--force", "--quiet"])
    if checks.record(f"{label}: .safetensors -> .swm (embedded graph)", rc == 0, err):
        rc, _, err = run([wtool, "check", swm_out, "--quiet"])
        checks.record(f"{label}: check the .swm", rc == 0, err)
        table.append((name, ".safetensors -> .swm (embedded graph)", "verify",
                      verify(checks, f"{label} -> .swm", wtool, swm_out, model, ref, [])))
    # --arch only where wtool has the architecture built in: the reference set then has its
    # weights-only flavour (the newer keras.applications bases record "arch" without one).
    arch = arch_args(model, "weights.h5") if "weights.h5" in model["flavours"] else []
    if arch and flat:
        swm_arch = os.path.join(work, f"{name}.from-safetensors-arch.swm")
        rc, _, err = run([wtool, "convert", out, swm_arch, "--force", "--quiet"] + arch)
        if checks.record(f"{label}: .safetensors -> .swm with {' '.join(arch)}", rc == 0, err):
            table.append((name, ".safetensors -> .swm (--arch)", "verify",
                          verify(checks, f"{label} -> .swm --arch", wtool, swm_arch, model, ref, [])))
        # A weights-only file from the reference writer itself: h5py's arrays under Keras 3's own
        # weight paths (a DepthwiseConv2D's `kernel` too: the binder accepts Keras 3's spelling).
        plain = os.path.join(work, f"{name}.reference-weights.safetensors")
        with h5py.File(source, "r") as f:
            save_file({r["weight_name"]: np.array(f[r["dataset_path"]][()], order="C") for r in records}, plain)
        table.append((name, "weights-only .safetensors (safetensors.numpy.save_file) + --arch", "verify direct",
                      verify(checks, f"{label} reference-written weights-only --arch", wtool, plain, model, ref, arch)))
        rc, _, err = run([wtool, "summary", plain])
        checks.record(f"{label}: a weights-only file without --arch is refused, asking for it", rc != 0 and "--arch" in err, err)

    # --pytorch-layout: OIHW kernels, bit for bit, and the same model when read back.
    pt = os.path.join(work, f"{name}.pytorch.safetensors")
    rc, _, err = run([wtool, "convert", source, pt, "--pytorch-layout", "--force", "--quiet"])
    if checks.record(f"{label}: --pytorch-layout", rc == 0, err):
        stored = load_file(pt)
        kernels = bad = 0
        with h5py.File(source, "r") as f:
            for r in records:
                want = np.array(f[r["dataset_path"]][()], order="C")  # keeps 0-d (Normalization's count)
                if want.ndim == 4 and (types.get(r["layer"]) == "DepthwiseConv2D" or r["weight_name"].endswith("/depthwise_kernel")):
                    # HWCM -> Conv2d(groups=C): [C*M, 1, kh, kw], output channel c*M + m.
                    kernels += 1
                    kh, kw, c, m = want.shape
                    want = np.ascontiguousarray(want.transpose(2, 3, 0, 1)).reshape(c * m, 1, kh, kw)
                elif want.ndim == 4:
                    kernels += 1
                    want = np.ascontiguousarray(want.transpose(3, 2, 0, 1))
                got = stored.get(names.get(r["dataset_path"], "?"))
                bad += got is None or got.shape != want.shape or got.tobytes() != want.tobytes()
        checks.record(f"{label}: --pytorch-layout kernels are h5py's transposed as PyTorch holds them, bit for bit", bad == 0 and kernels > 0,
                      f"{kernels} kernels OIHW, {len(records) - kernels} other tensors as they are" + (f", {bad} differ" if bad else ""))
        rc, stdout, err = run([wtool, "diff", source, pt])
        checks.record(f"{label}: wtool diff keras3.h5 pytorch.safetensors finds nothing", rc == 0, err or stdout.splitlines()[-1])
        table.append((name, "keras3.h5 -> .safetensors --pytorch-layout", "verify direct",
                      verify(checks, f"{label} --pytorch-layout direct", wtool, pt, model, ref, [])))


def check_sharded_features(checks, wtool, ref, manifest):
    """The reference class folder in 3 shards (batches of 3: one per shard) + merge = one run."""
    feat = manifest.get("features")
    if not feat:
        return
    vgg = next(m for m in manifest["models"] if m["name"] == feat["model"])
    model = os.path.join(ref, vgg["dir"], vgg["flavours"]["keras3.h5"])
    h, w = feat["preprocessing"]["target_size"]
    p = subprocess.run(["bash", str(SCRIPTS / "shards_local.sh"), "--wtool", wtool, "--model", model,
                        "--data", os.path.join(ref, feat["dir"], feat["data"]), "--shards", "3", "--",
                        "--rescale", "1/255", "--size", f"{h},{w}", "--class-mode", "binary", "--batch", "3"],
                       capture_output=True, text=True)
    print("\n".join("    " + line for line in p.stdout.strip().splitlines()))
    checks.record("features of the reference class folder in 3 shards merged = one run byte for byte; missing/repeated refused",
                  p.returncode == 0, (p.stderr.strip() or p.stdout.strip().splitlines()[-1])[-300:])
