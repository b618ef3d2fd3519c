"""Names Keras uses, in both config dialects: layer kinds, activations, losses and metrics."""

from __future__ import annotations

import re
from typing import Any, Optional

MODEL_CLASSES = frozenset({"Functional", "Model", "Sequential"})
MERGE_CLASSES = frozenset({"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot"})
NORMALIZATION_CLASSES = frozenset(
    {"BatchNormalization", "LayerNormalization", "GroupNormalization", "UnitNormalization", "RMSNormalization",
     "SyncBatchNormalization", "Normalization"}
)
BATCHNORM_CLASSES = frozenset({"BatchNormalization", "SyncBatchNormalization"})
#: Layers that move or mask values without computing new features.
PASS_THROUGH_CLASSES = frozenset(
    {"InputLayer", "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout",
     "GaussianNoise", "AlphaDropout", "ActivityRegularization", "Flatten", "Reshape", "Permute", "Identity",
     "Masking", "RepeatVector", "Cropping1D", "Cropping2D", "Cropping3D", "ZeroPadding1D", "ZeroPadding2D",
     "ZeroPadding3D"}
)
POOLING_CLASSES = frozenset(
    {"MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
     "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D", "GlobalAveragePooling1D",
     "GlobalAveragePooling2D", "GlobalAveragePooling3D", "MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D",
     "AvgPool2D", "AvgPool3D", "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D", "GlobalAvgPool1D",
     "GlobalAvgPool2D", "GlobalAvgPool3D"}
)
ACTIVATION_LAYERS = {"Activation": None, "Softmax": "softmax", "ReLU": "relu", "LeakyReLU": "leaky_relu",
                     "PReLU": "prelu", "ELU": "elu", "ThresholdedReLU": "relu"}
WRAPPER_CLASSES = frozenset({"TimeDistributed", "Bidirectional"})
#: Layers whose weights are learned features (the "last nonlinearity" of a branch sits in one of these).
WEIGHTED_CLASSES = frozenset(
    {"Dense", "EinsumDense", "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
     "SeparableConv1D", "SeparableConv2D", "DepthwiseConv1D", "DepthwiseConv2D", "LSTM", "GRU", "SimpleRNN",
     "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "Embedding", "Bidirectional", "TimeDistributed", "RNN",
     "MultiHeadAttention", "Convolution1D", "Convolution2D", "Convolution3D", "CuDNNLSTM", "CuDNNGRU"}
)
#: Every layer class that ships with Keras and that fusiondoctor understands at least by its kind.
_KNOWN_EXTRA = frozenset(
    {"Attention", "AdditiveAttention", "Lambda", "TFOpLambda", "SlicingOpLambda", "Rescaling", "Resizing",
     "CenterCrop", "UpSampling1D", "UpSampling2D", "UpSampling3D", "TextVectorization", "StringLookup",
     "IntegerLookup", "CategoryEncoding", "Hashing", "Discretization", "RandomFlip", "RandomRotation", "RandomZoom",
     "RandomCrop", "RandomContrast", "RandomTranslation", "LayerScale", "StochasticDepth", "Cast",
     "CustomScaleLayer", "SlicingOpLambda", "InstanceProperty", "InstanceMethod", "ClassMethod"}
)


def is_known_layer(class_name: str) -> bool:
    from .keras_ops import op_names

    return (
        class_name in MODEL_CLASSES | MERGE_CLASSES | NORMALIZATION_CLASSES | PASS_THROUGH_CLASSES | POOLING_CLASSES
        | WRAPPER_CLASSES | WEIGHTED_CLASSES | _KNOWN_EXTRA
        or class_name in ACTIVATION_LAYERS
        or class_name in op_names()
    )


def activation_name(value: Any) -> Optional[str]:
    """A serialized activation (string, dict, or None) as a lower-case name; ``"custom:<name>"`` if unknown."""
    if value is None:
        return None
    if isinstance(value, str):
        name = value
    elif isinstance(value, dict):
        config = value.get("config")
        if isinstance(config, str):
            name = config
        elif isinstance(config, dict) and "name" in config and value.get("class_name") in (None, "function"):
            name = str(config["name"])
        else:
            name = str(value.get("class_name", "custom"))
    else:
        return "custom:" + type(value).__name__
    name = _snake(name.rsplit(".", 1)[-1])
    return name if name in KNOWN_ACTIVATIONS else f"custom:{name}"


def _snake(name: str) -> str:
    name = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()
    return {"re_lu": "relu", "leaky_re_lu": "leaky_relu", "p_re_lu": "prelu", "hardsigmoid": "hard_sigmoid"}.get(name, name)


KNOWN_ACTIVATIONS = frozenset(
    {"linear", "relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "silu", "swish", "mish", "softplus",
     "softsign", "tanh", "sigmoid", "hard_sigmoid", "hard_silu", "hard_swish", "exponential", "softmax",
     "log_softmax", "prelu", "celu", "glu", "sparsemax", "squareplus", "tanh_shrink", "hard_tanh", "soft_shrink",
     "hard_shrink", "threshold", "log_sigmoid", "sparse_plus", "sparse_sigmoid"}
)
PROBABILITY_ACTIVATIONS = frozenset({"softmax", "sigmoid", "hard_sigmoid", "sparsemax", "sparse_sigmoid"})

# ---- losses -----------------------------------------------------------------------------------

BINARY, CATEGORICAL, SPARSE, OTHER = "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy", "other"
_LOSS_FAMILIES = {
    "binary_crossentropy": BINARY, "bce": BINARY, "binarycrossentropy": BINARY,
    "binary_focal_crossentropy": BINARY, "binaryfocalcrossentropy": BINARY,
    "categorical_crossentropy": CATEGORICAL, "cce": CATEGORICAL, "categoricalcrossentropy": CATEGORICAL,
    "categorical_focal_crossentropy": CATEGORICAL, "categoricalfocalcrossentropy": CATEGORICAL,
    "sparse_categorical_crossentropy": SPARSE, "sparsecategoricalcrossentropy": SPARSE, "scce": SPARSE,
}
_OTHER_LOSSES = frozenset(
    {"mean_squared_error", "mse", "meansquarederror", "mean_absolute_error", "mae", "meanabsoluteerror",
     "mean_absolute_percentage_error", "mape", "mean_squared_logarithmic_error", "msle", "huber", "huber_loss",
     "log_cosh", "logcosh", "hinge", "squared_hinge", "categorical_hinge", "kl_divergence", "kld",
     "kullback_leibler_divergence", "kldivergence", "poisson", "cosine_similarity", "ctc", "dice", "tversky",
     "circle", "categorical_generalized_cross_entropy", "meansquaredlogarithmicerror", "meanabsolutepercentageerror",
     "squaredhinge", "categoricalhinge", "cosinesimilarity"}
)


def loss_family(name: str) -> Optional[str]:
    """``binary_crossentropy`` / ``categorical_crossentropy`` / ``sparse_categorical_crossentropy`` /
    ``other`` for a known Keras loss; None for a custom one."""
    key = _snake(name).replace("_", "") if name[:1].isupper() else name.lower()
    if name.lower() in _LOSS_FAMILIES:
        return _LOSS_FAMILIES[name.lower()]
    if key in _LOSS_FAMILIES:
        return _LOSS_FAMILIES[key]
    if name.lower() in _OTHER_LOSSES or key in _OTHER_LOSSES:
        return OTHER
    return None


# ---- metrics ------------------------------------------------------------------------------------

ACCURACY_ALIASES = frozenset({"accuracy", "acc"})
ACCURACY_METRICS = frozenset(
    {"accuracy", "acc", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
     "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy"}
)


def metric_name(name: str) -> str:
    """A metric class or function name in snake case (``BinaryAccuracy`` -> ``binary_accuracy``)."""
    return _snake(name) if name[:1].isupper() else name.lower()
