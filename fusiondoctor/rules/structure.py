"""FD1xx: mistakes visible in the layer graph alone."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..model import vocab
from ..model.backbones import Backbone, find_backbones
from ..model.compile import is_legacy_keras
from ..model.graph import axis_size, feeds_weighted_layer, merges
from ..model.spec import ModelSpec, Node
from ..registry import rule
from ..types import Fix, Location, NotInspected, PatchOp, Severity, Symptom


def _output_name(model: ModelSpec, node: Node) -> str | None:
    for output in model.outputs:
        if output.key == node.key:
            return output.name
    return None


def _softmax_axis(node: Node) -> int:
    axis = node.layer.inner[1].get("axis", -1) if node.layer.class_name in ("Softmax", "Activation") else -1
    return axis if isinstance(axis, int) else -1


def _softmax_width(node: Node) -> int | None:
    if node.layer.class_name == "Dense" or node.layer.inner[0] == "Dense":
        return node.layer.units
    return axis_size(node, _softmax_axis(node))


def expected_constant_output_symptom(model: ModelSpec) -> str:
    """What a softmax over one unit looks like in this model's training logs, by Keras generation."""
    if model.keras_major == 2:
        if is_legacy_keras(model.keras_version):
            return "loss pinned at 15.94 x (share of negatives), accuracy frozen at the positive rate"
        return "loss may fall (tf_keras trains the cached logit), accuracy frozen at the positive rate"
    if model.backend in ("jax", "torch", "numpy"):
        return "loss pinned at 15.94 x (share of negatives), accuracy frozen at the positive rate"
    return ("on TensorFlow the loss falls while accuracy stays frozen at the positive rate; "
            "on JAX/PyTorch the loss is pinned at 15.94 x (share of negatives)")


@rule("FD101", "softmax-single-unit", Severity.ERROR)
def softmax_single_unit(model: ModelSpec) -> Iterator[Symptom]:
    """A softmax over a single unit, which always outputs 1.0.

    ## What it does
    Finds layers that apply softmax along an axis of size one, such as `Dense(1, activation="softmax")`.

    ## Why is this bad?
    Softmax normalizes across units: with one unit the output is exp(z)/exp(z) = 1.0 for every
    input. The model predicts the positive class for every sample, so accuracy freezes at the share
    of positives (0.5 on balanced data) and never moves. In Keras 2 and in Keras 3 on JAX or
    PyTorch the binary crossentropy loss stays pinned at 15.94 x (share of negatives), about 8 on
    balanced data; Keras 3 on TensorFlow (and tf_keras) computes the loss from the cached
    pre-softmax logit, so the loss falls while accuracy stays frozen, which hides the bug further.

    ## Example
    ```python
    out = layers.Dense(1, activation="softmax", name="output_layer")(x)
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    ```

    ## Use instead
    ```python
    out = layers.Dense(1, activation="sigmoid", name="output_layer")(x)
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    ```
    For more than two classes use `Dense(K, activation="softmax")` with categorical crossentropy.
    """
    for node in model.nodes.values():
        if node.layer.activation != "softmax" or _softmax_width(node) != 1:
            continue
        output = _output_name(model, node)
        yield Symptom(
            f"{node.layer.class_name} layer '{node.layer.path}' applies softmax over 1 unit: its output is "
            "always 1.0, so every sample gets the same prediction and the model cannot learn",
            Location(layer=node.layer.path, output=output),
            {"activation": "softmax", "units": 1, "output_value": 1.0,
             "expected_history": expected_constant_output_symptom(model)},
            Fix(
                f"Use sigmoid for a single-unit output: set the activation of '{node.layer.name}' to 'sigmoid'",
                f'layers.Dense(1, activation="sigmoid", name="{node.layer.name}")',
                (PatchOp("layer", node.layer.path, "activation", "sigmoid"),),
            ),
        )


@rule("FD102", "classifier-on-probabilities", Severity.WARNING)
def classifier_on_probabilities(model: ModelSpec) -> Iterator[Symptom]:
    """A new classifier stacked on another classifier's softmax probabilities.

    ## What it does
    Finds a softmax layer inside the model (not an output) whose probabilities feed a Dense or
    convolution layer, typically `InceptionV3(include_top=True)` followed by `Dense(6)`.

    ## Why is this bad?
    The new head sees a 1000-way probability vector: nearly one-hot, saturated, with gradients that
    vanish through the softmax. Everything the backbone learned that is not an ImageNet class is
    thrown away, and fine-tuning through the saturated softmax barely moves the backbone.

    ## Example
    ```python
    base = InceptionV3(weights="imagenet", include_top=True, input_tensor=img)
    out = layers.Dense(6, activation="softmax")(layers.Dropout(0.5)(base.output))
    ```

    ## Use instead
    ```python
    base = InceptionV3(weights="imagenet", include_top=False, pooling="avg", input_tensor=img)
    out = layers.Dense(6, activation="softmax")(layers.Dropout(0.5)(base.output))
    ```
    """
    output_keys = {o.key for o in model.outputs}
    classifiers = {b.classifier: b.arch for b in find_backbones(model) if b.classifier}
    for node in model.nodes.values():
        if node.layer.activation != "softmax" or node.key in output_keys:
            continue
        width = _softmax_width(node)
        if width is not None and width < 2:
            continue
        consumer = feeds_weighted_layer(model, node.key)
        if consumer is None:
            continue
        arch = classifiers.get(node.key)
        builder = f"keras.applications.{arch}" if arch else "keras.applications.<Backbone>"
        yield Symptom(
            f"'{consumer.layer.path}' is trained on the {width or 'K'}-way softmax probabilities of '{node.layer.path}'"
            + (f" (the ImageNet classifier of {arch} built with include_top=True)" if arch else "")
            + " instead of on features",
            Location(layer=node.layer.path),
            {"softmax_units": width, "consumer": consumer.layer.path, "backbone": arch},
            Fix(
                "Build the backbone with include_top=False (pooling='avg') and put the new head on its features",
                f'base = {builder}(include_top=False, pooling="avg", weights="imagenet")',
                (PatchOp("graph", node.layer.path, "bypass", None),),
            ),
        )


@dataclass(frozen=True)
class FusionWidthOptions:
    """Thresholds for FD103."""

    #: Report (info) when the widest unnormalized operand is this many times the narrowest.
    min_width_ratio: float = 4.0
    #: Raise the report to a warning from this ratio on.
    warn_width_ratio: float = 100.0


@rule("FD103", "unnormalized-fusion-branches", Severity.INFO, options=FusionWidthOptions)
def unnormalized_fusion_branches(model: ModelSpec, options: FusionWidthOptions) -> Iterator[Symptom]:
    """Branches of very different widths concatenated without normalization.

    ## What it does
    At each Concatenate that joins branches from different model inputs (an image branch and a text
    branch), checks whether each operand passes through a normalization layer after its last
    weighted layer, and compares the operands' feature widths.

    ## Why is this bad?
    A dense head on the concatenation starts with every feature weighted alike, so the wider branch
    dominates the fused signal, and features on different scales (unbounded ReLU outputs of a CNN
    against tanh-bounded LSTM outputs) make one branch drown the other. The head then learns from
    one modality and the other is ignored, which is how a fused model ends up worse than its best
    single branch. Static widths are only a hint; `--data` measures the real activation scales.

    ## Example
    ```python
    fused = layers.concatenate([image_features, text_features])  # 64 ReLU units vs 10 ReLU units
    ```

    ## Use instead
    ```python
    fused = layers.concatenate([
        layers.BatchNormalization()(image_features),
        layers.BatchNormalization()(text_features),
    ])
    ```
    Projecting each branch to the same width (`Dense(128)` each) before the merge also helps.
    """
    for merge in merges(model):
        if merge.node.layer.class_name != "Concatenate" or not merge.is_fusion:
            continue
        unknown = [o for o in merge.operands if o.normalized is None]
        if unknown:
            yield NotInspected(
                f"merge '{merge.node.layer.path}' has an operand behind layer '{unknown[0].producer}', "
                "whose effect on scale is unknown",
                Location(layer=merge.node.layer.path),
            )
            continue
        raw = [o for o in merge.operands if o.normalized is False and o.width]
        if len(raw) < 2:
            continue
        widest = max(raw, key=lambda o: o.width)
        narrowest = min(raw, key=lambda o: o.width)
        ratio = widest.width / narrowest.width
        if ratio < options.min_width_ratio:
            continue
        severity = Severity.WARNING if ratio >= options.warn_width_ratio else None
        yield Symptom(
            f"Concatenate '{merge.node.layer.path}' joins unnormalized branches of width {widest.width} "
            f"(from '{widest.producer}') and {narrowest.width} (from '{narrowest.producer}'): "
            f"{ratio:.1f}x, so the wider branch dominates the fused features",
            Location(layer=merge.node.layer.path),
            {
                "widths": ", ".join(f"{o.producer}={o.width}" for o in merge.operands if o.width),
                "width_ratio": round(ratio, 2),
                "min_width_ratio": options.min_width_ratio,
                "warn_width_ratio": options.warn_width_ratio,
                "normalized_operands": sum(1 for o in merge.operands if o.normalized),
            },
            Fix(
                "Normalize each branch before the merge (BatchNormalization or LayerNormalization)",
                "fused = layers.concatenate([layers.BatchNormalization()(a), layers.BatchNormalization()(b)])",
                (PatchOp("graph", merge.node.layer.path, "normalize_operands", "BatchNormalization"),),
            ),
            severity,
        )


def _has_head(model: ModelSpec, backbone: Backbone) -> bool:
    """True when trainable weighted layers sit outside the backbone (it is being transferred)."""
    return any(
        node.key not in backbone.members and node.layer.class_name in vocab.WEIGHTED_CLASSES and node.layer.trainable
        for node in model.nodes.values()
    )


def transferred_backbones(model: ModelSpec) -> list[Backbone]:
    """Recognized keras.applications backbones that carry a new head (transfer learning)."""
    return [b for b in find_backbones(model) if _has_head(model, b)]


def _bn_in_training_mode(model: ModelSpec, node: Node) -> bool:
    """Whether fit() runs this BatchNormalization call with batch statistics, by Keras generation."""
    if is_legacy_keras(model.keras_version):
        return node.training is not False  # keras#9214: frozen BN still used batch statistics
    if model.keras_major >= 3:
        return node.layer.trainable  # fit() overrides training=False in Keras 3 (keras#20285)
    return node.layer.trainable and node.training is not False


def _bn_fix(model: ModelSpec, backbone: Backbone, drifting: list[Node]) -> Fix:
    freeze = PatchOp("graph", backbone.prefix.rstrip("/") or None, "freeze_batchnorm", [n.layer.path for n in drifting])
    if backbone.nested and model.keras_major == 2:
        return Fix(
            "Call the backbone with training=False",
            "x = base_model(inputs, training=False)",
            (PatchOp("layer", backbone.prefix.rstrip("/"), "call_training", False),),
        )
    return Fix(
        "Freeze the backbone's BatchNormalization layers (training=False alone is overridden by fit in Keras 3)",
        "for layer in base_model.layers:\n"
        "    if isinstance(layer, keras.layers.BatchNormalization):\n"
        "        layer.trainable = False",
        (freeze,),
    )


@rule("FD104", "backbone-batchnorm-training-mode", Severity.WARNING)
def backbone_batchnorm_training_mode(model: ModelSpec) -> Iterator[Symptom]:
    """A pretrained backbone's BatchNormalization layers keep updating while it is fine-tuned.

    ## What it does
    Finds a `keras.applications` backbone (nested, or flattened into the model by `input_tensor=`)
    under a new head whose BatchNormalization layers will run in training mode during `fit`:
    trainable ones in Keras 3, trainable ones not called with `training=False` in tf_keras 2.x,
    and all of them not called with `training=False` in Keras 2.0-2.3, where even frozen
    BatchNormalization used batch statistics (keras-team/keras#9214).

    ## Why is this bad?
    In training mode BatchNormalization normalizes with the statistics of each small batch and
    overwrites the moving mean and variance learned on ImageNet. On a few hundred samples, or on
    inputs unlike ImageNet (spectrograms, grayscale tiled to RGB), the statistics drift: training
    loss falls while validation accuracy sits near chance, and results swing from run to run.
    Keras 3 makes this easy to miss: `fit` calls the model with `training=True`, which overrides a
    `base_model(x, training=False)` inside it (keras-team/keras#20285), so only freezing the
    BatchNormalization layers keeps their statistics. If the backbone was trained from scratch
    (weights=None) this is expected and can be ignored.

    ## Example
    ```python
    base = InceptionV3(weights="imagenet", include_top=False, input_tensor=img)
    out = layers.Dense(6, activation="softmax")(layers.GlobalAveragePooling2D()(base.output))
    ```

    ## Use instead
    ```python
    base = InceptionV3(weights="imagenet", include_top=False, input_tensor=img)
    for layer in base.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False  # inference mode, whatever fit() passes as training
    out = layers.Dense(6, activation="softmax")(layers.GlobalAveragePooling2D()(base.output))
    ```
    """
    for backbone in transferred_backbones(model):
        bn = [model.nodes[k] for k in sorted(backbone.members)
              if model.nodes[k].layer.class_name in vocab.BATCHNORM_CLASSES]
        drifting = [n for n in bn if _bn_in_training_mode(model, n)]
        if not drifting:
            continue
        asked_inference = any(n.training is False for n in drifting)
        if is_legacy_keras(model.keras_version) and not any(n.layer.trainable for n in drifting):
            why = ("are frozen, but Keras 2.0-2.3 still normalizes frozen BatchNormalization with batch statistics "
                   "(keras#9214)")
        elif asked_inference and model.keras_major >= 3:
            why = ("are trainable; the backbone is called with training=False, but Keras 3 fit() overrides that "
                   "(keras#20285)")
        else:
            why = "are trainable and run in training mode, so fine-tuning overwrites their pretrained statistics"
        yield Symptom(
            f"{backbone.arch} backbone '{backbone.location(model)}': "
            f"{len(drifting)} of {len(bn)} BatchNormalization layers {why}",
            Location(layer=backbone.location(model)),
            {
                "backbone": backbone.arch,
                "batchnorm_layers": len(bn),
                "in_training_mode": len(drifting),
                "examples": ", ".join(n.layer.path for n in drifting[:3]),
                "called_with_training_false": asked_inference,
                "keras_version": model.keras_version,
            },
            _bn_fix(model, backbone, drifting),
        )
