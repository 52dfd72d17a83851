"""The reference models, one module per family, in the order the sets produce them.

Adding a family: a module whose MODELS is a tuple of spec.Reference (spec.application() for a
keras.applications model), and its line in FAMILIES below. Both Keras processes build models by
name from this registry, the `samples`/`full` sets produce every model whose `sets` names them,
and check_reference.py and parity.py then check it from the manifest with no change.
"""
from . import applications, bases, classifier, greyscale, unsupported, vgg

FAMILIES = (
    vgg,  # mini, vgg16
    classifier,  # mini_classifier, classifier
    unsupported,  # unsupported (a Lambda: carried, refused by run)
    applications,  # vgg19, resnet50, inception_v3, xception, mobilenet, mobilenet_050_top
    greyscale,  # greyscale (48x48x1, photos loaded with color_mode="grayscale")
    bases,  # mobilenet_v2, mobilenet_v3_small/large, efficientnet_b0, efficientnet_v2_b0, densenet121,
    #         resnet50_v2, nasnet_mobile, convnext_tiny, inception_resnet_v2 (issue #20)
)

MODELS = {spec.name: spec for family in FAMILIES for spec in family.MODELS}


def in_set(name):
    """The models the reference set `name` produces, in registry order."""
    return [spec for spec in MODELS.values() if name in spec.sets]


def build_arch(K, name):
    K.backend.clear_session()  # fresh name counters: input_layer / input_1, not input_layer_3
    return MODELS[name].build(K)


def model_weights(K, name, calibration=None):
    """The seeded weights of model `name` (its base's first, when it has one)."""
    spec = MODELS[name]
    base = model_weights(K, spec.base) if spec.base else {}
    return {**base, **spec.seeding.weights(K, build_arch(K, name), calibration)}
