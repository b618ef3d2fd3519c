"""The drawing of a model's graph: real models from real files, boxes and edges read back from the
matplotlib figure (patch ``gid`` ``box:<key>`` / ``edge:<source>-><target>``, code labels
``codes:<key>``).

Seed 000 from its static check (VGG16 collapsed, the merge with both operands, FD101 marked), an
InceptionV3 fusion model flattened and nested (a bounded drawing of 300+ layers), nested
Sequential branches, a shared encoder, a nested fusion model, a tf_keras .h5 file, and a 150-layer
model no table knows, folded into blocks.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import fusiondoctor
from fusiondoctor.render import model_graph
from fusiondoctor.render.graph_layout import layered_layout
from fusiondoctor.render.model_graph import MAX_FIGURE, draw_model, model_png
from fusiondoctor.types import Severity

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.live


def boxes(fig) -> dict:
    return {p.get_gid()[len("box:"):]: p for p in fig.axes[0].patches if (p.get_gid() or "").startswith("box:")}


def edges(fig) -> list:
    found = [p.get_gid()[len("edge:"):] for p in fig.axes[0].patches if (p.get_gid() or "").startswith("edge:")]
    return [tuple(gid.split("->")) for gid in found]


def codes(fig) -> dict:
    labels = [t for t in fig.axes[0].texts if (t.get_gid() or "").startswith("codes:")]
    return {t.get_gid()[len("codes:"):]: t.get_text() for t in labels}


def same_color(a, b) -> bool:
    from matplotlib.colors import to_rgba

    return to_rgba(a) == to_rgba(b)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def drawn(model_or_path):
    """(figure, drawing, report) of a static check of a model file or a live model."""
    report = fusiondoctor.check(model_or_path, settings=fusiondoctor.Settings())
    spec = fusiondoctor.load_model_spec(model_or_path)
    fig = draw_model(spec, report.findings)
    return fig, fig.fusiondoctor_drawing, report


def assert_readable(fig, drawing) -> None:
    """A bounded figure, one patch per box, and no two boxes overlapping as drawn."""
    width, height = fig.get_size_inches()
    assert width <= MAX_FIGURE[0] + 1e-6 and height <= MAX_FIGURE[1] + 1e-6
    drawn_boxes = boxes(fig)
    assert set(drawn_boxes) == set(drawing.boxes)
    rects = {k: (p.get_x(), p.get_y(), p.get_x() + p.get_width(), p.get_y() + p.get_height())
             for k, p in drawn_boxes.items()}
    keys = sorted(rects)
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            (ax0, ay0, ax1, ay1), (bx0, by0, bx1, by1) = rects[a], rects[b]
            assert ax1 <= bx0 or bx1 <= ax0 or ay1 <= by0 or by1 <= ay0, f"boxes {a} and {b} overlap"


def scale(fig) -> float:
    """Inches of paper per inch of layout: 1.0 is full size."""
    left, right = fig.axes[0].get_xlim()
    return fig.get_size_inches()[0] / (right - left)


def load_build(folder: str):
    path = ROOT / "checks" / folder / "bad.py"
    spec = importlib.util.spec_from_file_location(f"_graph_{folder.replace('-', '_')}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build


# ---- seed 000 -------------------------------------------------------------------------------


def test_seed000_drawing_from_its_keras_file(fresh, tmp_path):
    path = tmp_path / "meme.keras"
    load_build("seed-000-meme-vgg16-lstm")(fresh).save(path)
    fig, drawing, report = drawn(path)
    assert set(report.codes()) == {"FD101", "FD103"}
    patches = boxes(fig)

    # output_layer: its own box, outlined in the error colour, labelled FD101
    assert drawing.box_of("output_layer").key == "output_layer"
    assert same_color(patches["output_layer"].get_edgecolor(), model_graph._COLORS[Severity.ERROR])
    assert codes(fig)["output_layer"] == "FD101"

    # VGG16 (flattened into the model by input_tensor=): one box holding exactly its 18 layers
    (vgg,) = [b for b in drawing.boxes.values() if "VGG16" in b.title]
    assert vgg.kind == "backbone" and vgg.key in patches
    vgg_layers = {p for p in fusiondoctor.load_model_spec(path).layers if p.startswith("block")}
    assert len(vgg_layers) == 18 and set(vgg.members) == vgg_layers
    assert all(not set(b.members) & vgg_layers for b in drawing.boxes.values() if b is not vgg)

    # the fusion merge, with both operands as incoming edges (widths 64 and 10 written on them)
    into_merge = [source for source, target in edges(fig) if target == "concatenate"]
    assert sorted(into_merge) == ["dense_1", "dense_2"]
    assert codes(fig)["concatenate"] == "FD103"
    labels = {t.get_text() for t in fig.axes[0].texts}
    assert {"64", "10"} <= labels
    assert ("input_layer", vgg.key) in edges(fig) and (vgg.key, "flatten") in edges(fig)
    assert_readable(fig, drawing)
    assert drawing.layout.crossings == 0
    assert model_png(fusiondoctor.load_model_spec(path), report.findings).startswith(b"\x89PNG\r\n\x1a\n")


# ---- InceptionV3 fusion: 300+ layers ------------------------------------------------------------


def inception_fusion(keras, nested: bool):
    """InceptionV3 (weights=None, include_top=False) flattened via input_tensor= or nested as a
    model, an LSTM text branch, concatenated into a softmax-over-one-unit head."""
    layers = keras.layers
    image = keras.Input((75, 75, 3), name="image")
    if nested:
        x = keras.applications.InceptionV3(weights=None, include_top=False, input_shape=(75, 75, 3))(image)
    else:
        x = keras.applications.InceptionV3(weights=None, include_top=False, input_tensor=image).output
    x = layers.Dense(64, activation="relu")(layers.GlobalAveragePooling2D()(x))
    text = keras.Input((20, 16), name="text")
    t = layers.Dense(16, activation="relu")(layers.LSTM(32)(text))
    merged = layers.Dense(32, activation="relu")(layers.concatenate([x, t]))
    model = keras.Model([image, text], layers.Dense(1, activation="softmax", name="output_layer")(merged))
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


@pytest.mark.parametrize("nested", [False, True], ids=["flattened", "nested"])
def test_inception_fusion_stays_legible(fresh, nested):
    model = inception_fusion(fresh, nested)
    fig, drawing, report = drawn(model)
    spec = fusiondoctor.load_model_spec(model)
    assert len(spec.nodes) > 300
    assert len(drawing.boxes) < 40 and len(boxes(fig)) == len(drawing.boxes)
    assert_readable(fig, drawing)
    (inception,) = [b for b in drawing.boxes.values() if "InceptionV3" in b.title + b.detail]
    assert inception.kind == ("model" if nested else "backbone") and len(inception.members) > 300
    assert {"FD104", "FD207"} <= set(inception.codes), "a finding at the backbone marks its box"
    (lstm,) = [b for b in drawing.boxes.values() if b.detail.startswith("LSTM")]
    (merge,) = [b for b in drawing.boxes.values() if b.kind == "merge"]
    assert len([e for e in edges(fig) if e[1] == merge.key]) == 2
    assert codes(fig)["output_layer"] == "FD101"


# ---- nested models --------------------------------------------------------------------------


def test_nested_sequential_branch_and_shared_encoder(fresh):
    keras, layers = fresh, fresh.layers
    image = keras.Input((16, 16, 3), name="image")
    cnn = keras.Sequential([keras.Input((16, 16, 3)), layers.Conv2D(4, 3, activation="relu"), layers.Flatten(),
                            layers.Dense(16, activation="relu")], name="cnn_branch")
    left, right = keras.Input((12,), name="left"), keras.Input((12,), name="right")
    encoder = keras.Sequential([keras.Input((12,)), layers.Dense(8, activation="relu")], name="encoder")
    merged = layers.concatenate([cnn(image), encoder(left), encoder(right)])
    model = keras.Model([image, left, right], layers.Dense(1, activation="sigmoid", name="out")(merged))
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    fig, drawing, _ = drawn(model)
    branch = drawing.boxes["model:cnn_branch"]
    assert branch.kind == "model" and branch.detail.startswith("Sequential · 3 layers")
    assert {"model:encoder", "model:encoder#1"} <= set(drawing.boxes), "each call of a shared model is a box"
    (merge,) = [b.key for b in drawing.boxes.values() if b.kind == "merge"]
    assert sorted(s for s, t in edges(fig) if t == merge) == ["model:cnn_branch", "model:encoder", "model:encoder#1"]
    assert ("image", "model:cnn_branch") in edges(fig)
    assert_readable(fig, drawing)


def test_a_nested_fusion_model_is_opened(fresh):
    keras, layers = fresh, fresh.layers
    a, b = keras.Input((6,), name="a"), keras.Input((4,), name="b")
    fused = layers.Dense(1, activation="sigmoid")(layers.concatenate([layers.Dense(8)(a), layers.Dense(3)(b)]))
    fusion = keras.Model([a, b], fused, name="fusion")
    x, y = keras.Input((6,), name="x"), keras.Input((4,), name="y")
    model = keras.Model([x, y], fusion([x, y]))
    fig, drawing, _ = drawn(model)
    (merge,) = [box for box in drawing.boxes.values() if box.kind == "merge"]
    assert merge.title == "fusion/concatenate"
    assert len([e for e in edges(fig) if e[1] == merge.key]) == 2
    assert not [box for box in drawing.boxes.values() if box.kind == "model"], "the fusion model is drawn opened"
    assert_readable(fig, drawing)


def test_tf_keras_h5_with_a_nested_sequential(fresh2, tmp_path):
    keras, layers = fresh2, fresh2.layers
    image = keras.Input((16, 16, 3), name="image")
    cnn = keras.Sequential([layers.Conv2D(4, 3, activation="relu", input_shape=(16, 16, 3)), layers.Flatten(),
                            layers.Dense(16, activation="relu")], name="cnn_branch")
    text = keras.Input((1, 12), name="text")
    t = layers.Dense(8, activation="relu")(layers.LSTM(4, name="LTSM")(text))
    out = layers.Dense(1, activation="softmax", name="output_layer")(layers.concatenate([cnn(image), t]))
    model = keras.Model([image, text], out)
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    path = tmp_path / "keras2.h5"
    model.save(str(path))
    fig, drawing, report = drawn(path)
    assert fusiondoctor.load_model_spec(path).keras_major == 2
    assert drawing.boxes["model:cnn_branch"].kind == "model"
    assert codes(fig)["output_layer"] == "FD101"
    assert sorted(s for s, t in edges(fig) if t == "concatenate") == ["dense_1", "model:cnn_branch"]
    assert_readable(fig, drawing)


# ---- folding runs and blocks ------------------------------------------------------------------


def test_long_runs_fold_but_flagged_layers_stay_visible(fresh):
    keras, layers = fresh, fresh.layers
    text = keras.Input((5, 8), name="text")
    t = layers.LSTM(16)(text)
    for _ in range(5):
        t = layers.Dense(16, activation="relu")(t)
    t = layers.Dense(10, activation="softmax", name="probabilities")(t)  # FD102: another classifier on it
    t = layers.Dense(8, activation="relu")(t)
    for _ in range(5):
        t = layers.Dense(8, activation="relu")(t)
    image = keras.Input((8,), name="image")
    out = layers.Dense(1, activation="sigmoid", name="out")(layers.concatenate([t, layers.Dense(8)(image)]))
    model = keras.Model([text, image], out)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    fig, drawing, report = drawn(model)
    assert "FD102" in report.codes()
    flagged = drawing.box_of("probabilities")
    assert flagged.kind == "layer" and "FD102" in flagged.codes and codes(fig)[flagged.key] == "FD102"
    chains = [b for b in drawing.boxes.values() if b.kind == "chain"]
    assert sorted(c.detail for c in chains) == ["6 layers: Dense ×5, LSTM", "6 layers: Dense ×6"]
    assert_readable(fig, drawing)


def unknown_blocks_model(keras, blocks: int = 15):
    """A 150-layer image branch of Inception-like and residual blocks no backbone table knows, with a
    text and an audio branch: only folding blocks keeps it drawable."""
    layers = keras.layers
    image = keras.Input((16, 16, 3), name="image")
    x = layers.Conv2D(8, 3, padding="same", activation="relu")(image)
    for _ in range(blocks):
        towers = [layers.Conv2D(4, 1, activation="relu")(x),
                  layers.Conv2D(4, 3, padding="same", activation="relu")(layers.Conv2D(4, 1, activation="relu")(x)),
                  layers.Conv2D(4, 1, activation="relu")(layers.MaxPooling2D(3, 1, padding="same")(x))]
        x = layers.Concatenate()(towers)
        y = layers.Activation("relu")(layers.BatchNormalization()(layers.Conv2D(12, 3, padding="same")(x)))
        x = layers.Add()([x, y])
    x = layers.GlobalAveragePooling2D()(x)
    text, audio = keras.Input((10, 8), name="text"), keras.Input((50,), name="audio")
    merged = layers.Concatenate(name="fusion")([x, layers.LSTM(16)(text), layers.Dense(8, activation="relu")(audio)])
    model = keras.Model([image, text, audio], layers.Dense(3, activation="softmax", name="out")(merged))
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def test_an_unknown_large_model_folds_into_blocks(fresh):
    model = unknown_blocks_model(fresh)
    spec = fusiondoctor.load_model_spec(model)
    assert len(spec.nodes) > 150 and not model_graph.find_backbones(spec)
    fig, drawing, _ = drawn(model)
    assert len(drawing.boxes) < 12
    assert {"image", "text", "audio", "fusion", "out"} <= set(drawing.boxes)
    assert len([e for e in edges(fig) if e[1] == "fusion"]) == 3
    (image_branch,) = [b for b in drawing.boxes.values() if b.kind == "chain"]
    assert len(image_branch.members) > 140 and "Conv2D ×" in image_branch.detail
    assert_readable(fig, drawing)


def test_a_wide_model_keeps_a_bounded_figure(fresh):
    keras, layers = fresh, fresh.layers
    inputs = [keras.Input((4,), name=f"sensor_{i}") for i in range(24)]
    merged = layers.concatenate([layers.Dense(2, activation="relu")(i) for i in inputs])
    model = keras.Model(inputs, layers.Dense(1, activation="sigmoid")(merged))
    fig, drawing, _ = drawn(model)
    assert len(drawing.boxes) == 24 * 2 + 2
    assert_readable(fig, drawing)
    assert scale(fig) > 0.75, "drawn across the page, a wide model keeps its labels near full size"


# ---- the layout alone ---------------------------------------------------------------------------


def test_barycenter_ordering_removes_crossings():
    # given in an order that crosses: a feeds d, b feeds c
    layout = layered_layout(["a", "b", "c", "d"], [("a", "d"), ("b", "c")], {n: 1.0 for n in "abcd"}, pinned_top="ab")
    assert layout.crossings == 0
    assert (layout.x["a"] < layout.x["b"]) == (layout.x["d"] < layout.x["c"])


def test_layout_ranks_inputs_on_top_and_routes_long_edges():
    nodes = ["in1", "in2", "a", "b", "c", "merge"]
    edges_ = [("in1", "a"), ("a", "b"), ("b", "c"), ("c", "merge"), ("in2", "merge")]
    layout = layered_layout(nodes, edges_, {n: 2.0 for n in nodes}, gap=0.5, pinned_top=["in1", "in2"])
    assert layout.rank["in1"] == layout.rank["in2"] == 0
    assert [layout.rank[n] for n in ("a", "b", "c", "merge")] == [1, 2, 3, 4]
    assert len(layout.routes[("in2", "merge")]) == 3, "a point on each rank the edge passes"
    assert abs(layout.x["in1"] - layout.x["in2"]) >= 2.5
