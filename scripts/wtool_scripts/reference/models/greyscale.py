"""A greyscale model, as a user's facial-expression classifier is: 48x48x1 input, a few
convolutions with BatchNormalization, softmax over 7 classes (the FER2013 shape), saved by Keras
and run on the colour photos loaded as Keras's load_img(color_mode="grayscale") does."""
from ..flavours import FULL_MODEL_FLAVOURS
from ..weights import Calibrated
from .spec import Reference

GREY_INPUT = (48, 48, 1)


def build_greyscale(K):
    L = K.layers
    return K.Sequential([
        K.Input(shape=GREY_INPUT),
        L.Conv2D(16, 3, padding="same", activation="relu", name="conv1"),
        L.BatchNormalization(name="bn1"),
        L.MaxPooling2D(2, name="pool1"),
        L.Conv2D(32, 3, activation="relu", name="conv2"),
        L.MaxPooling2D(2, name="pool2"),
        L.Flatten(name="flatten"),
        L.Dropout(0.25, name="dropout"),
        L.Dense(7, activation="softmax", name="predictions"),
    ], name="emotions")


MODELS = (
    Reference("greyscale", build_greyscale, Calibrated(48), GREY_INPUT, "divide255", FULL_MODEL_FLAVOURS,
              sets=("full",), per_layer=1, color_mode="grayscale"),
)
