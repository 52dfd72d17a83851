"""The tf_keras (Keras 2) side. It runs in a child process, `reference.py _tfkeras JOB`, with
TF_USE_LEGACY_KERAS=1, so the two Keras versions never share a process: the parent writes a job
(a list of tasks) as JSON, the child runs each task and writes the results next to it.

Tasks: `save` (build a registered model with the parent's seeded weights, save the tf_keras
flavours and its summary, export it with tf2onnx), `predict` (load a file, run stored inputs)
and `features` (features.py: flow_from_directory + conv_base.predict).
"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from ..common import SCRIPTS, application_layers, import_keras, legacy_keras_env, write_json
from .models import build_arch
from .weights import apply_weights, load_weights_npz

ENTRY = SCRIPTS / "reference.py"  # its `_tfkeras JOB` subcommand calls tfkeras_main(JOB)


def run_tfkeras(tasks, workdir, capture=False):
    """Runs tasks in `reference.py _tfkeras` with TF_USE_LEGACY_KERAS=1; returns results.
    capture=True keeps the child's output and raises RuntimeError with its last line."""
    job = Path(workdir) / f"tfkeras-job-{os.getpid()}-{time.time_ns()}.json"
    res = job.with_suffix(".out.json")
    write_json(job, {"tasks": tasks, "result": str(res)})
    proc = subprocess.run([sys.executable, str(ENTRY), "_tfkeras", str(job)], env=legacy_keras_env(),
                          capture_output=capture, text=True)
    job.unlink()
    if proc.returncode != 0:
        last = (proc.stderr or "").strip().splitlines()[-1:] if capture else []
        raise RuntimeError(f"tf_keras child failed ({proc.returncode}): {' '.join(last)}")
    out = json.loads(res.read_text())
    res.unlink()
    return out


def tfkeras_main(job_path):
    from .features import tfk_features

    K = import_keras("2", seed=0)
    ops = {"save": _tfk_save, "predict": _tfk_predict, "features": tfk_features}
    job = json.loads(Path(job_path).read_text())
    results = [ops[task["op"]](K, task) for task in job["tasks"]]
    write_json(job["result"], results)


def _tfk_save(K, task):
    model = build_arch(K, task["arch"])
    apply_weights(K, model, load_weights_npz(task["weights"]))
    info = {"arch": task["arch"], "keras_version": K.__version__,
            "count_params": int(model.count_params()),
            "trainable_params": int(sum(np.prod(w.shape) for w in model.trainable_weights)),
            "input_names": list(getattr(model, "input_names", []) or [])}
    if task.get("h5"):
        model.save(task["h5"])
        print(f"[tf_keras] saved {task['h5']}", flush=True)
    if task.get("weights_h5"):
        model.save_weights(task["weights_h5"])
        print(f"[tf_keras] saved {task['weights_h5']}", flush=True)
    if task.get("summary_txt"):
        lines = []
        model.summary(print_fn=lambda s, **kw: lines.append(s))
        Path(task["summary_txt"]).write_text("\n".join(lines) + "\n")
    if task.get("onnx"):
        import tf2onnx

        t = time.time()
        proto, _ = tf2onnx.convert.from_keras(model, opset=15, output_path=task["onnx"])
        info["onnx"] = {
            "tf2onnx": tf2onnx.__version__, "opset": 15,
            "inputs": [i.name for i in proto.graph.input],
            "outputs": [o.name for o in proto.graph.output]}
        print(f"[tf_keras] tf2onnx wrote {task['onnx']} in {time.time() - t:.1f}s", flush=True)
    return info


def _tfk_predict(K, task):
    model = K.models.load_model(task["model"], compile=False, custom_objects=application_layers(K))
    if task.get("weights_only"):
        fresh = K.models.clone_model(model)  # same architecture, freshly initialised
        fresh.load_weights(task["weights_only"])
        model = fresh
    for src, dst in zip(task["inputs"], task["outputs"]):
        y = model(np.load(src), training=False).numpy().astype(np.float32)
        np.save(dst, y)
    return {"model": task["model"], "n": len(task["inputs"])}
