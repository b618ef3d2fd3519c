"""Names Keras uses, in both config dialects: layer kinds, activations, losses and metrics."""

from __future__ import annotations

import math
import re
from typing import Any

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
     "CustomScaleLayer", "InstanceProperty", "InstanceMethod", "ClassMethod"}
)


def is_known_layer(class_name: str) -> bool:
    from .keras_ops import op_names

    return (
        class_name in MODEL_CLASSES | MERGE_CLASSES | NORMALIZATION_CLASSES | PASS_THROUGH_CLASSES | POOLING_CLASSES
        | WRAPPER_CLASSES | WEIGHTED_CLASSES | _KNOWN_EXTRA
        or class_name in ACTIVATION_LAYERS
        or class_name in op_names()
    )


def activation_name(value: Any) -> str | None:
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
    renamed = {"re_lu": "relu", "leaky_re_lu": "leaky_relu", "p_re_lu": "prelu", "hardsigmoid": "hard_sigmoid"}
    return renamed.get(name, name)


KNOWN_ACTIVATIONS = frozenset(
    {"linear", "relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "silu", "swish", "mish", "softplus",
     "softsign", "tanh", "sigmoid", "hard_sigmoid", "hard_silu", "hard_swish", "exponential", "softmax",
     "log_softmax", "prelu", "celu", "glu", "sparsemax", "squareplus", "tanh_shrink", "hard_tanh", "soft_shrink",
     "hard_shrink", "threshold", "log_sigmoid", "sparse_plus", "sparse_sigmoid"}
)
PROBABILITY_ACTIVATIONS = frozenset({"softmax", "sigmoid", "hard_sigmoid", "sparsemax", "sparse_sigmoid"})

# ---- losses -----------------------------------------------------------------------------------

BINARY, CATEGORICAL = "binary_crossentropy", "categorical_crossentropy"
SPARSE, OTHER = "sparse_categorical_crossentropy", "other"
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


def loss_family(name: str) -> str | None:
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


def _key(name: str) -> str:
    """A loss or metric name reduced for lookups: ``MeanSquaredError`` and ``mean_squared_error`` are
    both ``meansquarederror``."""
    return metric_name(str(name)).replace("_", "")


#: Losses that fit real-valued targets, by reduced name, with the target range each one implies
#: (None: any real value).
_REGRESSION_LOSSES = {
    "meansquarederror": None, "mse": None, "meanabsoluteerror": None, "mae": None, "huber": None, "huberloss": None,
    "logcosh": None, "meanabsolutepercentageerror": None, "mape": None, "cosinesimilarity": None,
    "meansquaredlogarithmicerror": (0.0, math.inf), "msle": (0.0, math.inf), "poisson": (0.0, math.inf),
}
#: Regression losses whose targets may be any real number (the "unbounded" regression of FD211).
UNBOUNDED_REGRESSION_LOSSES = frozenset(
    {"meansquarederror", "mse", "meanabsoluteerror", "mae", "huber", "huberloss", "logcosh"})
#: Regression losses FD208 looks for on classification heads.
ERROR_LOSSES = frozenset(
    {"meansquarederror", "mse", "meanabsoluteerror", "mae", "huber", "huberloss", "logcosh",
     "meanabsolutepercentageerror", "mape", "meansquaredlogarithmicerror", "msle"})
_HINGE_LOSSES = frozenset({"hinge", "squaredhinge"})
_CATEGORICAL_LOSSES = frozenset({"categoricalhinge", "circle", "categoricalgeneralizedcrossentropy"})
_DISTRIBUTION_LOSSES = frozenset({"kldivergence", "kld", "kullbackleiblerdivergence"})


def loss_kind(name: str) -> str | None:
    """What kind of targets a known loss fits: ``binary`` / ``categorical`` / ``sparse`` (the
    crossentropies), ``hinge`` (labels -1/1), ``categorical_hinge``, ``distribution`` (KL
    divergence), ``regression``; None for custom losses and for losses that say nothing about the
    task (ctc, dice, ...)."""
    family = loss_family(name)
    if family in (BINARY, CATEGORICAL, SPARSE):
        return {BINARY: "binary", CATEGORICAL: "categorical", SPARSE: "sparse"}[family]
    key = _key(name)
    if key in _REGRESSION_LOSSES:
        return "regression"
    if key in _HINGE_LOSSES:
        return "hinge"
    if key in _CATEGORICAL_LOSSES:
        return "categorical_hinge"
    if key in _DISTRIBUTION_LOSSES:
        return "distribution"
    return None


def loss_target_range(name: str) -> tuple[float, float] | None:
    """The range of targets a regression loss implies (MSLE and Poisson: non-negative), or None."""
    return _REGRESSION_LOSSES.get(_key(name))


def is_loss(name: str, keys: frozenset) -> bool:
    return _key(name) in keys


_REGRESSION_METRICS = frozenset(
    {"meansquarederror", "mse", "meanabsoluteerror", "mae", "meanabsolutepercentageerror", "mape",
     "meansquaredlogarithmicerror", "msle", "rootmeansquarederror", "rmse", "logcosh", "logcosherror",
     "cosinesimilarity", "r2score", "poisson", "huber"})
_CLASSIFICATION_METRICS = frozenset(
    {"auc", "precision", "recall", "f1score", "fbetascore", "precisionatrecall", "recallatprecision",
     "sensitivityatspecificity", "specificityatsensitivity", "truepositives", "falsepositives", "truenegatives",
     "falsenegatives", "binarycrossentropy", "categoricalcrossentropy", "sparsecategoricalcrossentropy",
     "binaryiou", "iou", "meaniou", "onehotiou", "onehotmeaniou", "hinge", "squaredhinge", "categoricalhinge",
     "kldivergence"})


def metric_kind(name: str, resolved: str | None = None) -> str | None:
    """``accuracy`` (the accuracy family), ``regression`` (errors such as MAE, RMSE, R2) or
    ``classification`` (AUC, precision, recall, F1, crossentropy, IoU) for a metric; None if unknown."""
    for candidate in (resolved, name):
        if not candidate:
            continue
        snake = metric_name(candidate)
        if snake in ACCURACY_METRICS:
            return "accuracy"
        key = snake.replace("_", "")
        if key in _REGRESSION_METRICS:
            return "regression"
        if key in _CLASSIFICATION_METRICS or key.startswith(("auc", "precision", "recall")):
            return "classification"
    return None


# ---- activations: output ranges -------------------------------------------------------------------

#: The range of values each activation can output (open or closed ends alike).
ACTIVATION_RANGES = {
    "linear": (-math.inf, math.inf), "leaky_relu": (-math.inf, math.inf), "prelu": (-math.inf, math.inf),
    "relu": (0.0, math.inf), "relu6": (0.0, 6.0), "softplus": (0.0, math.inf), "exponential": (0.0, math.inf),
    "elu": (-1.0, math.inf), "selu": (-1.7581, math.inf), "celu": (-1.0, math.inf), "gelu": (-0.17, math.inf),
    "silu": (-0.2785, math.inf), "swish": (-0.2785, math.inf), "mish": (-0.3088, math.inf),
    "hard_silu": (-0.375, math.inf), "hard_swish": (-0.375, math.inf), "squareplus": (0.0, math.inf),
    "sigmoid": (0.0, 1.0), "hard_sigmoid": (0.0, 1.0), "sparse_sigmoid": (0.0, 1.0), "softmax": (0.0, 1.0),
    "sparsemax": (0.0, 1.0), "tanh": (-1.0, 1.0), "softsign": (-1.0, 1.0), "hard_tanh": (-1.0, 1.0),
    "log_softmax": (-math.inf, 0.0), "log_sigmoid": (-math.inf, 0.0),
}
#: Activations that output exactly zero (and pass no gradient) for every negative input.
DEAD_BELOW_ZERO = frozenset({"relu", "relu6"})
