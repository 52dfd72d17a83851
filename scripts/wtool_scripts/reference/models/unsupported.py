"""A model wtool can read but must refuse to run: a Lambda layer holds Python code (`samples`:
mini/unsupported.keras3.h5, saved by samples.py; no expected outputs). wtool carries it — convert,
summary, diff and .h5 export work — and `run` names it. Its Conv2DTranspose, once refused too, is
read since issue #20."""
from ..weights import Seeded
from .spec import Reference


def build_unsupported(K):
    L = K.layers
    inp = K.Input(shape=(8, 8, 3))
    x = L.Conv2D(4, 3, padding="same", activation="relu", name="conv")(inp)
    x = L.Lambda(lambda t: t * 2.0 + 1.0, name="custom")(x)
    x = L.Conv2DTranspose(2, 3, strides=2, padding="same", name="deconv")(x)
    return K.Model(inp, x, name="unsupported")


MODELS = (
    Reference("unsupported", build_unsupported, Seeded(99, "glorot", 0.1), (8, 8, 3)),
)
