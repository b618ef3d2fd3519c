"""Fix trials on a model with several outputs: a fusion model with one auxiliary head per branch and a
main head on the merge, per-output losses and ``loss_weights``.

Every output trains with its own loss and weight; trials score the main output alone (the largest loss
weight; on a tie, the last output listed), and the split stratifies on its classes. Live (Keras); the
end-to-end runs beyond the broken-head fixture are also marked slow. Data, model and trial seeds are fixed.
"""

from __future__ import annotations

import html
import os
import subprocess
import sys

import numpy as np
import pytest

import fusiondoctor
from fusiondoctor import PatchOp
from fusiondoctor.errors import InputError
from fusiondoctor.model.graph import heads
from fusiondoctor.probes.data import make_probe_data
from fusiondoctor.probes.labels import task_of
from fusiondoctor.render import render
from fusiondoctor.trials import runner as runner_module
from fusiondoctor.trials.confirm import _labels
from fusiondoctor.trials.runner import Progress, TrialRunner, TrialSettings, main_output
from fusiondoctor.types import Verdict

pytestmark = pytest.mark.live

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WEIGHTS = {"main": 1.0, "aux_a": 0.3, "aux_b": 0.3}
OUTPUTS = ["main", "aux_a", "aux_b"]  # the model's order: main first, so the weights (not a tie) pick it


@pytest.fixture
def few_steps(monkeypatch):
    monkeypatch.setattr(runner_module, "MIN_STEPS", 20)


def multi_fusion(keras, main_activation: str = "sigmoid", aux_activation: str = "sigmoid"):
    """Two inputs, two branches, an auxiliary head per branch and the main head on the merge."""
    layers = keras.layers
    image = keras.Input((8, 8, 3), name="image")
    x = layers.Flatten()(layers.Conv2D(4, 3, activation="relu", name="image_conv")(image))
    x = layers.Dense(16, activation="relu", name="image_dense")(x)
    text = keras.Input((12,), name="text")
    t = layers.Dense(8, activation="relu", name="text_dense")(text)
    main = layers.Dense(1, activation=main_activation, name="main")(layers.concatenate([x, t], name="fusion"))
    aux_a = layers.Dense(1, activation=aux_activation, name="aux_a")(x)
    aux_b = layers.Dense(1, activation="sigmoid", name="aux_b")(t)
    model = keras.Model([image, text], [main, aux_a, aux_b])
    model.compile(optimizer="adam", loss={name: "binary_crossentropy" for name in OUTPUTS},
                  loss_weights=dict(WEIGHTS), metrics={"main": ["accuracy"]})
    return model


def multi_data(seed: int = 0, n: int = 96, signal: float = 0.6):
    """Inputs and one binary label array per output; both modalities carry the label (a mean shift)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n).astype("float32")
    sign = 2 * y - 1
    image = rng.normal(size=(n, 8, 8, 3)).astype("float32")
    image[..., 0] += signal * sign[:, None, None]
    text = rng.normal(size=(n, 12)).astype("float32")
    text[:, :3] += signal * sign[:, None]
    return {"image": image, "text": text}, {"main": y, "aux_a": y.copy(), "aux_b": y.copy()}


def runner_for(model, data, epochs=2, seeds=2):
    """A TrialRunner set up the way ``confirm`` sets it up (without the diagnosis)."""
    from fusiondoctor.subject import live_model
    from fusiondoctor.trials.runner import trial_compile_config

    spec = fusiondoctor.load_model_spec(model)
    live = live_model(model)
    config, compile_config = live.get_config(), trial_compile_config(live)
    probe = make_probe_data(data, spec, 4096)
    ys = _labels(probe, spec, probe.source)
    main = main_output([o.name for o in spec.outputs], compile_config)
    return TrialRunner(live, config, compile_config, probe.ordered(["image", "text"]), ys,
                       task_of(list(heads(spec))[main]), TrialSettings(epochs=epochs, seeds=seeds), Progress(False),
                       main=main)


# ---- the main output ---------------------------------------------------------------------------------


def test_the_main_output_has_the_largest_loss_weight_and_the_last_wins_a_tie():
    names = ["main", "aux_a", "aux_b"]
    assert main_output(names, {"loss_weights": WEIGHTS}) == 0
    assert main_output(names, {"loss_weights": [0.3, 1.0, 0.3]}) == 1
    assert main_output(names, {"loss_weights": {"main": 0.5}}) == 2  # unweighted outputs weigh 1
    assert main_output(names, {"loss_weights": [1.0, 1.0, 0.2]}) == 1  # a tie: the last of the tied
    assert main_output(names, {}) == 2 and main_output(names, {"loss_weights": None}) == 2
    assert main_output(["out"], None) == 0


# ---- the broken main head: FD101's fix confirmed on the main output ---------------------------------


@pytest.fixture(scope="module")
def broken(keras3):
    """confirm() on the fusion model whose main head is a softmax over one unit (FD101)."""
    keras3.backend.clear_session(free_memory=False)
    keras3.utils.set_random_seed(0)
    model = multi_fusion(keras3, main_activation="softmax")
    data = multi_data(0)
    result = fusiondoctor.confirm(model, data, select=["FD101"], epochs=3, seeds=3, progress=False)
    yield model, data, result
    keras3.backend.clear_session(free_memory=False)


def test_a_broken_main_head_fix_is_confirmed_and_the_trial_names_the_main_output(broken):
    _, (_, y), result = broken
    (trial,) = result.trials
    assert trial.code == "FD101" and trial.location == "main"
    assert trial.patch == (PatchOp("layer", "main", "activation", "sigmoid"),)
    assert trial.verdict is Verdict.CONFIRMED, trial.note
    assert trial.finding_gone is True
    # the main output's softmax over one unit: the baseline is scored untrained, on the main labels
    val = np.sort(np.asarray(result.baseline.runs[0].scores))
    assert all(r.ended == "constant" for r in result.baseline.runs) and len(set(val)) == 1
    row = result.report.trials[0]
    assert row.output == "main" and row.as_dict()["output"] == "main"
    for fmt in ("text", "markdown", "html"):
        assert "Scored on output 'main'" in html.unescape(render(result.report, fmt)), fmt
    assert result.best() is trial


def test_the_trained_candidate_keeps_the_loss_weights_and_trains_every_output(broken):
    _, _, result = broken
    (trial,) = result.trials
    compiled = trial.model.get_compile_config()
    assert compiled["loss_weights"] == WEIGHTS
    assert compiled["loss"] == {name: "binary_crossentropy" for name in OUTPUTS}
    history = trial.runs[0].history
    assert {"main_loss", "aux_a_loss", "aux_b_loss"} <= set(history)
    # the total loss is the weighted sum of the outputs' losses
    expected = history["main_loss"][-1] + 0.3 * (history["aux_a_loss"][-1] + history["aux_b_loss"][-1])
    assert history["loss"][-1] == pytest.approx(expected, rel=1e-3)


@pytest.mark.slow  # a second confirm()
def test_labels_as_a_dict_or_a_list_give_the_same_split_and_verdict(broken, keras):
    model, (x, y), result = broken
    as_list = [y[name] for name in OUTPUTS]
    by_dict, by_list = runner_for(model, (x, y)), runner_for(model, (x, as_list))
    assert np.array_equal(by_dict.val_idx, by_list.val_idx) and np.array_equal(by_dict.train_idx, by_list.train_idx)
    assert all(np.array_equal(a, b) for a, b in zip(by_dict.targets, by_list.targets))
    keras.utils.set_random_seed(0)
    again = fusiondoctor.confirm(model, (x, as_list), select=["FD101"], epochs=3, seeds=3, progress=False)
    assert [t.verdict for t in again.trials] == [t.verdict for t in result.trials]
    assert again.holdout_samples == result.holdout_samples
    assert [r.scores for r in again.baseline.runs] == [r.scores for r in result.baseline.runs]


def test_the_split_stratifies_on_the_main_output(keras):
    """Auxiliary labels that disagree with the main ones: the held-out part keeps the main classes' shares."""
    keras.utils.set_random_seed(0)
    x, y = multi_data(0, n=80)
    y["aux_a"] = np.zeros_like(y["aux_a"])
    y["aux_b"] = np.ones_like(y["aux_b"])
    runner = runner_for(multi_fusion(keras), (x, y))
    assert np.array_equal(runner.y, y["main"])
    held = y["main"][runner.val_idx]
    for cls in (0, 1):
        assert (held == cls).sum() == max(1, round((y["main"] == cls).sum() * runner.settings.holdout))


@pytest.mark.slow
def test_a_fix_to_an_auxiliary_head_is_judged_by_the_main_output(keras):
    """Both the main head and aux_a are softmax over one unit (FD101 twice): the main head's fix is confirmed
    though aux_a keeps its finding (a finding is looked for at its own head); aux_a's fix cannot move the
    main output's score, so it is not confirmed."""
    keras.utils.set_random_seed(0)
    model = multi_fusion(keras, main_activation="softmax", aux_activation="softmax")
    result = fusiondoctor.confirm(model, multi_data(0), select=["FD101"], epochs=3, seeds=3, progress=False)
    trials = {t.location: t for t in result.trials}
    assert set(trials) == {"main", "aux_a"} and result.combined is None
    assert trials["main"].verdict is Verdict.CONFIRMED and trials["main"].finding_gone is True, trials["main"].note
    aux = trials["aux_a"]
    assert aux.verdict is Verdict.NOT_CONFIRMED
    # blocked by the confirmed main fix (the candidate keeps the constant main head), or scored untrained
    assert "FD101" in aux.note or all(r.ended == "constant" for r in aux.runs), aux.note
    assert result.best() is trials["main"]


def test_a_keras2_h5_with_list_losses_and_weights_is_trialled_on_its_main_output(keras, tf_keras, tmp_path):
    """Keras 2 compiles several outputs with lists: losses and weights in output order."""
    layers = tf_keras.layers
    tf_keras.utils.set_random_seed(0)
    image = tf_keras.Input((8, 8, 3), name="image")
    x = layers.Dense(16, activation="relu")(layers.Flatten()(layers.Conv2D(4, 3, activation="relu")(image)))
    text = tf_keras.Input((12,), name="text")
    t = layers.Dense(8, activation="relu")(text)
    outputs = [layers.Dense(1, activation="sigmoid", name="aux_a")(x),
               layers.Dense(1, activation="softmax", name="main")(layers.concatenate([x, t])),
               layers.Dense(1, activation="sigmoid", name="aux_b")(t)]
    model = tf_keras.Model([image, text], outputs)
    model.compile(optimizer="adam", loss=["binary_crossentropy"] * 3, loss_weights=[0.3, 1.0, 0.3])
    path = tmp_path / "multi.h5"
    model.save(str(path))
    tf_keras.backend.clear_session()
    x, y = multi_data(0)
    result = fusiondoctor.confirm(str(path), (x, [y["aux_a"], y["main"], y["aux_b"]]), select=["FD101"], epochs=2,
                                  seeds=3, progress=False)
    (trial,) = result.trials
    assert trial.location == "main" and result.report.trials[0].output == "main"
    assert trial.verdict is Verdict.CONFIRMED, trial.note
    assert trial.model.get_compile_config()["loss_weights"] == [0.3, 1.0, 0.3]


# ---- the softmax-over-one-unit shortcut reads the main output ----------------------------------------


def test_softmax_over_one_unit_on_an_auxiliary_head_still_trains(keras, few_steps):
    keras.utils.set_random_seed(0)
    model = multi_fusion(keras, aux_activation="softmax")  # aux_a is constant; main can still learn
    assert not runner_module._softmax_over_one_unit(model, 0)
    assert runner_module._softmax_over_one_unit(model, 1)
    runner = runner_for(model, multi_data(0), epochs=1, seeds=1)
    runs, _ = runner.runs(runner.config, runner.compile_config, [0], "baseline")
    assert runs[0].ended != "constant" and runs[0].history


def test_a_constant_main_head_is_scored_untrained_on_the_main_labels(keras, few_steps):
    keras.utils.set_random_seed(0)
    x, y = multi_data(0)
    runner = runner_for(multi_fusion(keras, main_activation="softmax"), (x, y))
    runs, _ = runner.runs(runner.config, runner.compile_config, [0, 1], "baseline")
    share = float(np.mean(y["main"][runner.val_idx] > 0.5))  # always 1.0: right on every positive
    assert all(r.ended == "constant" and r.scores == [pytest.approx(share)] and not r.history for r in runs)


# ---- the healthy twin ----------------------------------------------------------------------------------


def test_the_healthy_twin_gets_no_confirmed_fix(keras):
    keras.utils.set_random_seed(0)
    result = fusiondoctor.confirm(multi_fusion(keras), multi_data(0), epochs=2, seeds=2, max_seeds=2,
                                  progress=False)
    assert "FD101" not in result.report.codes()
    assert not any(t.verdict is Verdict.CONFIRMED for t in result.trials), [(t.code, t.note) for t in result.trials]
    assert result.best() is None
    assert all(r.complete and r.history for r in result.baseline.runs)  # the baseline trains (and learns)
    assert min(r.final for r in result.baseline.runs) > 0.8


# ---- labels that are missing or do not fit -------------------------------------------------------------


def test_missing_or_misfit_labels_are_one_line_errors(keras):
    keras.utils.set_random_seed(0)
    model = multi_fusion(keras)
    x, y = multi_data(0)
    with pytest.raises(InputError, match=r"none for 'aux_b'") as missing:
        fusiondoctor.confirm(model, (x, {"main": y["main"], "aux_a": y["aux_a"]}), progress=False)
    with pytest.raises(InputError, match="list of 2 label arrays; the model has 3 outputs") as short:
        fusiondoctor.confirm(model, (x, [y["main"], y["aux_a"]]), progress=False)
    with pytest.raises(InputError, match="none for 'main', 'aux_a', 'aux_b'"):
        fusiondoctor.confirm(model, (x, y["main"]), progress=False)  # one array for three outputs
    assert "\n" not in str(missing.value) and "\n" not in str(short.value)


def test_outputs_given_as_a_dict_are_refused_in_one_line(keras):
    """Keras orders a dict of outputs by key, not as the config lists them: refused rather than misread."""
    layers = keras.layers
    inputs = keras.Input((12,), name="text")
    hidden = layers.Dense(8, activation="relu")(inputs)
    model = keras.Model(inputs, {"main": layers.Dense(1, activation="sigmoid", name="main")(hidden),
                                 "aux": layers.Dense(1, activation="sigmoid", name="aux")(hidden)})
    model.compile(optimizer="adam", loss={"main": "binary_crossentropy", "aux": "binary_crossentropy"})
    x, y = multi_data(0)
    with pytest.raises(fusiondoctor.FusionDoctorError, match="outputs are a dict"):
        fusiondoctor.confirm(model, ({"text": x["text"]}, {"main": y["main"], "aux": y["aux_a"]}), progress=False)


def test_fix_command_refuses_an_npz_without_one_outputs_labels(keras, tmp_path):
    keras.utils.set_random_seed(0)
    model_path, data_path = tmp_path / "multi.keras", tmp_path / "data.npz"
    multi_fusion(keras).save(model_path)
    x, y = multi_data(0)
    np.savez(data_path, image=x["image"], text=x["text"], y_main=y["main"], y_aux_a=y["aux_a"])
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, "-m", "fusiondoctor", "fix", str(model_path), "--data", str(data_path),
                           "--epochs", "1", "--seeds", "2", "-q"], capture_output=True, text=True, cwd=REPO, env=env,
                          timeout=120)
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = [line for line in proc.stderr.splitlines() if "aux_b" in line]
    assert len(lines) == 1 and "y_aux_b" in lines[0] and "Traceback" not in proc.stderr
