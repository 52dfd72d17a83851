"""VGG: the seed's VGG16 convolutional base (150x150, `full`) and its two-block miniature
(32x32, `samples`), both with plain seeded weights."""
from ..flavours import ALL_FLAVOURS
from ..weights import Seeded
from .spec import Reference

MINI_INPUT = (32, 32, 3)
VGG_INPUT = (150, 150, 3)


def build_mini(K):
    L = K.layers
    inp = K.Input(shape=MINI_INPUT)
    x = L.Conv2D(8, 3, padding="same", activation="relu", name="block1_conv1")(inp)
    x = L.Conv2D(8, 3, padding="same", activation="relu", name="block1_conv2")(x)
    x = L.MaxPooling2D(2, name="block1_pool")(x)
    x = L.Conv2D(16, 3, padding="same", activation="relu", name="block2_conv1")(x)
    x = L.MaxPooling2D(2, name="block2_pool")(x)
    return K.Model(inp, x, name="mini_vgg")


def build_vgg16(K):
    return K.applications.VGG16(weights=None, include_top=False, input_shape=VGG_INPUT)


MODELS = (
    Reference("mini", build_mini, Seeded(0, "glorot", 0.1), MINI_INPUT, "caffe", ALL_FLAVOURS,
              sets=("samples",), per_layer=None),
    Reference("vgg16", build_vgg16, Seeded(16, "he", 0.01), VGG_INPUT, "caffe", ALL_FLAVOURS,
              sets=("full",), per_layer=2, params=14_714_688),
)
