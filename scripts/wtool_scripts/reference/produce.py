"""One model's files: build it with its seeded weights in Keras 3, save the Keras 3 flavours,
have the tf_keras child save its flavours from the same weights, then tensors*.json, the two
summaries and the expected outputs; and its manifest entry."""
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..common import log, rel, write_json
from .flavours import add_offset_named_weights, save_keras3, tfkeras_save_task
from .introspect import keras3_weights_tensor_table, legacy_tensor_table
from .keras3 import keras3_summary_text, photo_inputs, preprocessing_entry, summary_json, write_expected
from .models import build_arch, model_weights
from .tfkeras import run_tfkeras
from .weights import apply_weights, leaf_layers, npz_path, save_weights_npz


@dataclass
class Context:
    """What a reference set hands each model it produces."""
    keras: object  # Keras 3
    out: Path  # the set's folder
    work: Path  # a scratch folder (tf_keras jobs, weights for the child)
    manifest: dict
    photo_paths: dict  # {stem: path} of the photos, in manifest order
    prefix_files: bool  # name summary*/tensors* files "<model>.summary.json" (samples) or not


def produce(ctx, spec):
    """Writes ctx.out/<name>/ for the registered model `spec` and appends its manifest entry."""
    what = f"{spec.arch['constructor']}({spec.arch['args']})" if spec.arch else spec.build.__name__
    log(f"{spec.name}: {what}; {', '.join(spec.flavours)}")
    inputs = photo_inputs(ctx.photo_paths, spec.preprocess, spec.input_shape[:2], spec.color_mode)
    weights = model_weights(ctx.keras, spec.name, np.concatenate(list(inputs.values())))
    stems = list(ctx.photo_paths)
    out_dir = ctx.out / spec.name
    _, entry = produce_model(ctx.keras, spec.name, weights, out_dir, spec.flavours, inputs,
                             stems if spec.per_layer is None else stems[:spec.per_layer], ctx.work,
                             summary_prefix=f"{spec.name}." if ctx.prefix_files else "")
    if "weights-offset.h5" in spec.flavours:
        path, first = add_offset_named_weights(ctx.keras, spec, weights, out_dir, entry,
                                               lambda: build_arch(ctx.keras, spec.name))
        log(f"{spec.name}: {path.name} (first conv named {first}; Keras reloads it by position)")
    entry["preprocessing"] = preprocessing_entry(spec.preprocess, spec.input_shape[:2], spec.color_mode)
    if spec.arch:
        entry["arch"] = spec.arch
    if spec.params is not None:
        assert entry["total_params"] == spec.params, (spec.name, entry["total_params"])
    ctx.manifest["models"].append(entry)
    for stem in list(entry["expected"])[:2]:
        y = np.load(out_dir / entry["expected"][stem])
        log(f"{spec.name} {stem}: output {y.shape} max {np.abs(y).max():.4g} "
            f"mean {y.mean():.4g} nonzero {np.count_nonzero(y) / y.size:.2f}")
    return entry


def produce_model(keras, arch, weights, out_dir, flavours, inputs, per_layer_stems, workdir,
                  summary_prefix=""):
    """Builds `arch` with `weights` in Keras 3, saves the Keras 3 flavours, has tf_keras save
    its flavours from the same weights, and writes expected outputs. Files are named after
    `arch`. Returns (the Keras 3 model, its manifest entry; paths relative to out_dir)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    model = build_arch(keras, arch)
    apply_weights(keras, model, weights)
    npz = npz_path(workdir, arch)
    save_weights_npz(npz, weights)

    files = save_keras3(model, out_dir, arch, flavours)
    log(f"{arch}: Keras 3 saved {', '.join(p.name for p in files.values())}")
    tfk_task, tfk_files = tfkeras_save_task(arch, npz, out_dir, arch, flavours,
                                            out_dir / f"{summary_prefix}summary.tfkeras.txt")
    files.update(tfk_files)
    log(f"{arch}: tf_keras child process: {', '.join(p.name for p in tfk_files.values())}")
    tfk_info = run_tfkeras([tfk_task], workdir)[0]

    summ = summary_json(model)
    assert summ["total_params"] == tfk_info["count_params"], (summ, tfk_info)
    summ["tf_keras_total_params"] = tfk_info["count_params"]
    write_json(out_dir / f"{summary_prefix}summary.json", summ)
    (out_dir / f"{summary_prefix}summary.keras3.txt").write_text(keras3_summary_text(model))

    tensors = {}
    layer_order = [l.name for l in leaf_layers(keras, model)]
    for key, name in (("keras3.h5", "tensors.json"), ("tfkeras.h5", "tensors.tfkeras.json"),
                      ("tfkeras-weights.h5", "tensors.tfkeras-weights.json")):
        if key in files:
            write_json(out_dir / f"{summary_prefix}{name}", legacy_tensor_table(files[key]))
            tensors[key] = f"{summary_prefix}{name}"
    if "weights.h5" in files:
        write_json(out_dir / f"{summary_prefix}tensors.weights.json",
                   keras3_weights_tensor_table(files["weights.h5"], layer_order))
        tensors["weights.h5"] = f"{summary_prefix}tensors.weights.json"

    log(f"{arch}: expected outputs for {len(inputs)} inputs "
        f"(per-layer for {len(per_layer_stems)})")
    rec = write_expected(model, inputs, out_dir, per_layer_stems)
    entry = {
        "name": arch,
        "model_name": model.name,
        "dir": out_dir.name,
        "flavours": {k: rel(v, out_dir) for k, v in files.items()},
        "summary": f"{summary_prefix}summary.json",
        "summary_text": {"keras3": f"{summary_prefix}summary.keras3.txt",
                         "tfkeras": f"{summary_prefix}summary.tfkeras.txt"},
        "tensors": tensors,
        "input_shape": summ["input_shape"],
        "output_name": model.layers[-1].name,
        "output_shape": summ["output_shape"],
        "total_params": summ["total_params"],
        "tf_keras_input_names": tfk_info["input_names"],
        **rec,
    }
    if "onnx" in tfk_info:
        entry["onnx"] = tfk_info["onnx"]
    return model, entry
