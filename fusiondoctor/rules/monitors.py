"""FD6xx: live-training monitors, filled by DoctorCallback at epoch boundaries (callback only)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from ..measurements import MonitorReadings
from ..registry import rule
from ..types import Fix, Location, NotInspected, PatchOp, Severity, Symptom


def _r(value: float) -> float:
    return round(value, 4) if math.isfinite(value) else value


@dataclass(frozen=True)
class DriftOptions:
    """Thresholds for FD601."""

    #: Mean drift of a backbone BatchNormalization layer's moving mean, in its starting standard deviations.
    max_drift: float = 0.25


@rule("FD601", "batchnorm-drift", Severity.WARNING, options=DriftOptions, explained_by=("FD104",))
def batchnorm_drift(monitor: MonitorReadings, options: DriftOptions) -> Iterator[Symptom]:
    """A pretrained backbone's BatchNormalization statistics drifting away during training.

    ## What it does
    Snapshots the moving mean and variance of every BatchNormalization layer inside a recognized
    `keras.applications` backbone when training starts, and at each check measures how far the
    moving means have moved, in units of their starting standard deviation.

    ## Why is this bad?
    A pretrained backbone's statistics describe the data it was trained on. When fine-tuning
    overwrites them with the statistics of small batches of new data, the features the head was
    trained on shift under it: validation accuracy falls while training loss keeps improving
    (FD104 predicts this from the model; this monitor sees it happen).

    ## Example
    ```python
    base = keras.applications.MobileNetV2(include_top=False, weights="imagenet")
    model.fit(x, y, callbacks=[fusiondoctor.DoctorCallback()])  # BN layers trainable: drift
    ```

    ## Use instead
    ```python
    for layer in base.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
    ```
    """
    drifting = {p: d for p, d in monitor.bn_drift.items() if p in monitor.backbone_bn and d > options.max_drift}
    if not drifting:
        return
    worst = max(drifting, key=drifting.get)
    yield Symptom(
        f"{len(drifting)} BatchNormalization layers of the {monitor.backbone_bn[worst]} backbone have drifted since "
        f"training started; '{worst}' moved by {drifting[worst]:.2f} of its starting standard deviation",
        Location(layer=worst, epoch=monitor.epoch),
        {
            "drifting_layers": len(drifting),
            "worst": worst,
            "worst_drift": _r(drifting[worst]),
            "max_drift": options.max_drift,
            "checked_layers": len(monitor.bn_drift),
        },
        Fix(
            "Freeze the backbone's BatchNormalization layers",
            "for layer in base.layers:\n"
            "    if isinstance(layer, keras.layers.BatchNormalization):\n"
            "        layer.trainable = False",
            (PatchOp("graph", None, "freeze_batchnorm", sorted(drifting)),),
        ),
    )


@dataclass(frozen=True)
class BranchGradientOptions:
    """Thresholds for FD602."""

    #: Ratio of per-parameter gradient RMS between the branches of a fusion merge. Layers of
    #: different kinds differ by 10x in healthy models, and Adam rescales updates per parameter,
    #: so only a far larger gap is reported, as information.
    max_ratio: float = 100.0


@rule("FD602", "branch-gradient-imbalance", Severity.INFO, options=BranchGradientOptions,
      explained_by=("FD103", "FD501"))
def branch_gradient_imbalance(monitor: MonitorReadings, options: BranchGradientOptions) -> Iterator:
    """One branch of a fusion model receiving far smaller gradients than the other.

    ## What it does
    On the probe batch, computes the gradient of the loss with respect to the weights that only
    each branch of a fusion merge uses, and compares their root-mean-square per parameter. This is
    the imbalance that OGM-GE (Peng et al., CVPR 2022) measures as the discrepancy ratio.

    ## Why is this bad?
    The branch that already explains the labels dominates the loss, and the other one stops
    learning: its gradients shrink and it stays a random feature extractor. The fused model then
    relies on one modality (see FD505).

    ## Example
    ```text
    grad RMS at concatenate: image branch 3.1e-3, text branch 1.2e-5 (258x)
    ```

    ## Use instead
    ```python
    # normalize the branches, and/or down-weight the dominant branch's updates (OGM-GE), or
    # train each branch on its own loss first, then the fused head
    ```
    """
    if monitor.gradients_available is False:
        yield NotInspected("gradients are not available on this Keras backend (TensorFlow or JAX needed)", Location())
        return
    for merge, rms in monitor.branch_grads.items():
        live = {b: v for b, v in rms.items() if v > 0}
        if len(live) < 2:
            continue
        strong, weak = max(live, key=live.get), min(live, key=live.get)
        ratio = live[strong] / live[weak]
        if ratio >= options.max_ratio:
            yield Symptom(
                f"at merge '{merge}' the branch from '{strong}' gets {ratio:.0f}x the gradient "
                f"(RMS {live[strong]:.3g}) "
                f"of the branch from '{weak}' ({live[weak]:.3g}): the weak branch barely learns",
                Location(layer=merge, epoch=monitor.epoch),
                {
                    "gradient_rms": ", ".join(f"{b}={v:.3g}" for b, v in rms.items()),
                    "ratio": _r(ratio),
                    "max_ratio": options.max_ratio,
                },
                Fix(
                    "Normalize the branches before the merge",
                    "layers.LayerNormalization()(features)",
                    (PatchOp("graph", merge, "normalize_operands", "LayerNormalization"),),
                ),
            )


@dataclass(frozen=True)
class GradientSizeOptions:
    """Thresholds for FD603."""

    #: A global gradient norm below this is vanishing.
    min_norm: float = 1e-7
    #: A global gradient norm above this is exploding.
    max_norm: float = 1e4


@rule("FD603", "vanishing-or-exploding-gradients", Severity.ERROR, options=GradientSizeOptions,
      explained_by=("FD101", "FD202"))
def vanishing_or_exploding_gradients(monitor: MonitorReadings, options: GradientSizeOptions) -> Iterator[Symptom]:
    """A loss gradient that is zero, NaN, or enormous.

    ## What it does
    Measures the global norm of the loss gradient on the probe batch at each check.

    ## Why is this bad?
    A zero gradient means nothing trains (a constant output such as a softmax over one unit, every
    unit saturated or dead). NaN poisons every weight it touches. A huge norm throws the weights
    far away at each step: the loss jumps or diverges.

    ## Example
    ```text
    gradient norm: 0.0 (softmax over 1 unit)      gradient norm: 3.2e+06 (pixels in 0-255, lr 0.1)
    ```

    ## Use instead
    ```python
    model.compile(optimizer=keras.optimizers.Adam(1e-4, clipnorm=1.0), ...)
    ```
    and fix the cause the report links.
    """
    norm = monitor.global_grad_norm
    if norm is None:
        return
    if not math.isfinite(norm):
        yield Symptom(f"the loss gradient is {norm} on the probe batch", Location(epoch=monitor.epoch),
                      {"gradient_norm": str(norm)})
    elif norm < options.min_norm:
        yield Symptom(f"the loss gradient vanishes: its norm is {norm:.2g} on the probe batch, so no weight moves",
                      Location(epoch=monitor.epoch), {"gradient_norm": norm, "min_norm": options.min_norm})
    elif norm > options.max_norm:
        yield Symptom(f"the loss gradient explodes: its norm is {norm:.3g} on the probe batch",
                      Location(epoch=monitor.epoch), {"gradient_norm": norm, "max_norm": options.max_norm},
                      severity=Severity.WARNING)


@dataclass(frozen=True)
class DeadReluOptions:
    """Thresholds for FD604."""

    #: Share of a layer's ReLU units that output zero for every probe sample.
    max_dead: float = 0.5


@rule("FD604", "dying-relu", Severity.WARNING, options=DeadReluOptions)
def dying_relu(monitor: MonitorReadings, options: DeadReluOptions) -> Iterator[Symptom]:
    """ReLU layers whose units output zero for every probe sample.

    ## What it does
    Runs the probe batch and counts, per ReLU layer, the units (channels for convolutions) whose
    output is zero on every sample.

    ## Why is this bad?
    A dead unit passes no gradient, so it never recovers; when most of a layer dies, the layer is a
    bottleneck of a few units or none. A high learning rate or a large negative bias usually kills
    them.

    ## Example
    ```text
    dense_2: 94% of 256 ReLU units dead on the probe batch
    ```

    ## Use instead
    ```python
    layers.Dense(256, activation="leaky_relu")   # or a lower learning rate, or He initialization
    ```
    """
    for path, share in monitor.dead_relu.items():
        if share >= options.max_dead:
            yield Symptom(f"{share:.0%} of the ReLU units of '{path}' are dead on the probe batch",
                          Location(layer=path, epoch=monitor.epoch),
                          {"dead_share": _r(share), "max_dead": options.max_dead},
                          Fix("Use leaky_relu (or lower the learning rate)", 'activation="leaky_relu"',
                              (PatchOp("layer", path, "activation", "leaky_relu"),)))


@rule("FD605", "weights-never-change", Severity.WARNING)
def weights_never_change(monitor: MonitorReadings) -> Iterator[Symptom]:
    """Trainable layers whose weights have not changed at all since training started.

    ## What it does
    Fingerprints the trainable weights of every layer when training starts and compares at each
    check; a trainable layer whose weights are exactly as they started receives no update.

    ## Why is this bad?
    The layer is marked trainable but no gradient reaches it: it sits behind a constant output, a
    stop-gradient, a dead branch, or its gradients are exactly zero. Whatever it should learn, it
    does not.

    ## Example
    ```text
    LTSM: weights identical after 5 epochs while the loss changed
    ```

    ## Use instead
    ```python
    # find what blocks the gradient: FD603 (vanishing gradient), FD101 (constant output),
    # or freeze the layer on purpose with layer.trainable = False
    ```
    """
    if monitor.checks < 1 or not monitor.unchanged:
        return
    yield Symptom(
        f"{len(monitor.unchanged)} trainable layers have exactly their initial weights "
        f"after epoch {monitor.epoch + 1}: "
        + ", ".join(f"'{p}'" for p in monitor.unchanged[:5]),
        Location(layer=monitor.unchanged[0], epoch=monitor.epoch),
        {"layers": ", ".join(monitor.unchanged[:10]), "count": len(monitor.unchanged)},
    )
