"""FD507-FD510: what is wrong with the data's values themselves (needs --data): NaN and Inf, token
ids beyond an Embedding's vocabulary, constant and duplicated inputs, labels sorted so that
``validation_split`` validates on a skewed tail.

FD507-FD509 read the ``input_faults`` measurement, taken on the probe sample as given; the forward
probes of the other data rules run on the samples that are left (``Measurements.dropped``). FD510
reads the class counts of the labels' last rows (``labels``); the probe sample keeps the data's order.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from ..measurements import InputFaults, Measurements
from ..model.spec import ModelSpec
from ..model.task import LabelSummary, tasks
from ..registry import rule
from ..types import Fix, Location, Severity, Symptom


def _where(fault: InputFaults) -> Location:
    return Location(output=fault.name) if fault.kind == "labels" else Location(layer=fault.name)


def _what(fault: InputFaults) -> str:
    return f"the labels of '{fault.name}'" if fault.kind == "labels" else f"input '{fault.name}'"


@rule("FD507", "non-finite-data", Severity.ERROR, measures=("input_faults",))
def non_finite_data(measurements: Measurements) -> Iterator[Symptom]:
    """Inputs or labels holding NaN or infinite values.

    ## What it does
    Counts the NaN and infinite values of each input and each output's labels on the probe
    sample, and the samples that hold any. Those samples are left out of the other data probes.

    ## Why is this bad?
    One NaN in a batch makes that batch's loss and every gradient NaN: the weights become NaN
    after the first update and the model predicts nothing from then on (the history shows `nan`
    losses, FD305). Missing values encoded as NaN (a failed feature extraction, an empty audio
    clip, a division by a zero norm) are the usual cause.

    ## Example
    ```python
    features = clip_features / np.linalg.norm(clip_features, axis=1, keepdims=True)  # silent clips: 0/0 = NaN
    ```

    ## Use instead
    ```python
    features = np.nan_to_num(features, nan=0.0, posinf=0.0, neginf=0.0)  # or drop the samples
    keep = np.isfinite(features).all(axis=1); features, y = features[keep], y[keep]
    ```
    """
    for fault in measurements.input_faults or ():
        if not fault.non_finite:
            continue
        share = fault.non_finite / max(fault.samples, 1)
        verb = "hold" if fault.kind == "labels" else "holds"
        yield Symptom(
            f"{_what(fault)} {verb} NaN or infinite values in {fault.non_finite} of {fault.samples} samples "
            f"({share:.0%}): one such sample in a batch makes its loss and gradients NaN",
            _where(fault),
            {"array": fault.name, "kind": fault.kind, "samples_with_non_finite": fault.non_finite,
             "samples": fault.samples, "nan_values": fault.nan_values, "inf_values": fault.inf_values,
             "samples_left_out_of_other_probes": measurements.dropped},
            Fix("Replace the missing values (np.nan_to_num, imputation) or drop those samples before training",
                "x = np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)"))


@rule("FD508", "token-ids-beyond-vocabulary", Severity.ERROR, measures=("input_faults",))
def token_ids_beyond_vocabulary(measurements: Measurements) -> Iterator[Symptom]:
    """Token ids at or beyond an Embedding's `input_dim`, or below 0.

    ## What it does
    For each input read by an Embedding layer, compares the ids in the data with the layer's
    vocabulary size (`input_dim`) and counts the samples holding an id outside `0 .. input_dim - 1`.
    Those samples are left out of the other data probes.

    ## Why is this bad?
    An Embedding has one row per id. On a GPU an id beyond the table silently looks up a vector of
    zeros, so rare words (often the most informative ones) carry nothing and nothing fails; on a
    CPU the lookup fails with an `indices[...] = 5012 is not in [0, 5000)` error mid-training. The
    usual cause is a tokenizer whose vocabulary grew (or that reserves ids for padding and unknown
    words) while the Embedding was sized for the old count.

    ## Example
    ```python
    tokenizer = TextVectorization(max_tokens=20000)            # ids up to 19999
    x = layers.Embedding(input_dim=10000, output_dim=64)(ids)  # table of 10000 rows
    ```

    ## Use instead
    ```python
    vocabulary = len(tokenizer.get_vocabulary())
    x = layers.Embedding(input_dim=vocabulary, output_dim=64)(ids)  # or cap the tokenizer's max_tokens
    ```
    """
    for fault in measurements.input_faults or ():
        if not fault.out_of_range or fault.vocabulary is None:
            continue
        low, high = fault.id_min, fault.id_max
        span = f"from {low:.0f} to {high:.0f}" if low is not None and high is not None else "outside it"
        yield Symptom(
            f"input '{fault.name}' holds token ids {span}, but the Embedding '{fault.embedding}' has "
            f"{fault.vocabulary} rows (ids 0 to {fault.vocabulary - 1}): {fault.out_of_range} of {fault.samples} "
            "samples hold ids outside it (zero vectors on a GPU, a failed lookup on a CPU)",
            Location(layer=fault.embedding or fault.name),
            {"input": fault.name, "embedding": fault.embedding, "input_dim": fault.vocabulary,
             "id_min": low, "id_max": high, "samples_out_of_range": fault.out_of_range, "samples": fault.samples,
             "samples_left_out_of_other_probes": measurements.dropped},
            Fix("Size the Embedding for the tokenizer's vocabulary (largest id + 1), or cap the tokenizer",
                f"layers.Embedding(input_dim={int(high) + 1 if high is not None and high >= 0 else 'vocabulary'}, "
                "output_dim=...)"))


@rule("FD509", "constant-or-duplicated-input", Severity.WARNING, measures=("input_faults",))
def constant_or_duplicated_input(measurements: Measurements) -> Iterator[Symptom]:
    """An input that is the same in every sample, or that holds exactly another input's values.

    ## What it does
    Compares the samples of each input (on at least 16 samples): an input identical in every
    sample is constant; two inputs whose arrays are identical are duplicates.

    ## Why is this bad?
    A constant input carries no information: the modality was never loaded (a placeholder of
    zeros, a default value written for every clip), and the fusion model learns from the others
    only. Two inputs with the same values mean one modality was fed twice (`x=[images, images]`
    instead of `[images, texts]`): the model never sees the other one.

    ## Example
    ```python
    model.fit([images, images], y)               # the caption input gets the images again
    audio = np.zeros((len(y), 128), "float32")   # features never extracted
    ```

    ## Use instead
    ```python
    model.fit({"image": images, "caption": captions, "audio": audio_features}, y)  # inputs by name
    ```
    """
    for fault in measurements.input_faults or ():
        if fault.kind != "input":
            continue
        if fault.constant:
            yield Symptom(
                f"input '{fault.name}' is the same in all {fault.samples} samples: it carries no information",
                Location(layer=fault.name),
                {"input": fault.name, "samples": fault.samples},
                Fix("Feed the real values of this modality (check the loading code); or remove the input",
                    "model.fit({'<input>': real_features, ...}, y)"))
        elif fault.duplicate_of:
            yield Symptom(
                f"input '{fault.name}' holds exactly the same values as input '{fault.duplicate_of}': one modality "
                "is fed twice",
                Location(layer=fault.name),
                {"input": fault.name, "same_as": fault.duplicate_of, "samples": fault.samples},
                Fix("Pass each input its own array, by input name",
                    f"model.fit({{'{fault.duplicate_of}': ..., '{fault.name}': ...}}, y)"))


@dataclass(frozen=True)
class SplitOptions:
    """Thresholds for FD510."""

    #: A tail counts as skewed when a shuffled tail of its size would miss the classes it misses
    #: with at most this probability.
    chance: float = 1e-3
    #: ... or when a class's share in it is this far from its share in the whole sample (and a
    #: shuffled tail would be that far with at most ``chance``).
    far: float = 0.25


def _skewed(counts: tuple[int, ...], tail: tuple[int, ...], chance: float, far: float) -> bool:
    """Whether a tail's classes differ from the whole sample's beyond what shuffling explains: it
    misses classes that a shuffled tail of its size would miss with probability below ``chance``,
    or a class's share in it is ``far`` or more from its share in the whole, which a shuffled tail
    reaches with probability below ``chance`` (Hoeffding's bound, over the classes)."""
    total, size = sum(counts), sum(tail)
    if size == 0 or total == 0:
        return False
    missing = [k for k, c in enumerate(counts) if c > 0 and (k >= len(tail) or tail[k] == 0)]
    if missing and (1.0 - sum(counts[k] for k in missing) / total) ** size < chance:
        return True
    gap = max(abs((tail[k] if k < len(tail) else 0) / size - c / total) for k, c in enumerate(counts))
    return gap >= far and len(counts) * math.exp(-2.0 * size * gap * gap) < chance


def _shares(counts: tuple[int, ...]) -> str:
    total = sum(counts) or 1
    return ", ".join(f"{k}: {c / total:.0%}" for k, c in enumerate(counts) if c > 0)


@rule("FD510", "validation-split-on-sorted-labels", Severity.WARNING, options=SplitOptions, measures=("labels",))
def validation_split_on_sorted_labels(model: ModelSpec, measurements: Measurements,
                                      options: SplitOptions) -> Iterator[Symptom]:
    """Labels sorted by class, so that `validation_split` would validate on one class or a few.

    ## What it does
    Counts the classes in the last 10%, 20% and 30% of each classification output's labels, in
    the order given: what `model.fit(..., validation_split=0.1 ... 0.3)` would hold out (Keras
    takes the *last* fraction of the arrays, before any shuffling). Reports when every one of
    these tails misses classes that the whole sample holds, and a shuffled tail of that size would
    miss them with a probability below 1 in 1,000 (`chance`): the data are ordered by class, not
    merely imbalanced.

    ## Why is this bad?
    `fit(shuffle=True)` shuffles the training part only, after the split. With data sorted by class
    (files read class folder by class folder, a concatenation of per-class arrays), the validation
    set holds only the last class or two: validation accuracy swings between 0 and 1 with the
    model's bias toward that class, validation loss says nothing about the task, and early stopping
    or checkpoints chosen on it pick the wrong epoch. The training set also lacks those classes.

    ## Example
    ```python
    x = np.concatenate([cats, dogs, birds]); y = np.repeat([0, 1, 2], n)
    model.fit(x, y, validation_split=0.2)  # validates on birds only; never trains on the last birds
    ```

    ## Use instead
    ```python
    order = np.random.default_rng(0).permutation(len(x))
    model.fit(x[order], y[order], validation_split=0.2)  # or a stratified validation_data=(x_val, y_val)
    ```
    """
    labels = measurements.labels or {}
    found = tasks(model, labels)
    for name, summary in labels.items():
        task = found.get(name)
        if task is None or task.kind not in ("binary", "multiclass"):
            continue
        yield from _split_problem(name, summary, options)


def _split_problem(name: str, summary: LabelSummary, options: SplitOptions) -> Iterator[Symptom]:
    counts, tails = summary.class_counts, summary.tails
    if not counts or not tails or sum(1 for c in counts if c > 0) < 2:
        return
    if not all(_skewed(counts, tail, options.chance, options.far) for _, tail in tails):
        return
    fraction, tail = tails[1] if len(tails) > 1 else tails[0]
    held = [k for k, c in enumerate(tail) if c > 0]
    what = f"only class {held[0]}" if len(held) == 1 else f"classes {_shares(tail)}"
    yield Symptom(
        f"the labels of '{name}' are sorted by class: the last {fraction:.0%} of the samples, which "
        f"`validation_split={fraction:g}` would hold out, hold {what}, against {_shares(counts)} in the whole "
        f"sample; every split from {tails[0][0]:g} to {tails[-1][0]:g} is as skewed",
        Location(output=name, setting="validation_split"),
        {"output": name, "class_counts": ", ".join(map(str, counts)),
         **{f"last_{round(f * 100)}pct": ", ".join(map(str, c)) for f, c in tails},
         "samples": sum(counts), "chance": options.chance},
        Fix("Shuffle the samples once before fit (validation_split takes the last rows), or pass a "
            "stratified validation_data", "order = np.random.default_rng(0).permutation(len(y)); "
            "model.fit(x[order], y[order], validation_split=0.2)"))
