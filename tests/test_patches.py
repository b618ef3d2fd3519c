"""Semantic patches (fusiondoctor/trials/patches.py) applied to real Keras 3 configs.

Every patch kind is applied to a live model's ``get_config()`` / ``get_compile_config()``; the
patched dictionaries are rebuilt with ``from_config`` + ``compile_from_config``, trained for one
step, and the edit is checked on the rebuilt model itself (the activation function, the loss
object, the optimizer's learning rate, the inserted layers and where they sit in the graph, the
BatchNormalization flags, the call arguments of a nested model), not only in the dictionaries.

Everything here runs Keras, so every test is marked ``live`` (CI runs them on TensorFlow and again
with ``KERAS_BACKEND=jax``); the Keras 2 ``.h5`` test needs TensorFlow and skips elsewhere.
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

import fusiondoctor
from fusiondoctor import PatchOp
from fusiondoctor.trials.confirm import _ancestry
from fusiondoctor.trials.patches import PatchError, apply_patch
from tests.casebook import get_case
from tests.helpers import tiny_fusion

pytestmark = pytest.mark.live


# ---- helpers ----------------------------------------------------------------------------------------


def rebuild(keras, config, compile_config, sequential=False):
    """The patched dictionaries as a compiled model, the way TrialRunner builds candidates."""
    cls = keras.Sequential if sequential else keras.Model
    model = cls.from_config(copy.deepcopy(config))
    if compile_config is not None:
        model.compile_from_config(copy.deepcopy(compile_config))
    return model


def batch(model, n=8, seed=0, classes=None):
    """Random inputs for every model input and targets that fit every output."""
    rng = np.random.default_rng(seed)
    xs = [rng.normal(size=(n,) + tuple(t.shape[1:])).astype("float32") for t in model.inputs]
    ys = []
    for t in model.outputs:
        width = int(t.shape[-1])
        if classes == "sparse":
            ys.append(rng.integers(0, width, size=(n,)).astype("int32"))
        elif width == 1:
            ys.append(rng.integers(0, 2, size=(n, 1)).astype("float32"))
        else:
            ys.append(np.eye(width, dtype="float32")[rng.integers(0, width, size=n)])
    return (xs if len(xs) > 1 else xs[0]), (ys if len(ys) > 1 else ys[0])


def train_step(model, classes=None):
    """One optimizer step; returns the loss, which must be a finite number."""
    x, y = batch(model, classes=classes)
    logs = model.train_on_batch(x, y, return_dict=True)
    loss = float(logs["loss"])
    assert np.isfinite(loss), logs
    return loss


def patched(keras, model, *ops, outputs=None, ancestry=None, sequential=False):
    config, compile_config = model.get_config(), model.get_compile_config()
    before = copy.deepcopy(config), copy.deepcopy(compile_config)
    new_config, new_compile = apply_patch(config, compile_config, ops,
                                          outputs if outputs is not None else output_names(model), ancestry)
    assert (config, compile_config) == before, "apply_patch changed the dictionaries it was given"
    return rebuild(keras, new_config, new_compile, sequential), new_config, new_compile


def output_names(model):
    return [producer(t).name for t in model.outputs]


def layer_in(model, path):
    """A layer by path (``outer/inner``) in a live model."""
    layer = model
    for part in path.split("/"):
        layer = layer.get_layer(part)
    return layer


def producer(tensor):
    return tensor._keras_history[0]


def merge_inputs(layer):
    """The layers whose outputs a (once-called) merge layer consumes, in order."""
    node = layer._inbound_nodes[0]
    return [producer(t) for t in node.input_tensors]


def nested_functional(keras):
    """image -> nested Functional 'backbone' (Dense 'inner' + BN 'inner_bn') -> head;
    text -> nested Sequential 'text_encoder' (Dense 'enc_dense') -> concatenate 'fusion' -> 'out'."""
    layers = keras.layers
    bb_in = keras.Input((6,), name="bb_in")
    h = layers.Dense(5, activation="relu", name="inner")(bb_in)
    h = layers.BatchNormalization(name="inner_bn")(h)
    backbone = keras.Model(bb_in, h, name="backbone")
    encoder = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="relu", name="enc_dense")],
                               name="text_encoder")
    image = keras.Input((6,), name="image")
    text = keras.Input((4,), name="text")
    x = backbone(image)
    t = encoder(text)
    fused = layers.concatenate([x, t], name="fusion")
    out = layers.Dense(1, activation="softmax", name="out")(fused)
    model = keras.Model([image, text], out)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
    return model


# ---- layer edits ------------------------------------------------------------------------------------


def test_activation_patch_on_the_output_layer(keras):
    model = tiny_fusion(keras)
    assert model.get_layer("output_layer").activation is keras.activations.softmax
    new, config, _ = patched(keras, model, PatchOp("layer", "output_layer", "activation", "sigmoid"))
    assert new.get_layer("output_layer").activation is keras.activations.sigmoid
    assert new.get_layer("output_layer").activation is not keras.activations.softmax
    # the softmax over one unit gave 1.0 everywhere; the sigmoid does not
    x, _ = batch(new, n=16)
    prediction = keras.ops.convert_to_numpy(new(x))
    assert prediction.shape == (16, 1) and not np.allclose(prediction, 1.0)
    train_step(new)


def test_activation_patch_inside_nested_functional_and_nested_sequential(keras):
    model = nested_functional(keras)
    new, _, _ = patched(keras, model, PatchOp("layer", "backbone/inner", "activation", "tanh"),
                        PatchOp("layer", "text_encoder/enc_dense", "activation", "sigmoid"))
    assert layer_in(new, "backbone/inner").activation is keras.activations.tanh
    assert layer_in(new, "text_encoder/enc_dense").activation is keras.activations.sigmoid
    assert type(new.get_layer("text_encoder")).__name__ == "Sequential"
    # the untouched layers kept theirs
    assert new.get_layer("out").activation is keras.activations.softmax
    train_step(new)


def test_activation_patch_on_a_top_level_sequential(keras):
    model = get_case("FD204").builder("bad")(keras)  # Sequential, Dense(1, sigmoid) 'sarcastic'
    new, _, _ = patched(keras, model, PatchOp("layer", "sarcastic", "activation", "tanh"), sequential=True)
    assert type(new).__name__ == "Sequential"
    assert new.get_layer("sarcastic").activation is keras.activations.tanh


def test_call_training_false_on_a_nested_model(keras):
    model = nested_functional(keras)
    node_kwargs = [e for e in model.get_config()["layers"] if e["name"] == "backbone"][0]["inbound_nodes"][0]["kwargs"]
    assert node_kwargs.get("training") is not False  # called plainly: the patch has something to do
    new, config, _ = patched(keras, model, PatchOp("layer", "backbone", "call_training", False))
    entry = [e for e in config["layers"] if e["name"] == "backbone"][0]
    assert entry["inbound_nodes"][0]["kwargs"]["training"] is False
    # the rebuilt model called its backbone with training=False: its own config says so again
    rebuilt = [e for e in new.get_config()["layers"] if e["name"] == "backbone"][0]
    assert rebuilt["inbound_nodes"][0]["kwargs"].get("training") is False
    # and the other nested model's call is untouched
    other = [e for e in new.get_config()["layers"] if e["name"] == "text_encoder"][0]
    assert other["inbound_nodes"][0]["kwargs"].get("training") is not False
    train_step(new)


# ---- loss edits -------------------------------------------------------------------------------------


def test_loss_name_patch(keras):
    model = tiny_fusion(keras, head_activation="sigmoid", loss="categorical_crossentropy")
    new, _, compile_config = patched(keras, model, PatchOp("loss", "output_layer", "name", "binary_crossentropy"))
    assert compile_config["loss"] == "binary_crossentropy"
    assert new.loss == "binary_crossentropy"
    # categorical crossentropy on one unit is 0 for every sample; binary crossentropy is not
    assert train_step(new) > 0.01


def test_from_logits_on_a_string_loss(keras):
    model = tiny_fusion(keras, head_activation="linear", loss="binary_crossentropy")
    new, _, compile_config = patched(keras, model, PatchOp("loss", "output_layer", "from_logits", True))
    assert compile_config["loss"]["class_name"] == "BinaryCrossentropy"
    assert isinstance(new.loss, keras.losses.BinaryCrossentropy)
    assert new.loss.get_config()["from_logits"] is True
    train_step(new)


def test_from_logits_on_a_serialized_loss(keras):
    model = get_case("FD201").builder("bad")(keras)  # softmax + SparseCategoricalCrossentropy(from_logits=True)
    assert model.get_compile_config()["loss"]["config"]["from_logits"] is True
    new, _, compile_config = patched(keras, model, PatchOp("loss", "emotion", "from_logits", False))
    assert isinstance(new.loss, keras.losses.SparseCategoricalCrossentropy)
    assert new.loss.get_config()["from_logits"] is False
    train_step(new, classes="sparse")


def two_heads(keras, loss):
    layers = keras.layers
    inp = keras.Input((5,), name="x")
    h = layers.Dense(4, activation="relu")(inp)
    a = layers.Dense(1, name="a")(h)  # linear
    b = layers.Dense(1, activation="sigmoid", name="b")(h)
    model = keras.Model(inp, [a, b])
    model.compile(optimizer="adam", loss=loss)
    return model


def _from_logits(loss):
    if isinstance(loss, str):
        return None
    return loss.get_config()["from_logits"]


def test_from_logits_on_one_output_of_a_dict_loss(keras):
    model = two_heads(keras, {"a": "binary_crossentropy", "b": keras.losses.BinaryCrossentropy()})
    new, _, compile_config = patched(keras, model, PatchOp("loss", "a", "from_logits", True))
    assert compile_config["loss"]["a"]["config"]["from_logits"] is True
    assert compile_config["loss"]["b"]["config"]["from_logits"] is False  # the other output untouched
    assert _from_logits(new.loss["a"]) is True and _from_logits(new.loss["b"]) is False
    train_step(new)
    # a name edit on the second output leaves the first one as it was
    _, _, renamed = patched(keras, model, PatchOp("loss", "b", "name", "mean_squared_error"))
    assert renamed["loss"]["b"] == "mean_squared_error" and renamed["loss"]["a"] == "binary_crossentropy"


def test_from_logits_on_one_output_of_a_list_loss(keras):
    model = two_heads(keras, [keras.losses.BinaryCrossentropy(), "binary_crossentropy"])
    new, _, compile_config = patched(keras, model, PatchOp("loss", "a", "from_logits", True))
    losses = compile_config["loss"]
    assert losses[0]["config"]["from_logits"] is True and losses[1] == "binary_crossentropy"
    assert _from_logits(new.loss[0]) is True and new.loss[1] == "binary_crossentropy"
    train_step(new)
    # the second output by name: only its entry changes
    _, _, second = patched(keras, model, PatchOp("loss", "b", "from_logits", True))
    assert second["loss"][0]["config"]["from_logits"] is False
    assert second["loss"][1]["class_name"] == "BinaryCrossentropy"
    assert second["loss"][1]["config"]["from_logits"] is True


# ---- optimizer edits --------------------------------------------------------------------------------


def _lr(model):
    import keras

    return float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))


def test_learning_rate_patch_on_an_optimizer_object(keras):
    model = get_case("FD101").builder("bad")(keras)  # Adam(1e-3)
    new, _, _ = patched(keras, model, PatchOp("optimizer", None, "learning_rate", 1e-5))
    assert type(new.optimizer).__name__ == "Adam"
    assert _lr(new) == pytest.approx(1e-5, rel=1e-4)
    train_step(new)
    assert _lr(new) == pytest.approx(1e-5, rel=1e-4)


@pytest.mark.parametrize("name, cls", [("sgd", "SGD"), ("rmsprop", "RMSprop"), ("adam", "Adam"), ("adamw", "AdamW")])
def test_learning_rate_patch_on_a_string_optimizer(keras, name, cls):
    model = tiny_fusion(keras, head_activation="sigmoid")
    compile_config = dict(model.get_compile_config(), optimizer=name)
    new_config, new_compile = apply_patch(model.get_config(), compile_config,
                                          (PatchOp("optimizer", None, "learning_rate", 1e-5),))
    assert compile_config["optimizer"] == name  # the input is untouched
    new = rebuild(keras, new_config, new_compile)
    assert type(new.optimizer).__name__ == cls
    assert _lr(new) == pytest.approx(1e-5, rel=1e-4)
    train_step(new)


def test_learning_rate_patch_replaces_a_schedule(keras):
    model = tiny_fusion(keras, head_activation="sigmoid")
    schedule = keras.optimizers.schedules.ExponentialDecay(1e-2, decay_steps=10, decay_rate=0.9)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="binary_crossentropy")
    assert isinstance(model.get_compile_config()["optimizer"]["config"]["learning_rate"], dict)
    new, _, _ = patched(keras, model, PatchOp("optimizer", None, "learning_rate", 1e-5))
    assert not isinstance(new.optimizer._learning_rate, keras.optimizers.schedules.LearningRateSchedule)
    train_step(new)
    assert _lr(new) == pytest.approx(1e-5, rel=1e-4)  # a constant: no decay after a step


# ---- graph edits ------------------------------------------------------------------------------------


def _concatenate(model):
    return next(layer for layer in model.layers if type(layer).__name__ == "Concatenate")


@pytest.mark.parametrize("norm", ["BatchNormalization", "LayerNormalization"])
def test_normalize_operands_sits_on_every_operand_of_the_merge(keras, norm):
    model = tiny_fusion(keras, head_activation="sigmoid")
    merge = _concatenate(model)
    operands = [layer.name for layer in merge_inputs(merge)]
    assert len(operands) == 2
    new, _, _ = patched(keras, model, PatchOp("graph", merge.name, "normalize_operands", norm))
    inserted = [layer for layer in new.layers if type(layer).__name__ == norm]
    assert len(inserted) == 2
    feeding = merge_inputs(new.get_layer(merge.name))
    assert [type(layer).__name__ for layer in feeding] == [norm, norm]  # the merge consumes the new layers ...
    fed = [producer(layer._inbound_nodes[0].input_tensors[0]).name for layer in feeding]
    assert fed == operands  # ... on its operands
    assert new.count_params() > model.count_params()
    train_step(new)


def test_normalize_operands_on_a_merge_fed_by_nested_models(keras):
    model = nested_functional(keras)
    new, _, _ = patched(keras, model, PatchOp("graph", "fusion", "normalize_operands", "LayerNormalization"))
    feeding = merge_inputs(new.get_layer("fusion"))
    assert [type(layer).__name__ for layer in feeding] == ["LayerNormalization"] * 2
    fed = [producer(layer._inbound_nodes[0].input_tensors[0]).name for layer in feeding]
    assert fed == ["backbone", "text_encoder"]
    train_step(new)


def _mobilenet_on_probabilities(keras, nested):
    layers = keras.layers
    image = keras.Input((32, 32, 3), name="image")
    if nested:
        base = keras.applications.MobileNet(weights=None, include_top=True, input_shape=(32, 32, 3), alpha=0.25)
        base.trainable = False
        features = base(image)
    else:
        base = keras.applications.MobileNet(weights=None, include_top=True, input_tensor=image, alpha=0.25)
        for layer in base.layers:
            layer.trainable = False
        features = base.output
    x = layers.Dense(8, activation="relu", name="image_head")(features)
    out = layers.Dense(3, activation="softmax", name="emotion")(x)
    model = keras.Model(image, out)
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    return model, base.name


@pytest.mark.parametrize("nested", [True, False], ids=["nested", "flattened"])
def test_bypass_of_a_softmax_classifier_feeds_the_head_with_logits(keras, nested):
    model, base_name = _mobilenet_on_probabilities(keras, nested)
    finding = [f for f in fusiondoctor.check(model).findings if f.code == "FD102"]
    assert len(finding) == 1
    (op,) = finding[0].fix.patch
    assert op.key == "bypass" and op.name.endswith("predictions")
    new, _, _ = patched(keras, model, op)
    head_input = producer(new.get_layer("image_head")._inbound_nodes[0].input_tensors[0])
    x, _ = batch(new, n=4)
    if nested:
        assert head_input.name == base_name
        inner = new.get_layer(base_name)
        assert "predictions" not in [layer.name for layer in inner.layers]
        features = keras.ops.convert_to_numpy(inner(x))
    else:
        assert "predictions" not in [layer.name for layer in new.layers]
        assert type(head_input).__name__ != "Activation"
        features = keras.ops.convert_to_numpy(keras.Model(new.inputs, head_input.output)(x))
    assert features.shape == (4, 1000)
    # logits: not a probability distribution any more (the softmax rows summed to 1)
    assert not np.allclose(features.sum(axis=1), 1.0, atol=1e-3)
    assert np.any(features < 0)
    train_step(new)


def test_freeze_batchnorm_of_a_nested_backbone(keras):
    model = get_case("FD104").builder("bad")(keras)  # nested MobileNet, everything trainable
    finding = [f for f in fusiondoctor.check(model).findings if f.code == "FD104"]
    assert len(finding) == 1
    (op,) = finding[0].fix.patch
    assert op.key == "freeze_batchnorm" and len(op.value) > 10
    new, _, _ = patched(keras, model, op)
    backbone = new.get_layer(op.value[0].split("/")[0])
    norms = [layer for layer in backbone.layers if type(layer).__name__ == "BatchNormalization"]
    convs = [layer for layer in backbone.layers if type(layer).__name__ in ("Conv2D", "DepthwiseConv2D")]
    assert len(norms) == len(op.value)
    assert all(not layer.trainable for layer in norms)
    assert convs and all(layer.trainable for layer in convs)  # only the normalization is frozen
    # a frozen BatchNormalization runs in inference mode: a training step leaves its statistics alone
    before = [keras.ops.convert_to_numpy(layer.moving_mean).copy() for layer in norms]
    head_before = keras.ops.convert_to_numpy(new.get_layer("emotion").kernel).copy()
    train_step(new)
    after = [keras.ops.convert_to_numpy(layer.moving_mean) for layer in norms]
    assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))
    assert not np.array_equal(head_before, keras.ops.convert_to_numpy(new.get_layer("emotion").kernel))  # it trained
    # the unpatched model's statistics do move
    model_norm = [layer for layer in model.get_layer(backbone.name).layers
                  if type(layer).__name__ == "BatchNormalization"][0]
    start = keras.ops.convert_to_numpy(model_norm.moving_mean).copy()
    train_step(model)
    assert not np.array_equal(start, keras.ops.convert_to_numpy(model_norm.moving_mean))


def test_freeze_batchnorm_in_a_small_nested_backbone(keras):
    model = nested_functional(keras)
    new, _, _ = patched(keras, model, PatchOp("graph", "backbone", "freeze_batchnorm", ["backbone/inner_bn"]))
    assert layer_in(new, "backbone/inner_bn").trainable is False
    assert layer_in(new, "backbone/inner").trainable is True
    assert layer_in(model, "backbone/inner_bn").trainable is True  # the input model is untouched
    train_step(new)


def test_modality_dropout_through_the_input_ancestry(keras):
    model = tiny_fusion(keras, head_activation="sigmoid")
    merge = _concatenate(model)
    operands = [layer.name for layer in merge_inputs(merge)]  # [image branch, text branch]
    spec = fusiondoctor.load_model_spec(model)
    ancestry = _ancestry(spec)
    assert ancestry("text") == [(merge.name, {operands[1]})]
    new, _, _ = patched(keras, model, PatchOp("graph", None, "modality_dropout", "text"), ancestry=ancestry)
    feeding = merge_inputs(new.get_layer(merge.name))
    assert [type(layer).__name__ for layer in feeding] == ["Dense", "Dropout"]
    assert feeding[0].name == operands[0]  # the image branch is untouched
    dropout = feeding[1]
    assert producer(dropout._inbound_nodes[0].input_tensors[0]).name == operands[1]
    assert dropout.rate == pytest.approx(0.3)
    assert tuple(dropout.noise_shape) == (None, 1)
    # the whole modality is dropped per sample: each row is all zeros or all kept (scaled)
    ones = np.ones((256, 8), dtype="float32")
    dropped = keras.ops.convert_to_numpy(dropout(ones, training=True))
    rows_zero = np.all(dropped == 0, axis=1)
    rows_kept = np.all(np.isclose(dropped, 1 / 0.7), axis=1)
    assert np.all(rows_zero | rows_kept) and 0 < rows_zero.sum() < 256
    train_step(new)


def test_modality_dropout_needs_the_ancestry(keras):
    model = tiny_fusion(keras, head_activation="sigmoid")
    with pytest.raises(PatchError, match="ancestry"):
        apply_patch(model.get_config(), model.get_compile_config(),
                    (PatchOp("graph", None, "modality_dropout", "text"),))


# ---- a model from a Keras 2 .h5 file ----------------------------------------------------------------


def test_patches_on_a_model_loaded_from_a_keras2_h5(keras, tf_keras, tmp_path):
    from fusiondoctor.probes.loading import load_for_probing
    from fusiondoctor.trials.runner import trial_compile_config

    path = tmp_path / "seed000.h5"
    tiny_fusion(tf_keras).save(str(path))
    tf_keras.backend.clear_session()
    live = load_for_probing(path)
    assert live.get_layer("output_layer").activation is keras.activations.softmax
    config, compile_config = live.get_config(), trial_compile_config(live)
    frozen = copy.deepcopy(config), copy.deepcopy(compile_config)
    merge = _concatenate(live)
    ops = (PatchOp("layer", "output_layer", "activation", "sigmoid"),
           PatchOp("optimizer", None, "learning_rate", 1e-4),
           PatchOp("graph", merge.name, "normalize_operands", "BatchNormalization"))
    new_config, new_compile = apply_patch(config, compile_config, ops, output_names(live))
    assert (config, compile_config) == frozen
    # the translated Keras 2 metrics do not survive compile_from_config (a MeanMetricWrapper whose fn is
    # the string 'binary_accuracy'; see test_trials.py's Keras 2 test): the patches are checked without them
    new = rebuild(keras, new_config, dict(new_compile, metrics=None))
    assert new.get_layer("output_layer").activation is keras.activations.sigmoid
    assert _lr(new) == pytest.approx(1e-4, rel=1e-4)
    assert [type(layer).__name__ for layer in merge_inputs(new.get_layer(merge.name))] == ["BatchNormalization"] * 2
    assert new.get_layer("LTSM") is not None
    train_step(new)


@pytest.mark.parametrize("op", [PatchOp("loss", "output_layer", "from_logits", True),
                                PatchOp("loss", "output_layer", "name", "binary_crossentropy")],
                         ids=["from_logits", "name"])
def test_loss_patch_on_a_function_loss_from_a_keras2_h5(keras, tf_keras, tmp_path, op):
    from fusiondoctor.probes.loading import load_for_probing
    from fusiondoctor.trials.runner import trial_compile_config

    path = tmp_path / "linear.h5"
    tiny_fusion(tf_keras, head_activation="linear").save(str(path))  # FD202's situation, from a Keras 2 file
    tf_keras.backend.clear_session()
    live = load_for_probing(path)
    compile_config = trial_compile_config(live)
    assert compile_config["loss"]["class_name"] == "function"  # how Keras 3 serializes the translated loss
    new_config, new_compile = apply_patch(live.get_config(), compile_config, (op,), output_names(live))
    new = rebuild(keras, new_config, new_compile)
    if op.key == "from_logits":
        assert isinstance(new.loss, keras.losses.BinaryCrossentropy) and new.loss.get_config()["from_logits"] is True
    else:
        assert new.loss == "binary_crossentropy"
    train_step(new)


def test_dropout_before_the_output_layer(keras):
    model = tiny_fusion(keras, head_activation="sigmoid")
    new, _, _ = patched(keras, model, PatchOp("graph", None, "dropout", 0.3))  # FD304's fix: no layer named
    (feeding,) = merge_inputs(new.get_layer("output_layer"))
    assert type(feeding).__name__ == "Dropout" and feeding.rate == pytest.approx(0.3)
    assert type(producer(feeding._inbound_nodes[0].input_tensors[0])).__name__ == "Concatenate"
    assert len(new.layers) == len(model.layers) + 1
    train_step(new)


def test_dropout_in_a_sequential_model(keras):
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid", name="out")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    new, _, _ = patched(keras, model, PatchOp("graph", "out", "dropout", 0.5), sequential=True)
    assert [type(layer).__name__ for layer in new.layers] == ["Dense", "Dropout", "Dense"]
    train_step(new)


def test_modality_dropout_on_a_branch_that_ends_in_a_nested_model(keras):
    model = nested_functional(keras)
    ancestry = _ancestry(fusiondoctor.load_model_spec(model))
    new, _, _ = patched(keras, model, PatchOp("graph", None, "modality_dropout", "text"), ancestry=ancestry)
    feeding = merge_inputs(new.get_layer("fusion"))
    assert [type(layer).__name__ for layer in feeding] == ["Functional", "Dropout"]
    assert producer(feeding[1]._inbound_nodes[0].input_tensors[0]).name == "text_encoder"
    train_step(new)


# ---- metrics edits ---------------------------------------------------------------------------------


def _metric_names(model):
    """The names of the compiled metrics a rebuilt model reports after a step."""
    x, y = batch(model)
    logs = model.train_on_batch(x, y, return_dict=True)
    return sorted(k for k in logs if k != "loss" and not k.endswith("_loss"))


def test_fd209_patch_swaps_accuracy_for_mae_on_a_regression(keras):
    model = get_case("FD209").builder("bad")(keras)  # price regression with metrics=["accuracy"]
    (finding,) = [f for f in fusiondoctor.check(model).findings if f.code == "FD209"]
    new, _, compile_config = patched(keras, model, *finding.fix.patch)
    assert compile_config["metrics"] == ["mae"]
    assert _metric_names(new) == ["mae"]


def test_fd210_patch_adds_accuracy_to_a_classifier(keras):
    model = get_case("FD210").builder("bad")(keras)  # softmax classifier with metrics=["mae"]
    (finding,) = [f for f in fusiondoctor.check(model).findings if f.code == "FD210"]
    new, _, compile_config = patched(keras, model, *finding.fix.patch, sequential=True)
    assert compile_config["metrics"] == ["mae", "accuracy"]
    assert _metric_names(new) == ["accuracy", "mae"]


def two_heads_with_metrics(keras, metrics):
    layers = keras.layers
    inp = keras.Input((5,), name="x")
    h = layers.Dense(4, activation="relu")(inp)
    a = layers.Dense(1, name="a")(h)
    b = layers.Dense(1, activation="sigmoid", name="b")(h)
    model = keras.Model(inp, [a, b])
    model.compile(optimizer="adam", loss={"a": "mse", "b": "binary_crossentropy"}, metrics=metrics)
    return model


def test_metrics_edit_on_one_output_of_dict_metrics(keras):
    model = two_heads_with_metrics(keras, {"a": ["accuracy", "mae"], "b": ["accuracy"]})
    new, _, compile_config = patched(keras, model, PatchOp("metrics", "a", "remove", ["accuracy"]))
    assert compile_config["metrics"] == {"a": ["mae"], "b": ["accuracy"]}
    assert _metric_names(new) == ["a_mae", "b_accuracy"]


def test_metrics_edit_splits_a_list_shared_by_every_output(keras):
    model = two_heads_with_metrics(keras, ["accuracy"])
    new, _, compile_config = patched(keras, model, PatchOp("metrics", "a", "remove", ["accuracy"]),
                                     PatchOp("metrics", "a", "add", ["mae"]))
    assert compile_config["metrics"] == {"a": ["mae"], "b": ["accuracy"]}
    assert _metric_names(new) == ["a_mae", "b_accuracy"]
    with pytest.raises(PatchError, match="needs the output's name"):
        apply_patch(model.get_config(), dict(model.get_compile_config(), metrics={"a": [], "b": []}),
                    (PatchOp("metrics", None, "add", ["mae"]),), ["a", "b"])


def test_metrics_edit_on_metrics_listed_by_position(keras):
    model = two_heads_with_metrics(keras, [["accuracy", "mae"], ["accuracy"]])
    _, _, compile_config = patched(keras, model, PatchOp("metrics", "a", "remove", ["accuracy"]))
    assert compile_config["metrics"] == [["mae"], ["accuracy"]]


def test_metrics_edit_on_a_serialized_metric(keras):
    model = tiny_fusion(keras, head_activation="sigmoid")
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=[keras.metrics.BinaryAccuracy(name="acc"), "auc"])
    new, _, compile_config = patched(keras, model, PatchOp("metrics", None, "remove", ["acc"]))
    assert compile_config["metrics"] == ["auc"]
    assert _metric_names(new) == ["auc"]


# ---- initializer and activation edits from the new rules' fixes -------------------------------------


def test_fd107_patch_reinitializes_every_exploding_layer(keras):
    model = get_case("FD107").builder("bad")(keras)  # RandomNormal(stddev=1.0) in dense_in and dense_mid
    findings = [f for f in fusiondoctor.check(model).findings if f.code == "FD107"]
    assert sorted(f.location.layer for f in findings) == ["dense_in", "dense_mid"]
    new, _, _ = patched(keras, model, *findings[0].fix.patch, sequential=True)
    for name, fan_in in (("dense_in", 256), ("dense_mid", 128)):
        layer = new.get_layer(name)
        assert type(layer.kernel_initializer).__name__ == "HeNormal"
        std = float(np.std(keras.ops.convert_to_numpy(layer.kernel)))
        assert std == pytest.approx(np.sqrt(2 / fan_in), rel=0.2), (name, std)
    assert new.get_layer("material").kernel_initializer.__class__.__name__ == "GlorotUniform"
    train_step(new, classes="sparse")


def test_fd108_patch_brings_the_dead_relu_layers_to_life(keras):
    model = get_case("FD108").builder("bad")(keras)
    findings = [f for f in fusiondoctor.check(model).findings if f.code == "FD108"]
    assert [f.severity.label for f in findings] == ["error", "error"]
    new, _, _ = patched(keras, model, *findings[0].fix.patch, sequential=True)
    x, _ = batch(new, n=32)
    hidden = keras.Model(new.inputs, new.get_layer("hidden2").output)
    assert np.abs(keras.ops.convert_to_numpy(hidden(x))).sum() > 0  # the zero kernels gave exactly 0
    assert not np.any(keras.ops.convert_to_numpy(new.get_layer("species").kernel))  # the output layer keeps zeros
    train_step(new, classes="sparse")


def test_fd106_patch_gives_every_hidden_layer_a_relu(keras):
    model = get_case("FD106").builder("bad")(keras)
    (finding,) = [f for f in fusiondoctor.check(model).findings if f.code == "FD106"]
    new, _, _ = patched(keras, model, *finding.fix.patch, sequential=True)
    assert [new.get_layer(n).activation for n in ("conv1", "conv2", "fc")] == [keras.activations.relu] * 3
    assert "FD106" not in fusiondoctor.check(new).codes()
    train_step(new, classes="sparse")


def test_fd208_patch_on_a_linear_head_sets_softmax_and_crossentropy(keras):
    layers = keras.layers
    model = keras.Sequential([keras.Input((12,)), layers.Dense(16, activation="relu"), layers.Dense(10, name="logits")])
    model.compile(optimizer="adam", loss="mse", metrics=["accuracy"])
    (finding,) = [f for f in fusiondoctor.check(model).findings if f.code == "FD208"]
    new, _, compile_config = patched(keras, model, *finding.fix.patch, sequential=True)
    assert compile_config["loss"] == "categorical_crossentropy"
    assert new.get_layer("logits").activation is keras.activations.softmax
    assert fusiondoctor.check(new).codes() == []
    train_step(new)


def test_fd110_patch_removes_the_second_softmax(keras):
    model = get_case("FD110").builder("bad")(keras)
    (finding,) = [f for f in fusiondoctor.check(model).findings if f.code == "FD110"]
    new, _, _ = patched(keras, model, *finding.fix.patch)
    assert new.get_layer("probs").activation is keras.activations.linear
    prediction = keras.ops.convert_to_numpy(new(batch(new, n=16)[0]))
    assert np.allclose(prediction.sum(axis=1), 1.0, atol=1e-5) and prediction.max() > 0.3
    train_step(new, classes="sparse")


# ---- errors and purity ------------------------------------------------------------------------------


@pytest.mark.parametrize("op, message", [
    (PatchOp("layer", "nope", "activation", "sigmoid"), "no layer 'nope'"),
    (PatchOp("layer", "backbone/nope", "activation", "sigmoid"), "no layer 'backbone/nope'"),
    (PatchOp("layer", "nope/inner", "activation", "sigmoid"), "no layer 'nope'"),
    (PatchOp("graph", "nope", "normalize_operands", "BatchNormalization"), "no layer 'nope'"),
    (PatchOp("graph", "nope", "bypass", None), "no layer 'nope'"),
    (PatchOp("graph", "backbone", "freeze_batchnorm", ["backbone/nope_bn"]), "no layer 'backbone/nope_bn'"),
    (PatchOp("layer", "out", "gamma_initializer", "zeros"), "unknown layer edit"),
    (PatchOp("layer", "fusion", "kernel_initializer", "he_normal"), "has no kernel_initializer"),
    (PatchOp("graph", "fusion", "rewire", None), "unknown graph edit"),
    (PatchOp("loss", "out", "from_logits", True, ), None),  # a string loss: applies (the control)
    (PatchOp("optimizer", None, "momentum", 0.9), "cannot apply optimizer edit"),
    (PatchOp("metrics", None, "add", "auc"), "unknown metrics edit"),  # a name, not a list of names
    (PatchOp("metrics", "out", "rename", ["auc"]), "unknown metrics edit"),
    (PatchOp("tokenizer", None, "vocabulary", 100), "unknown patch target"),
])
def test_patch_errors(keras, op, message):
    model = nested_functional(keras)
    config, compile_config = model.get_config(), model.get_compile_config()
    if message is None:
        apply_patch(config, compile_config, (op,), output_names(model))
        return
    with pytest.raises(PatchError, match=message):
        apply_patch(config, compile_config, (op,), output_names(model))


def test_loss_patches_that_do_not_fit(keras):
    model = tiny_fusion(keras, head_activation="linear", loss="mean_squared_error")
    with pytest.raises(PatchError, match="from_logits"):
        apply_patch(model.get_config(), model.get_compile_config(),
                    (PatchOp("loss", "output_layer", "from_logits", True),))
    with pytest.raises(PatchError, match="not compiled"):
        apply_patch(model.get_config(), None, (PatchOp("loss", "output_layer", "name", "binary_crossentropy"),))
    with pytest.raises(PatchError, match="not compiled"):
        apply_patch(model.get_config(), None, (PatchOp("optimizer", None, "learning_rate", 1e-5),))


def test_apply_patch_leaves_the_input_dictionaries_unchanged(keras):
    model = nested_functional(keras)
    config, compile_config = model.get_config(), model.get_compile_config()
    frozen = json.dumps(config, sort_keys=True, default=repr), json.dumps(compile_config, sort_keys=True, default=repr)
    deep = copy.deepcopy(config), copy.deepcopy(compile_config)
    ops = (PatchOp("layer", "out", "activation", "sigmoid"),
           PatchOp("layer", "backbone/inner", "activation", "tanh"),
           PatchOp("layer", "text_encoder/enc_dense", "units", 5),
           PatchOp("layer", "backbone", "call_training", False),
           PatchOp("loss", "out", "from_logits", False),
           PatchOp("optimizer", None, "learning_rate", 1e-5),
           PatchOp("graph", "fusion", "normalize_operands", "BatchNormalization"),
           PatchOp("graph", "backbone", "freeze_batchnorm", ["backbone/inner_bn"]))
    new_config, new_compile = apply_patch(config, compile_config, ops, output_names(model))
    assert (config, compile_config) == deep
    dumped = json.dumps(config, sort_keys=True, default=repr), json.dumps(compile_config, sort_keys=True, default=repr)
    assert dumped == frozen
    assert new_config != config and new_compile != compile_config  # the copies did change
    new = rebuild(keras, new_config, new_compile)
    assert layer_in(new, "text_encoder/enc_dense").units == 5
    kinds = [type(layer).__name__ for layer in merge_inputs(new.get_layer("fusion"))]
    assert kinds == ["BatchNormalization", "BatchNormalization"]
    train_step(new)
    # and the live model it came from still builds and behaves as before
    assert model.get_layer("out").activation is keras.activations.softmax
    assert layer_in(model, "backbone/inner_bn").trainable is True


@pytest.mark.parametrize("case_name, code", [("FD213-binary-accuracy-on-multiclass", "FD213"),
                                             ("FD214-categorical-accuracy-on-single-unit", "FD214"),
                                             ("FD310-learning-rate-too-low", "FD212")])
def test_metric_and_rate_patches_of_the_cause_rules(fresh, case_name, code):
    """FD213/FD214 swap the metric; the rate patches of FD309/FD310 are optimizer edits like FD212's."""
    keras = fresh
    case = get_case(case_name)
    if code == "FD212":  # the history rules' patch, applied to the case's model
        model = case.module("bad").build(keras, keras.optimizers.SGD(learning_rate=5e-4))
        op = PatchOp("optimizer", None, "learning_rate", 0.005)
        new, _, _ = patched(keras, model, op, sequential=True)
        assert float(keras.ops.convert_to_numpy(new.optimizer.learning_rate)) == pytest.approx(0.005)
        return
    model = case.builder("bad")(keras)
    (finding,) = [f for f in fusiondoctor.check(model).findings if f.code == code]
    new, _, _ = patched(keras, model, *finding.fix.patch)
    assert code not in fusiondoctor.check(new).codes()
