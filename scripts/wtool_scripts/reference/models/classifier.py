"""The seed workflow's classifier: a frozen conv base + Flatten/Dense/Dropout/Dense(sigmoid), on
the mini base (`samples`) and on VGG16 (`full`). The base keeps its own seeded weights; the head
is seeded here. (The workflow's other half, flow_from_directory features, is features.py.)"""
from ..flavours import FULL_MODEL_FLAVOURS
from ..weights import Seeded
from .spec import Reference
from .vgg import MINI_INPUT, VGG_INPUT, build_mini, build_vgg16

HEAD = frozenset({"dense", "dense_1"})


def build_classifier(K, base, units, name, input_shape):
    """Layer names are written out but equal Keras's defaults, so the files look like a user's."""
    L = K.layers
    base.trainable = False
    model = K.Sequential([
        base,
        L.Flatten(name="flatten"),
        L.Dense(units, activation="relu", name="dense"),
        L.Dropout(0.5, name="dropout"),
        L.Dense(1, activation="sigmoid", name="dense_1"),
    ], name=name)
    model.build((None,) + tuple(input_shape))
    return model


MODELS = (
    Reference("mini_classifier",
              lambda K: build_classifier(K, build_mini(K), 32, "mini_classifier", MINI_INPUT),
              Seeded(1, "glorot", 0.1, only=HEAD), MINI_INPUT, "divide255", FULL_MODEL_FLAVOURS,
              sets=("samples",), base="mini"),
    Reference("classifier",
              lambda K: build_classifier(K, build_vgg16(K), 256, "sequential", VGG_INPUT),
              Seeded(17, "glorot", 0.01, only=HEAD), VGG_INPUT, "divide255", FULL_MODEL_FLAVOURS,
              sets=("full",), params=16_812_353, base="vgg16"),
)
