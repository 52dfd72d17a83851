"""What a reference model is: how to build it (in either Keras), how its weights are seeded, and
what the reference sets make of it (flavours, inputs, manifest entries)."""
from dataclasses import dataclass
from typing import Callable, Optional

from ..flavours import APPLICATION_FLAVOURS
from ..weights import Calibrated


@dataclass(frozen=True)
class Reference:
    name: str  # the manifest's name, its folder and file stem, and the tf_keras child's `arch`
    build: Callable  # build(K) -> the model, K being `keras` or `tf_keras` (after clear_session)
    seeding: object  # weights.Seeded or weights.Calibrated
    input_shape: tuple  # (H, W, C); the photos are loaded at (H, W)
    preprocess: str = "caffe"  # a keras3.PREPROCESSING key
    flavours: tuple = ()  # flavours.* keys, saved in this order
    sets: tuple = ()  # the reference sets that produce it: "samples", "full"
    per_layer: Optional[int] = 0  # photos with per-layer outputs (None: all of them)
    params: Optional[int] = None  # total_params, asserted
    base: Optional[str] = None  # a model whose seeded weights this one reuses (then seeds the rest)
    arch: Optional[dict] = None  # the manifest's `arch`: keras.applications call, wtool --arch name
    color_mode: str = "rgb"  # load_img's color_mode for the photos: rgb, grayscale or rgba


def application(name, constructor, kwargs, input_shape, preprocess, seed, arch,
                flavours=APPLICATION_FLAVOURS):
    """A keras.applications model, weights=None, at a small input size so CI stays fast (odd
    sizes on purpose: `same` padding then pads unevenly), with calibrated seeded weights and
    per-layer outputs for one photo; in the `full` set. kwargs are keras.applications' own and
    go into the manifest; `arch` is the `wtool --arch` name."""
    def build(K):
        return getattr(K.applications, constructor)(weights=None, input_shape=input_shape,
                                                    **kwargs)

    return Reference(
        name, build, Calibrated(seed), input_shape, preprocess, flavours, sets=("full",),
        per_layer=1,
        arch={"name": arch, "constructor": f"keras.applications.{constructor}",
              "args": {"weights": None, "input_shape": list(input_shape), **kwargs}})
