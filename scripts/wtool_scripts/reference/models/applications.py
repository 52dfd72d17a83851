"""The seed's other keras.applications models (issue #5): VGG19, ResNet50, InceptionV3,
Xception and MobileNet (α 1.0, and α 0.5 with its Conv2D + Reshape head), in the `full` set."""
from ..flavours import APPLICATION_FLAVOURS
from .spec import application

MODELS = (
    application("vgg19", "VGG19", {"include_top": False}, (112, 112, 3), "caffe", 19, "vgg19"),
    application("resnet50", "ResNet50", {"include_top": False}, (128, 128, 3), "caffe", 50,
                "resnet50"),
    # Also a .weights.h5 whose layer names are offset (flavours.save_offset_named_weights).
    application("inception_v3", "InceptionV3", {"include_top": False}, (139, 139, 3), "tf", 3,
                "inception_v3", flavours=APPLICATION_FLAVOURS + ("weights-offset.h5",)),
    application("xception", "Xception", {"include_top": False}, (117, 117, 3), "tf", 71,
                "xception"),
    application("mobilenet", "MobileNet", {"include_top": False, "alpha": 1.0}, (128, 128, 3),
                "tf", 224, "mobilenet"),
    application("mobilenet_050_top", "MobileNet",
                {"include_top": True, "alpha": 0.5, "classes": 10}, (128, 128, 3), "tf", 225,
                "mobilenet"),
)
