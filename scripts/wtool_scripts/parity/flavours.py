"""Every saved flavour of one model through wtool: convert to .swm, check, summary against
Keras's counts and shapes, verify via the .swm and straight from the file (the Keras 3 .h5 also
with each --conv algorithm and once more from the kernel cache), tensors bit-identical to h5py's."""
import json
import os

from .. import swm
from ..common import run
from .checks import arch_args, check_tensors, verify


# The models whose Keras 3 .h5 is also verified with each --conv algorithm forced and with the
# portable C kernels: the six seed models cover every kernel family (3x3 Winograd, 1x1, strided,
# asymmetric 1x7/7x1, separable, depthwise). The other models run with `--conv auto`, which mixes
# the algorithms per layer; `parity.py --variants all` forces them on every model.
SEED_MODELS = ("vgg16", "vgg19", "resnet50", "inception_v3", "xception", "mobilenet")


def check_flavours(checks, table, wtool, model, ref, work, variants="seed"):
    mdir = os.path.join(ref, model["dir"])
    summary = json.load(open(os.path.join(mdir, model["summary"])))
    print(f"{model['name']}: {summary['total_params']:,} params, output {model['output_shape']}", flush=True)
    swm_by_flavour = {}
    for flavour, fname in model["flavours"].items():
        if flavour == "onnx":
            continue
        src = os.path.join(mdir, fname)
        label = f"{model['name']} {flavour}"
        out = os.path.join(work, f"{model['name']}.{flavour}.swm")
        rc, _, err = run([wtool, "convert", src, out, "--force", "--quiet"] + arch_args(model, flavour))
        if not checks.record(f"{label}: convert", rc == 0, err):
            continue
        rc, _, err = run([wtool, "check", out, "--quiet"])
        checks.record(f"{label}: check", rc == 0, err)
        rc, stdout, err = run([wtool, "summary", out, "--json"])
        if checks.record(f"{label}: summary runs", rc == 0, err):
            got = json.loads(stdout)
            checks.record(f"{label}: total params", got["total_params"] == summary["total_params"],
                          f"{got['total_params']} vs Keras {summary['total_params']}")
            checks.record(f"{label}: trainable split",
                          (got["trainable_params"], got["non_trainable_params"]) ==
                          (summary["trainable_params"], summary["non_trainable_params"]),
                          f"{got['trainable_params']}/{got['non_trainable_params']}")
            checks.record(f"{label}: output shape", got["outputs"][0]["shape"] == model["output_shape"][1:],
                          f"{got['outputs'][0]['shape']}")
        via_swm = verify(checks, f"{label} via .swm", wtool, out, model, ref, [])
        table.append((model["name"], flavour, "via .swm", via_swm))
        table.append((model["name"], flavour, "direct",
                      verify(checks, f"{label} direct", wtool, src, model, ref, arch_args(model, flavour))))
        if flavour == "keras3.h5" and (variants == "all" or model["name"] in SEED_MODELS):
            # The default `--conv auto` mixes algorithms per layer; each one on its own too.
            for conv in ("im2col", "onednn", "winograd-2x2", "winograd-4x4"):
                table.append((model["name"], flavour, f"--conv {conv}",
                              verify(checks, f"{label} --conv {conv}", wtool, out, model, ref, ["--conv", conv])))
            # The C kernels' portable path (and oneDNN capped to SSE4.1) instead of the CPU's best.
            os.environ["WTOOL_ISA"] = "portable"
            try:
                table.append((model["name"], flavour, "WTOOL_ISA=portable",
                              verify(checks, f"{label} WTOOL_ISA=portable", wtool, out, model, ref, ["--kernel-cache", "none"])))
            finally:
                del os.environ["WTOOL_ISA"]
            # The first verify stored the transformed kernels; this one maps them back.
            again = verify(checks, f"{label} via .swm again (kernel cache)", wtool, out, model, ref, [])
            checks.record(f"{label}: kernels from the cache give the same outputs", again == via_swm,
                          f"{again} vs {via_swm}")
        tensors = model.get("tensors", {}).get(flavour)
        if tensors:
            records = json.load(open(os.path.join(mdir, tensors)))
            swm_by_flavour[flavour] = check_tensors(checks, label, out, src, records)
        else:
            swm_by_flavour[flavour] = swm.SWM(out)
    # .keras has no h5py table (its HDF5 sits inside a zip): compare with the Keras 3 .h5.
    if "keras" in swm_by_flavour and "keras3.h5" in swm_by_flavour:
        a, b = swm_by_flavour["keras"], swm_by_flavour["keras3.h5"]
        same = a.tensors.keys() == b.tensors.keys() and all(a.tensors[k]["bytes"] == b.tensors[k]["bytes"] for k in a.tensors)
        checks.record(f"{model['name']} keras: tensors identical to the Keras 3 .h5's", same, f"{len(a.tensors)} tensors")
