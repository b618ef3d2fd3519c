"""FD507-FD509: what is wrong with the data's values themselves (needs --data): NaN and Inf, token
ids beyond an Embedding's vocabulary, constant and duplicated inputs.

Each rule reads the ``input_faults`` measurement, taken on the probe sample as given; the forward
probes of the other data rules run on the samples that are left (``Measurements.dropped``).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..measurements import InputFaults, Measurements
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
