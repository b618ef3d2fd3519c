"""Recorded measurements: the numbers data probes and live monitors took, frozen, for rules to read.

Measuring happens before the engine runs (``probes.measure`` on data, ``live.monitor`` during
``fit``); rules and renderers only read these records. Nothing here holds a live object or imports
Keras or numpy, so a diagnosis can be replayed from a record (even unpickled in another process).
The labels' record is the task model's ``LabelSummary``, so the task of an output can be inferred
from its labels (``model.task.tasks(spec, measurements.labels)``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .model.task import LabelSummary

#: What the data probes can measure, by name, with what each name means. A data rule lists the
#: names it reads (``@rule(..., measures=(...))``); only those of the selected rules are measured.
MEASUREMENTS: Mapping[str, str] = {
    "labels": "the form and range of each output's labels",
    "input_stats": "the range of each input's values",
    "input_faults": "NaN/Inf values, token ids beyond an Embedding's vocabulary, constant and duplicated inputs",
    "merge_scales": "the activation scale of each branch at each fusion merge",
    "batchnorm": "BatchNormalization moving statistics against the data's",
    "ablation": "the drop of the model's metric when each input is ablated",
    "branch_probes": "linear probes on each branch's features at each fusion merge",
}


@dataclass(frozen=True)
class InputStats:
    name: str
    minimum: float
    maximum: float
    mean: float
    std: float
    integer_share: float
    rank: int


@dataclass(frozen=True)
class InputFaults:
    """What is wrong with the values of one input, or one output's labels, on the probe sample."""

    name: str
    kind: str  # "input" or "labels"
    samples: int
    non_finite: int = 0  # samples holding a NaN or an infinity
    nan_values: int = 0
    inf_values: int = 0
    embedding: str | None = None  # path of an Embedding that reads this input as token ids
    vocabulary: int | None = None  # its input_dim
    id_min: float | None = None
    id_max: float | None = None
    out_of_range: int = 0  # samples holding an id below 0 or at or beyond the vocabulary
    constant: bool = False  # every sample is the same
    duplicate_of: str | None = None  # an earlier input that holds exactly the same values


@dataclass(frozen=True)
class OperandScale:
    """One operand of a fusion merge on the data: its RMS activation and share of exact zeros."""

    key: str
    producer: str | None
    rms: float
    zero_fraction: float
    width: int


@dataclass(frozen=True)
class BatchNormShift:
    path: str
    key: str
    mean_shift: float  # mean over channels of |batch mean - moving mean| / moving std
    log_var_ratio: float  # mean over channels of |log(batch var / moving var)|
    fresh: bool  # moving statistics still at their initial values (never trained)


@dataclass(frozen=True)
class Ablation:
    input: str
    mode: str  # zero / mean / shuffle
    drop: float
    low: float
    high: float
    method: str  # "front" (cached frozen-front features ablated) or "full" (whole model re-run)


@dataclass(frozen=True)
class AblationResult:
    metric: str
    full_score: float
    chance: float | None
    rows: tuple[Ablation, ...] = ()

    def for_input(self, name: str) -> tuple[Ablation, ...]:
        return tuple(r for r in self.rows if r.input == name)

    def conditional_utilization(self) -> Mapping[str, float]:
        """Wu et al. (ICML 2022): u(m | others) = (A(full) - A(m replaced by its mean)) / A(full)."""
        if self.full_score <= 0 or self.metric != "accuracy":
            return {}
        return {row.input: row.drop / self.full_score for row in self.rows if row.mode == "mean"}


@dataclass(frozen=True)
class BranchProbe:
    merge: str
    scores: Mapping[str, tuple[float, float]]  # operand producer (or "fused") -> (mean CV accuracy, std)


@dataclass(frozen=True)
class Measurements:
    """What the data probes measured on one model and one data sample.

    ``measured`` names what was asked for and measured; a measured value may still be None when it
    does not apply (no labels to ablate against). ``failed`` maps a name to why it could not be measured.
    """

    source: str
    samples: int
    inputs: tuple[str, ...]  # input names, in the order the model takes them
    measured: frozenset[str] = frozenset()
    failed: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, LabelSummary] | None = None  # by output name, for outputs with labels
    input_stats: tuple[InputStats, ...] | None = None
    input_faults: tuple[InputFaults, ...] | None = None
    #: Samples left out of the forward passes (NaN/Inf, out-of-vocabulary ids): reported by the data rules.
    dropped: int = 0
    merge_scales: Mapping[str, tuple[OperandScale, ...]] | None = None  # by merge node key
    batchnorm: tuple[BatchNormShift, ...] | None = None
    ablation: AblationResult | None = None
    branch_probes: tuple[BranchProbe, ...] | None = None

    def missing(self, names: tuple[str, ...]) -> tuple[str, ...]:
        """Why each of ``names`` cannot be read: its failure, or that it was not measured."""
        return tuple(f"{name}: {self.failed[name]}" if name in self.failed else f"{name}: not measured"
                     for name in names if name not in self.measured)


@dataclass(frozen=True)
class MonitorReadings:
    """What DoctorCallback's live monitors read at one check during ``fit``."""

    epoch: int
    checks: int
    bn_drift: Mapping[str, float] = field(default_factory=dict)  # BN layer path -> drift of the moving mean
    backbone_bn: Mapping[str, str] = field(default_factory=dict)  # BN layer path -> backbone architecture
    branch_grads: Mapping[str, Mapping[str, float]] = field(default_factory=dict)  # merge -> producer -> RMS
    global_grad_norm: float | None = None
    gradients_available: bool | None = None
    dead_relu: Mapping[str, float] = field(default_factory=dict)  # layer path -> share of units dead
    unchanged: tuple[str, ...] = ()  # trainable layers whose weights did not move
