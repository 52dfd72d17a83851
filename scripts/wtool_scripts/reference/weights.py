"""Seeded weights: {leaf layer name: [arrays in get_weights() order]}, how to apply them and how
to hand them to the tf_keras child (an .npz). Every model's weights come from
np.random.default_rng(seed); no number is a Keras initializer's.

A model's `seeding` (models/spec.py) is one of:
  Seeded(seed, kernel_init, bias_std, only)  plain N(0, std) kernels and biases (seeded_weights);
  Calibrated(seed)                           the deep keras.applications models: fan-in kernels
                                             and BatchNormalization statistics measured on the
                                             model's own inputs (calibrated_weights).
"""
from dataclasses import dataclass
from pathlib import Path

import numpy as np

def leaf_layers(K, model):
    for layer in model.layers:
        if isinstance(layer, K.Model):
            yield from leaf_layers(K, layer)
        else:
            yield layer


def seeded_weights(K, model, seed, kernel_init, bias_std, only=None):
    """{leaf layer name: [arrays in get_weights() order]} from np.random.default_rng(seed).
    kernel_init 'he': N(0, sqrt(2/fan_in)); 'glorot': N(0, sqrt(2/(fan_in+fan_out)))."""
    rng = np.random.default_rng(seed)
    out = {}
    for layer in leaf_layers(K, model):
        if only is not None and layer.name not in only:
            continue
        arrays = []
        for w in layer.get_weights():
            if w.ndim >= 2:
                fan_in = int(np.prod(w.shape[:-1]))
                fan_out = int(np.prod(w.shape[:-2])) * int(w.shape[-1])
                std = (np.sqrt(2.0 / fan_in) if kernel_init == "he"
                       else np.sqrt(2.0 / (fan_in + fan_out)))
            else:
                std = bias_std
            arrays.append(rng.normal(0.0, std, size=w.shape).astype(np.float32))
        if arrays:
            out[layer.name] = arrays
    return out


def apply_weights(K, model, weights):
    """Sets `weights` ({layer name: arrays}) on the model's weighted layers, by name; when the
    other Keras names the same architecture differently (tf_keras's MobileNetV3 has Conv/BatchNorm
    where Keras 3 has conv_bn, its DenseNet conv1/conv for conv1_conv), by position among the
    weighted layers, every shape checked."""
    layers = [layer for layer in leaf_layers(K, model) if layer.get_weights()]
    if all(layer.name in weights for layer in layers):
        pairs = [(layer, layer.name) for layer in layers]
    else:
        assert len(layers) == len(weights), (len(layers), len(weights))
        pairs = list(zip(layers, weights))
    used = set()
    for layer, name in pairs:
        current, new = layer.get_weights(), weights[name]
        assert [a.shape for a in current] == [a.shape for a in new], (layer.name, name)
        layer.set_weights(new)
        if layer.__class__.__name__ == "Normalization" and hasattr(layer, "finalize_state"):
            # Keras 3 computes from statistics set aside when adapted or loaded, not from the
            # weights set_weights just changed: without this the model in memory would still
            # normalise with mean 0 and variance 1 (its saved files would not).
            layer.finalize_state()
        used.add(name)
    assert used == set(weights), set(weights) - used


def npz_path(workdir, name):
    """Where a model's seeded weights wait for the tf_keras child."""
    return Path(workdir) / f"{name}.weights.npz"


def save_weights_npz(path, weights):
    np.savez(path, **{f"{name}::{i}": a for name, arrays in weights.items()
                      for i, a in enumerate(arrays)})


def load_weights_npz(path):
    out = {}
    with np.load(path) as z:
        for key in z.files:  # np.savez keeps insertion (model) order
            name, i = key.split("::")
            out.setdefault(name, [])
            assert int(i) == len(out[name]), key
            out[name].append(z[key])
    return out


def calibrated_weights(K, model, seed, calibration):
    """Seeded weights for the deep keras.applications models that keep activations O(1) through 100+ layers.

    Kernels N(0, sqrt(2/fan_in)) with the true fan-in (kh*kw for depthwise kernels), biases
    N(0, 0.01). BatchNormalization: gamma 1 + N(0, 0.1) and beta N(0, 0.1) where the layer has
    them, moving_mean small (N(0, 0.1) * rms of its input) and moving_variance the second
    moment of its input * U(0.8, 1.25), measured on `calibration` (the model's own
    preprocessed photos) in one training-mode pass (batch statistics upstream; updating all BNs
    from inference-mode passes instead oscillates and diverges on these depths). No statistic is
    a default value, and in inference every BN output's second moment stays between about
    0.25 and 1.6. Using the channel means and variances instead (what training would converge to)
    makes these random ReLU networks amplify float32 rounding about 1.1x per layer: Keras's own
    float32 output then differs from a float64 forward pass by 5e-5 to 7e-5 (max|d|/max|y|) on
    ResNet50 and InceptionV3, against 2.6e-6 to 4.2e-6 for all five with these statistics."""
    rng = np.random.default_rng(seed)
    out, bns = {}, []
    for layer in leaf_layers(K, model):
        current = layer.get_weights()
        if not current:
            continue
        cls = layer.__class__.__name__
        if cls == "Normalization":
            # Adapted statistics of x/255 images (EfficientNet's): means near 0.45, variances
            # near 0.06 (positive: they are square-rooted), and a count (int64).
            c = current[0].shape
            out[layer.name] = [rng.uniform(0.40, 0.50, c).astype(np.float32),
                               rng.uniform(0.05, 0.08, c).astype(np.float32),
                               np.asarray(1000 + rng.integers(0, 1000), dtype=current[2].dtype)]
            continue
        if cls in ("LayerNormalization", "GroupNormalization"):
            # gamma near 1 and beta near 0: small random values would silence the layer.
            arrays = []
            if layer.scale:
                arrays.append(1.0 + 0.1 * rng.standard_normal(current[0].shape))
            if layer.center:
                arrays.append(0.1 * rng.standard_normal(current[-1].shape))
            out[layer.name] = [a.astype(np.float32) for a in arrays]
            continue
        if cls == "LayerScale":
            # ConvNeXt's residual scale: large enough for every block to matter, small enough for
            # 18 blocks without normalization on the residual path.
            out[layer.name] = [(0.1 + 0.05 * rng.standard_normal(current[0].shape)).astype(np.float32)]
            continue
        if cls == "BatchNormalization":
            c = current[0].shape[0]
            arrays = []
            if layer.scale:
                arrays.append(1.0 + 0.1 * rng.standard_normal(c))
            if layer.center:
                arrays.append(0.1 * rng.standard_normal(c))
            arrays += [np.zeros(c), np.ones(c)]  # set from the calibration below
            bns.append(layer)
        else:
            arrays = []
            for i, w in enumerate(current):
                if w.ndim < 2:
                    arrays.append(rng.normal(0.0, 0.01, size=w.shape))
                    continue
                depthwise = (cls == "DepthwiseConv2D" or (cls == "SeparableConv2D" and i == 0))
                fan_in = int(np.prod(w.shape[:2] if depthwise else w.shape[:-1]))
                arrays.append(rng.normal(0.0, np.sqrt(2.0 / fan_in), size=w.shape))
        out[layer.name] = [a.astype(np.float32) for a in arrays]
    if not bns:  # VGG19, ConvNeXt
        return out
    noise = {bn.name: (rng.standard_normal(out[bn.name][-1].shape[0]),
                       rng.uniform(0.8, 1.25, out[bn.name][-1].shape[0])) for bn in bns}
    probe = K.Model(model.inputs, [bn.input for bn in bns])
    apply_weights(K, model, out)
    for bn, x in zip(bns, probe(calibration, training=True)):
        x = np.asarray(x, dtype=np.float64)
        second = np.maximum(np.mean(np.square(x), axis=tuple(range(x.ndim - 1))), 1e-4)
        mean_noise, var_factor = noise[bn.name]
        out[bn.name][-2] = (0.1 * np.sqrt(second) * mean_noise).astype(np.float32)
        out[bn.name][-1] = (second * var_factor).astype(np.float32)
    return out


@dataclass(frozen=True)
class Seeded:
    """seeded_weights(seed, kernel_init, bias_std), only for the layers in `only` if given."""
    seed: int
    kernel_init: str  # "he" or "glorot"
    bias_std: float
    only: frozenset = None

    def weights(self, K, model, calibration=None):
        return seeded_weights(K, model, self.seed, self.kernel_init, self.bias_std, only=self.only)


@dataclass(frozen=True)
class Calibrated:
    """calibrated_weights(seed) on `calibration`, the model's own preprocessed photos."""
    seed: int

    def weights(self, K, model, calibration):
        return calibrated_weights(K, model, self.seed, calibration)
