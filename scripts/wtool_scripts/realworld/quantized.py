"""Quantization-tool files: onnxruntime's quantizer (`onnxruntime.quantization`) run on tf2onnx
exports — the reference set's keras.applications MobileNet (alpha 0.5, 128×128) and magika's
Keras model — in the forms people ship: dynamic (ConvInteger / MatMulInteger after
DynamicQuantizeLinear), static QDQ (QuantizeLinear/DequantizeLinear pairs) and static QOperator
(QLinearConv, QLinearMatMul and com.microsoft's QLinear* ops).

Static quantization calibrates on four seeded random inputs, so the files are the same on every
run with the same onnxruntime; they are made in `$WTOOL_CACHE/realworld/quantized-<onnxruntime
version>-<sha of the sources>/` once and reused.
"""
import hashlib
import os
from pathlib import Path

import numpy as np

from .catalog import Model, photo
from .fetch import cache_root

MOBILENET_INPUT = {"input_1": photo("NHWC", (128, 128), scale=1 / 127.5, norm=((1, 1, 1), (1, 1, 1)))}
MAGIKA_INPUT = {"bytes": ("bytes", (1, 2048))}

# id → (source, how, options, inputs, ops wtool cannot run). `op_types_to_quantize` limits the
# quantizer to convolutions or matrix products, so those models run QLinearConv / QLinearMatMul
# between QuantizeLinear and DequantizeLinear; quantizing every op brings com.microsoft's
# QLinear* ops: wtool runs QLinearGlobalAveragePool and QLinearSoftmax (MobileNet's), and carries
# the others (magika's QLinearAdd, QLinearMul, QGemm), which `run` refuses by name.
VARIANTS = {
    "mobilenet_dynamic": ("mobilenet", "dynamic", {}, MOBILENET_INPUT, {}),
    "mobilenet_static_qdq": ("mobilenet", "static", {"quant_format": "QDQ"}, MOBILENET_INPUT, {}),
    "mobilenet_static_qdq_per_channel": ("mobilenet", "static", {"quant_format": "QDQ", "per_channel": True}, MOBILENET_INPUT, {}),
    "mobilenet_static_qoperator_conv": ("mobilenet", "static", {"quant_format": "QOperator", "activation_type": "QUInt8",
                                                                  "weight_type": "QUInt8", "op_types_to_quantize": ["Conv"]},
                                        MOBILENET_INPUT, {}),
    "mobilenet_static_qoperator_conv_s8": ("mobilenet", "static", {"quant_format": "QOperator", "per_channel": True,
                                                                     "op_types_to_quantize": ["Conv"]}, MOBILENET_INPUT, {}),
    "mobilenet_static_qoperator": ("mobilenet", "static", {"quant_format": "QOperator", "activation_type": "QUInt8",
                                                             "weight_type": "QUInt8"}, MOBILENET_INPUT, {}),
    "mobilenet_static_qoperator_s8": ("mobilenet", "static", {"quant_format": "QOperator", "per_channel": True},
                                      MOBILENET_INPUT, {}),
    "magika_dynamic": ("magika", "dynamic", {}, MAGIKA_INPUT, {}),
    "magika_static_qoperator_matmul": ("magika", "static", {"quant_format": "QOperator", "activation_type": "QUInt8",
                                                            "weight_type": "QUInt8", "op_types_to_quantize": ["MatMul"]},
                                       MAGIKA_INPUT, {}),
    "magika_static_qoperator": ("magika", "static", {"quant_format": "QOperator", "activation_type": "QUInt8",
                                                     "weight_type": "QUInt8"}, MAGIKA_INPUT,
                                {"QLinearAdd": 10, "QLinearMul": 24, "QGemm": 1}),
}


def _options(options):
    from onnxruntime.quantization import QuantFormat, QuantType

    out = dict(options)
    if "quant_format" in out:
        out["quant_format"] = getattr(QuantFormat, out["quant_format"])
    for key in ("activation_type", "weight_type"):
        if key in out:
            out[key] = getattr(QuantType, out[key])
    return out


class _Reader:
    """onnxruntime's CalibrationDataReader protocol over four seeded inputs."""

    def __init__(self, inputs):
        from .inputs import make

        self.batches = iter([{name: _calibration(recipe, seed) for name, recipe in inputs.items()} for seed in range(4)])

    def get_next(self):
        return next(self.batches, None)


def _calibration(recipe, seed):
    rng = np.random.default_rng(100 + seed)
    if recipe[0] == "bytes":
        return rng.integers(0, 257, size=recipe[1]).astype(np.int32)
    _, layout, hw, channels, _, _, _, batch = recipe
    shape = (batch, channels, *hw) if layout == "NCHW" else (batch, *hw, channels)
    return rng.uniform(-1, 1, size=shape).astype(np.float32)


def make(sources, selected=lambda vid: True, log=print):
    """The quantized models as catalog entries: `sources` maps "mobilenet" and "magika" to their
    tf2onnx files (a variant whose source is missing is skipped); returns [(Model, path)] for the
    variants `selected` accepts."""
    import onnxruntime
    from onnxruntime.quantization import CalibrationDataReader, quantize_dynamic, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    stamp = hashlib.sha256()
    for key in sorted(sources):
        stamp.update(Path(sources[key]).read_bytes())
    stamp.update(Path(__file__).read_bytes())
    folder = cache_root() / f"quantized-{onnxruntime.__version__}-{stamp.hexdigest()[:12]}"
    folder.mkdir(parents=True, exist_ok=True)
    reader_type = type("Reader", (_Reader, CalibrationDataReader), {})
    out = []
    for vid, (source, how, options, inputs, cannot_run) in VARIANTS.items():
        if source not in sources or not selected(vid):
            continue
        path = folder / f"{vid}.onnx"
        if not path.exists():
            log(f"quantizing {source} ({vid})")
            pre = folder / f"{source}.pre.onnx"
            if not pre.exists():
                quant_pre_process(str(sources[source]), str(pre), skip_symbolic_shape=True)
            tmp = folder / f"{vid}.tmp.onnx"
            if how == "dynamic":
                quantize_dynamic(str(pre), str(tmp), **_options(options))
            else:
                quantize_static(str(pre), str(tmp), reader_type(inputs), **_options(options))
            os.replace(tmp, path)
        source_name = "reference set's MobileNet (tf2onnx)" if source == "mobilenet" else "magika (tf2onnx)"
        out.append((Model(vid, "onnxruntime " + onnxruntime.__version__, f"{vid}.onnx",
                          f"onnxruntime.quantization {how} {options.get('quant_format', 'QOperator')}"
                          f"{' of ' + '/'.join(options['op_types_to_quantize']) if 'op_types_to_quantize' in options else ''}"
                          f" on the {source_name}",
                          inputs, cannot_run=cannot_run), path))
    return out
