"""A model wtool must refuse cleanly: a Conv2DTranspose (`samples`: mini/unsupported.keras3.h5,
saved by samples.py; no expected outputs)."""
from ..weights import Seeded
from .spec import Reference


def build_unsupported(K):
    L = K.layers
    inp = K.Input(shape=(8, 8, 3))
    x = L.Conv2D(4, 3, padding="same", activation="relu", name="conv")(inp)
    x = L.Conv2DTranspose(2, 3, strides=2, padding="same", name="deconv")(x)
    return K.Model(inp, x, name="unsupported")


MODELS = (
    Reference("unsupported", build_unsupported, Seeded(99, "glorot", 0.1), (8, 8, 3)),
)
