"""FD5xx: what the model does with real data (needs --data): scales, statistics, labels, modalities.

Each rule reads the measurements it declares (``measures=``), recorded before the engine runs.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from dataclasses import dataclass

from ..measurements import Measurements
from ..model import vocab
from ..model.backbones import find_backbones
from ..model.graph import Head, head_of
from ..model.spec import ModelSpec
from ..model.task import LabelSummary
from ..registry import rule
from ..types import Fix, Location, NotInspected, PatchOp, Severity, Symptom
from .objective import activation_patch


def _r(value: float) -> float:
    return round(value, 4) if math.isfinite(value) else value


@dataclass(frozen=True)
class ScaleOptions:
    """Thresholds for FD501."""

    #: Report when one operand's RMS is this many times another's.
    max_rms_ratio: float = 10.0
    #: An operand whose entries are exactly zero this often is dead.
    dead_zero_fraction: float = 0.99


@rule("FD501", "fusion-branch-scale", Severity.WARNING, options=ScaleOptions, measures=("merge_scales",))
def fusion_branch_scale(model: ModelSpec, measurements: Measurements, options: ScaleOptions) -> Iterator[Symptom]:
    """Branches that reach a fusion merge on very different scales, or dead (all zeros).

    ## What it does
    Runs the data through the model and measures, at every merge that joins different model
    inputs, the root-mean-square activation of each operand and the share of exact zeros.

    ## Why is this bad?
    The layer after the merge sees one branch 100x louder than the other: its gradient is
    dominated by the loud branch, and the quiet modality is ignored (see FD505). A branch that
    outputs only zeros (dead ReLUs, a frozen branch fed the wrong input) contributes nothing.

    ## Example
    ```python
    fused = layers.concatenate([image_features, text_features])  # RMS 48.0 vs 0.35
    ```

    ## Use instead
    ```python
    fused = layers.concatenate([layers.LayerNormalization()(image_features),
                                layers.LayerNormalization()(text_features)])
    ```
    """
    for merge_key, rows in (measurements.merge_scales or {}).items():
        path = model.nodes[merge_key].layer.path
        for row in rows:
            if row.zero_fraction >= options.dead_zero_fraction:
                yield Symptom(
                    f"the operand from '{row.producer}' at merge '{path}' is dead: {row.zero_fraction:.1%} of its "
                    "activations are exactly zero, so this branch contributes nothing",
                    Location(layer=row.producer or path),
                    {"merge": path, "zero_fraction": _r(row.zero_fraction), "rms": _r(row.rms),
                     "dead_zero_fraction": options.dead_zero_fraction},
                    Fix("Check the branch's input and its last ReLU (dead units); normalize before the merge",
                        "x = layers.LayerNormalization()(x)"),
                    Severity.ERROR)
        live = [r for r in rows if r.rms > 0 and r.zero_fraction < options.dead_zero_fraction]
        if len(live) < 2:
            continue
        loud, quiet = max(live, key=lambda r: r.rms), min(live, key=lambda r: r.rms)
        ratio = loud.rms / quiet.rms
        if ratio >= options.max_rms_ratio:
            yield Symptom(
                f"at merge '{path}' the branch from '{loud.producer}' is {ratio:.0f}x louder "
                f"(RMS {loud.rms:.3g}) than the "
                f"branch from '{quiet.producer}' (RMS {quiet.rms:.3g})",
                Location(layer=path),
                {
                    "rms": ", ".join(f"{r.producer}={r.rms:.4g}" for r in rows),
                    "rms_ratio": _r(ratio),
                    "max_rms_ratio": options.max_rms_ratio,
                },
                Fix(
                    "Normalize each branch before the merge (LayerNormalization or BatchNormalization)",
                    "fused = layers.concatenate([layers.LayerNormalization()(a), layers.LayerNormalization()(b)])",
                    (PatchOp("graph", path, "normalize_operands", "LayerNormalization"),),
                ),
            )


@dataclass(frozen=True)
class BatchNormOptions:
    """Thresholds for FD502."""

    #: Mean over channels of |batch mean - moving mean| / moving std that counts as shifted.
    max_mean_shift: float = 1.0
    #: Mean over channels of |log(batch variance / moving variance)| that counts as shifted (ln 4).
    max_log_var_ratio: float = 1.386


@rule("FD502", "batchnorm-statistics-shift", Severity.WARNING, options=BatchNormOptions, measures=("batchnorm",))
def batchnorm_statistics_shift(measurements: Measurements, options: BatchNormOptions) -> Iterator:
    """BatchNormalization moving statistics that do not match the statistics of your data.

    ## What it does
    Compares each BatchNormalization layer's moving mean and variance (what it learned, e.g. on
    ImageNet) with the mean and variance of its inputs on your data, per channel, as a normalized
    distance. Layers whose statistics were never trained are listed as not inspected.

    ## Why is this bad?
    At inference BatchNormalization normalizes with the moving statistics. If your data differs
    (grayscale spectrograms tiled to RGB, pixels in 0-255 instead of the expected range, another
    domain), every normalized activation is off: the pretrained features mean nothing, and
    fine-tuning drags the statistics around (FD104) so validation accuracy sits near chance.

    ## Example
    ```python
    img = layers.Concatenate()([gray, gray, gray])  # spectrograms tiled to RGB
    base = InceptionV3(weights="imagenet", include_top=False, input_tensor=img)
    ```

    ## Use instead
    ```python
    x = keras.applications.inception_v3.preprocess_input(spectrogram_rgb)  # the backbone's input range
    # or adapt the statistics: a few epochs with only the BatchNormalization layers trainable
    ```
    """
    shifts = measurements.batchnorm or ()
    trained = [s for s in shifts if not s.fresh]
    fresh = [s for s in shifts if s.fresh]
    if fresh:
        yield NotInspected(f"{len(fresh)} BatchNormalization layers have never-trained statistics (still 0 and 1), "
                           f"e.g. '{fresh[0].path}': nothing to compare", Location(layer=fresh[0].path))
    shifted = [
        s for s in trained if s.mean_shift > options.max_mean_shift or s.log_var_ratio > options.max_log_var_ratio
    ]
    if not shifted:
        return
    first = shifted[0]
    worst = max(shifted, key=lambda s: s.mean_shift + s.log_var_ratio)
    yield Symptom(
        f"{len(shifted)} of {len(trained)} trained BatchNormalization layers see data unlike their moving statistics; "
        f"first '{first.path}' (mean shift {first.mean_shift:.2f} std, log variance ratio {first.log_var_ratio:.2f})",
        Location(layer=first.path),
        {"shifted_layers": len(shifted), "trained_layers": len(trained), "first": first.path,
         "first_mean_shift": _r(first.mean_shift), "first_log_var_ratio": _r(first.log_var_ratio),
         "worst": worst.path, "worst_mean_shift": _r(worst.mean_shift), "max_mean_shift": options.max_mean_shift,
         "max_log_var_ratio": options.max_log_var_ratio},
        Fix("Feed the backbone the input range it was trained on (its preprocess_input), or re-estimate the statistics",
            "x = keras.applications.<family>.preprocess_input(images)"))


#: What each keras.applications family expects as input ("raw": 0-255, the model rescales itself).
PREPROCESSING = {
    "VGG16": "caffe", "VGG19": "caffe", "ResNet50": "caffe", "ResNet101": "caffe", "ResNet152": "caffe",
    "InceptionV3": "tf", "InceptionResNetV2": "tf", "Xception": "tf", "MobileNet": "tf", "MobileNetV2": "tf",
    "NASNetMobile": "tf", "NASNetLarge": "tf", "ResNet50V2": "tf", "ResNet101V2": "tf", "ResNet152V2": "tf",
    "DenseNet121": "torch", "DenseNet169": "torch", "DenseNet201": "torch",
}
_EXPECTED = {
    "tf": "[-1, 1]",
    "caffe": "mean-subtracted BGR in about [-124, 152]",
    "torch": "ImageNet-standardized values",
    "raw": "0-255 (the model rescales inside)",
}


@dataclass(frozen=True)
class ScalingOptions:
    """Thresholds for FD503."""

    #: Without a known backbone: a maximum above this, with no Rescaling/Normalization, is unscaled.
    max_unscaled: float = 10.0


def _expected_range(model: ModelSpec, input_name: str) -> str | None:
    for backbone in find_backbones(model):
        members = backbone.members
        if any(input_name in model.input_ancestry(k) for k in members):
            if backbone.arch in PREPROCESSING:
                return PREPROCESSING[backbone.arch]
            if backbone.arch.startswith(("EfficientNet", "ConvNeXt", "MobileNetV3")):
                return "raw"
    return None


#: Layers that normalize what they receive from their input: right after it, the raw scale does not matter.
_NORMALIZES_INPUT = ("Normalization", "BatchNormalization", "SyncBatchNormalization", "LayerNormalization",
                     "GroupNormalization", "UnitNormalization", "RMSNormalization")


def _rescales(model: ModelSpec, input_name: str) -> bool:
    for node in model.nodes.values():
        if node.layer.class_name in ("Rescaling", "Normalization") and input_name in model.input_ancestry(node.key):
            return True
    return False


def _normalizes_first(model: ModelSpec, input_name: str) -> bool:
    """True when every first consumer of the input (past pass-through layers) normalizes it."""
    firsts = []
    for node in _first_consumers(model, input_name):
        while node.layer.class_name in vocab.PASS_THROUGH_CLASSES and len(model.consumers(node.key)) == 1:
            node = model.nodes[model.consumers(node.key)[0]]
        firsts.append(node)
    return bool(firsts) and all(n.layer.class_name in _NORMALIZES_INPUT for n in firsts)


def _first_consumers(model: ModelSpec, input_name: str) -> list:
    keys = [k for k in model.inputs if model.nodes[k].layer.name == input_name]
    return [model.nodes[c] for k in keys for c in model.consumers(k)]


def _rescaled_range(model: ModelSpec, input_name: str, low: float, high: float) -> tuple:
    """The input range after a Rescaling layer that sits right after the input, if one does."""
    for node in _first_consumers(model, input_name):
        if node.layer.class_name == "Rescaling":
            scale, offset = node.layer.config.get("scale", 1.0), node.layer.config.get("offset", 0.0)
            if isinstance(scale, (int, float)) and isinstance(offset, (int, float)):
                a, b = low * scale + offset, high * scale + offset
                return min(a, b), max(a, b)
    return low, high


_INDEX_CONSUMERS = ("Embedding", "StringLookup", "IntegerLookup", "CategoryEncoding", "Hashing", "TextVectorization")


@rule("FD503", "input-scaling", Severity.WARNING, options=ScalingOptions, measures=("input_stats",))
def input_scaling(model: ModelSpec, measurements: Measurements, options: ScalingOptions) -> Iterator[Symptom]:
    """Input values on a scale the model does not expect (0-255 pixels into a [-1, 1] backbone).

    ## What it does
    Measures each input's range and compares it with what the model expects: the
    `preprocess_input` convention of a recognized `keras.applications` backbone, or, without one,
    whether large raw values (up to 255) arrive with no Rescaling or Normalization layer. An input
    whose first layer normalizes it (Normalization, BatchNormalization, LayerNormalization right
    after the input) takes any scale and is not reported.

    ## Why is this bad?
    Pretrained filters and BatchNormalization statistics assume their preprocessing: pixels in
    0-255 into MobileNetV2 (which expects [-1, 1]) saturate the first layers, and [0, 1] pixels into
    EfficientNet (which rescales 0-255 itself) look almost black. Raw 0-255 inputs into a fresh
    network make the first updates huge.

    ## Example
    ```python
    x_train = images.astype("float32")                       # 0..255
    base = keras.applications.MobileNetV2(include_top=False)  # expects [-1, 1]
    ```

    ## Use instead
    ```python
    x_train = keras.applications.mobilenet_v2.preprocess_input(images.astype("float32"))
    ```
    """
    for stats in measurements.input_stats or ():
        consumers = _first_consumers(model, stats.name)
        if stats.rank < 2 or any(c.layer.class_name in _INDEX_CONSUMERS for c in consumers):
            continue  # token ids and categories are indices, not values on a scale
        if _normalizes_first(model, stats.name):
            continue  # a normalization layer right after the input takes any scale
        low, high = _rescaled_range(model, stats.name, stats.minimum, stats.maximum)
        stats = dataclasses.replace(stats, minimum=low, maximum=high)
        expected = _expected_range(model, stats.name)
        problem = None
        if expected == "tf" and (
            stats.maximum > 2.0 or stats.minimum >= 0 and stats.maximum <= 1.0 and stats.maximum > 0.2
        ):
            problem = "0-255 pixels" if stats.maximum > 2.0 else "[0, 1] values"
        elif expected == "raw" and 0 < stats.maximum <= 1.5:
            problem = "values already scaled to [0, 1]"
        elif expected == "caffe" and stats.maximum <= 1.5 and stats.minimum >= -1.5:
            problem = "values scaled to [0, 1] or [-1, 1]"
        elif expected == "torch" and stats.maximum > 10:
            problem = "0-255 pixels"
        elif expected is None and stats.maximum > options.max_unscaled and not _rescales(model, stats.name):
            problem = f"raw values up to {stats.maximum:.4g}"
        if problem is None:
            continue
        wants = _EXPECTED.get(expected, "inputs scaled to about [-1, 1] or [0, 1]")
        yield Symptom(
            f"input '{stats.name}' receives {problem} (range {stats.minimum:.4g} to {stats.maximum:.4g}), "
            f"but the model expects {wants}",
            Location(layer=stats.name),
            {"input": stats.name, "min": _r(stats.minimum), "max": _r(stats.maximum), "mean": _r(stats.mean),
             "expected": wants, "max_unscaled": options.max_unscaled},
            Fix("Apply the backbone's preprocess_input, or put a Rescaling layer right after the input",
                "x = layers.Rescaling(1 / 127.5, offset=-1)(image_input)"))


@rule("FD504", "labels-do-not-fit-loss", Severity.ERROR, measures=("labels",))
def labels_do_not_fit_loss(model: ModelSpec, measurements: Measurements) -> Iterator[Symptom]:
    """Labels whose form or range does not fit the loss and the output head.

    ## What it does
    Checks the labels against each output: binary crossentropy needs values in [0, 1] with as many
    columns as units; categorical crossentropy needs one-hot rows as wide as the output (multi-hot
    rows, several labels per sample, need sigmoids and binary crossentropy, not a softmax); sparse
    categorical crossentropy needs integer class ids below the number of units. It also reports
    labels that hold a single class, and a heavy imbalance (majority share of 80% or more), with
    the accuracy a constant prediction would reach.

    ## Why is this bad?
    Mismatches fail loudly at best (a shape error) and silently at worst: integer labels with
    categorical crossentropy broadcast into nonsense, one-hot labels with a sparse loss on 2 units
    train on the wrong target, labels 1-6 for 6 units put class 6 out of range. Under a 90/10
    imbalance, 90% accuracy is what predicting the majority class gets.

    ## Example
    ```python
    out = layers.Dense(6, activation="softmax")(x)
    model.compile(loss="categorical_crossentropy")
    model.fit(x, y)  # y = [3, 0, 5, ...] integer class ids
    ```

    ## Use instead
    ```python
    model.compile(loss="sparse_categorical_crossentropy")  # for integer class ids
    ```
    """
    for head_output in model.outputs:
        labels = (measurements.labels or {}).get(head_output.name)
        loss = head_output.loss
        if labels is None or loss is None or not loss.is_known:
            continue
        width = model.nodes[head_output.key].width or 1
        if loss.family == vocab.CATEGORICAL and labels.multi_hot and labels.columns == width:
            yield _multi_hot_under_softmax(head_of(model, head_output), labels, width, loss.name)
        else:
            yield from _label_problems(head_output.name, labels, width, loss.family, loss.name)


def _multi_hot_under_softmax(head: Head, labels: LabelSummary, width: int, loss: str) -> Symptom:
    """Multi-hot rows (several labels per sample) trained as one class per sample."""
    output = head.output.name
    activation = head.activation or "linear"
    evidence = {"labels_shape": str(labels.shape), "units": width, "loss": loss, "activation": activation,
                "multi_hot": True, "label_min": _r(labels.minimum), "label_max": _r(labels.maximum)}
    patch = activation_patch(head, "sigmoid") if activation == "softmax" else ()
    return Symptom(
        f"labels of '{output}' are multi-hot (rows with several 1s: a multi-label task), but {loss}"
        + (" on a softmax" if activation == "softmax" else "")
        + " treats them as one class per sample: the classes compete for one unit of probability, so a "
        "sample's labels can never all be predicted and the loss cannot fall to 0",
        Location(output=output),
        evidence,
        Fix("Use one sigmoid per label with binary crossentropy (and a multi-label metric)",
            f'layers.Dense({width}, activation="sigmoid"); model.compile(loss="binary_crossentropy", '
            'metrics=[keras.metrics.AUC(multi_label=True)])',
            patch + (PatchOp("loss", output, "name", "binary_crossentropy"),) if patch else ()),
    )


def _label_problems(output: str, labels: LabelSummary, width: int, family: str | None,
                    loss: str) -> Iterator[Symptom]:
    columns, low, high = labels.columns, labels.minimum, labels.maximum
    where = Location(output=output)
    evidence = {"labels_shape": str(labels.shape), "units": width, "loss": loss,
                "label_min": _r(low), "label_max": _r(high)}
    if family == vocab.BINARY and (low < 0 or high > 1):
        yield Symptom(
            f"binary crossentropy needs labels in [0, 1], but '{output}' gets labels from {low:g} to {high:g}",
            where,
            evidence,
            Fix(
                "Map the labels to 0/1, or use a categorical loss for class ids",
                "y = (y == positive_class).astype('float32')",
            ),
        )
    elif family == vocab.BINARY and columns != width:
        yield Symptom(f"'{output}' has {width} unit(s) but its labels have {columns} column(s)", where, evidence,
                      Fix("Give the head one unit per label column", f"layers.Dense({columns}, activation='sigmoid')"))
    elif family == vocab.CATEGORICAL and columns == 1 and width > 1:
        yield Symptom(
            f"categorical crossentropy on '{output}' gets integer class ids, not one-hot rows of {width}",
            where,
            evidence,
            Fix(
                "Use sparse_categorical_crossentropy for integer labels",
                'loss="sparse_categorical_crossentropy"',
                (PatchOp("loss", output, "name", "sparse_categorical_crossentropy"),),
            ),
        )
    elif family == vocab.CATEGORICAL and columns != width:
        yield Symptom(f"'{output}' has {width} units but its one-hot labels have {columns} columns", where, evidence)
    elif family == vocab.SPARSE and columns > 1:
        yield Symptom(f"sparse categorical crossentropy on '{output}' gets one-hot rows of {columns}, not class ids",
                      where, evidence,
                      Fix("Use categorical_crossentropy for one-hot labels", 'loss="categorical_crossentropy"',
                          (PatchOp("loss", output, "name", "categorical_crossentropy"),)))
    elif family == vocab.SPARSE and (high >= width or low < 0):
        yield Symptom(
            f"class ids on '{output}' range from {low:g} to {high:g}, but {width} units allow 0 to {width - 1}",
            where,
            evidence,
            Fix("Number the classes from 0", "y = y - y.min()"),
        )
    else:
        yield from _balance(labels.class_counts, width, family, output, where, evidence)


def _balance(counts, width, family, output, where, evidence) -> Iterator[Symptom]:
    if family not in (vocab.BINARY, vocab.CATEGORICAL, vocab.SPARSE) or (family == vocab.BINARY and width > 1):
        return
    if not counts or not sum(counts):
        return
    majority = max(counts) / sum(counts)
    present = sum(1 for c in counts if c > 0)
    evidence = dict(evidence, classes_present=present, majority_share=_r(majority))
    if present < 2:
        yield Symptom(f"every label of '{output}' is class {counts.index(max(counts))}: there is nothing to learn",
                      where, evidence)
    elif majority >= 0.8:
        yield Symptom(f"labels of '{output}' are imbalanced: the majority class is {majority:.0%}, so a constant "
                      f"prediction already scores {majority:.2f} accuracy", where, evidence,
                      Fix("Track AUC/F1 instead of accuracy; weight classes", "model.fit(..., class_weight=weights)"),
                      Severity.WARNING)


@dataclass(frozen=True)
class ContributionOptions:
    """Thresholds for FD505."""

    #: An input whose largest mean ablation drop (over zero, mean, shuffle) stays below this is unused.
    unused_drop: float = 0.02
    #: ... while another input's ablation drops the metric by at least this much.
    used_drop: float = 0.05


@rule(
    "FD505",
    "modality-collapse",
    Severity.WARNING,
    options=ContributionOptions,
    measures=("ablation",),
    explained_by=("FD103", "FD501"),
    causes=(
        "the unused modality carries no signal for these labels",
        "one branch learns faster and the fused head stops listening to the other",
    ),
)
def modality_collapse(measurements: Measurements, options: ContributionOptions) -> Iterator:
    """A fused model that ignores one of its inputs.

    ## What it does
    Ablates each input in turn (replaced by zeros, by its mean, and shuffled across samples) and
    measures the mean drop of the metric (the evidence gives 95% bootstrap intervals). An input
    whose ablation changes the metric by less than 0.02 in every mode, while another's drops it by
    0.05 or more, has collapsed. The evidence also gives the conditional
    utilization rate of Wu et al. (ICML 2022): the share of the accuracy lost when a modality is
    replaced by its mean.

    ## Why is this bad?
    The model pays for a second branch and learns from one. Late-fusion models often lock onto the
    modality that fits fastest (modality competition); the fused model then does no better, or
    worse, than that branch alone.

    ## Example
    ```text
    ablate image: accuracy -0.31 [-0.35, -0.27]     ablate text: -0.00 [-0.01, 0.01]
    ```

    ## Use instead
    ```python
    # normalize the branches, and drop whole modalities during training (modality dropout):
    text_features = layers.Dropout(0.3, noise_shape=(None, 1))(text_features)
    ```
    """
    result = measurements.ablation
    if result is None:
        return
    if result.chance is not None and result.full_score <= result.chance + 0.02:
        yield NotInspected(f"the model scores {result.full_score:.3f}, no better than chance ({result.chance:.3f}): "
                           "ablation cannot show what it uses", Location())
        return
    best = {name: max(result.for_input(name), key=lambda r: r.drop) for name in measurements.inputs}
    used = [n for n, r in best.items() if r.drop >= options.used_drop]
    utilization = result.conditional_utilization()
    for name, row in best.items():
        if row.drop < options.unused_drop and used and name not in used:
            yield Symptom(
                f"the model ignores input '{name}': replacing it (zeros, mean or shuffled) "
                f"changes {result.metric} by at most "
                f"{row.drop:+.3f} on average, while ablating '{used[0]}' drops it by {best[used[0]].drop:.3f}",
                Location(layer=name),
                {
                    "input": name,
                    "metric": result.metric,
                    "full_score": _r(result.full_score),
                    **{f"drop_{r.input}_{r.mode}": f"{r.drop:+.3f} [{r.low:+.3f}, {r.high:+.3f}]" for r in result.rows},
                    **{f"utilization_{k}": _r(v) for k, v in utilization.items()},
                    "unused_drop": options.unused_drop,
                    "used_drop": options.used_drop,
                },
                Fix(
                    "Normalize the branches before the merge and train with modality dropout",
                    "text_features = layers.Dropout(0.3, noise_shape=(None, 1))(text_features)",
                    (PatchOp("graph", None, "modality_dropout", name),),
                ),
            )


def _loudness_over(rows, name: str) -> tuple | None:
    """(the loudest other operand, its RMS over the named operand's) at one merge, if both are live."""
    mine = next((r for r in rows if r.producer == name and r.rms > 0), None)
    others = [r for r in rows if r.producer != name and r.rms > 0]
    if mine is None or not others:
        return None
    loud = max(others, key=lambda r: r.rms)
    return loud.producer, loud.rms / mine.rms


@dataclass(frozen=True)
class FusionGapOptions:
    """Thresholds for FD506."""

    #: How far below the best single branch the fused features must score to report.
    margin: float = 0.02
    #: ... and by this many times the larger cross-validation spread (fold-to-fold standard deviation).
    spreads: float = 2.0
    #: The RMS ratio of another branch over the best one above which the model's accuracy is compared too.
    loud_ratio: float = 10.0


@rule("FD506", "fusion-worse-than-branch", Severity.WARNING, options=FusionGapOptions,
      measures=("branch_probes", "merge_scales", "ablation"), explained_by=("FD103", "FD501"))
def fusion_worse_than_branch(model: ModelSpec, measurements: Measurements,
                             options: FusionGapOptions) -> Iterator[Symptom]:
    """Fused features that predict the labels worse than one branch's features alone.

    ## What it does
    Fits a logistic-regression probe (scikit-learn, 3-fold cross-validation) on each branch's
    features at a fusion merge and on their concatenation, and compares the accuracies. Where
    another branch at the merge is much louder than the best one (the RMS ratio of FD501), it also
    compares the model's own accuracy with the best branch's probe: the loud branch swamping the
    head is then the measured reason. (Without a loud branch the model's accuracy says nothing
    about the fusion: an untrained or mis-wired head scores below a probe for other reasons.)

    ## Why is this bad?
    Adding a modality should never hurt a linear read-out. When the concatenation does worse than
    the best branch, the other branch adds noise on a scale that swamps the signal (unnormalized
    branches, FD501) - the fused model starts behind its own best part.

    ## Example
    ```text
    probe accuracy: image 0.81, text 0.55, fused 0.62
    ```

    ## Use instead
    ```python
    fused = layers.concatenate([layers.LayerNormalization()(image_features),
                                layers.LayerNormalization()(text_features)])
    ```
    """
    ablation = measurements.ablation
    model_score = ablation.full_score if ablation is not None and ablation.metric == "accuracy" else None
    scales = measurements.merge_scales or {}
    for probe in measurements.branch_probes or ():
        fused, fused_std = probe.scores["fused"]
        branches = {k: v for k, v in probe.scores.items() if k != "fused"}
        best_name, (best, best_std) = max(branches.items(), key=lambda kv: kv[1][0])
        spread = max(fused_std, best_std)
        path = model.nodes[probe.merge].layer.path
        loudness = _loudness_over(scales.get(probe.merge, ()), best_name)
        evidence = {"probe_accuracy": ", ".join(f"{k}={v[0]:.3f}±{v[1]:.3f}" for k, v in probe.scores.items()),
                    "margin": options.margin}
        fix = Fix("Normalize each branch before the merge", "layers.LayerNormalization()(features)",
                  (PatchOp("graph", path, "normalize_operands", "LayerNormalization"),))
        if best - fused > max(options.margin, options.spreads * spread):
            yield Symptom(
                f"at merge '{path}' a linear probe on the fused features scores {fused:.3f}, below the branch "
                f"from '{best_name}' alone ({best:.3f})",
                Location(layer=path),
                evidence,
                fix,
            )
        elif (model_score is not None and loudness is not None and loudness[1] >= options.loud_ratio
              and model_score < best - max(options.margin, best_std)):
            loud_name, ratio = loudness
            yield Symptom(f"the fused model scores {model_score:.3f}, below what a linear probe reads from the branch "
                          f"from '{best_name}' alone ({best:.3f}): the branch from '{loud_name}', {ratio:.0f}x louder, "
                          "swamps it", Location(layer=path),
                          {**evidence, "model_accuracy": _r(model_score), "rms_ratio": _r(ratio),
                           "loud_ratio": options.loud_ratio}, fix)
