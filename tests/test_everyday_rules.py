"""The everyday-fault rules (FD105-FD111, FD208-FD212) beyond the casebook: their thresholds and
schedules, and the healthy patterns they must leave alone (linear bottlenecks, residuals, attention
projections, a zero-initialized output layer, every optimizer's default rate).

Each test builds and compiles a real (tiny, untrained) Keras 3 model and checks it live with the
default settings; the casebook (tests/test_casebook.py) checks the same rules in every file form.
"""

from __future__ import annotations

import pytest

import fusiondoctor
from fusiondoctor import Settings
from fusiondoctor.types import Severity

pytestmark = pytest.mark.live


def check(model, **options):
    settings = Settings(rule_options=options) if options else Settings()
    return fusiondoctor.check(model, settings=settings)


def found(model, code, **options):
    return [f for f in check(model, **options).findings if f.code == code]


def mlp(keras, optimizer="adam", loss="sparse_categorical_crossentropy", metrics=("accuracy",), hidden=(16,),
        activation="relu", head=("softmax", 3), **dense):
    layers = keras.layers
    hidden_layers = [layers.Dense(units, activation=activation, name=f"h{i}", **dense)
                     for i, units in enumerate(hidden)]
    model = keras.Sequential([keras.Input((8,)), *hidden_layers, layers.Dense(head[1], activation=head[0], name="out")])
    model.compile(optimizer=optimizer, loss=loss, metrics=list(metrics))
    return model


# ---- FD212: learning rates ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["adam", "adamw", "adamax", "nadam", "rmsprop", "sgd", "adagrad", "adadelta", "ftrl",
                                  "lion", "adafactor"])
def test_every_optimizers_default_rate_is_in_range(keras, name):
    report = check(mlp(keras, optimizer=name))
    assert "FD212" not in report.codes(), name
    assert not [u for u in report.not_inspected if u.code == "FD212"], name


@pytest.mark.parametrize("make, expected", [
    (lambda k: k.optimizers.SGD(0.1, momentum=0.9), None),
    (lambda k: k.optimizers.Adadelta(learning_rate=1.0), None),   # the original algorithm's rate
    (lambda k: k.optimizers.Adagrad(learning_rate=0.01), None),
    (lambda k: k.optimizers.Adam(3e-3), None),
    (lambda k: k.optimizers.Adam(1e-5), None),                    # a fine-tuning rate
    (lambda k: k.optimizers.Adam(1e-2), Severity.INFO),            # 10x the default: high, for small models fine
    (lambda k: k.optimizers.RMSprop(0.05), Severity.WARNING),
    (lambda k: k.optimizers.Adam(0.1), Severity.WARNING),
    (lambda k: k.optimizers.SGD(1.0), Severity.WARNING),
    (lambda k: k.optimizers.Adagrad(1.0), Severity.WARNING),
    (lambda k: k.optimizers.Adadelta(10.0), Severity.WARNING),
    (lambda k: k.optimizers.Adam(1e-6), Severity.WARNING),
    (lambda k: k.optimizers.SGD(1e-7), Severity.WARNING),
])
def test_constant_learning_rates(keras, make, expected):
    findings = found(mlp(keras, optimizer=make(keras)), "FD212")
    assert [f.severity for f in findings] == ([expected] if expected else [])
    for finding in findings:
        assert finding.location.setting == "optimizer.learning_rate"
        threshold = finding.evidence.get("max_learning_rate", finding.evidence.get("min_learning_rate"))
        assert threshold and finding.evidence["learning_rate"]
        assert finding.fix.patch[0].target == "optimizer"


def test_the_thresholds_are_options(keras):
    model = mlp(keras, optimizer=keras.optimizers.Adam(0.05))
    assert found(model, "FD212")
    assert not found(model, "FD212", **{"learning-rate-out-of-range": {"max-adaptive": 0.2}})


@pytest.mark.parametrize("schedule, expected", [
    (lambda s: s.ExponentialDecay(1e-3, decay_steps=10000, decay_rate=0.9), None),
    (lambda s: s.ExponentialDecay(1e-2, decay_steps=1000, decay_rate=0.5), None),   # a decaying start may be high
    (lambda s: s.CosineDecay(0.0, decay_steps=5000, warmup_target=1e-3, warmup_steps=500), None),
    (lambda s: s.PiecewiseConstantDecay([1000, 2000], [1e-3, 1e-4, 1e-5]), None),
    (lambda s: s.PolynomialDecay(1e-3, decay_steps=1000, end_learning_rate=1e-7), None),  # the floor the user chose
    (lambda s: s.InverseTimeDecay(1e-3, decay_steps=1000, decay_rate=0.5), None),
    (lambda s: s.ExponentialDecay(1e-3, decay_steps=1, decay_rate=0.9), "after 1000 steps"),  # gone in ~100 steps
    (lambda s: s.InverseTimeDecay(1e-3, decay_steps=1, decay_rate=10.0), "after 1000 steps"),
    (lambda s: s.CosineDecay(0.0, decay_steps=5000, warmup_target=0.5, warmup_steps=500), "peak"),  # the peak counts
    (lambda s: s.PiecewiseConstantDecay([100], [0.5, 1e-3]), "peak"),
])
def test_schedules(keras, schedule, expected):
    findings = found(mlp(keras, optimizer=keras.optimizers.Adam(schedule(keras.optimizers.schedules))), "FD212")
    if expected is None:
        assert findings == []
    else:
        (finding,) = findings
        assert expected in finding.message and finding.severity == Severity.WARNING
        assert finding.evidence["schedule"]


def test_the_rate_inside_a_loss_scale_optimizer(keras):
    """Mixed precision wraps the optimizer: its rate is read, and the fix patches it, inside."""
    from fusiondoctor.trials.patches import apply_patch

    model = mlp(keras, optimizer=keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(0.1)))
    (finding,) = found(model, "FD212")
    assert finding.evidence["learning_rate"] == pytest.approx(0.1) and "adam" in finding.message
    _, compile_config = apply_patch(model.get_config(), model.get_compile_config(), finding.fix.patch)
    rebuilt = keras.Sequential.from_config(model.get_config())
    rebuilt.compile_from_config(compile_config)
    assert float(keras.ops.convert_to_numpy(rebuilt.optimizer.learning_rate)) == pytest.approx(1e-3)
    assert found(rebuilt, "FD212") == []


def test_an_unknown_schedule_is_not_inspected(keras):
    @keras.saving.register_keras_serializable(package="fdtest")
    class Halving(keras.optimizers.schedules.LearningRateSchedule):
        def __call__(self, step):
            return 1e-3 * 0.5 ** (keras.ops.cast(step, "float32") / 1000)

        def get_config(self):
            return {}

    report = check(mlp(keras, optimizer=keras.optimizers.Adam(Halving())))
    assert "FD212" not in report.codes()
    assert any(u.code == "FD212" and "Halving" in u.reason for u in report.not_inspected)


def transfer(keras, optimizer):
    """A MobileNet backbone fine-tuned (all layers trainable) under a new head."""
    image = keras.Input((32, 32, 3))
    base = keras.applications.MobileNet(weights=None, include_top=False, alpha=0.25, input_tensor=image, pooling="avg")
    model = keras.Model(image, keras.layers.Dense(3, activation="softmax", name="head")(base.output))
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def test_fine_tuning_rate_is_reported_once_by_fd207(keras):
    report = check(transfer(keras, keras.optimizers.Adam(0.1)))
    assert "FD207" in report.codes() and "FD212" not in report.codes()
    (fd207,) = [f for f in report.findings if f.code == "FD207"]
    assert fd207.location.setting == "optimizer.learning_rate"
    # a rate too low for anything is FD212's, fine-tuning or not
    assert "FD212" in check(transfer(keras, keras.optimizers.Adam(1e-7))).codes()


# ---- FD208-FD211: loss, metrics and output range against the task -------------------------------------------


def test_regression_loss_on_a_sigmoid_scored_with_accuracy(keras):
    model = mlp(keras, loss="mse", head=("sigmoid", 1))
    (finding,) = found(model, "FD208")
    assert finding.location.setting == "loss" and finding.location.layer == "out"
    assert finding.evidence["task"] == "binary"
    # without accuracy, a sigmoid under MSE is a score in [0, 1]: a regression, with an info on its range
    scored = mlp(keras, loss="mse", metrics=["mae"], head=("sigmoid", 1))
    assert found(scored, "FD208") == []
    assert [f.severity for f in found(scored, "FD211")] == [Severity.INFO]


def test_metrics_rules_follow_each_output(keras):
    layers = keras.layers
    inputs = keras.Input((8,))
    h = layers.Dense(16, activation="relu")(inputs)
    age, smile = layers.Dense(1, name="age")(h), layers.Dense(1, activation="sigmoid", name="smile")(h)
    model = keras.Model(inputs, [age, smile])
    model.compile(optimizer="adam", loss={"age": "mse", "smile": "binary_crossentropy"},
                  metrics={"age": ["mae"], "smile": ["accuracy"]})
    assert check(model).codes() == []
    model.compile(optimizer="adam", loss={"age": "mse", "smile": "binary_crossentropy"}, metrics=["accuracy"])
    (finding,) = found(model, "FD209")
    assert finding.location.output == "age" and finding.location.setting == "metrics"
    model.compile(optimizer="adam", loss={"age": "mse", "smile": "binary_crossentropy"}, metrics=["mae"])
    (finding,) = found(model, "FD210")
    assert finding.location.output == "smile"


@pytest.mark.parametrize("activation, expected", [
    ("relu", Severity.WARNING), ("tanh", Severity.WARNING), ("softplus", Severity.WARNING),
    ("linear", None), ("leaky_relu", None),
])
def test_logits_through_a_bounded_activation(keras, activation, expected):
    model = mlp(keras, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), head=(activation, 3))
    assert [f.severity for f in found(model, "FD211")] == ([expected] if expected else [])


def test_output_ranges_of_regressions(keras):
    def regression(activation, loss="mse"):
        return mlp(keras, loss=loss, metrics=["mae"], head=(activation, 1))

    assert [f.severity for f in found(regression("relu"), "FD211")] == [Severity.WARNING]
    assert [f.severity for f in found(regression("tanh"), "FD211")] == [Severity.INFO]
    assert found(regression("linear"), "FD211") == []
    assert found(regression("softplus"), "FD211") == []          # positive targets: a sound choice
    assert found(regression("relu", "poisson"), "FD211") == []    # counts are never negative
    assert found(regression("exponential", "msle"), "FD211") == []
    hinge = mlp(keras, loss="hinge", metrics=[], head=("relu", 1))
    assert [f.severity for f in found(hinge, "FD211")] == [Severity.WARNING]


@pytest.mark.parametrize("activation, targets, expected", [
    ("relu", (-2.0, 3.0), "below 0"),      # temperature anomalies under a ReLU
    ("relu", (0.0, 3.0), None),            # healthy twin: non-negative targets, which the static path doubts
    ("sigmoid", (0.0, 5.0), "above 1"),    # unscaled ratings under a sigmoid
    ("sigmoid", (0.05, 0.95), None),       # healthy twin: targets scaled into (0, 1)
    ("tanh", (-3.0, 3.0), "below -1"),     # unscaled scores under a tanh
    ("tanh", (-0.9, 0.9), None),           # healthy twin
    ("linear", (-50.0, 50.0), None),       # a linear output reaches any target
])
def test_output_range_against_the_measured_labels(keras, activation, targets, expected):
    """With --data, FD211 compares the labels' real range with the output activation's."""
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8)).astype("float32")
    y = rng.uniform(*targets, size=(64, 1)).astype("float32")
    y[0, 0], y[1, 0] = targets  # the range ends are in the sample
    model = mlp(keras, loss="mse", metrics=["mae"], head=(activation, 1))
    report = fusiondoctor.check(model, data=(x, y), settings=Settings(select=("FD211",)))
    assert not report.errors, report.errors
    findings = [f for f in report.findings if f.code == "FD211"]
    if expected is None:
        assert findings == []
        return
    [finding] = findings
    assert finding.severity == Severity.WARNING and expected in finding.message
    assert finding.location.layer == "out"
    assert finding.evidence["target_range"] == f"[{targets[0]:g}, {targets[1]:g}]"
    assert finding.fix.patch and finding.fix.patch[0].value == "linear"


# ---- FD105/FD106: linear maps -------------------------------------------------------------------------------


def test_linear_layer_through_batchnorm_collapses(keras):
    layers = keras.layers
    model = keras.Sequential([keras.Input((8,)), layers.Dense(32, activation="relu", name="a"),
                              layers.Dense(32, name="b"), layers.BatchNormalization(), layers.Dropout(0.2),
                              layers.Dense(3, activation="softmax", name="out")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    (finding,) = found(model, "FD105")
    assert finding.location.layer == "b" and finding.evidence["between"] == "BatchNormalization, Dropout"


def test_healthy_linear_patterns_stay_silent(keras):
    layers = keras.layers
    # an inverted residual: expand (relu6) -> depthwise (relu6) -> linear projection -> BN -> expand of the next block
    image = keras.Input((16, 16, 24))
    x = layers.Conv2D(144, 1, activation="relu6")(image)
    x = layers.DepthwiseConv2D(3, padding="same", activation="relu6")(x)
    x = layers.Conv2D(24, 1, name="project")(x)
    x = layers.BatchNormalization()(x)
    skip = layers.Add()([image, x])
    x = layers.Conv2D(144, 1, name="next_expand")(skip)          # linear, then BN and ReLU as a separate layer
    x = layers.Activation("relu")(layers.BatchNormalization()(x))
    x = layers.Conv2D(32, 1, name="project2")(x)                  # a bottleneck straight into the next expansion
    x = layers.Conv2D(192, 1, activation="relu")(layers.BatchNormalization()(x))
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(64, name="linear_code")(layers.Dense(128, activation="relu")(x))  # an embedding head
    out = layers.Dense(10, activation="softmax")(layers.Dense(128, activation="relu")(x))
    model = keras.Model(image, out)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    # attention projections, an Embedding followed by a linear Dense, a linear bag of embeddings
    tokens = keras.Input((12,), dtype="int32")
    e = layers.Dense(32)(layers.Embedding(100, 16)(tokens))
    a = layers.MultiHeadAttention(2, 16)(e, e)
    t = layers.GlobalAveragePooling1D()(layers.LayerNormalization()(layers.Add()([e, a])))
    text = keras.Model(tokens, layers.Dense(4, activation="softmax")(t))
    text.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    bag = keras.Sequential([keras.Input((12,), dtype="int32"), layers.Embedding(100, 16),
                            layers.GlobalAveragePooling1D(), layers.Dense(4, activation="softmax")])
    bag.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    for healthy in (model, text, bag):
        assert check(healthy).codes() == [], [(f.code, f.location.layer) for f in check(healthy).findings]


def test_a_linear_body_is_reported_once_at_its_first_layer(keras):
    model = mlp(keras, hidden=(16, 16), activation=None)
    report = check(model)
    assert report.codes() == ["FD106"]
    (finding,) = report.findings
    assert finding.location.layer == "h0" and finding.evidence["linear_layers"] == 2
    # one linear output layer on the inputs is logistic regression on purpose
    assert check(mlp(keras, hidden=())).codes() == []


# ---- FD107/FD108: initializers ------------------------------------------------------------------------------


def test_initializer_scale_thresholds(keras):
    normal = keras.initializers.RandomNormal
    big_fan_in = keras.Sequential([keras.Input((25088,)),
                                   keras.layers.Dense(16, activation="relu", kernel_initializer="random_normal"),
                                   keras.layers.Dense(2, activation="softmax")])
    big_fan_in.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    assert found(big_fan_in, "FD107") == []  # VGG16's flattened features under the old "normal" init: 7.9x
    (explode,) = found(mlp(keras, hidden=(512,), kernel_initializer=normal(stddev=4.0)), "FD107")
    assert explode.evidence["gain"] == pytest.approx(4.0 * 8 ** 0.5) and explode.evidence["max_gain"] == 10.0
    vanish = found(mlp(keras, hidden=(64, 64), kernel_initializer=normal(stddev=1e-4)), "FD107")
    assert [f.location.layer for f in vanish] == ["h0", "h1"] and vanish[0].evidence["min_gain"] == 0.01
    small_output = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                                     keras.layers.Dense(3, activation="softmax",
                                                        kernel_initializer=normal(stddev=1e-4))])
    small_output.compile(optimizer="adam", loss="categorical_crossentropy")
    assert found(small_output, "FD107") == []                     # a calm start for the output layer
    assert found(mlp(keras, hidden=(512,), kernel_initializer="orthogonal"), "FD107") == []


def test_constant_initializers(keras):
    zeros_relu = found(mlp(keras, hidden=(16, 16), kernel_initializer="zeros"), "FD108")
    assert [(f.location.layer, f.severity) for f in zeros_relu] == [("h0", Severity.ERROR), ("h1", Severity.ERROR)]
    # a zero hidden layer under tanh whose next layer is random breaks the tie at the first step
    layers = keras.layers
    tied = keras.Sequential([keras.Input((8,)),
                             layers.Dense(16, activation="tanh", kernel_initializer="zeros", name="z"),
                             layers.Dense(16, activation="tanh", name="r"), layers.Dense(3, activation="softmax")])
    tied.compile(optimizer="adam", loss="categorical_crossentropy")
    assert found(tied, "FD108") == []
    stuck = keras.Sequential([keras.Input((8,)),
                              layers.Dense(16, activation="tanh", kernel_initializer="zeros", name="z"),
                              layers.Dense(16, activation="tanh", kernel_initializer="ones", name="o"),
                              layers.Dense(3, activation="softmax")])
    stuck.compile(optimizer="adam", loss="categorical_crossentropy")
    (finding,) = [f for f in found(stuck, "FD108") if f.location.layer == "z"]
    assert finding.severity == Severity.WARNING and finding.evidence["next_layer"] == "o"


# ---- FD109-FD111 --------------------------------------------------------------------------------------------


def test_dropout_activation_and_sigmoid_stack_thresholds(keras):
    layers = keras.layers

    def with_dropout(rate):
        model = keras.Sequential([keras.Input((8,)), layers.Dense(16, activation="relu"),
                                  layers.Dropout(rate, name="d"), layers.Dense(3, activation="softmax")])
        model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
        return model

    assert found(with_dropout(0.5), "FD109") == [] and found(with_dropout(0.75), "FD109") == []
    (finding,) = found(with_dropout(0.8), "FD109")
    assert finding.fix.patch[0].value == pytest.approx(0.2)
    relu_after_sigmoid = keras.Sequential([keras.Input((8,)), layers.Dense(3, activation="sigmoid"), layers.ReLU()])
    relu_after_sigmoid.compile(optimizer="adam", loss="binary_crossentropy")
    assert found(relu_after_sigmoid, "FD110") == []
    assert found(mlp(keras, hidden=(16,) * 3, activation="sigmoid"), "FD111") == []
    (stack,) = found(mlp(keras, hidden=(16,) * 4, activation="sigmoid"), "FD111")
    assert stack.location.layer == "h0" and stack.evidence["layers"] == 4


def test_sparse_crossentropy_on_sigmoids_asks_for_a_softmax(keras):
    """FD205 also covers sparse categorical crossentropy, whose integer labels mean one class per sample."""
    (finding,) = found(mlp(keras, head=("sigmoid", 4)), "FD205")
    assert "softmax" in finding.message
    assert [(p.target, p.key, p.value) for p in finding.fix.patch] == [("layer", "activation", "softmax")]
    assert found(mlp(keras, head=("softmax", 4)), "FD205") == []
