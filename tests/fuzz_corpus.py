"""Seeds, hypothesis strategies and a sandboxed runner for ``tests/test_fuzz.py``.

Nothing here imports Keras at module level: seeds are built by functions that take the ``keras``
module, so the sandbox child process (``serve``) stays light and starts in a fraction of a second.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import math
import os
import select
import struct
import subprocess
import sys
import time
import traceback
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

REPO_ROOT = Path(__file__).resolve().parent.parent

# ================================================================================================
# Seeds: real files saved by Keras 3 and tf_keras
# ================================================================================================

HISTORY_SEED = {
    "loss": [0.69, 0.61, 0.55, 0.52, 0.50, 0.49],
    "accuracy": [0.52, 0.61, 0.68, 0.71, 0.73, 0.74],
    "val_loss": [0.70, 0.64, 0.60, 0.61, 0.63, 0.66],
    "val_accuracy": [0.50, 0.58, 0.62, 0.63, 0.62, 0.61],
}


def nested_fusion(keras):
    """A fusion model with a nested Functional backbone (frozen, called with training=False) and a
    nested Sequential head: the shapes the normalizer has to expand."""
    layers = keras.layers
    inner_in = keras.Input((8, 8, 3), name="inner_image")
    y = layers.Conv2D(4, 3, activation="relu", name="inner_conv")(inner_in)
    y = layers.GlobalAveragePooling2D(name="inner_pool")(y)
    backbone = keras.Model(inner_in, y, name="backbone")
    backbone.trainable = False
    head = keras.Sequential([keras.Input((12,)), layers.Dense(8, activation="relu"), layers.Dense(4)], name="text_head")
    image = keras.Input((8, 8, 3), name="image")
    text = keras.Input((12,), name="text")
    x = backbone(image, training=False)
    t = head(text)
    merged = layers.concatenate([x, t])
    out = layers.Dense(1, activation="sigmoid", name="output_layer")(merged)
    model = keras.Model([image, text], out)
    model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(1e-3), metrics=["accuracy"])
    return model


def build_model_seeds(keras, folder: Path, tag: str, formats: Sequence[str]) -> dict[str, Path]:
    """Save ``tiny_fusion`` and ``nested_fusion`` in each format; returns name -> path."""
    from tests.helpers import tiny_fusion

    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    for variant, model in (("tiny", tiny_fusion(keras)), ("nested", nested_fusion(keras))):
        for fmt in formats:
            path = folder / f"{tag}-{variant}.{fmt}"
            if fmt == "json":
                path.write_text(model.to_json())
            else:
                model.save(path)
            out[path.name] = path
    return out


def write_history_seeds(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    as_json = folder / "history.json"
    as_json.write_text(json.dumps(HISTORY_SEED))
    as_csv = folder / "history.csv"
    keys = list(HISTORY_SEED)
    rows = ["epoch," + ",".join(keys)]
    for epoch in range(len(HISTORY_SEED["loss"])):
        rows.append(f"{epoch}," + ",".join(repr(HISTORY_SEED[k][epoch]) for k in keys))
    as_csv.write_text("\n".join(rows) + "\n")
    return {"history.json": as_json, "history.csv": as_csv}


def write_tensorboard_seed(folder: Path) -> Path | None:
    """A Keras-style TensorBoard logdir (train/ and validation/ runs of epoch_* scalars), written
    with tensorboard's own writer (no TensorFlow). None when tensorboard is missing."""
    try:
        from tensorboard.compat.proto import event_pb2, summary_pb2
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
    except ImportError:  # pragma: no cover - tensorboard ships with TensorFlow
        return None
    for run, prefix in (("train", ""), ("validation", "val_")):
        writer = EventFileWriter(str(folder / run))
        for epoch in range(len(HISTORY_SEED["loss"])):
            for key in ("loss", "accuracy"):
                value = HISTORY_SEED[prefix + key][epoch]
                summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=f"epoch_{key}", simple_value=value)])
                writer.add_event(event_pb2.Event(wall_time=1.0 + epoch, step=epoch, summary=summary))
        writer.close()
    return folder


# ================================================================================================
# Packing a config into each model file format
# ================================================================================================

#: A string json.dumps writes as a JSON string; ``encode_json`` turns it into a 5000-digit number
#: (Python itself cannot write one: ``int.__repr__`` refuses more than 4300 digits).
HUGE_INT_SENTINEL = "\x00HUGE-INT\x00"
_HUGE_INT_DIGITS = "9" * 5000


@contextlib.contextmanager
def deep_recursion(limit: int = 50_000) -> Iterator[None]:
    """Let json and deepcopy handle the very deep documents the strategies build."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def encode_json(doc: Any) -> bytes:
    with deep_recursion():
        text = json.dumps(doc, allow_nan=True)
    text = text.replace(json.dumps(HUGE_INT_SENTINEL), _HUGE_INT_DIGITS)
    return text.encode("utf-8")


def pack_keras(config_bytes: bytes, path: Path, metadata: bytes | None = None, weights: bool = True) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("metadata.json", metadata if metadata is not None else b'{"keras_version": "3.5.0"}')
        archive.writestr("config.json", config_bytes)
        if weights:
            archive.writestr("model.weights.h5", b"\x89HDF\r\n\x1a\n" + b"\x00" * 64)
    return path


def pack_h5(config_bytes: bytes, path: Path, training_config: bytes | None = None,
            keras_version: str = "2.15.0") -> Path:
    import h5py

    with h5py.File(path, "w") as handle:
        handle.attrs["model_config"] = config_bytes.decode("utf-8")  # a str, as Keras writes it
        if training_config is not None:
            handle.attrs["training_config"] = training_config.decode("utf-8")
        handle.attrs["keras_version"] = keras_version
        handle.attrs["backend"] = "tensorflow"
        handle.create_group("model_weights")
    return path


def pack(doc: Any, fmt: str, path: Path) -> Path:
    """Write a (possibly hostile) config document as ``.json``, ``.keras`` or ``.h5``."""
    data = encode_json(doc)
    if fmt == "json":
        path.write_bytes(data)
        return path
    if fmt == "keras":
        return pack_keras(data, path)
    if fmt == "h5":
        training = None
        if isinstance(doc, dict) and "compile_config" in doc:  # Keras 2 keeps compile settings apart
            doc = dict(doc)
            training = encode_json(doc.pop("compile_config"))
            data = encode_json(doc)
        return pack_h5(data, path, training)
    raise ValueError(fmt)


# ================================================================================================
# Values that break assumptions
# ================================================================================================

SPECIAL_STRINGS = [
    "", " ", "\x00", "\n", "a\nb", "\r\n", "\t", "\x1b[31m", "\u202etxt.exe", "\ufeff", "\ud800", "\udfff",
    "🤖🔥", "名前", "ǅ", "../../etc/passwd", "/abs/path", "%s%n%x", "{0}", "${jndi:ldap://x}",
    "__keras_tensor__", "Functional", "Sequential", "Model", "InputLayer", "Lambda", "Dense", "Concatenate",
    "None", "null", "nan", "NaN", "inf", "-inf", "1e999", "-0", "0x10", "1_000", "true", "same", "valid", "causal",
    "channels_first", "softmax", "sigmoid", "linear", "keras.layers", "builtins>eval", "os>system", "function",
    "__lambda__", "MeanMetricWrapper", "LossFunctionWrapper", HUGE_INT_SENTINEL,
]
SPECIAL_INTS = [0, 1, -1, 2, 3, -2, 7, 2**31 - 1, 2**31, 2**32, 2**53 + 1, 2**63 - 1, 2**63, 2**64, -(2**63), 10**30,
                2**40, -(2**40), 10**400]
SPECIAL_FLOATS = [0.0, -0.0, 0.5, 1e-300, 1e300, 1.7976931348623157e308, math.nan, math.inf, -math.inf, 5e-324]

KEYS = ["name", "class_name", "config", "layers", "inbound_nodes", "input_layers", "output_layers", "args",
        "kwargs", "keras_history", "shape", "batch_shape", "batch_input_shape", "units", "filters", "kernel_size",
        "strides", "padding", "pool_size", "activation", "axis", "target_shape", "layer", "module",
        "registered_name", "trainable", "training", "loss", "metrics", "optimizer", "learning_rate", "fn",
        "from_logits", "build_config", "input_shape", "data_format", "dilation_rate", "n", "cropping",
        "output_dim", "return_sequences", "merge_mode", "depth_multiplier", "keepdims", "rate", "dtype"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from(SPECIAL_INTS),
    st.integers(-(2**70), 2**70),
    st.sampled_from(SPECIAL_FLOATS),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(SPECIAL_STRINGS),
    st.builds(lambda: "x" * 10_000),  # (st.just would put 10 kB into every strategy repr)
    st.text(max_size=12),
)

weird_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=6)), children, max_size=5),
    ),
    max_leaves=12,
)


def deep(value: Any, depth: int, kind: str = "list") -> Any:
    for _ in range(depth):
        value = [value] if kind == "list" else {"config": value}
    return value


big_values = st.one_of(
    st.builds(deep, scalars, st.integers(1, 3000), st.sampled_from(["list", "dict"])),
    st.builds(lambda n, v: [v] * n, st.integers(1_000, 200_000), st.sampled_from([0, None, "x", [None, 3]])),
    st.builds(lambda n: {f"k{i}": i for i in range(n)}, st.integers(1_000, 20_000)),
    st.builds(lambda n: "x" * n, st.integers(10_000, 300_000)),
)

shape_lists = st.lists(
    st.one_of(st.none(), st.integers(-3, 300), st.sampled_from([0, -1, 2**31, 2**40, 2**63, 10**30, True]),
              st.text(max_size=3), st.floats(allow_nan=True)),
    min_size=0, max_size=7,
)


def _swap_type(value: Any) -> list[Any]:
    """Same data in other JSON types: str <-> int <-> list <-> dict <-> null."""
    out: list[Any] = [None, str(value)[:200]]
    if isinstance(value, str):
        out += [len(value), [value], {"name": value}, value.encode("utf-8", "surrogatepass").hex()]
        try:
            out.append(int(value))
        except ValueError:
            pass
    elif isinstance(value, bool):
        out += [int(value), "True" if value else "False", [value]]
    elif isinstance(value, (int, float)):
        out += [[value], {"value": value}, -value if isinstance(value, int) else value, True]
    elif isinstance(value, list):
        out += [{str(i): v for i, v in enumerate(value)}, tuple(value[:1]) and value[0], len(value), value[::-1],
                value * 2]
    elif isinstance(value, dict):
        out += [list(value.values()), list(value.keys()), json.dumps(value, default=str)[:500], [value]]
    return out


# ================================================================================================
# Structured mutation of JSON documents
# ================================================================================================

Path_ = tuple[Any, ...]


class Seed:
    """A seed document or byte string with a short repr (hypothesis prints strategy arguments)."""

    def __init__(self, value: Any, name: str = "seed"):
        self.value = value
        self.name = name

    def __repr__(self) -> str:
        return f"Seed({self.name!r})"


def _unwrap(value: Any) -> Any:
    return value.value if isinstance(value, Seed) else value


def walk(doc: Any, limit: int = 64) -> Iterator[tuple[Path_, Any]]:
    """(path, value) for every node, not descending into long lists."""
    stack: list[tuple[Path_, Any]] = [((), doc)]
    while stack:
        path, value = stack.pop()
        yield path, value
        if isinstance(value, dict):
            stack.extend((path + (k,), v) for k, v in value.items())
        elif isinstance(value, list) and len(value) <= limit:
            stack.extend((path + (i,), v) for i, v in enumerate(value))


def get_at(doc: Any, path: Path_) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def set_at(doc: Any, path: Path_, value: Any) -> Any:
    if not path:
        return value
    get_at(doc, path[:-1])[path[-1]] = value
    return doc


def delete_at(doc: Any, path: Path_) -> Any:
    if not path:
        return None
    parent = get_at(doc, path[:-1])
    del parent[path[-1]]
    return doc


def layer_entries(doc: Any) -> list[tuple[Path_, dict]]:
    """Every layer entry (at any nesting depth) as (path, entry)."""
    found = []
    for path, value in walk(doc, limit=10_000):
        if path and path[-1] == "layers" and isinstance(value, list):
            found.extend((path + (i,), e) for i, e in enumerate(value) if isinstance(e, dict))
    return found


def layer_refs(doc: Any) -> list[tuple[Path_, list]]:
    """Every [name, node, tensor(, kwargs)] reference: keras_history, Keras 2 inbound nodes, input/output layers."""
    refs = []
    for path, value in walk(doc, limit=10_000):
        if (isinstance(value, list) and len(value) in (3, 4) and isinstance(value[0], str)
                and all(isinstance(v, int) and not isinstance(v, bool) for v in value[1:3])):
            refs.append((path, value))
    return refs


MUTATIONS = ["replace", "replace", "delete", "swap_type", "numeric", "shape", "duplicate_layer", "rename_layer",
             "retarget_ref", "node_index", "nest_value", "big_value", "self_nest_model", "drop_layer",
             "reorder_layers", "class_name"]
INTERESTING_KEYS = set(KEYS)


@st.composite
def mutated_doc(draw, doc: Any, max_ops: int = 4) -> Any:
    with deep_recursion():
        doc = copy.deepcopy(_unwrap(doc))
        for _ in range(draw(st.integers(1, max_ops))):
            doc = _mutate_once(draw, doc)
    return doc


def rarely(draw, one_in: int) -> bool:
    """True about once in ``one_in`` draws; False for hypothesis' simplest choice, so the plain
    case is the one examples shrink towards."""
    return draw(st.integers(1, one_in)) == one_in


def _choice(draw, items: Sequence[Any]) -> Any:
    """One of ``items`` (drawn by index: ``st.sampled_from`` would repr the whole list)."""
    return items[draw(st.integers(0, len(items) - 1))]


def _pick_path(draw, doc: Any) -> Path_:
    paths = [p for p, _ in walk(doc)]
    interesting = [p for p in paths if p and p[-1] in INTERESTING_KEYS]
    if interesting and draw(st.booleans()):
        return _choice(draw, interesting)
    return _choice(draw, paths)


def _mutate_once(draw, doc: Any) -> Any:
    op = draw(st.sampled_from(MUTATIONS))
    layers = layer_entries(doc)
    refs = layer_refs(doc)
    names = [e.get("name") for _, e in layers if isinstance(e.get("name"), str)] or ["x"]
    if op in ("duplicate_layer", "rename_layer", "drop_layer", "self_nest_model", "class_name") and not layers:
        op = "replace"
    if op in ("retarget_ref", "node_index") and not refs:
        op = "replace"
    if op == "replace":
        return set_at(doc, _pick_path(draw, doc), draw(weird_values))
    if op == "delete":
        return delete_at(doc, _pick_path(draw, doc))
    if op == "swap_type":
        path = _pick_path(draw, doc)
        return set_at(doc, path, _choice(draw, _swap_type(get_at(doc, path))))
    if op == "numeric":
        ints = [p for p, v in walk(doc) if isinstance(v, (int, float)) and not isinstance(v, bool) and p]
        if not ints:
            return set_at(doc, _pick_path(draw, doc), draw(st.sampled_from(SPECIAL_INTS)))
        path = _choice(draw, ints)
        value = draw(st.one_of(st.sampled_from(SPECIAL_INTS), st.sampled_from(SPECIAL_FLOATS), st.integers(-5, 5)))
        return set_at(doc, path, value)
    if op == "shape":
        shaped = [p for p, v in walk(doc) if p and p[-1] in ("shape", "batch_shape", "batch_input_shape", "input_shape",
                                                             "target_shape", "kernel_size", "strides", "pool_size",
                                                             "dilation_rate", "padding", "cropping")]
        path = _choice(draw, shaped) if shaped else _pick_path(draw, doc)
        return set_at(doc, path, draw(shape_lists))
    if op == "duplicate_layer":
        path, entry = _choice(draw, layers)
        parent = get_at(doc, path[:-1])
        parent.insert(draw(st.integers(0, len(parent))), copy.deepcopy(entry))
        return doc
    if op == "rename_layer":
        path, entry = _choice(draw, layers)
        new = (
            draw(st.one_of(st.sampled_from(SPECIAL_STRINGS), st.text(max_size=5)))
            if draw(st.booleans())
            else _choice(draw, names)
        )
        entry["name"] = new
        if isinstance(entry.get("config"), dict) and draw(st.booleans()):
            entry["config"]["name"] = new
        return doc
    if op == "drop_layer":
        path, _ = _choice(draw, layers)
        return delete_at(doc, path)
    if op == "reorder_layers":
        lists = [p for p, v in walk(doc) if p and p[-1] == "layers" and isinstance(v, list)]
        if lists:
            target = get_at(doc, _choice(draw, lists))
            target[:] = draw(st.permutations(target))
        return doc
    if op == "class_name":
        _, entry = _choice(draw, layers)
        entry["class_name"] = draw(st.one_of(st.sampled_from(CLASS_NAMES), st.sampled_from(SPECIAL_STRINGS)))
        return doc
    if op == "retarget_ref":
        path, ref = _choice(draw, refs)
        owner = next((e.get("name") for p, e in layers if path[: len(p)] == p), None)
        target = _choice(draw, [*names, "missing_layer", "", owner or "self"])  # incl. self-reference / cycles
        ref[0] = target
        return doc
    if op == "node_index":
        _, ref = _choice(draw, refs)
        ref[draw(st.sampled_from([1, 2]))] = draw(st.sampled_from([-1, -(2**63), 1, 2, 3, 10**9, 2**63, 2**64, 10**30]))
        return doc
    if op == "nest_value":
        path = _pick_path(draw, doc)
        return set_at(
            doc, path, deep(get_at(doc, path), draw(st.integers(1, 200)), draw(st.sampled_from(["list", "dict"])))
        )
    if op == "big_value":
        return set_at(doc, _pick_path(draw, doc), draw(big_values))
    if op == "self_nest_model":
        # a layer entry replaced by the whole model: nested models (with the same names) inside it
        path, entry = _choice(draw, layers)
        snapshot = copy.deepcopy(doc if isinstance(doc, dict) else {})
        entry["class_name"] = draw(st.sampled_from(["Functional", "Sequential", "Model"]))
        entry["config"] = snapshot.get("config", snapshot)
        return doc
    raise AssertionError(op)


# ================================================================================================
# Synthetic layer graphs (both dialects), hostile by construction
# ================================================================================================

CLASS_NAMES = ["Dense", "InputLayer", "Conv1D", "Conv2D", "Conv3D", "DepthwiseConv2D", "SeparableConv2D",
               "Conv2DTranspose", "MaxPooling2D", "AveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D",
               "Flatten", "Reshape", "Dropout", "BatchNormalization", "LayerNormalization", "Activation", "Softmax",
               "ReLU", "LSTM", "GRU", "Bidirectional", "TimeDistributed", "Embedding", "RepeatVector", "Concatenate",
               "Add", "Multiply", "Average", "Dot", "ZeroPadding2D", "Cropping1D", "Lambda", "TFOpLambda",
               "Functional", "Sequential", "Model", "MyCustomLayer", "Custom>Gate", "Permute", "Rescaling"]

_ACTIVATIONS = st.one_of(
    st.sampled_from(["relu", "softmax", "sigmoid", "linear", "tanh", None, "swish", "my_act", ""]),
    st.fixed_dictionaries({"class_name": st.sampled_from(["function", "Custom>act", "ReLU"]),
                           "config": st.one_of(st.sampled_from(["relu", "softmax"]), weird_values)}),
    weird_values,
)


def _small(weird_rate: float = 0.15):
    return (
        st.one_of(st.integers(-2, 64), st.sampled_from([0, -1, 10**30, 2**63, 10**400]))
        if weird_rate
        else st.integers(1, 64)
    )


@st.composite
def layer_config(draw, class_name: str, name: str) -> dict[str, Any]:
    config: dict[str, Any] = {"name": name}
    pool = {
        "units": _small(), "filters": _small(), "kernel_size": st.one_of(_small(), shape_lists),
        "strides": st.one_of(st.integers(-1, 3), shape_lists), "padding": st.one_of(
            st.sampled_from(["valid", "same", "causal", "VALID", 3]), shape_lists),
        "pool_size": st.one_of(_small(), shape_lists), "dilation_rate": st.one_of(st.integers(-1, 3), shape_lists),
        "activation": _ACTIVATIONS, "axis": st.one_of(st.integers(-5, 5), shape_lists, weird_values),
        "target_shape": shape_lists, "data_format": st.sampled_from(["channels_last", "channels_first", "nchw", None]),
        "return_sequences": st.one_of(st.booleans(), weird_values), "n": _small(), "output_dim": _small(),
        "cropping": st.one_of(_small(), shape_lists, st.lists(shape_lists, max_size=3)),
        "depth_multiplier": _small(), "keepdims": st.one_of(st.booleans(), weird_values),
        "trainable": st.one_of(st.booleans(), weird_values), "rate": st.floats(allow_nan=True),
        "merge_mode": st.sampled_from(["concat", "sum", "ave", "mul", None, "zz"]),
        "batch_shape": shape_lists, "batch_input_shape": shape_lists, "shape": shape_lists,
        "function": st.one_of(weird_values, st.just({"class_name": "__lambda__", "config": {
            "code": "ZGVmIGYoKTogcGFzcw==", "defaults": None, "closure": None}})),
        "layer": st.one_of(weird_values, st.fixed_dictionaries({
            "class_name": st.sampled_from(["LSTM", "Dense", "GRU", "Conv2D", "Bidirectional", "TimeDistributed"]),
            "config": st.dictionaries(st.sampled_from(KEYS), st.one_of(_small(), weird_values), max_size=4)})),
    }
    for key in draw(st.lists(st.sampled_from(sorted(pool)), max_size=6, unique=True)):
        config[key] = draw(pool[key])
    if rarely(draw, 10):
        config[draw(st.sampled_from(KEYS))] = draw(weird_values)
    return config


def _tensor(name: str, node: int, tensor: int, shape: Any) -> dict[str, Any]:
    return {"class_name": "__keras_tensor__", "config": {"shape": shape, "dtype": "float32",
                                                        "keras_history": [name, node, tensor]}}


@st.composite
def layer_graph(draw, dialect: str | None = None) -> dict[str, Any]:
    """A Functional (or Sequential) config with random classes, wiring and settings: cycles,
    self-references, references to missing layers, absurd node indices, duplicate names."""
    dialect = dialect or draw(st.sampled_from(["keras2", "keras3"]))
    n = draw(st.integers(1, 10))
    names = [f"l{i}" for i in range(n)]
    if rarely(draw, 4):  # odd or duplicate names now and then
        for i in draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=2)):
            names[i] = draw(st.one_of(st.sampled_from(SPECIAL_STRINGS[:20]), st.sampled_from(names)))
    n_inputs = draw(st.integers(0, min(3, n)))
    index = st.one_of(st.integers(0, 2), st.sampled_from([-1, 10**9, 2**63]))
    ref_name = st.one_of(st.sampled_from(names), st.just("missing"))
    layers = []
    for i, name in enumerate(names):
        class_name = "InputLayer" if i < n_inputs else draw(st.sampled_from(CLASS_NAMES))
        entry: dict[str, Any] = {"class_name": class_name, "name": name,
                                 "config": draw(layer_config(class_name, name))}
        if class_name in ("Functional", "Sequential", "Model") and draw(st.booleans()):
            entry["config"]["layers"] = draw(st.lists(st.fixed_dictionaries({
                "class_name": st.sampled_from(CLASS_NAMES), "name": st.sampled_from(["a", "b", "c"]),
                "config": st.dictionaries(st.sampled_from(KEYS), weird_values, max_size=3)}), max_size=3))
        calls = []
        if class_name != "InputLayer":
            # mostly wire to earlier layers (a DAG); sometimes anywhere (cycles, self-calls)
            earlier = names[:i] or names
            for _ in range(draw(st.integers(0, 2)) if rarely(draw, 5) else 1):
                k = draw(st.integers(1, 3))
                sources = [draw(ref_name) if rarely(draw, 6) else draw(st.sampled_from(earlier)) for _ in range(k)]
                refs = [(s, draw(index) if rarely(draw, 6) else 0, draw(index) if rarely(draw, 6) else 0)
                        for s in sources]
                if dialect == "keras3":
                    tensors = [
                        _tensor(s, a, b, draw(shape_lists) if draw(st.booleans()) else [None, 8]) for s, a, b in refs
                    ]
                    args = tensors if len(tensors) > 1 or draw(st.booleans()) else tensors[0]
                    call: Any = {
                        "args": [args],
                        "kwargs": draw(
                            st.dictionaries(
                                st.sampled_from(["training", "mask", "axis", "x"]),
                                st.one_of(st.booleans(), weird_values),
                                max_size=2,
                            )
                        ),
                    }
                else:
                    call = [[s, a, b, draw(st.dictionaries(st.sampled_from(["training", "mask"]),
                                                           st.one_of(st.booleans(), weird_values), max_size=1))]
                            for s, a, b in refs]
                calls.append(call)
        entry["inbound_nodes"] = calls
        if dialect == "keras3":
            entry["module"] = "keras.layers"
            entry["registered_name"] = None
        layers.append(entry)
    outs = draw(st.lists(st.tuples(st.one_of(st.sampled_from(names), ref_name), index, index), min_size=0, max_size=3))
    if not rarely(draw, 4):  # usually the last layer is an output, as in a real model
        outs.insert(0, (names[-1], 0, 0))
    ins = [[names[i], 0, 0] for i in range(n_inputs)]
    class_name = draw(st.sampled_from(["Functional", "Functional", "Functional", "Model", "Sequential"]))
    doc: dict[str, Any] = {
        "class_name": class_name,
        "config": {
            "name": "fuzz",
            "layers": layers,
            "input_layers": ins if draw(st.booleans()) else (ins[0] if ins else []),
            "output_layers": [list(o) for o in outs] if len(outs) != 1 or draw(st.booleans()) else list(outs[0]),
        },
    }
    if dialect == "keras3":
        doc["module"] = "keras.src.models.functional"
        doc["registered_name"] = "Functional"
    if draw(st.booleans()):
        doc["compile_config"] = draw(compile_configs())
    return doc


@st.composite
def nested_models(draw, dialect: str | None = None, depth: int | None = None) -> tuple[dict[str, Any], int]:
    """A chain of models nested ``depth`` deep (Functional or Sequential at each level)."""
    dialect = dialect or draw(st.sampled_from(["keras2", "keras3"]))
    depth = depth if depth is not None else draw(st.integers(1, 48))
    seq = draw(st.booleans())
    inner = nested_chain(depth, dialect, seq)
    return inner, depth


def nested_chain(depth: int, dialect: str = "keras3", sequential: bool = False) -> dict[str, Any]:
    """``depth`` models each wrapping the next; the innermost holds one Dense layer."""
    def input_entry(name):
        return {"class_name": "InputLayer", "name": name, "config": {"name": name, "batch_shape": [None, 4],
                                                                     "batch_input_shape": [None, 4]},
                "inbound_nodes": []}

    def call(source):
        if dialect == "keras3":
            return [{"args": [_tensor(source, 0, 0, [None, 4])], "kwargs": {}}]
        return [[[source, 0, 0, {}]]]

    if sequential:
        model: dict[str, Any] = {"class_name": "Sequential", "config": {"name": f"m{depth}", "layers": [
            input_entry("in"), {"class_name": "Dense", "name": "dense", "config": {"name": "dense", "units": 2}}]}}
        for level in range(depth - 1, 0, -1):
            model = {"class_name": "Sequential", "name": f"m{level + 1}", "config": {
                "name": f"m{level}", "layers": [input_entry("in"), dict(model, name=f"m{level + 1}")]}}
        return model
    model = {"class_name": "Functional", "config": {
        "name": f"m{depth}", "layers": [input_entry("in"), {"class_name": "Dense", "name": "dense", "config": {
            "name": "dense", "units": 2}, "inbound_nodes": call("in")}],
        "input_layers": [["in", 0, 0]], "output_layers": [["dense", 0, 0]]}}
    for level in range(depth - 1, 0, -1):
        name = f"m{level + 1}"
        model = {"class_name": "Functional", "config": {
            "name": f"m{level}", "layers": [input_entry("in"), {"class_name": "Functional", "name": name,
                                                              "config": model["config"], "inbound_nodes": call("in")}],
            "input_layers": [["in", 0, 0]], "output_layers": [[name, 1 if dialect == "keras2" else 0, 0]]}}
    return model


# ================================================================================================
# Compile settings
# ================================================================================================

_LOSS_NAMES = ["binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy", "mse",
               "BinaryCrossentropy", "mean_squared_error", "my_loss", "", "hinge"]

losses = st.recursive(
    st.one_of(
        st.sampled_from(_LOSS_NAMES),
        st.fixed_dictionaries(
            {
                "class_name": st.one_of(
                    st.sampled_from(["BinaryCrossentropy", "function", "LossFunctionWrapper", "Custom>Focal"]), scalars
                ),
                "config": st.one_of(
                    weird_values,
                    st.fixed_dictionaries({"from_logits": weird_values, "name": weird_values, "fn": weird_values}),
                ),
            },
            optional={"module": st.sampled_from(["keras.losses", "builtins", "os"])},
        ),
        weird_values,
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.sampled_from(["output_layer", "out", "LTSM", "x"]), children, max_size=3),
    ),
    max_leaves=5,
)

metrics = st.recursive(
    st.one_of(
        st.sampled_from(["accuracy", "acc", "ACC", "auc", "binary_accuracy", "mae", ""]),
        st.fixed_dictionaries(
            {
                "class_name": st.one_of(st.sampled_from(["MeanMetricWrapper", "AUC", "function"]), scalars),
                "config": st.one_of(weird_values, st.fixed_dictionaries({"name": weird_values, "fn": weird_values})),
            }
        ),
        weird_values,
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.sampled_from(["output_layer", "out", "x"]), children, max_size=3),
    ),
    max_leaves=6,
)

_RATES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["0.001", "1e-3", "fast", "", "nan"]),
    st.sampled_from(SPECIAL_INTS),
    st.booleans(),
    st.none(),
    weird_values,
    st.fixed_dictionaries(
        {
            "class_name": st.one_of(st.sampled_from(["ExponentialDecay", "CosineDecay"]), scalars),
            "config": st.one_of(
                weird_values,
                st.fixed_dictionaries({"initial_learning_rate": weird_values, "learning_rate": weird_values}),
            ),
        }
    ),
)

optimizers = st.one_of(
    st.sampled_from(["adam", "sgd", "Adam", "rmsprop", "nonsense", ""]),
    st.fixed_dictionaries(
        {
            "class_name": st.one_of(st.sampled_from(["Adam", "SGD", "keras>Adam", "Custom>Opt"]), scalars),
            "config": st.one_of(
                weird_values,
                st.fixed_dictionaries({}, optional={"learning_rate": _RATES, "lr": _RATES, "name": weird_values}),
            ),
        }
    ),
    weird_values,
)


@st.composite
def compile_configs(draw) -> Any:
    if rarely(draw, 10):
        return draw(weird_values)
    return draw(st.fixed_dictionaries({}, optional={
        "loss": losses, "metrics": metrics, "weighted_metrics": metrics, "optimizer": optimizers,
        "optimizer_config": optimizers, "loss_weights": weird_values, "run_eagerly": weird_values,
        "steps_per_execution": weird_values, "jit_compile": weird_values}))


# ================================================================================================
# Histories
# ================================================================================================

METRIC_NAMES = ["loss", "val_loss", "accuracy", "val_accuracy", "acc", "val_acc", "lr", "learning_rate", "epoch",
                "output_layer_loss", "val_output_layer_accuracy", "auc", "val_", "", "val_val_loss", "名前", "\n"]

history_values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(SPECIAL_FLOATS + SPECIAL_INTS),
    st.booleans(),
    st.none(),
    st.sampled_from(
        ["0.5", "nan", "inf", "-Infinity", "", " ", "abc", "1,5", "0x1", "1e999", "None", HUGE_INT_SENTINEL]
    ),
    st.text(max_size=5),
    weird_values,
)


@st.composite
def json_histories(draw) -> Any:
    names = st.one_of(st.sampled_from(METRIC_NAMES), st.text(max_size=6))
    column = st.one_of(st.lists(history_values, max_size=12), history_values, weird_values,
                       st.builds(lambda n: [0.5] * n, st.sampled_from([0, 1, 1000, 1_000_001])))
    shape = draw(st.sampled_from(["columns", "rows", "wrapped", "other"]))
    if shape == "columns":
        return draw(st.dictionaries(names, column, max_size=6))
    if shape == "rows":
        return draw(st.lists(st.one_of(st.dictionaries(names, history_values, max_size=5), weird_values), max_size=10))
    if shape == "wrapped":
        return {"history": draw(st.one_of(st.dictionaries(names, column, max_size=5), weird_values)),
                "params": draw(weird_values), "epoch": draw(weird_values)}
    return draw(st.one_of(weird_values, big_values))


@st.composite
def csv_histories(draw) -> bytes:
    """CSVLogger-like bytes: odd delimiters, ragged rows, BOMs, empty cells, stray bytes, long fields."""
    delimiter = draw(st.sampled_from([",", ",", ";", "\t", "|", " ", ":"]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    header = draw(st.lists(st.one_of(st.sampled_from(METRIC_NAMES), st.text(max_size=6)), min_size=0, max_size=6))
    cell = st.one_of(
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.integers(-5, 100).map(str),
        st.sampled_from(["", " ", "nan", "NaN", "inf", "-inf", "Infinity", "abc", "1,5", '"0.5"', '"a,b"', '"',
                         "True", "1e999", "0x10", "\x00", "🤖", "9" * 5000]),
        st.text(max_size=4),
    )
    rows = [header]
    for _ in range(draw(st.integers(0, 12))):
        width = len(header) if draw(st.integers(0, 3)) else draw(st.integers(0, len(header) + 2))
        rows.append([draw(cell) for _ in range(width)])
    text = newline.join(delimiter.join(r) for r in rows)
    if draw(st.booleans()):
        text += newline
    data = text.encode("utf-8", errors="surrogatepass")
    extra = draw(st.sampled_from(["none", "none", "bom", "utf16", "latin1", "stray", "long_field", "nul", "blank"]))
    if extra == "bom":
        data = b"\xef\xbb\xbf" + data
    elif extra == "utf16":
        data = text.encode("utf-16")
    elif extra == "latin1":
        data = text.encode("latin-1", errors="replace") + b"\xe9\xff"
    elif extra == "stray":
        pos = draw(st.integers(0, len(data)))
        data = data[:pos] + draw(st.sampled_from([b"\xff", b"\xc3", b"\x80\x80", b"\xed\xa0\x80"])) + data[pos:]
    elif extra == "long_field":
        data += (newline + "1" * draw(st.integers(100_000, 300_000))).encode()
    elif extra == "nul":
        data = data.replace(b",", b"\x00,")
    elif extra == "blank":
        data = draw(st.sampled_from([b"", b" ", b"\n\n", b"\r\n", b"\xef\xbb\xbf", b"\t"]))
    return data


# ================================================================================================
# Byte-level mutation
# ================================================================================================


def hot_regions(data: bytes) -> list[tuple[int, int]]:
    """Byte ranges worth hitting: zip headers, config.json's compressed data and the central
    directory; the HDF5 superblock and the JSON text of ``model_config``."""
    regions: list[tuple[int, int]] = []
    if data.startswith(b"PK"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for info in archive.infolist():
                    start = info.header_offset
                    end = start + 30 + len(info.filename.encode()) + len(info.extra) + info.compress_size
                    if info.filename != "model.weights.h5":
                        regions.append((start, min(end, len(data))))
                    else:
                        regions.append((start, min(start + 64, len(data))))
                cd = data.rfind(b"PK\x01\x02")
                first_cd = data.find(b"PK\x01\x02")
                regions.append((first_cd if first_cd >= 0 else max(0, cd), len(data)))
        except zipfile.BadZipFile:
            pass
    elif data.startswith(b"\x89HDF"):
        regions.append((0, min(len(data), 512)))
        for needle in (b'{"class_name"', b'{"module"', b"model_config", b"training_config", b"keras_version"):
            at = data.find(needle)
            if at >= 0:
                regions.append((max(0, at - 32), min(len(data), at + 4096)))
    return [r for r in regions if r[1] > r[0]] or [(0, len(data))]


@st.composite
def mutated_bytes(draw, data: bytes, max_ops: int = 6) -> bytes:
    data = _unwrap(data)
    buf = bytearray(data)
    regions = hot_regions(data)
    for _ in range(draw(st.integers(1, max_ops))):
        if not buf:
            buf.extend(draw(st.binary(max_size=16)))
            continue
        if draw(st.integers(0, 3)):
            lo, hi = draw(st.sampled_from(regions))
            lo, hi = min(lo, len(buf) - 1), min(hi, len(buf))
        else:
            lo, hi = 0, len(buf)
        pos = draw(st.integers(lo, max(lo, hi - 1)))
        op = draw(st.sampled_from(["flip", "flip", "flip", "byte", "truncate", "insert", "delete", "overwrite", "dup"]))
        if op == "flip":
            buf[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "byte":
            buf[pos] = draw(st.sampled_from([0x00, 0xFF, 0x7F, 0x80, 0x22, 0x7B, 0x5B, 0x30]))
        elif op == "truncate":
            del buf[pos:]
        elif op == "insert":
            buf[pos:pos] = draw(st.binary(min_size=1, max_size=32))
        elif op == "delete":
            del buf[pos: pos + draw(st.integers(1, 64))]
        elif op == "overwrite":
            chunk = draw(
                st.one_of(
                    st.binary(min_size=1, max_size=16),
                    st.sampled_from([b"\xff" * 8, b"\x00" * 8, struct.pack("<Q", 2**63), struct.pack("<I", 2**31)]),
                )
            )
            buf[pos: pos + len(chunk)] = chunk
        else:
            size = draw(st.integers(1, 256))
            buf[pos:pos] = buf[pos: pos + size]
    return bytes(buf)


# ================================================================================================
# Hostile zip archives
# ================================================================================================


def zip_bomb(path: Path, inflated_bytes: int, lie_about_size: bool = False) -> Path:
    """A ``.keras`` whose config.json inflates to ``inflated_bytes`` from a few kilobytes; with
    ``lie_about_size`` its headers claim 100 bytes."""
    chunk = b" " * (1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("config.json", "w") as member:
            member.write(b'{"class_name": "Functional", "config": {"name": "bomb", "layers": []')
            for _ in range(inflated_bytes // len(chunk)):
                member.write(chunk)
            member.write(b"}}")
    if lie_about_size:
        set_member_sizes(path, "config.json", uncompressed=100)
    return path


def _central_entries(data: bytes) -> Iterator[tuple[int, int, str]]:
    """(central header offset, local header offset, name) for each member."""
    pos = data.find(b"PK\x01\x02")
    while pos >= 0:
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, pos + 28)
        local = struct.unpack_from("<I", data, pos + 42)[0]
        name = data[pos + 46: pos + 46 + name_len].decode("utf-8", "replace")
        yield pos, local, name
        pos = data.find(b"PK\x01\x02", pos + 46 + name_len + extra_len + comment_len)


def patch_member(path: Path, name: str, *, flags: int | None = None, method: int | None = None) -> Path:
    """Set general-purpose flag bits (1 = encrypted) or the compression method of one member in
    both its local and central headers."""
    data = bytearray(path.read_bytes())
    for central, local, member in list(_central_entries(bytes(data))):
        if member != name:
            continue
        if flags is not None:
            struct.pack_into("<H", data, central + 8, struct.unpack_from("<H", data, central + 8)[0] | flags)
            struct.pack_into("<H", data, local + 6, struct.unpack_from("<H", data, local + 6)[0] | flags)
        if method is not None:
            struct.pack_into("<H", data, central + 10, method)
            struct.pack_into("<H", data, local + 8, method)
    path.write_bytes(bytes(data))
    return path


def set_member_sizes(path: Path, name: str, uncompressed: int) -> Path:
    """Make the central directory claim another uncompressed size for one member (zip bombs lie)."""
    data = bytearray(path.read_bytes())
    for central, _local, member in list(_central_entries(bytes(data))):
        if member == name:
            struct.pack_into("<I", data, central + 24, uncompressed)
    path.write_bytes(bytes(data))
    return path


def patch_h5_string_type(path: Path, attr: str, *, offset: int, value: int) -> Path:
    """Change one byte of the datatype message of a variable-length string attribute (as h5py
    writes a ``str``): ``offset`` 1 holds the variable-length kind (1 = string), 2 the character set."""
    data = bytearray(path.read_bytes())
    at = data.find(attr.encode() + b"\x00")
    message = data.find(b"\x19\x01", at)  # datatype version 1, class 9 (variable length), kind 1 (string)
    assert at >= 0 and message >= 0, f"no variable-length string attribute {attr!r} in {path}"
    data[message + offset] = value
    path.write_bytes(bytes(data))
    return path


# ================================================================================================
# The sandbox: run fusiondoctor in a child process, one input at a time
# ================================================================================================
# Probe data: damaged .npz files and odd arrays for ``check --data`` and ``fix``
# ================================================================================================

#: The data seed model: image (8x8x3) + token ids (6,) into an Embedding of DATA_VOCABULARY, 3 classes.
DATA_SAMPLES, DATA_VOCABULARY = 24, 50


def data_model(keras):
    """A tiny fusion model whose data can go wrong in every way the data path checks."""
    layers = keras.layers
    image = keras.Input((8, 8, 3), name="image")
    x = layers.GlobalAveragePooling2D()(layers.Conv2D(4, 3, activation="relu", name="image_conv")(image))
    x = layers.LayerNormalization(name="image_norm")(x)
    text = keras.Input((6,), dtype="int32", name="text")
    t = layers.GlobalAveragePooling1D()(layers.Embedding(DATA_VOCABULARY, 4, name="text_embedding")(text))
    t = layers.LayerNormalization(name="text_norm")(t)
    out = layers.Dense(3, activation="softmax", name="label")(layers.concatenate([x, t], name="fusion"))
    model = keras.Model([image, text], out)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def data_arrays(seed: int = 0) -> dict[str, Any]:
    import numpy as np

    rng = np.random.default_rng(seed)
    return {"image": rng.random((DATA_SAMPLES, 8, 8, 3)).astype("float32"),
            "text": rng.integers(0, DATA_VOCABULARY, (DATA_SAMPLES, 6)).astype("int32"),
            "y": rng.integers(0, 3, DATA_SAMPLES)}


def _odd_array(draw, like: Any) -> Any:
    """A replacement for one array: another dtype, rank, shape or sample count, or odd values."""
    import numpy as np

    like = np.asarray(like)
    if like.ndim == 0 or len(like) < 2 or like.dtype.kind not in "biuf":  # already replaced by something odd
        like = np.zeros((DATA_SAMPLES, 3), "float32")
    n = len(like)
    kind = draw(st.sampled_from(["strings", "bool", "float16", "complex", "scalar", "drop-axis", "add-axis",
                                 "resize", "fewer", "empty", "nan", "inf", "huge", "negative", "int-max",
                                 "constant", "unicode", "ragged-object"]))
    if kind == "strings":
        return np.full(like.shape, "word")
    if kind == "bool":
        return like > np.median(like)
    if kind == "float16":
        with np.errstate(over="ignore"):
            return like.astype("float16")
    if kind == "complex":
        return like.astype("complex64")
    if kind == "scalar":
        return np.float32(draw(st.floats(allow_nan=True)))
    if kind == "drop-axis":
        return like.reshape(n, -1)[:, 0] if like.ndim > 1 else like.reshape(n, 1, 1)
    if kind == "add-axis":
        return like[..., None]
    if kind == "resize":
        shape = (n, *[draw(st.integers(1, 12)) for _ in like.shape[1:]])
        return np.ones(shape, like.dtype)
    if kind == "fewer":
        return like[: draw(st.integers(1, n - 1))]
    if kind == "empty":
        return like[:0]
    out = np.array(like, dtype="float64" if kind in ("nan", "inf") else like.dtype)
    rows = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n))
    if kind == "nan":
        out[rows] = np.nan
    elif kind == "inf":
        out[rows] = np.inf
    elif kind == "huge":
        out[rows] = np.asarray(1e30 if out.dtype.kind == "f" else np.iinfo(out.dtype).max).astype(out.dtype)
    elif kind == "negative":
        out[rows] = -out[rows] - 1
    elif kind == "int-max":
        out = out.astype("int64")
        out[rows] = np.iinfo("int64").max
    elif kind == "constant":
        out[:] = out.reshape(-1)[0]
    elif kind == "unicode":
        return np.array(["\u00e9\u4e2d\U0001f600"] * n)
    elif kind == "ragged-object":
        return np.array([[1, 2], [3]] + [[4]] * (n - 2), dtype=object)
    return out


@st.composite
def probe_arrays(draw) -> dict[str, Any]:
    """The seed arrays with one to three arrays replaced, renamed or dropped."""
    arrays = data_arrays(draw(st.integers(0, 3)))
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(sorted(arrays))) if arrays else None
        action = draw(st.sampled_from(["replace", "replace", "replace", "rename", "drop", "extra"]))
        if name is None:
            break
        if action == "replace":
            arrays[name] = _odd_array(draw, arrays[name])
        elif action == "rename":
            arrays[draw(st.sampled_from(["Image", "img", "x", "y_label", "text ", "y_other"]))] = arrays.pop(name)
        elif action == "drop":
            arrays.pop(name)
        else:
            arrays[draw(st.sampled_from(["extra", "y_label", "mask"]))] = arrays[name]
    return arrays


def write_npz(arrays: dict[str, Any], path: Path) -> Path:
    """``arrays`` as an .npz archive; object arrays are written pickled (the reader must refuse them)."""
    import numpy as np

    with zipfile.ZipFile(path, "w") as archive:
        for name, value in arrays.items():
            with archive.open(f"{name}.npy", "w") as member:
                np.lib.format.write_array(member, np.asanyarray(value), allow_pickle=True)
    return path


# ================================================================================================

OK_OUTCOMES = ("report", "input_error")


@dataclass
class Outcome:
    kind: str  # report | input_error | crash | memory | rule_crash | render_crash | multiline_error | hang | died
    detail: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.kind in OK_OUTCOMES

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"


def kill_group(proc: subprocess.Popen) -> None:
    """Kill ``proc`` and every process of its group (it was started with ``start_new_session``):
    a hung example's children (a forked HDF5 reader looping in C) must not outlive it."""
    import signal

    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        proc.kill()
    proc.wait()


class Sandbox:
    """A long-lived child Python that runs ``fusiondoctor.check`` on one path per request.

    A hang becomes an ``Outcome('hang')`` after ``timeout`` seconds (the child is killed with its
    process group, forked readers included, and replaced); a crash of the interpreter (HDF5
    segfault) an ``Outcome('died')``; memory use is capped with RLIMIT_AS so a blow-up surfaces
    as ``MemoryError`` instead of taking the machine down. The child's working directory is an
    empty folder the caller can watch for writes.
    """

    def __init__(self, workdir: Path, timeout: float = 20.0, memory_mb: int = 1024):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.proc: subprocess.Popen | None = None
        self.calls = 0
        self.restarts = 0

    def _start(self) -> None:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]),
                   TF_CPP_MIN_LOG_LEVEL="3", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
                   FUSIONDOCTOR_SANDBOX_MEMORY_MB=str(self.memory_mb), PYTHONDONTWRITEBYTECODE="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from tests.fuzz_corpus import serve; serve()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=self.workdir, env=env,
            start_new_session=True)  # its own process group: a kill takes its forked HDF5 readers along
        line = self._readline(60.0)
        if line is None or line.strip() != b"ready":
            self._kill()
            raise RuntimeError(f"fuzz sandbox did not start: {line!r}")

    def _readline(self, timeout: float) -> bytes | None:
        assert self.proc is not None and self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            return None
        return self.proc.stdout.readline()

    def _kill(self) -> None:
        if self.proc is not None:
            kill_group(self.proc)
            self.proc = None

    def run(self, kind: str, path: os.PathLike, limits: dict[str, Any] | None = None) -> Outcome:
        if self.proc is None or self.proc.poll() is not None:
            if self.proc is not None:
                self.restarts += 1
            self._start()
        assert self.proc is not None and self.proc.stdin is not None
        self.calls += 1
        request = json.dumps({"kind": kind, "path": str(path), "limits": limits or {}}) + "\n"
        try:
            self.proc.stdin.write(request.encode())
            self.proc.stdin.flush()
        except BrokenPipeError:
            code = self.proc.wait()
            self.proc = None
            return Outcome("died", f"child exited with status {code} before the request")
        started = time.monotonic()
        line = self._readline(self.timeout)
        if line is None:
            self._kill()
            return Outcome("hang", f"no answer after {self.timeout:.0f}s")
        if not line:
            code = self.proc.wait()
            self.proc = None
            return Outcome("died", f"child exited with status {code} (signal {-code if code < 0 else 0})")
        answer = json.loads(line)
        answer.setdefault("data", {})["seconds"] = time.monotonic() - started
        if answer["kind"] == "memory":  # a fresh child for the next input: one blow-up must not poison the rest
            self._kill()
        return Outcome(answer["kind"], answer.get("detail", ""), answer["data"])

    def close(self) -> None:
        if self.proc is not None:
            try:
                self.proc.stdin.close()  # type: ignore[union-attr]
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self._kill()
            self.proc = None


def _answer(request: dict[str, Any]) -> dict[str, Any]:
    import fusiondoctor
    from fusiondoctor.config import Settings
    from fusiondoctor.limits import Limits
    from fusiondoctor.render import render

    figure = None
    if request["kind"] == "hang-with-child":  # for the sandbox's own test: a forked child, then a hang
        child = os.fork()
        if child == 0:
            while True:
                time.sleep(1)
        Path(request["path"]).write_text(str(child))
        while True:
            time.sleep(1)
    try:
        settings = Settings(limits=Limits(**request["limits"])) if request["limits"] else Settings()
        if request["kind"] == "model":
            report = fusiondoctor.check(request["path"], settings=settings)
        elif request["kind"] == "history":
            report = fusiondoctor.check(history=request["path"], settings=settings)
        else:  # "plot": what `check --history H --plot P` does, drawn to memory
            from fusiondoctor.engine import diagnose
            from fusiondoctor.render import plots
            from fusiondoctor.subject import make_subject

            subject = make_subject(None, history=request["path"], limits=settings.limits)
            report = diagnose(subject, settings)
            try:
                figure = plots.figure_bytes(plots.learning_curves(subject.history, report.findings, subject.name))
            except (OSError, ValueError) as exc:  # the CLI turns these into a one-line error
                raise fusiondoctor.InputError(
                    "plot", str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                ) from None
    except (fusiondoctor.InputError, fusiondoctor.ConfigError) as exc:
        message = str(exc)
        if "\n" in message or "\r" in message:
            return {"kind": "multiline_error", "detail": message[:300]}
        return {"kind": "input_error", "detail": message[:300], "data": {"type": type(exc).__name__}}
    except MemoryError:
        return {"kind": "memory", "detail": "MemoryError", "data": {"traceback": traceback.format_exc()[-3000:]}}
    except BaseException as exc:  # noqa: BLE001 - anything else is the bug being hunted
        return {"kind": "crash", "detail": f"{type(exc).__name__}: {str(exc)[:200]}",
                "data": {"type": type(exc).__name__, "traceback": traceback.format_exc()[-3000:]}}
    if report.errors:
        error = report.errors[0]
        return {"kind": "rule_crash", "detail": f"{error.code} {error.exc_type}: {error.message[:200]}",
                "data": {"traceback": error.traceback[-3000:]}}
    try:  # what the CLI does next: render, and write as UTF-8
        for fmt in ("text", "json"):
            rendered = render(report, fmt)
            rendered.encode("utf-8")
            if fmt == "json":
                json.loads(rendered)
    except BaseException as exc:  # noqa: BLE001
        return {"kind": "render_crash", "detail": f"{type(exc).__name__}: {str(exc)[:200]}",
                "data": {"traceback": traceback.format_exc()[-3000:]}}
    return {"kind": "report", "detail": ",".join(report.codes()),
            "data": {"not_inspected": [u.location.layer for u in report.not_inspected], "plotted": figure is not None}}


def serve() -> None:
    """The sandbox child: one JSON request per stdin line, one JSON answer per stdout line."""
    protocol = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # anything printed by the code under test goes to stderr, not into the protocol
    import resource

    import h5py  # noqa: F401 - warm the imports so the memory cap applies to the work alone

    import fusiondoctor
    from fusiondoctor import registry
    from fusiondoctor.render import json_report, text  # noqa: F401

    registry.all_rules()
    fusiondoctor.check  # noqa: B018 - resolve the lazy attribute
    from fusiondoctor.history import readers

    if hasattr(readers, "AVOID_TENSORFLOW"):  # this process is ours, as the CLI's is: no TensorFlow for TB logs
        readers.AVOID_TENSORFLOW = True
    with open("/proc/self/status") as status:
        vm = next(int(line.split()[1]) for line in status if line.startswith("VmSize:")) * 1024
    cap = vm + int(os.environ.get("FUSIONDOCTOR_SANDBOX_MEMORY_MB", "1024")) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    protocol.write("ready\n")
    protocol.flush()
    for line in sys.stdin:
        answer = _answer(json.loads(line))
        protocol.write(json.dumps(answer) + "\n")
        protocol.flush()
