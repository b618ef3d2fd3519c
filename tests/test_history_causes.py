"""History rules that name the cause: the learning rate too high (FD309) or too low (FD310), told
apart from overfitting (FD304) and from an oscillating loss (FD306).

The histories are recorded from real runs (the casebook's plan recommender, ``checks/FD309-*``,
trained with the optimizer named in each test, Keras 3 on TensorFlow, seed 0); the casebook's own
frozen runs are checked with and without their model.
"""

from __future__ import annotations

import json

import pytest

import fusiondoctor
from fusiondoctor import Settings
from fusiondoctor.types import PatchOp, Severity
from tests.casebook import CHECKS

#: Adam at 0.1: the training loss bottoms out at epoch 4 and then wanders (0.32 0.34 0.36 0.33 0.41
#: 0.35 0.30 ...) while the validation loss zig-zags above its best: an optimizer overshooting,
#: which used to be reported as overfitting.
ADAM_01 = {
    "accuracy": [0.7109, 0.7871, 0.8262, 0.8418, 0.8652, 0.8691, 0.8555, 0.8613, 0.834, 0.8496, 0.8672, 0.8633,
                 0.8281, 0.8594],
    "loss": [0.6727, 0.5314, 0.4467, 0.3567, 0.3192, 0.338, 0.3646, 0.33, 0.408, 0.3503, 0.3037, 0.3406, 0.3358,
             0.3152],
    "val_accuracy": [0.7695, 0.7539, 0.7617, 0.7891, 0.7656, 0.7734, 0.7305, 0.8047, 0.7539, 0.7812, 0.75, 0.7383,
                     0.7695, 0.7539],
    "val_loss": [0.609, 0.6085, 0.5313, 0.4814, 0.682, 0.7811, 0.7049, 0.7296, 0.6266, 0.5646, 0.7968, 0.6131,
                 0.7239, 0.7987],
}
#: Adam at 0.3: the loss reaches 0.66, spikes, and collapses to a flat 1.06 (the prior's entropy)
#: while accuracy falls from 0.71 to 0.44: the network died mid-run.
ADAM_03 = {
    "accuracy": [0.5293, 0.623, 0.6289, 0.6348, 0.7109, 0.6914, 0.6797, 0.6504, 0.5469, 0.5801, 0.4785, 0.4766,
                 0.4434, 0.4434],
    "loss": [1.634, 0.7294, 0.8846, 0.7121, 0.6624, 0.7265, 0.9508, 0.7989, 0.8226, 1.393, 1.053, 1.055, 1.066,
             1.069],
    "val_accuracy": [0.6562, 0.6367, 0.6484, 0.6875, 0.6211, 0.6484, 0.6328, 0.582, 0.5664, 0.5195, 0.4648,
                     0.4648, 0.4648, 0.4648],
    "val_loss": [1.112, 0.7039, 0.7775, 0.6434, 0.8241, 0.7139, 0.7333, 0.7897, 0.809, 0.891, 1.069, 1.068,
                 1.059, 1.058],
}


def check(history, model=None) -> fusiondoctor.Report:
    return fusiondoctor.check(model, history=history, settings=Settings())


def case_files(name: str, variant: str):
    folder = CHECKS / name
    return folder / f"{variant}.model.json", folder / f"{variant}.history.json"


def test_an_oscillating_loss_is_not_overfitting():
    report = check(ADAM_01)
    assert "FD304" not in report.codes(), [f.message for f in report.findings]
    (fd306,) = [f for f in report.findings if f.code == "FD306"]
    assert fd306.evidence["from_epoch"] == 3 and fd306.location.setting == "optimizer.learning_rate"


def test_a_rise_after_the_best_epoch_is_still_overfitting_not_oscillation():
    """Seed 004's training loss bounces around 0.1 once the clips are memorized, but the validation
    loss climbs steadily: overfitting, and FD306 stays silent."""
    model, history = case_files("history-seed-004-overfitting", "bad")
    codes = check(history, model).codes()
    assert "FD304" in codes and "FD306" not in codes


def test_overfitting_still_found_on_the_seed_004_run():
    model, history = case_files("history-seed-004-overfitting", "bad")
    assert "FD304" in check(history, model).codes()


def test_collapse_after_a_spike_is_a_learning_rate_too_high():
    (finding,) = [f for f in check(ADAM_03).findings if f.code == "FD309"]
    assert finding.evidence["signatures"] == "collapse"
    assert finding.severity == Severity.ERROR
    assert finding.location.setting == "optimizer.learning_rate"
    assert finding.fix is not None and finding.fix.patch == ()  # no model: no rate to patch


@pytest.mark.parametrize("with_model", [True, False])
def test_blow_up_then_dead_network(with_model):
    model, history = case_files("FD309-learning-rate-too-high", "bad")
    report = check(history, model if with_model else None)
    (finding,) = [f for f in report.findings if f.code == "FD309"]
    assert finding.evidence["signatures"] == "blow-up"
    assert finding.location.epoch == 0 and finding.location.setting == "optimizer.learning_rate"
    if with_model:
        assert finding.fix.patch == (PatchOp("optimizer", None, "learning_rate", 0.1),)
        assert any(e.startswith("FD212") for e in finding.explained_by)
    else:
        assert finding.fix.patch == ()


def test_nan_after_a_climb_names_the_rate_and_nan_from_the_start_does_not():
    climbing = {"loss": [0.9, 0.7, 2.4, float("nan"), float("nan")]}
    (finding,) = [f for f in check(climbing).findings if f.code == "FD309"]
    assert finding.evidence["signatures"] == "nan" and finding.location.epoch == 3
    from_the_start = {"loss": [float("nan")] * 5}
    assert "FD309" not in check(from_the_start).codes()  # NaN inputs look the same: FD305 lists the causes


@pytest.mark.parametrize("with_model", [True, False])
def test_slow_steady_loss_is_a_learning_rate_too_low(with_model):
    model, history = case_files("FD310-learning-rate-too-low", "bad")
    (finding,) = [f for f in check(history, model if with_model else None).findings if f.code == "FD310"]
    assert finding.location.setting == "optimizer.learning_rate"
    if with_model:
        assert finding.severity == Severity.WARNING
        assert finding.evidence["untrained_loss"] == pytest.approx(1.0986, abs=1e-3)
        assert finding.fix.patch == (PatchOp("optimizer", None, "learning_rate", 0.005),)
    else:
        assert finding.severity == Severity.INFO and finding.fix.patch == ()


def test_a_converging_run_is_not_too_slow():
    """The same model at 5e-2: big steps first, then smaller ones as it converges."""
    model, history = case_files("FD310-learning-rate-too-low", "good")
    for with_model in (model, None):
        assert not {"FD309", "FD310"} & set(check(history, with_model).codes())


def test_oscillation_points_at_the_learning_rate_with_a_patch():
    model, history = case_files("FD306-oscillating-loss", "bad")
    (finding,) = [f for f in check(history, model).findings if f.code == "FD306"]
    assert finding.location.setting == "optimizer.learning_rate"
    assert finding.fix.patch == (PatchOp("optimizer", None, "learning_rate", 0.1),)
    assert "FD309" not in check(history, model).codes()  # its spikes are FD306's


def test_every_healthy_history_in_the_casebook_stays_silent_on_the_new_rules():
    for good in sorted(CHECKS.glob("*/good.history.json")):
        model = good.with_name("good.model.json")
        for with_model in (model, None):
            found = {"FD309", "FD310", "FD311"} & set(check(good, with_model).codes())
            assert not found, f"{good.parent.name} ({'with' if with_model else 'without'} model): {found}"
    assert json.loads((CHECKS / "FD309-learning-rate-too-high" / "good.history.json").read_text())["loss"]


# ---- FD311 and FD302 against the class balance ---------------------------------------------------


def with_labels(name: str, variant: str, labels) -> fusiondoctor.Report:
    """Diagnose a frozen case with a labels measurement, as ``--data`` records it."""
    from fusiondoctor.engine import Subject, diagnose
    from fusiondoctor.history import read_history
    from fusiondoctor.measurements import Measurements
    from fusiondoctor.model.task import LabelSummary
    from fusiondoctor.subject import load_model_spec

    model, history = case_files(name, variant)
    spec = load_model_spec(model)
    record = Measurements("labels", len(labels), tuple(spec.inputs), frozenset({"labels"}),
                          labels={spec.outputs[0].name: LabelSummary.of(labels)})
    return diagnose(Subject(name, spec, read_history(history), record), Settings())


FRAUD = "FD311-majority-class-collapse"


def fraud_labels(positives: int, total: int = 1000):
    import numpy as np

    return np.array([1.0] * positives + [0.0] * (total - positives), dtype="float32")


def test_majority_collapse_from_the_history_alone():
    _, history = case_files(FRAUD, "bad")
    found = [f for f in check(history).findings if f.code == "FD311"]
    assert {f.location.metric for f in found} == {"accuracy", "val_accuracy"}
    assert all(abs(f.evidence["loss"] - f.evidence["prior_entropy"]) <= 0.05 * f.evidence["prior_entropy"]
               for f in found)


def test_majority_collapse_against_the_measured_class_balance():
    report = with_labels(FRAUD, "bad", fraud_labels(74))  # 7.4% positives, as the run's training set
    (found,) = [f for f in report.findings if f.code == "FD311" and f.location.metric == "accuracy"]
    assert found.evidence["majority_share"] == pytest.approx(0.926)
    assert found.evidence["class_counts"] == "926, 74"


def test_a_balance_that_does_not_match_is_no_collapse():
    """Labels with 30% positives: accuracy pinned at 0.926 is not their majority share."""
    report = with_labels(FRAUD, "bad", fraud_labels(300))
    assert "FD311" not in report.codes()


def test_chance_is_the_majority_share_when_the_balance_is_known():
    """The collapsed run's best validation accuracy (0.914) is far above 1/2, but not above the
    majority share of 93% legitimate transactions: at chance once the labels are known."""
    _, history = case_files(FRAUD, "bad")
    model, _ = case_files(FRAUD, "bad")
    assert "FD302" not in check(history, model).codes()
    report = with_labels(FRAUD, "bad", fraud_labels(70))
    (fd302,) = [f for f in report.findings if f.code == "FD302"]
    assert fd302.evidence["chance"] == pytest.approx(0.93) and "majority" in fd302.message
    assert any(e.startswith("FD311") for e in fd302.explained_by)


def test_the_healthy_fraud_run_beats_the_majority_share():
    report = with_labels(FRAUD, "good", fraud_labels(74))
    assert not {"FD302", "FD311"} & set(report.codes()), report.codes()


#: The FD309 bad case regenerated on JAX: the blow-up is over within epoch 1, and from epoch 2 the
#: softmax is saturated: loss 8.437 = 16.12 x (1 - 0.4766), accuracy at the majority share.
SATURATED_JAX = {
    "accuracy": [0.4766] * 10,
    "loss": [8.024] + [8.437] * 9,
    "val_accuracy": [0.4648] * 10,
    "val_loss": [8.626] * 10,
}


@pytest.mark.parametrize("with_model", [True, False])
def test_a_network_saturated_in_its_first_epoch_is_a_blow_up(with_model):
    model, _ = case_files("FD309-learning-rate-too-high", "bad")
    report = check(SATURATED_JAX, model if with_model else None)
    (finding,) = [f for f in report.findings if f.code == "FD309"]
    assert finding.evidence["signatures"] == "blow-up" and finding.severity == Severity.ERROR
    assert ("ln 3" in finding.message) if with_model else ("16.12 x 0.5234" in finding.message)
    linked = [f for f in report.findings if f.code in ("FD301", "FD307")]
    assert linked and all(any(e.startswith("FD309") for e in f.explained_by) for f in linked)


def test_blow_up_of_the_tf_keras_run():
    """The FD309 bad case trained with tf_keras: the same blow-up, then a loss that wobbles around
    1.08 (not flat) while accuracy never gets above its first epoch's."""
    history = {
        "loss": [16.89, 2.991, 1.22, 1.108, 1.114, 1.085, 1.075, 1.074, 1.064, 1.096],
        "accuracy": [0.4688, 0.4336, 0.3887, 0.4102, 0.4355, 0.4473, 0.4766, 0.4551, 0.4766, 0.4277],
        "val_loss": [1.298, 3.17, 5.755, 8.121, 1.077, 1.071, 1.107, 1.063, 1.096, 1.064],
        "val_accuracy": [0.4766, 0.4727, 0.2969, 0.4727, 0.3008, 0.4648, 0.3008, 0.4648, 0.3008, 0.4648],
    }
    (finding,) = [f for f in check(history).findings if f.code == "FD309"]
    assert finding.evidence["signatures"] == "blow-up"


# ---- FD312: trainable parameters per training sample ---------------------------------------------

HEAD = "FD312-head-too-large-for-data"


def test_head_size_from_the_steps_a_history_records(tmp_path):
    """A JSON dump with Keras' params (one step per epoch of the default batch size 32: 32 clips)."""
    model, history = case_files(HEAD, "bad")
    dumped = tmp_path / "history.json"
    dumped.write_text(json.dumps({"history": json.loads(history.read_text()), "params": {"steps": 1, "epochs": 14}}))
    (finding,) = [f for f in check(dumped, model).findings if f.code == "FD312"]
    assert finding.evidence["samples"] == 32 and finding.evidence["per_sample"] == pytest.approx(41088.1, abs=0.1)
    assert finding.location.layer == "fc7" and finding.severity == Severity.WARNING
    assert finding.evidence["overfitting_from_epoch"] == 1
    assert "FD312" not in check(history, model).codes()  # no size recorded, none given: silent


def test_head_size_without_overfitting_is_an_info():
    model, history = case_files(HEAD, "good")
    settings = Settings(rule_options={"head-too-large-for-data": {"samples": 32}})
    report = fusiondoctor.check(model, history=history, settings=settings)
    (finding,) = [f for f in report.findings if f.code == "FD312"]
    assert finding.severity == Severity.INFO and finding.evidence["overfitting_from_epoch"] is None


@pytest.mark.live
def test_a_live_history_records_its_steps(fresh):
    keras3 = fresh
    from fusiondoctor.history import read_history

    keras3.utils.set_random_seed(0)
    model = keras3.Sequential([keras3.Input((3,)), keras3.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    import numpy as np

    x = np.zeros((96, 3), dtype="float32")
    history = model.fit(x, x[:, :1], epochs=2, batch_size=32, verbose=0)
    assert read_history(history).steps == 3
    assert read_history(history.history).steps is None


def test_majority_collapse_pairs_each_output_accuracy_with_its_own_loss():
    """Two outputs: 'fraud' collapsed (accuracy pinned, its loss at the prior entropy), 'amount'
    learning; the total loss is neither's."""
    _, history = case_files(FRAUD, "bad")
    run = json.loads(history.read_text())
    two = {"loss": [v * 3 for v in run["loss"]], "fraud_loss": run["loss"], "fraud_accuracy": run["accuracy"],
           "val_loss": [v * 3 for v in run["val_loss"]], "val_fraud_loss": run["val_loss"],
           "val_fraud_accuracy": run["val_accuracy"]}
    found = {f.location.metric for f in check(two).findings if f.code == "FD311"}
    assert found == {"fraud_accuracy", "val_fraud_accuracy"}


@pytest.mark.parametrize(("samples", "found"), [(32, True), (320, False)])
def test_samples_hint_on_the_command_line(tmp_path, samples, found):
    """``--samples N`` is the training-set size FD312 divides by (a frozen history does not record it)."""
    from tests.helpers import run_cli

    model, history = case_files("FD312-head-too-large-for-data", "bad")
    run = run_cli("check", str(model), "--history", str(history), "--samples", str(samples), "--format", "json",
                  cwd=tmp_path)
    codes = [f["code"] for f in json.loads(run.stdout)["findings"]]
    assert ("FD312" in codes) == found, codes
    if found:
        (fd312,) = [f for f in json.loads(run.stdout)["findings"] if f["code"] == "FD312"]
        assert fd312["evidence"]["samples"] == samples and fd312["evidence"]["samples_from"] == "the samples option"


def test_samples_hint_must_be_positive(tmp_path):
    from tests.helpers import run_cli

    model, history = case_files("FD312-head-too-large-for-data", "bad")
    run = run_cli("check", str(model), "--history", str(history), "--samples", "0", cwd=tmp_path)
    assert run.code == 2 and "--samples must be a positive" in run.stderr and "Traceback" not in run.stderr
