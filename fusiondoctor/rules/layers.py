"""FD105-FD111: everyday structural faults visible in the layers: missing nonlinearities, initializers
out of scale, dropout rates mistaken for keep probabilities, activations stacked on probabilities,
deep sigmoid stacks."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from ..model import vocab
from ..model.spec import LayerSpec, ModelSpec, Node
from ..model.task import head_tasks
from ..registry import rule
from ..types import Fix, Location, PatchOp, Severity, Symptom

#: Layers that compute a full linear map of their input when they apply no activation.
LINEAR_MAPS = frozenset({"Dense", "Conv1D", "Conv2D", "Conv3D", "Convolution1D", "Convolution2D", "Convolution3D"})
#: Layers that are linear (affine) in their input: a chain of linear maps through them stays linear.
_LINEAR_STEPS = frozenset(
    {"InputLayer", "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout",
     "GaussianNoise", "AlphaDropout", "ActivityRegularization", "Flatten", "Reshape", "Permute", "Identity",
     "RepeatVector", "Cropping1D", "Cropping2D", "Cropping3D", "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D",
     "BatchNormalization", "SyncBatchNormalization", "Rescaling", "Normalization", "UpSampling1D", "UpSampling2D",
     "UpSampling3D"}
    | {c for c in vocab.POOLING_CLASSES if "Average" in c or "Avg" in c}
)
#: Merges that are linear in their operands.
_LINEAR_MERGES = frozenset({"Add", "Subtract", "Average", "Concatenate"})


def _class(layer: LayerSpec) -> str:
    return layer.inner[0]


def is_linear_map(node: Node) -> bool:
    """A Dense or convolution (also inside TimeDistributed) that applies no activation."""
    return _class(node.layer) in LINEAR_MAPS and node.layer.activation in (None, "linear")


def is_linear_step(node: Node) -> bool:
    """A layer that keeps a linear chain linear (reshapes, dropout, BatchNormalization, average
    pooling, a linear Activation)."""
    layer = node.layer
    if layer.class_name == "Activation":
        return layer.activation == "linear"
    return layer.class_name in _LINEAR_STEPS


def _activation_fix(node: Node, activation: str) -> tuple[PatchOp, ...]:
    layer = node.layer
    if layer.class_name == _class(layer) and "activation" in layer.config:
        return (PatchOp("layer", layer.path, "activation", activation),)
    return ()


def _input_width(model: ModelSpec, node: Node) -> int | None:
    return model.nodes[node.inputs[0]].width if len(node.inputs) == 1 and node.inputs[0] in model.nodes else None


# ---- FD106 first: FD105 leaves the classifiers it reports alone ------------------------------------


@dataclass(frozen=True)
class LinearBody:
    """A classification output whose every upstream layer is linear."""

    output: str
    head_layer: str
    hidden: tuple[Node, ...]  # the linear Dense/convolution layers before the output layer


def linear_bodies(model: ModelSpec) -> list[LinearBody]:
    found = []
    for head, task in head_tasks(model):
        if not task.is_classification:
            continue
        own = head.source if _class(head.source.layer) in LINEAR_MAPS else None
        if own is None and len(head.source.inputs) == 1 and head.source.inputs[0] in model.nodes:
            candidate = model.skip_back(head.source.inputs[0], vocab.PASS_THROUGH_CLASSES - {"InputLayer"})
            own = candidate if is_linear_map(candidate) else None
        upstream = [n for n in model.upstream(head.source.key) if n is not own]
        if any(not (n.model_input or is_linear_map(n) or is_linear_step(n) or n.layer.class_name in _LINEAR_MERGES)
               for n in upstream):
            continue
        hidden = tuple(n for n in upstream if is_linear_map(n))
        if hidden:
            found.append(LinearBody(head.output.name, head.location_layer, tuple(reversed(hidden))))
    return found


@rule("FD106", "linear-classifier-body", Severity.WARNING)
def linear_classifier_body(model: ModelSpec) -> Iterator[Symptom]:
    """A classifier whose hidden layers are all linear, so the whole model is one linear map.

    ## What it does
    Finds classification outputs (from the task model) where every layer between the inputs and
    the output layer is linear: Dense and convolution layers without an activation, joined only
    by reshapes, dropout, BatchNormalization, average pooling or additions. Models whose body
    holds any nonlinearity (an activation, max pooling, a recurrent or attention layer, layer
    normalization, an Embedding lookup) are left alone, and so is a single output layer on the
    inputs (logistic regression on purpose).

    ## Why is this bad?
    A composition of linear maps is one linear map: however many layers the body has, the model
    can only draw linear boundaries between classes, exactly like logistic regression on the raw
    inputs. The extra layers cost parameters and training time and add nothing, which shows as
    accuracy stuck at the level of a linear classifier.

    ## Example
    ```python
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, 3), layers.Conv2D(64, 3), layers.Flatten(),
        layers.Dense(128), layers.Dense(10, activation="softmax"),
    ])
    ```

    ## Use instead
    ```python
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"), layers.Conv2D(64, 3, activation="relu"), layers.Flatten(),
        layers.Dense(128, activation="relu"), layers.Dense(10, activation="softmax"),
    ])
    ```
    """
    for body in linear_bodies(model):
        names = [n.layer.path for n in body.hidden]
        first = body.hidden[0]
        patch = tuple(op for n in body.hidden for op in _activation_fix(n, "relu"))
        yield Symptom(
            f"every layer before the output '{body.head_layer}' is linear ({len(names)} Dense/convolution layers "
            f"without an activation: {', '.join(repr(n) for n in names[:4])}{', ...' if len(names) > 4 else ''}): "
            "the model is one linear map, no better than logistic regression on its inputs",
            Location(layer=first.layer.path, output=body.output, setting="activation"),
            {"linear_layers": len(names), "layers": ", ".join(names), "output_layer": body.head_layer},
            Fix("Give the hidden layers a nonlinearity (ReLU)",
                f'layers.{_class(first.layer)}(..., activation="relu", name="{first.layer.name}")', patch),
        )


# ---- FD105 ---------------------------------------------------------------------------------------------


def _next_linear_map(model: ModelSpec, node: Node) -> tuple[Node, list[Node]] | None:
    """The linear map that ``node`` feeds through linear steps alone, with the steps; None when
    the chain branches, merges, or meets a nonlinearity first."""
    steps: list[Node] = []
    current = node
    while True:
        consumers = model.consumers(current.key)
        if len(consumers) != 1:
            return None
        nxt = model.nodes[consumers[0]]
        if len(nxt.inputs) != 1:
            return None
        if _class(nxt.layer) in LINEAR_MAPS:
            return nxt, steps
        if not is_linear_step(nxt) or nxt.layer.class_name == "InputLayer":
            return None
        steps.append(nxt)
        current = nxt


@rule("FD105", "linear-layers-collapse", Severity.WARNING)
def linear_layers_collapse(model: ModelSpec) -> Iterator[Symptom]:
    """Two Dense or convolution layers in a row with no nonlinearity between them.

    ## What it does
    Finds a Dense or convolution layer without an activation whose output goes, through reshapes,
    dropout, BatchNormalization or average pooling only, into another Dense or convolution layer.
    A linear bottleneck (the first layer no wider than its input and narrower than the next one,
    as in MobileNet's and EfficientNet's projection convolutions or an autoencoder's code) is a
    deliberate low-rank factorization and is left alone, as are residual additions, attention
    projections and Embedding lookups.

    ## Why is this bad?
    Two linear maps in a row are one linear map (BatchNormalization is affine at inference, so it
    does not change that): the first layer adds parameters but no expressive power, and the
    network is as shallow as if it were not there. Almost always an activation was forgotten
    (`Dense(64)` instead of `Dense(64, activation="relu")`).

    ## Example
    ```python
    x = layers.Dense(256)(x)                      # no activation
    x = layers.Dense(10, activation="softmax")(x)
    ```

    ## Use instead
    ```python
    x = layers.Dense(256, activation="relu")(x)
    x = layers.Dense(10, activation="softmax")(x)
    ```
    """
    covered = {n.key for body in linear_bodies(model) for n in body.hidden}
    for node in model.nodes.values():
        if not is_linear_map(node) or node.key in covered:
            continue
        found = _next_linear_map(model, node)
        if found is None:
            continue
        following, steps = found
        middle, before, after = node.layer.units or node.width, _input_width(model, node), following.layer.units
        if middle is None or after is None:
            continue
        if middle < after and (before is None or middle <= before):
            continue  # a bottleneck (narrow, then expanded): a low-rank factorization on purpose
        via = "".join(f" -> {s.layer.class_name}" for s in steps)
        yield Symptom(
            f"{_class(node.layer)} '{node.layer.path}' ({middle} units, no activation){via} feeds "
            f"{_class(following.layer)} '{following.layer.path}' directly: the two collapse into one linear map, so "
            f"'{node.layer.path}' adds parameters but no depth",
            Location(layer=node.layer.path, setting="activation"),
            {"first": node.layer.path, "second": following.layer.path, "input_width": before, "width": middle,
             "next_width": after, "between": ", ".join(s.layer.class_name for s in steps) or None},
            Fix(f"Give '{node.layer.name}' an activation (ReLU)",
                f'layers.{_class(node.layer)}({middle}, activation="relu", name="{node.layer.name}")',
                _activation_fix(node, "relu")),
        )


# ---- FD107 / FD108: initializers ----------------------------------------------------------------------

#: Initializers whose scale is set by the fan-in/fan-out (Glorot, He, LeCun, VarianceScaling).
_FAN_SCALED = frozenset({"VarianceScaling", "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform",
                         "LecunNormal", "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform",
                         "lecun_normal", "variance_scaling"})
#: Keras' defaults for the fixed-scale initializers named by string.
_DEFAULT_SCALES = {"random_normal": (0.0, 0.05), "normal": (0.0, 0.05), "random_uniform": (-0.05, 0.05),
                   "uniform": (-0.05, 0.05), "truncated_normal": (0.0, 0.05)}
_CONSTANT = {"zeros": 0.0, "zero": 0.0, "ones": 1.0, "one": 1.0, "constant": 0.0}


@dataclass(frozen=True)
class Initializer:
    name: str  # the class name or string as written
    rms: float | None = None  # root mean square of the initial weights, for fixed-scale initializers
    constant: float | None = None  # the value, for constant initializers
    gain: float | None = None  # Orthogonal / Identity gain


def _float(value, default: float) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def read_initializer(value) -> Initializer | None:
    """A serialized initializer (string or dict, both dialects), or None when it is unknown or
    scaled by the fan (nothing to judge)."""
    if isinstance(value, str):
        name, config = value, {}
    elif isinstance(value, dict):
        name = str(value.get("class_name", "")).split(">")[-1]
        config = value.get("config") if isinstance(value.get("config"), dict) else {}
    else:
        return None
    key = vocab.metric_name(name)
    if name in _FAN_SCALED or key in _FAN_SCALED:
        return None
    if key in _CONSTANT:
        return Initializer(name, constant=_float(config.get("value"), _CONSTANT[key]))
    if key in ("random_normal", "normal", "truncated_normal"):
        mean, std = _DEFAULT_SCALES[key]
        mean, std = _float(config.get("mean"), mean), _float(config.get("stddev"), std)
        std *= 0.8796 if key == "truncated_normal" else 1.0
        return Initializer(name, rms=math.sqrt(mean ** 2 + std ** 2))
    if key in ("random_uniform", "uniform"):
        low, high = _DEFAULT_SCALES[key]
        low, high = _float(config.get("minval"), low), _float(config.get("maxval"), high)
        return Initializer(name, rms=math.sqrt((low ** 2 + low * high + high ** 2) / 3))
    if key in ("orthogonal", "identity"):
        return Initializer(name, gain=_float(config.get("gain"), 1.0))
    return None


def _fan_in(model: ModelSpec, node: Node) -> int | None:
    """Inputs each unit of a Dense or convolution layer sums over."""
    class_name, config = node.layer.inner
    width = _input_width(model, node)
    if len(node.inputs) != 1 or node.inputs[0] not in model.nodes:
        return None
    source = model.nodes[node.inputs[0]]
    if class_name == "Dense":
        return width
    shape = source.output_shape
    if not shape:
        return None
    channels = shape[1] if config.get("data_format") == "channels_first" else shape[-1]
    kernel = config.get("kernel_size")
    kernel = [kernel] if isinstance(kernel, int) else kernel
    if not isinstance(channels, int) or not isinstance(kernel, list) or not all(isinstance(k, int) for k in kernel):
        return None
    return channels * math.prod(kernel)


@dataclass(frozen=True)
class InitializerScaleOptions:
    """Thresholds for FD107."""

    #: Report when the initial weights scale each unit's input up by this factor or more
    #: (RMS of the weights times the square root of the fan-in; Glorot/He/LeCun give about 1).
    max_gain: float = 10.0
    #: Report hidden layers whose initial weights scale each unit's input down to this factor or less.
    min_gain: float = 0.01


def _weighted(model: ModelSpec) -> Iterator[Node]:
    for node in model.nodes.values():
        if _class(node.layer) in LINEAR_MAPS and node.call == 0:
            yield node


def _output_keys(model: ModelSpec) -> set[str]:
    return {o.key for o in model.outputs} | {model.probability_source(o.key).key for o in model.outputs}


def _initializer_fix(node: Node) -> tuple[str, tuple[PatchOp, ...]]:
    name = "he_normal" if node.layer.activation in ("relu", "relu6", "leaky_relu", "elu") else "glorot_uniform"
    editable = node.layer.class_name == _class(node.layer)  # not inside a wrapper
    patch = (PatchOp("layer", node.layer.path, "kernel_initializer", name),) if editable else ()
    return name, patch


@rule("FD107", "initializer-scale", Severity.WARNING, options=InitializerScaleOptions)
def initializer_scale(model: ModelSpec, options: InitializerScaleOptions) -> Iterator[Symptom]:
    """Initial weights whose scale explodes or vanishes for the layer's fan-in.

    ## What it does
    For Dense and convolution layers with a fixed-scale kernel initializer (`RandomNormal`,
    `RandomUniform`, `TruncatedNormal`, `Orthogonal(gain)`), multiplies the root mean square of
    the initial weights by the square root of the fan-in (the number of inputs each unit sums):
    the factor by which the layer scales its input at the start. Glorot, He and LeCun
    initializers give about 1 by construction and are not checked. Reports a gain of 10 or more,
    and on hidden layers 0.01 or less (a small output layer is a common, harmless choice).

    ## Why is this bad?
    `RandomNormal(stddev=1.0)` on a 784-pixel input multiplies the input's scale by 28 in the
    first layer alone, and by 28 again in every such layer after it: the logits start in the
    hundreds, the softmax saturates, the first loss is huge and gradients either explode or die
    in saturated units. Weights far too small do the opposite: the signal and its gradient shrink
    by the same factor per layer, and the first layers learn nothing.

    ## Example
    ```python
    layers.Dense(512, activation="relu", kernel_initializer=keras.initializers.RandomNormal(stddev=1.0))
    ```

    ## Use instead
    ```python
    layers.Dense(512, activation="relu", kernel_initializer="he_normal")   # or the default, glorot_uniform
    ```
    """
    outputs = _output_keys(model)
    flagged = []
    for node in _weighted(model):
        init = read_initializer(node.layer.inner[1].get("kernel_initializer"))
        fan_in = _fan_in(model, node)
        if init is None or fan_in is None or (init.gain is None and init.rms is None):
            continue
        gain = init.gain if init.gain is not None else init.rms * math.sqrt(fan_in)
        if gain >= options.max_gain:
            flagged.append((node, init, fan_in, gain, "explode"))
        elif 0 < gain <= options.min_gain and node.key not in outputs:
            flagged.append((node, init, fan_in, gain, "vanish"))
    for node, init, fan_in, gain, direction in flagged:
        # the scale compounds from layer to layer: the fix re-initializes every layer off in the same direction
        patch = tuple(op for other, *_, way in flagged if way == direction for op in _initializer_fix(other)[1])
        if direction == "explode":
            effect = f"each unit's input is scaled up {gain:.0f}x at the start"
            threshold = {"max_gain": options.max_gain}
        else:
            effect = f"each unit's input shrinks to {gain:.2g} of its size at the start"
            threshold = {"min_gain": options.min_gain}
        better = _initializer_fix(node)[0]
        scale = f"(RMS {init.rms:.3g}) over a fan-in of {fan_in}" if init.gain is None else f"(gain {gain:g})"
        yield Symptom(
            f"{_class(node.layer)} '{node.layer.path}' starts from {init.name} weights {scale}: {effect}, so "
            f"activations and gradients {direction}",
            Location(layer=node.layer.path, setting="kernel_initializer"),
            {"initializer": init.name, "weight_rms": round(init.rms, 6) if init.rms is not None else None,
             "fan_in": fan_in, "gain": round(gain, 4), **threshold},
            Fix(f"Use a fan-scaled initializer ({better}, or Keras' default glorot_uniform)",
                f'layers.{_class(node.layer)}(..., kernel_initializer="{better}")', patch),
        )


def _on_every_path(model: ModelSpec, node: Node) -> bool:
    """Whether every path from the model inputs to its outputs passes through ``node``."""
    targets = {o.key for o in model.outputs}
    seen = set(model.inputs) - {node.key}
    frontier = list(seen)
    while frontier:
        current = frontier.pop()
        if current in targets:
            return False
        for nxt in model.consumers(current):
            if nxt != node.key and nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    return True


def _next_weighted(model: ModelSpec, node: Node) -> list[Node]:
    """The weighted layers fed by ``node`` through layers without weights (activations, reshapes,
    pooling, dropout)."""
    found, frontier, seen = [], list(model.consumers(node.key)), set()
    while frontier:
        current = model.nodes[frontier.pop()]
        if current.key in seen:
            continue
        seen.add(current.key)
        if current.layer.class_name in vocab.WEIGHTED_CLASSES or _class(current.layer) in LINEAR_MAPS:
            found.append(current)
        else:
            frontier.extend(model.consumers(current.key))
    return found


def _constant(node: Node, key: str) -> float | None:
    """The constant a kernel or bias starts at (a layer without a bias: 0), or None if it is random."""
    config = node.layer.inner[1]
    if key == "bias_initializer" and config.get("use_bias") is False:
        return 0.0
    init = read_initializer(config.get(key, "zeros" if key == "bias_initializer" else None))
    return init.constant if init is not None else None


def _initializer_name(node: Node) -> str:
    value = node.layer.inner[1].get("kernel_initializer")
    return str(value.get("class_name", "")).split(">")[-1] if isinstance(value, dict) else str(value)


@rule("FD108", "constant-initializer", Severity.WARNING)
def constant_initializer(model: ModelSpec) -> Iterator[Symptom]:
    """Hidden layers whose weights all start at the same constant (zeros, ones).

    ## What it does
    Finds hidden Dense and convolution layers (whose output feeds another weighted layer) with a
    `zeros`, `ones` or `Constant` kernel initializer. It is an error when the layer is a ReLU with
    zero kernel and zero bias on every path to the output (dead from the first step), a warning
    when the next weighted layer starts constant too (the units can never become different). An
    output layer starting at zeros is a common, harmless choice and is not reported.

    ## Why is this bad?
    With a constant kernel every unit of the layer computes the same value and, if the next layer
    is constant too, receives the same gradient, so the units stay identical forever: the layer
    acts as one unit. With zeros and a ReLU it is worse: every pre-activation is exactly 0, the
    ReLU's gradient at 0 is 0, and neither this layer nor anything before it ever receives a
    gradient; the model predicts the same thing for every input.

    ## Example
    ```python
    layers.Dense(16, activation="relu", kernel_initializer="zeros")
    ```

    ## Use instead
    ```python
    layers.Dense(16, activation="relu")            # glorot_uniform, or "he_normal" for ReLU
    ```
    """
    outputs = _output_keys(model)
    flagged = []
    for node in _weighted(model):
        kernel = _constant(node, "kernel_initializer")
        if kernel is None or node.key in outputs or (node.layer.units or 2) < 2:
            continue
        following = _next_weighted(model, node)
        if not following:
            continue
        bias = _constant(node, "bias_initializer")
        dead = kernel == 0 and node.layer.activation in vocab.DEAD_BELOW_ZERO and bias is not None and bias <= 0
        if dead or all(_constant(n, "kernel_initializer") is not None for n in following):
            flagged.append((node, kernel, dead, following[0]))
    # one constant layer re-initialized alone stays dead or symmetric behind the next: the fix covers them all
    patch = tuple(op for node, *_ in flagged for op in _initializer_fix(node)[1])
    for node, kernel, dead, following in flagged:
        severity = Severity.ERROR if dead and _on_every_path(model, node) else None
        why = ("with a zero kernel and zero bias every ReLU input is exactly 0 and its gradient is 0: the layer, and "
               "everything before it, never learns" if dead else
               f"every unit starts equal and, with '{following.layer.path}' constant too, gets the same gradient: "
               "the units stay identical and the layer acts as one unit")
        better = _initializer_fix(node)[0]
        yield Symptom(
            f"{_class(node.layer)} '{node.layer.path}' starts with every weight at {kernel:g}: {why}",
            Location(layer=node.layer.path, setting="kernel_initializer"),
            {"kernel_initializer": _initializer_name(node), "value": kernel, "activation": node.layer.activation,
             "dead": dead, "next_layer": following.layer.path},
            Fix(f"Use a random initializer ({better}) in every hidden layer that starts constant",
                f'layers.{_class(node.layer)}(..., kernel_initializer="{better}")', patch),
            severity,
        )


# ---- FD109 -------------------------------------------------------------------------------------------------

_DROPOUT = frozenset({"Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D"})


@dataclass(frozen=True)
class DropoutOptions:
    """Thresholds for FD109."""

    #: Report dropout rates above this share of units dropped.
    max_rate: float = 0.75


@rule("FD109", "dropout-rate-too-high", Severity.WARNING, options=DropoutOptions)
def dropout_rate_too_high(model: ModelSpec, options: DropoutOptions) -> Iterator[Symptom]:
    """A dropout rate that drops most of the units, often a keep probability written as a rate.

    ## What it does
    Finds Dropout and SpatialDropout layers whose `rate` is above 0.75.

    ## Why is this bad?
    Keras' `rate` is the share of units *dropped*. TensorFlow 1's `keep_prob` was the share
    *kept*, so `Dropout(0.9)` carried over from old code drops nine units in ten: the next layer
    sees a tenth of its inputs, scaled up tenfold, on every step, and the model underfits while
    its validation loss (computed without dropout) looks strangely better than the training loss.

    ## Example
    ```python
    x = layers.Dropout(0.9)(x)   # meant: keep 90%
    ```

    ## Use instead
    ```python
    x = layers.Dropout(0.1)(x)   # drop 10%
    ```
    """
    for node in model.nodes.values():
        rate = node.layer.config.get("rate")
        if node.layer.class_name not in _DROPOUT or node.call or not isinstance(rate, (int, float)):
            continue
        if rate <= options.max_rate:
            continue
        keep = round(1 - rate, 2)
        yield Symptom(
            f"{node.layer.class_name} '{node.layer.path}' drops {rate:.0%} of its inputs on every training step (above "
            f"{options.max_rate:g}); if {rate:g} was meant as a keep probability, the rate is {keep:g}",
            Location(layer=node.layer.path, setting="rate"),
            {"rate": rate, "max_rate": options.max_rate},
            Fix(f"Set the rate to the share dropped: {min(keep, 0.5):g}",
                f'layers.{node.layer.class_name}({min(keep, 0.5):g}, name="{node.layer.name}")',
                (PatchOp("layer", node.layer.path, "rate", min(keep, 0.5)),)),
        )


# ---- FD110 --------------------------------------------------------------------------------------------------

_SQUASHING = frozenset({"softmax", "sigmoid", "hard_sigmoid"})
_IDEMPOTENT = frozenset({"linear", "relu", "relu6"})


@rule("FD110", "activation-on-probabilities", Severity.WARNING)
def activation_on_probabilities(model: ModelSpec) -> Iterator[Symptom]:
    """An activation applied again to values that are already probabilities.

    ## What it does
    Finds a softmax or sigmoid whose output goes (through reshapes and dropout only) straight
    into another activation layer, such as `Dense(6, activation="softmax")` followed by
    `Activation("softmax")`.

    ## Why is this bad?
    Probabilities lie in [0, 1], so a second softmax sees logits that differ by at most 1: its
    output is squashed towards the uniform distribution (for 6 classes, no class can get more
    than about 0.35), the loss cannot fall below a high floor, and gradients shrink through both
    activations. A sigmoid of probabilities stays within 0.5-0.73.

    ## Example
    ```python
    x = layers.Dense(6, activation="softmax")(x)
    out = layers.Activation("softmax")(x)
    ```

    ## Use instead
    ```python
    x = layers.Dense(6)(x)                      # logits
    out = layers.Activation("softmax")(x)
    ```
    """
    for node in model.nodes.values():
        layer = node.layer
        if layer.class_name not in vocab.ACTIVATION_LAYERS or layer.activation in _IDEMPOTENT or len(node.inputs) != 1:
            continue
        source = model.skip_back(node.inputs[0], vocab.PASS_THROUGH_CLASSES - {"InputLayer"})
        if source.layer.activation not in _SQUASHING or source.key == node.key:
            continue
        patch = _activation_fix(node, "linear") or (PatchOp("graph", node.layer.path, "bypass", None),)
        yield Symptom(
            f"'{node.layer.path}' applies {node.layer.activation} to the {source.layer.activation} output of "
            f"'{source.layer.path}': probabilities are squashed a second time, towards a uniform prediction",
            Location(layer=node.layer.path, setting="activation"),
            {"first": f"{source.layer.path}={source.layer.activation}",
             "second": f"{node.layer.path}={node.layer.activation}"},
            Fix(f"Apply the activation once: remove '{node.layer.name}' (or make '{source.layer.name}' linear)",
                f'layers.{_class(source.layer)}(..., name="{source.layer.name}")  # no activation before the final one',
                patch),
        )


# ---- FD111 ----------------------------------------------------------------------------------------------------

_SATURATING = frozenset({"sigmoid", "hard_sigmoid"})


@dataclass(frozen=True)
class SaturatingOptions:
    """Thresholds for FD111."""

    #: Report chains of at least this many hidden sigmoid layers.
    min_layers: int = 4


def _sigmoid_chains(model: ModelSpec) -> dict[str, list[Node]]:
    """For each hidden sigmoid layer, the chain of hidden sigmoid layers it starts (through
    layers without weights)."""
    outputs = _output_keys(model)

    def hidden_sigmoid(node: Node) -> bool:
        return _class(node.layer) in LINEAR_MAPS and node.layer.activation in _SATURATING and node.key not in outputs

    chains: dict[str, list[Node]] = {}
    for node in reversed(list(model.nodes.values())):
        if not hidden_sigmoid(node):
            continue
        following = _next_weighted(model, node)
        tail = chains.get(following[0].key, []) if len(following) == 1 and hidden_sigmoid(following[0]) else []
        chains[node.key] = [node] + tail
    return chains


@rule("FD111", "deep-sigmoid-stack", Severity.WARNING, options=SaturatingOptions)
def deep_sigmoid_stack(model: ModelSpec, options: SaturatingOptions) -> Iterator[Symptom]:
    """A chain of several hidden Dense or convolution layers with sigmoid activations.

    ## What it does
    Finds chains of four or more hidden Dense/convolution layers in a row that use `sigmoid`
    (gates that multiply features, as in squeeze-and-excitation blocks, are not chains).

    ## Why is this bad?
    The sigmoid's slope is at most 0.25, so the gradient shrinks at least fourfold through each
    such layer: after four of them the first layer gets under 1/256 of the gradient the last one
    gets, and it learns far more slowly than the rest (the vanishing-gradient problem ReLU was
    introduced to fix).

    ## Example
    ```python
    x = layers.Dense(64, activation="sigmoid")(x)   # four or more of these in a row
    ```

    ## Use instead
    ```python
    x = layers.Dense(64, activation="relu")(x)
    ```
    """
    chains = _sigmoid_chains(model)
    inner = {n.key for chain in chains.values() for n in chain[1:]}
    for key, chain in chains.items():
        if key in inner or len(chain) < options.min_layers:
            continue
        names = [n.layer.path for n in chain]
        yield Symptom(
            f"{len(chain)} hidden sigmoid layers in a row ({', '.join(repr(n) for n in names[:4])}"
            f"{', ...' if len(names) > 4 else ''}): the gradient reaching '{names[0]}' is at most "
            f"1/{4 ** len(chain):,} of what leaves the last one",
            Location(layer=names[0], setting="activation"),
            {"layers": len(chain), "min_layers": options.min_layers,
             "max_gradient_factor": round(0.25 ** len(chain), 8)},
            Fix("Use ReLU (or another non-saturating activation) in the hidden layers",
                'layers.Dense(..., activation="relu")',
                tuple(op for n in chain for op in _activation_fix(n, "relu"))),
        )
