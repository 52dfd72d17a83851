"""One real-world Keras file through wtool, as a user would take it, against Keras itself:

  writer    the file's own `keras_version` and `backend` attributes (who saved it);
  keras     tf_keras `load_model(FILE, compile=False)` (Keras 3 when tf_keras cannot load it), or
            for a weights-only file the model its package's code builds, `load_weights(FILE)`:
            `count_params()` and the outputs of `model(inputs, training=False)`;
  convert   `wtool convert FILE M.swm` (weights-only: `--config` that model's `to_json()`),
            `wtool check M.swm`, `wtool summary M.swm --json`, whose
            total_params must equal Keras's count_params();
  run       `wtool run M.swm --input NAME=FILE.npy … --out OUT.npz`, and the same straight from
            FILE, against Keras: max|Δ| / max|Keras| ≤ 1e-4 per output (the worst is shown).
            For a model with layers wtool cannot run, `run` must refuse in one line (`error: …`,
            exit 1, no output written) naming each class of `cannot_run` with its count.
"""
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..common import import_keras, run
from . import inputs as input_recipes
from .checks import StageResult, _compare, check_and_summarize

TOLERANCE = 1e-4


@dataclass
class Result(StageResult):
    writer: str = ""
    keras: str = ""
    keras_params: int = 0
    layers: dict = field(default_factory=dict)
    direct: str = ""


def writer(path):
    """`Keras 2.0.5 (tensorflow)` from the file's root attributes."""
    import h5py

    with h5py.File(path, "r") as f:
        attrs = {k: (v.decode() if isinstance(v, bytes) else str(v)) for k, v in f.attrs.items()
                 if k in ("keras_version", "backend")}
    return f"Keras {attrs.get('keras_version', '?')} ({attrs.get('backend', '?')})"


def _build(code, function):
    """The model that `function` of the package's source file `code` builds (tf_keras: the
    packages that ship weights-only files import `tensorflow.keras`, which TF_USE_LEGACY_KERAS
    makes tf_keras)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"realworld_{Path(code).stem}", code)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, function)()


def keras_reference(path, feeds, architecture=None, config_out=None):
    """(which Keras loaded it, count_params, {layer class: count}, {output name: value}).
    With `architecture` (code file, function): a weights-only file, loaded as its package loads
    it (`load_weights` into the model the code builds), whose `to_json()` goes to `config_out`."""
    errors = []
    for version, label in (("2", "tf_keras"), ("3", "Keras 3")):
        try:
            K = import_keras(version)
            if architecture:
                model = _build(*architecture)
                model.load_weights(path)
                Path(config_out).write_text(model.to_json())
            else:
                model = K.models.load_model(path, compile=False)
        except Exception as e:  # tf_keras refusing a file: try Keras 3
            errors.append(f"{label}: {str(e).splitlines()[0][:200]}")
            continue
        names = [t.name.split(":")[0] for t in model.inputs] if version == "3" else list(model.input_names)
        if set(names) != set(feeds):
            raise RuntimeError(f"catalog inputs {sorted(feeds)} are not the model's {names}")
        args = [feeds[n] for n in names]
        outputs = model(args if len(args) > 1 else args[0], training=False)
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        out_names = list(model.output_names)
        layers = {}
        for layer in model.layers:
            layers[type(layer).__name__] = layers.get(type(layer).__name__, 0) + 1
        weights = {w.name.split(":")[0]: w.numpy() for w in model.weights} if architecture else {}
        return (f"{label} {K.__version__}", int(model.count_params()), layers,
                {n: np.asarray(o) for n, o in zip(out_names, outputs)}, weights)
    raise RuntimeError("no Keras loads it: " + "; ".join(errors))


def _first_error(err, rc):
    return err.splitlines()[-1] if err else f"exit {rc}"


def _run_and_compare(wtool, source, args, out, reference):
    """`wtool run SOURCE …` against Keras: (text, ok)."""
    if os.path.exists(out):
        os.remove(out)
    rc, _, err = run([wtool, "run", source, *args, "--out", out, "--force", "--quiet"])
    if rc != 0:
        return f"FAIL: {_first_error(err, rc)}", False
    got = np.load(out)
    worst, problems = 0.0, []
    for name, want in reference.items():
        key = name if name in got.files else (got.files[0] if len(got.files) == 1 and len(reference) == 1 else None)
        if key is None:
            problems.append(f"no output {name} (has {got.files})")
            continue
        error, detail = _compare(got[key], want)
        worst = max(worst, error)
        if error > TOLERANCE:
            problems.append(f"{name}: {detail or f'{error:.1e}'}")
    if problems:
        return "WRONG: " + "; ".join(problems), False
    return f"{worst:.1e}", True


def _refusal(wtool, source, args, out, cannot_run):
    if os.path.exists(out):
        os.remove(out)
    rc, _, err = run([wtool, "run", source, *args, "--out", out, "--force", "--quiet"])
    lines = [line for line in err.splitlines() if line.strip()]
    named = all(re.search(rf"\b{re.escape(cls)} x{n}\b", err) for cls, n in cannot_run.items())
    if rc == 1 and len(lines) == 1 and lines[0].startswith("error: ") and named and not os.path.exists(out):
        message = lines[0][len("error: "):]
        return "refused: " + (message[len(source) + 2:] if message.startswith(source + ": ") else message), True
    return f"FAIL (expected a one-line refusal naming {cannot_run}): exit {rc}: {err[:300]}", False


def _weights_differ(swm_path, keras_weights):
    """Names of Keras's weights (`layer/variable`) that the .swm lacks or holds different bits of."""
    from ..swm import SWM

    tensors = SWM(swm_path)
    return [name for name, value in keras_weights.items()
            if name not in tensors.tensors or tensors.array(name).shape != value.shape
            or tensors.array(name).tobytes() != np.ascontiguousarray(value).tobytes()]


def check(model, path, wtool, work, log, architecture=None):
    """`architecture`: for a weights-only file, (path of the package's code file, function)."""
    t0 = time.time()
    r = Result(model, str(path))
    r.writer = writer(path)
    base = os.path.join(work, model.id)
    feeds = input_recipes.make_all(model.inputs)
    args = []
    for name, value in feeds.items():
        f = f"{base}.in.{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.npy"
        np.save(f, value)
        args += ["--input", f"{name}={f}"]
    config = base + ".config.json"
    r.keras, r.keras_params, r.layers, reference, keras_weights = keras_reference(str(path), feeds, architecture, config)
    with_config = ["--config", config] if architecture else []

    # convert, check, summary
    swm = base + ".swm"
    rc, _, err = run([wtool, "convert", str(path), swm, *with_config, "--force", "--quiet"])
    if rc != 0:
        r.convert = f"FAIL: {_first_error(err, rc)}"
        r.fail("convert")
        r.run = r.direct = "-"
        r.seconds = time.time() - t0
        return r
    summary = check_and_summarize(wtool, swm, r)
    if r.ok:
        params = summary.get("total_params")
        if params == r.keras_params:
            r.convert = f"ok ({params:,} params = Keras)"
            if keras_weights:  # weights-only: the pairing of file layers to model layers, checked
                different = _weights_differ(swm, keras_weights)
                if different:
                    r.convert = f"WRONG: weights differ from Keras's load_weights: {different[:5]}"
                    r.fail("weights")
                else:
                    r.convert += f"; {len(keras_weights)} tensors = Keras's load_weights, bit for bit"
        else:
            r.convert = f"WRONG: summary says {params} params, Keras {r.keras_params:,}"
            r.fail("summary params")

    # run, from the .swm and straight from the file
    out = base + ".out.npz"
    for source, attr, extra in ((swm, "run", []), (str(path), "direct", with_config)):
        if model.cannot_run:
            text, ok = _refusal(wtool, source, args + extra, out, model.cannot_run)
        else:
            text, ok = _run_and_compare(wtool, source, args + extra, out, reference)
        setattr(r, attr, text)
        if not ok:
            r.fail(attr)
    r.seconds = time.time() - t0
    return r
