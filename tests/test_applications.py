"""No false alarms on healthy transfer models, for every ``keras.applications`` architecture.

DESIGN.md section 8: "No false alarms at error severity on healthy models (every keras.applications
architecture with a correct head)". For each architecture this builds, with ``weights=None`` and a
small input:

* a healthy transfer model: the backbone (``include_top=False, pooling='avg'``, frozen) under a
  ``Dense(10, softmax)`` head, categorical crossentropy, ``Adam(1e-3)``, accuracy -- both nested
  (``base(inputs, training=False)``, the Keras guide's pattern) and flat (``Dense(...)(base.output)``,
  the seed stories' pattern). Checked live; it must give no error-severity finding, crash no rule,
  report nothing as "not inspected" (it is all stock Keras), and ``find_backbones`` must name the
  architecture;
* the bare application with ``include_top=True``, compiled with categorical crossentropy: no
  error-severity finding, and recognized;
* the same (nested) transfer model built with tf_keras (Keras 2) and saved as a config JSON, for
  the smallest member of each family (the members of a family share their naming code): recognized,
  no error.

Keras 3 models are built inside ``keras.StatelessScope()``, where variables are created without
running their initializers: a static check reads only the config, and random initialization is
most of the build time. The configs are the same as outside the scope.

Plus a freshness check of ``backbones.json`` against rows regenerated from Keras.
"""

from __future__ import annotations

import contextlib
import gc
import inspect
import os
from collections.abc import Callable

import pytest

import fusiondoctor
from fusiondoctor.errors import FusionDoctorError
from fusiondoctor.model import backbones
from fusiondoctor.types import Report, Severity

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

pytestmark = pytest.mark.slow

#: Architectures whose layer names are identical, so no table of names can tell them apart.
SAME_LAYERS = {
    "EfficientNetB1": {"EfficientNetB1", "EfficientNetB2"},
    "EfficientNetB2": {"EfficientNetB1", "EfficientNetB2"},
}
#: Smallest input each architecture accepts, where the default 64x64 is too small.
MIN_SIZE = {"InceptionV3": 75, "InceptionResNetV2": 75, "Xception": 75}
DEFAULT_SIZE = 64
CLASSES = 10


def architectures(applications) -> dict[str, Callable]:
    """Every model builder in ``applications``: the functions in its submodules, as
    ``backbones.generate_table`` enumerates them, and those exported at the top level."""
    found: dict[str, Callable] = {}
    for module_name in sorted(dir(applications)):
        module = getattr(applications, module_name)
        if not inspect.ismodule(module):
            continue
        for arch in sorted(dir(module)):
            builder = getattr(module, arch)
            if arch[:1].isupper() and callable(builder) and not inspect.isclass(builder):
                found.setdefault(arch, builder)
    for arch in sorted(dir(applications)):
        builder = getattr(applications, arch)
        if arch[:1].isupper() and callable(builder) and not inspect.isclass(builder):
            found.setdefault(arch, builder)
    return dict(sorted(found.items()))


#: keras.applications of Keras 3.15, written out so that collecting this module imports no Keras;
#: test_every_architecture_is_listed keeps the list equal to what the installed Keras exports.
KERAS3_ARCHS = [
    "ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtSmall", "ConvNeXtTiny", "ConvNeXtXLarge",
    "DenseNet121", "DenseNet169", "DenseNet201",
    "EfficientNetB0", "EfficientNetB1", "EfficientNetB2", "EfficientNetB3", "EfficientNetB4", "EfficientNetB5",
    "EfficientNetB6", "EfficientNetB7",
    "EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2", "EfficientNetV2B3", "EfficientNetV2L",
    "EfficientNetV2M", "EfficientNetV2S",
    "InceptionResNetV2", "InceptionV3",
    "MobileNet", "MobileNetV2", "MobileNetV3Large", "MobileNetV3Small",
    "NASNetLarge", "NASNetMobile",
    "ResNet101", "ResNet101V2", "ResNet152", "ResNet152V2", "ResNet50", "ResNet50V2",
    "VGG16", "VGG19", "Xception",
]


#: Slowest first, so that pytest-xdist does not end on one worker building NASNetLarge.
PARAMS = sorted(KERAS3_ARCHS, key=lambda a: -backbones.load_table().get(a, {}).get("layers", 0))
#: tf_keras: the smallest member of each family.
KERAS2_SAMPLE = [
    "ConvNeXtTiny", "DenseNet121", "EfficientNetB0", "EfficientNetV2B0", "InceptionResNetV2", "InceptionV3",
    "MobileNet", "MobileNetV2", "MobileNetV3Small", "NASNetMobile", "ResNet50", "ResNet50V2", "VGG16", "Xception",
]


def _tf_keras():
    if os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
        pytest.skip("tf_keras needs the TensorFlow backend")
    return pytest.importorskip("tf_keras")


def _size(arch: str) -> int:
    return MIN_SIZE.get(arch, DEFAULT_SIZE)


def _lazy(keras):
    """Keras 3: create variables without initializing them; tf_keras has no such scope."""
    scope = getattr(keras, "StatelessScope", None)
    return scope() if scope is not None else contextlib.nullcontext()


def _compile(keras, model, optimizer=None) -> None:
    model.compile(loss="categorical_crossentropy", optimizer=optimizer or keras.optimizers.Adam(1e-3),
                  metrics=["accuracy"])


def _transfer_models(keras, arch: str, flat: bool = True):
    """The healthy transfer model, nested (and flat), sharing one frozen backbone."""
    size = _size(arch)
    builder = architectures(keras.applications)[arch]
    with _lazy(keras):
        base = builder(weights=None, include_top=False, pooling="avg", input_shape=(size, size, 3))
        base.trainable = False
        inputs = keras.Input((size, size, 3))
        features = base(inputs, training=False)
        models = [keras.Model(inputs, keras.layers.Dense(CLASSES, activation="softmax", name="head")(features))]
        if flat:
            models.append(
                keras.Model(base.input, keras.layers.Dense(CLASSES, activation="softmax", name="head")(base.output))
            )
    for model in models:
        _compile(keras, model)
    return models


def _free(keras) -> None:
    keras.backend.clear_session()
    gc.collect()


def _accepted(arch: str) -> set[str]:
    return SAME_LAYERS.get(arch, {arch})


def _problems(label: str, subject, arch: str, nested: bool | None = None) -> list[str]:
    """What is wrong with fusiondoctor's view of one healthy model, as readable lines."""
    try:
        spec = fusiondoctor.load_model_spec(subject)
        report: Report = fusiondoctor.check(spec)
    except FusionDoctorError as exc:
        return [f"{label}: check failed: {exc}"]
    problems = []
    for finding in report.findings:
        if finding.severity >= Severity.ERROR:
            problems.append(f"{label}: false alarm {finding.code} at {finding.location.layer}: {finding.message}")
    for error in report.errors:
        problems.append(f"{label}: rule {error.code} crashed: {error.exc_type}: {error.message}")
    custom = sorted({u.reason for u in report.not_inspected})
    if custom:
        problems.append(f"{label}: {len(report.not_inspected)} stock layers reported as not inspected: {custom}")
    found = backbones.find_backbones(spec)
    names = [b.arch for b in found]
    if len(found) != 1 or names[0] not in _accepted(arch):
        problems.append(f"{label}: find_backbones named {names or 'nothing'}, expected {arch}")
    elif nested is not None and found[0].nested != nested:
        problems.append(f"{label}: backbone found with nested={found[0].nested}, expected nested={nested}")
    return problems


@pytest.mark.parametrize("arch", PARAMS)
def test_healthy_transfer_model(arch):
    import keras

    nested, flat = _transfer_models(keras, arch)
    problems = _problems(f"{arch} nested", nested, arch, nested=True) + _problems(
        f"{arch} flat", flat, arch, nested=False
    )
    del nested, flat
    _free(keras)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("arch", PARAMS)
def test_bare_application_with_top(arch):
    import keras

    size = _size(arch)
    with _lazy(keras):
        model = architectures(keras.applications)[arch](weights=None, include_top=True, input_shape=(size, size, 3))
    _compile(keras, model, "adam")
    problems = _problems(f"{arch} include_top=True", model, arch)
    del model
    _free(keras)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("arch", KERAS2_SAMPLE)
def test_keras2_transfer_model_config(arch, tmp_path):
    """tf_keras names some layers differently; a Keras 2 model config must still be recognized."""
    tf_keras = _tf_keras()
    if arch not in architectures(tf_keras.applications):
        pytest.skip(f"tf_keras has no {arch}")
    (nested,) = _transfer_models(tf_keras, arch, flat=False)
    path = tmp_path / f"{arch}.json"
    path.write_text(nested.to_json(), encoding="utf-8")
    del nested
    _free(tf_keras)
    problems = _problems(f"{arch} tf_keras config", path, arch, nested=True)
    assert not problems, "\n".join(problems)


def test_every_architecture_is_listed():
    import keras

    assert sorted(architectures(keras.applications)) == sorted(KERAS3_ARCHS)
    assert set(KERAS2_SAMPLE) <= set(KERAS3_ARCHS)
    exported = {a for a in dir(keras.applications) if a[:1].isupper()}
    assert exported <= set(KERAS3_ARCHS), sorted(exported - set(KERAS3_ARCHS))


def test_table_covers_every_architecture():
    """backbones.json has a row for every architecture keras.applications exports."""
    import keras

    missing = sorted(set(architectures(keras.applications)) - set(backbones.load_table()))
    assert missing == [], f"no backbones.json row for {missing}"
    keras3_rows = {a for a in backbones.load_table() if not a.startswith("tf_keras:")}
    stale = sorted(keras3_rows - set(architectures(keras.applications)))
    assert stale == [], f"backbones.json rows for architectures Keras does not have: {stale}"


@pytest.mark.parametrize("arch", ["VGG16", "InceptionV3", "ResNet50", "MobileNetV2", "NASNetMobile"])
def test_table_rows_are_fresh(arch):
    """The frozen row still describes what Keras builds: its fixed layer names (stable across
    builds and input sizes) hold every anchor, end at the row's top layer, and number as many."""
    import keras

    fixed = backbones._fixed_names(architectures(keras.applications)[arch])
    _free(keras)
    row = backbones.load_table()[arch]
    assert set(row["anchors"]) <= set(fixed)
    assert row["top"] == fixed[-1] and row["layers"] == len(fixed)
