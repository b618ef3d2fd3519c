"""Output-shape inference for common Keras layers, from configs alone.

Keras 3 configs record the shape of every tensor passed between layers, and those recorded shapes
win; Keras 2 configs record none, so shapes are inferred here. Unknown layers give None (unknown),
never a guess.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from . import vocab

Shape = tuple[int | None, ...]


def as_shape(value: Any) -> Shape | None:
    """A JSON list like ``[null, 224, 224, 3]`` as a tuple; None if it is not a shape."""
    if isinstance(value, (list, tuple)) and value and all(v is None or isinstance(v, int) for v in value):
        if all(v is None or 0 <= v < 2**40 for v in value):
            return tuple(value)
    return None


def input_layer_shape(config: dict[str, Any]) -> Shape | None:
    shape = as_shape(config.get("batch_shape")) or as_shape(config.get("batch_input_shape"))
    if shape is None and as_shape(config.get("shape")) is not None:
        shape = (None, *config["shape"])
    return shape


def _tuple(value: Any, rank: int) -> tuple[int, ...] | None:
    """A kernel/stride/dilation setting as a tuple of positive ints, or None when it is not one."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value,) * rank
    if isinstance(value, (list, tuple)) and len(value) == rank and all(
            isinstance(v, int) and not isinstance(v, bool) and 0 < v < 2**31 for v in value):
        return tuple(value)
    return None


def _conv_length(length: int | None, kernel: int, stride: int, padding: str, dilation: int = 1) -> int | None:
    if length is None:
        return None
    if padding == "same":
        return math.ceil(length / stride)
    if padding == "causal":
        return math.ceil(length / stride)
    effective = (kernel - 1) * dilation + 1
    return max(0, (length - effective) // stride + 1)


def _spatial(shape: Shape, rank: int, channels_last: bool) -> tuple[int | None, ...]:
    return shape[1 : 1 + rank] if channels_last else shape[2 : 2 + rank]


def _with_spatial(shape: Shape, spatial: Sequence[int | None], channels: int | None, channels_last: bool) -> Shape:
    if channels_last:
        return (shape[0], *spatial, channels)
    return (shape[0], channels, *spatial)


def _conv(config: dict[str, Any], shape: Shape, rank: int, channels: int | None) -> Shape | None:
    if len(shape) != rank + 2:
        return None
    channels_last = config.get("data_format", "channels_last") != "channels_first"
    kernel = _tuple(config.get("kernel_size", config.get("pool_size", 1)), rank)
    given = config.get("strides")
    strides = _tuple(given if given is not None else config.get("pool_size") or 1, rank)  # 0 is invalid, not 1
    dilation = _tuple(config.get("dilation_rate", 1), rank) or (1,) * rank
    if kernel is None or strides is None:
        return None
    padding = str(config.get("padding", "valid")).lower()
    spatial = [
        _conv_length(n, k, s, padding, d)
        for n, k, s, d in zip(_spatial(shape, rank, channels_last), kernel, strides, dilation)
    ]
    if channels is None:
        channels = shape[-1] if channels_last else shape[1]
    return _with_spatial(shape, spatial, channels, channels_last)


def _rank_of(class_name: str) -> int:
    for rank in (1, 2, 3):
        if class_name.endswith(f"{rank}D"):
            return rank
    return 0


def _conv_layer(class_name: str, config: dict[str, Any], shape: Shape) -> Shape | None:
    rank = _rank_of(class_name)
    if "Transpose" in class_name:
        return None
    if class_name.startswith("Depthwise"):
        channels_last = config.get("data_format", "channels_last") != "channels_first"
        in_channels = shape[-1] if channels_last else shape[1]
        mult = config.get("depth_multiplier", 1)
        channels = in_channels * mult if isinstance(in_channels, int) and isinstance(mult, int) else None
        return _conv(config, shape, rank, channels)
    return _conv(config, shape, rank, _size(config.get("filters")))


def _pooling(class_name: str, config: dict[str, Any], shape: Shape) -> Shape | None:
    rank = _rank_of(class_name)
    channels_last = config.get("data_format", "channels_last") != "channels_first"
    if class_name.startswith("Global"):
        if len(shape) != rank + 2:
            return None
        channels = shape[-1] if channels_last else shape[1]
        if config.get("keepdims"):
            return _with_spatial(shape, [1] * rank, channels, channels_last)
        return (shape[0], channels)
    pool = config.get("pool_size", 2)
    pooled = dict(config, kernel_size=pool, strides=config.get("strides") or pool)
    return _conv(pooled, shape, rank, None)


def _size(value: Any) -> int | None:
    """A layer size from a config (units, filters, output_dim), or None when it is not a sane one."""
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**40 else None


def _dense(config: dict[str, Any], shape: Shape) -> Shape | None:
    units = _size(config.get("units"))
    return (*shape[:-1], units) if units else None


def _flatten(config: dict[str, Any], shape: Shape) -> Shape | None:
    rest = shape[1:]
    if any(d is None for d in rest):
        return (shape[0], None)
    total = 1
    for dim in rest:
        total *= dim
    return (shape[0], total)


def _reshape(config: dict[str, Any], shape: Shape) -> Shape | None:
    target = config.get("target_shape")
    if not isinstance(target, (list, tuple)) or not all(isinstance(d, int) for d in target):
        return None
    target = list(target)
    if -1 in target:
        known = _flatten({}, shape)[1]
        rest = 1
        for d in target:
            if d != -1:
                rest *= d
        target[target.index(-1)] = known // rest if known is not None and rest else None
    return (shape[0], *target)


def _recurrent(config: dict[str, Any], shape: Shape) -> Shape | None:
    units = _size(config.get("units"))
    if not units or len(shape) != 3:
        return None
    if config.get("return_sequences"):
        return (shape[0], shape[1], units)
    return (shape[0], units)


def _bidirectional(config: dict[str, Any], shape: Shape) -> Shape | None:
    inner = config.get("layer", {})
    inner_shape = _recurrent((inner or {}).get("config", {}), shape)
    if inner_shape is None:
        return None
    mode = config.get("merge_mode", "concat")
    if mode == "concat" and isinstance(inner_shape[-1], int):
        return (*inner_shape[:-1], inner_shape[-1] * 2)
    return inner_shape if mode in ("sum", "ave", "mul") else None


def _time_distributed(config: dict[str, Any], shape: Shape) -> Shape | None:
    inner = config.get("layer") or {}
    if not isinstance(inner, dict) or len(shape) < 3:
        return None
    inner_shape = infer(str(inner.get("class_name", "")), inner.get("config") or {}, [(shape[0], *shape[2:])])
    return (shape[0], shape[1], *inner_shape[1:]) if inner_shape else None


def _embedding(config: dict[str, Any], shape: Shape) -> Shape | None:
    dim = _size(config.get("output_dim"))
    return (*shape, dim) if dim else None


def _concatenate(config: dict[str, Any], shapes: list[Shape]) -> Shape | None:
    axis = config.get("axis", -1)
    rank = len(shapes[0])
    if not isinstance(axis, int) or any(len(s) != rank for s in shapes) or not -rank <= axis < rank:
        return None
    axis %= rank
    sizes = [s[axis] for s in shapes]
    total = sum(sizes) if all(isinstance(d, int) for d in sizes) else None
    out = list(shapes[0])
    out[axis] = total
    return tuple(out)


def _elementwise(config: dict[str, Any], shapes: list[Shape]) -> Shape | None:
    return max(shapes, key=len)


def _repeat(config: dict[str, Any], shape: Shape) -> Shape | None:
    n = _size(config.get("n"))
    return (shape[0], n, *shape[1:]) if n else None


def _padding(class_name: str, config: dict[str, Any], shape: Shape) -> Shape | None:
    rank = _rank_of(class_name)
    amount = config.get("padding" if class_name.startswith("Zero") else "cropping", 1)
    sign = 1 if class_name.startswith("Zero") else -1
    if isinstance(amount, int):
        pairs = [(amount, amount)] * rank
    elif isinstance(amount, (list, tuple)) and len(amount) == rank:
        pairs = [(a, a) if isinstance(a, int) else tuple(a) for a in amount]
    elif rank == 1 and isinstance(amount, (list, tuple)) and len(amount) == 2:
        pairs = [tuple(amount)]
    else:
        return None
    channels_last = config.get("data_format", "channels_last") != "channels_first"
    spatial = [
        None if n is None else n + sign * (a + b) for n, (a, b) in zip(_spatial(shape, rank, channels_last), pairs)
    ]
    channels = shape[-1] if channels_last else shape[1]
    return _with_spatial(shape, spatial, channels, channels_last)


_SINGLE: dict[str, Callable[[dict[str, Any], Shape], Shape | None]] = {
    "Dense": _dense,
    "Flatten": _flatten,
    "Reshape": _reshape,
    "LSTM": _recurrent,
    "GRU": _recurrent,
    "SimpleRNN": _recurrent,
    "CuDNNLSTM": _recurrent,
    "CuDNNGRU": _recurrent,
    "Bidirectional": _bidirectional,
    "TimeDistributed": _time_distributed,
    "Embedding": _embedding,
    "RepeatVector": _repeat,
}
_SHAPE_KEEPING = (
    vocab.NORMALIZATION_CLASSES
    | set(vocab.ACTIVATION_LAYERS)
    | {"Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout", "GaussianNoise",
       "AlphaDropout", "ActivityRegularization", "Identity", "Masking", "Rescaling", "LayerScale", "StochasticDepth",
       "RandomFlip", "RandomRotation", "RandomZoom", "RandomContrast", "RandomTranslation", "InputLayer"}
)


def infer(class_name: str, config: dict[str, Any], input_shapes: list[Shape | None]) -> Shape | None:
    """The output shape of one call, or None when it cannot be known from the config."""
    if not input_shapes or any(s is None for s in input_shapes):
        return None
    shapes = [tuple(s) for s in input_shapes if s is not None]
    if class_name == "Concatenate":
        return _concatenate(config, shapes)
    if class_name in vocab.MERGE_CLASSES and class_name != "Dot":
        return _elementwise(config, shapes)
    if len(shapes) != 1:
        return None
    shape = shapes[0]
    if class_name in _SHAPE_KEEPING:
        return shape
    if class_name in _SINGLE:
        return _SINGLE[class_name](config, shape)
    if class_name in vocab.POOLING_CLASSES:
        return _pooling(class_name, config, shape)
    is_conv = class_name.startswith(("Conv", "SeparableConv", "DepthwiseConv")) and not class_name.startswith(
        "ConvLSTM"
    )
    if is_conv and _rank_of(class_name):
        return _conv_layer(class_name, config, shape)
    if class_name.startswith(("ZeroPadding", "Cropping")):
        return _padding(class_name, config, shape)
    return None
