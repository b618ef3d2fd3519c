"""The normalizer: both dialects give the same graph for the same model."""

from __future__ import annotations

import pytest

import fusiondoctor
from fusiondoctor.model import shapes
from fusiondoctor.model.graph import merges


def _siamese(keras):
    """Two inputs through one shared nested encoder, a nested Sequential, and two outputs."""
    layers = keras.layers
    a = keras.Input((6,), name="a")
    b = keras.Input((6,), name="b")
    enc_in = keras.Input((6,))
    enc = keras.Model(
        enc_in,
        layers.BatchNormalization(name="enc_bn")(layers.Dense(5, activation="relu", name="enc_dense")(enc_in)),
        name="enc",
    )
    proj = keras.Sequential([keras.Input((5,)), layers.Dense(3)], name="proj")
    ea, eb = enc(a), enc(b, training=False)
    merged = layers.Add(name="add")([ea, eb])
    side = proj(ea)
    p = layers.Dense(1, activation="sigmoid", name="match")(layers.Concatenate(name="cat")([merged, side]))
    q = layers.Dense(4, activation="softmax", name="kind")(merged)
    model = keras.Model([a, b], [p, q])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05),
                  loss={"match": "binary_crossentropy", "kind": keras.losses.CategoricalCrossentropy(from_logits=True)},
                  metrics={"match": ["accuracy"], "kind": ["accuracy", keras.metrics.AUC(name="auc")]})
    return model


def _summary(spec):
    return {
        "inputs": [spec.nodes[k].layer.name for k in spec.inputs],
        "outputs": [o.name for o in spec.outputs],
        "edges": sorted((k, tuple(sorted(n.inputs))) for k, n in spec.nodes.items()),
        "losses": [(o.name, o.loss.name.lower().replace("_", ""), o.loss.from_logits) for o in spec.outputs],
        "metrics": [(o.name, sorted(m.resolved or m.name for m in o.metrics)) for o in spec.outputs],
        "shapes": {k: n.output_shape for k, n in spec.nodes.items()},
        "lr": round(spec.compile.optimizer.learning_rate, 6),
    }


@pytest.fixture(scope="module")
def specs(tmp_path_factory, keras3, tf_keras):
    folder = tmp_path_factory.mktemp("siamese")
    out = {"live": fusiondoctor.load_model_spec(_siamese(keras3))}
    k3 = _siamese(keras3)
    k3.save(folder / "k3.keras")
    k3.save(folder / "k3.h5")
    _siamese(tf_keras).save(folder / "k2.h5")
    for name in ("k3.keras", "k3.h5", "k2.h5"):
        out[name] = fusiondoctor.load_model_spec(folder / name)
    return out


def test_nested_and_shared_layers_expand_to_the_same_graph_in_both_dialects(specs):
    reference = _summary(specs["live"])
    for name in ("k3.keras", "k3.h5", "k2.h5"):
        summary = _summary(specs[name])
        # Keras 2 names the nested model's own input layer differently: compare the structure
        assert summary["inputs"] == reference["inputs"]
        assert summary["outputs"] == reference["outputs"]
        assert summary["losses"] == reference["losses"], name
        assert summary["metrics"] == reference["metrics"], name
        assert summary["lr"] == reference["lr"], name
        assert len(summary["edges"]) == len(reference["edges"]), name
    assert specs["k2.h5"].keras_major == 2 and specs["k3.h5"].keras_major == 3


def test_shared_nested_encoder_is_expanded_once_per_call(specs):
    spec = specs["k2.h5"]
    dense_calls = sorted(k for k in spec.nodes if k.startswith("enc/enc_dense"))
    assert dense_calls == ["enc/enc_dense", "enc/enc_dense#1"]  # one node per call of the shared encoder
    assert spec.input_ancestry("enc/enc_dense") == {"a"}
    assert spec.input_ancestry("enc/enc_dense#1") == {"b"}
    assert spec.input_ancestry("add") == {"a", "b"}


def test_training_kwarg_of_a_nested_call_reaches_the_inner_nodes(specs):
    for spec in specs.values():
        bn = sorted(k for k in spec.nodes if spec.nodes[k].layer.class_name == "BatchNormalization")
        assert [spec.nodes[k].training for k in bn] == [None, False], spec.source


def test_merges_know_their_branches(specs):
    spec = specs["k3.keras"]
    by_name = {m.node.layer.name: m for m in merges(spec)}
    assert by_name["add"].is_fusion
    assert [o.normalized for o in by_name["add"].operands] == [True, True]
    assert [o.width for o in by_name["cat"].operands] == [5, 3]


def test_per_output_compile_settings(specs):
    spec = specs["k3.keras"]
    match, kind = spec.outputs
    assert match.loss.name == "binary_crossentropy" and not match.loss.from_logits
    assert kind.loss.from_logits is True
    assert [m.resolved for m in match.metrics] == ["binary_accuracy"]
    assert [m.resolved for m in kind.metrics] == ["categorical_accuracy", "auc"]


def test_sequential_holding_a_nested_model(keras3, tmp_path):
    layers = keras3.layers
    base = keras3.applications.MobileNetV2(weights=None, include_top=False, input_shape=(32, 32, 3), alpha=0.35)
    base.trainable = False
    model = keras3.Sequential(
        [keras3.Input((32, 32, 3)), base, layers.GlobalAveragePooling2D(), layers.Dense(1, activation="softmax")]
    )
    model.compile(loss="binary_crossentropy")
    model.save(tmp_path / "seq.keras")
    spec = fusiondoctor.load_model_spec(tmp_path / "seq.keras")
    out = spec.nodes[spec.outputs[0].key]
    assert out.output_shape == (None, 1)
    assert any(k.startswith(base.name + "/") for k in spec.nodes)
    assert spec.input_ancestry(out.key) == {spec.nodes[spec.inputs[0]].layer.name}
    assert fusiondoctor.check(spec).codes() == ["FD101"]


def _zoo(keras):
    layers = keras.layers
    img = keras.Input((17, 13, 3))
    x = layers.Conv2D(5, 3, strides=2, padding="same")(img)
    x = layers.ZeroPadding2D(((1, 2), (0, 1)))(x)
    x = layers.SeparableConv2D(6, (3, 2), padding="valid")(x)
    x = layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.AveragePooling2D(pool_size=(2, 1), strides=1, padding="same")(x)
    y = layers.GlobalAveragePooling2D(keepdims=True)(x)
    y = layers.Flatten()(y)
    x = layers.Cropping2D(((0, 1), (1, 0)))(x)
    x = layers.Flatten()(x)
    seq = keras.Input((9, 4))
    s = layers.Conv1D(6, 3, padding="causal", dilation_rate=2)(seq)
    s = layers.Bidirectional(layers.GRU(3, return_sequences=True))(s)
    s = layers.TimeDistributed(layers.Dense(2))(s)
    s = layers.LSTM(4)(s)
    s = layers.RepeatVector(3)(s)
    s = layers.Reshape((-1,))(s)
    tok = keras.Input((7,))
    e = layers.Embedding(50, 4)(tok)
    e = layers.GlobalMaxPooling1D()(e)
    out = layers.Concatenate()([x, y, s, e, layers.Dense(3)(e)])
    return keras.Model([img, seq, tok], out)


@pytest.mark.parametrize("dialect", ["keras3", "keras2"])
def test_shape_inference_matches_keras(dialect, keras3, tf_keras):
    keras = keras3 if dialect == "keras3" else tf_keras
    model = _zoo(keras)
    spec = fusiondoctor.load_model_spec(model) if dialect == "keras3" else None
    if spec is None:  # tf_keras: go through the file normalizer on its config
        from fusiondoctor.model.files import RawModel
        from fusiondoctor.model.normalize import normalize

        raw = RawModel(
            {"class_name": "Functional", "config": model.get_config()}, None, "2.21.0", None, "<tf_keras>", "live"
        )
        spec = normalize(raw)
    checked = 0
    for layer in model.layers:
        node = spec.nodes.get(layer.name)
        if node is None or layer.__class__.__name__ == "InputLayer":
            continue
        inferred = shapes.infer(
            node.layer.class_name, node.layer.config, [spec.nodes[k].output_shape for k in node.inputs]
        )
        assert inferred == tuple(layer.output.shape), (layer.name, inferred, layer.output.shape)
        checked += 1
    assert checked >= 18
