"""The keras.applications bases people pick today (issue #20): MobileNetV2, MobileNetV3Small/Large,
EfficientNetB0, EfficientNetV2B0, DenseNet121, ResNet50V2, NASNetMobile, ConvNeXtTiny and
InceptionResNetV2, without their tops, at small input sizes, in the `full` set.

They bring the layers the seed's VGG-era zoo lacks: Rescaling and Normalization inside the
model (adapted weights in EfficientNet, config statistics in EfficientNetV2 and ConvNeXt),
Cropping2D (NASNet), Keras 3 operation nodes (`x + 3.0`, `* (1/6)` in MobileNetV3's hard
sigmoid, ConvNeXt's residual `+`) that tf_keras saves as TFOpLambda layers, LayerNormalization,
keras.applications' own CustomScaleLayer and LayerScale. Each is saved as Keras 3 .h5, tf_keras
.h5 and .keras; the weights-only flavours (and `arch`) where wtool has the architecture built in;
tf2onnx's export of the tf_keras model
(not ConvNeXt's, which tf2onnx leaves invalid).
"""
from .spec import application

FULL = ("keras3.h5", "tfkeras.h5", "keras", "onnx")
WITH_ARCH = ("keras3.h5", "tfkeras.h5", "keras", "weights.h5", "tfkeras-weights.h5", "onnx")

MODELS = (
    application("mobilenet_v2", "MobileNetV2", {"include_top": False, "alpha": 1.0}, (97, 97, 3), "tf", 22,
                "mobilenet_v2", flavours=WITH_ARCH),
    # include_preprocessing=True (the default): the model rescales raw pixels itself.
    application("mobilenet_v3_small", "MobileNetV3Small", {"include_top": False}, (97, 97, 3), "none", 31,
                "mobilenet_v3_small", flavours=FULL),
    application("mobilenet_v3_large", "MobileNetV3Large", {"include_top": False}, (97, 97, 3), "none", 32,
                "mobilenet_v3_large", flavours=FULL),
    application("efficientnet_b0", "EfficientNetB0", {"include_top": False}, (97, 97, 3), "none", 40,
                "efficientnet_b0", flavours=WITH_ARCH),
    application("efficientnet_v2_b0", "EfficientNetV2B0", {"include_top": False}, (97, 97, 3), "none", 41,
                "efficientnet_v2_b0", flavours=FULL),
    application("densenet121", "DenseNet121", {"include_top": False}, (97, 97, 3), "torch", 121,
                "densenet121", flavours=WITH_ARCH),
    application("resnet50_v2", "ResNet50V2", {"include_top": False}, (97, 97, 3), "tf", 250,
                "resnet50_v2", flavours=WITH_ARCH),
    application("nasnet_mobile", "NASNetMobile", {"include_top": False}, (97, 97, 3), "tf", 26,
                "nasnet_mobile", flavours=FULL),
    # No tf2onnx flavour: tf2onnx 1.17's export of ConvNeXtTiny keeps 18 TensorFlow PartitionedCall
    # nodes (its Conv2D(groups=dim) depthwise convolutions), an invalid ONNX graph that onnxruntime refuses too.
    application("convnext_tiny", "ConvNeXtTiny", {"include_top": False}, (65, 65, 3), "none", 7,
                "convnext_tiny", flavours=FULL[:-1]),
    application("inception_resnet_v2", "InceptionResNetV2", {"include_top": False}, (107, 107, 3), "tf", 2,
                "inception_resnet_v2", flavours=FULL),
)
