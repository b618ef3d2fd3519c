"""`fusiondoctor demo`: the seed-000 story end to end, on synthetic data made on the spot.

The meme classifier from the original post: a frozen VGG16 image branch (224x224) and an LSTM text
branch over (1, 512), concatenated into Dense(1, activation="softmax"). It is trained briefly
(accuracy freezes at the class share), diagnosed (FD101 at output_layer, the history linked to it),
and the fix is confirmed by a trial. The reports land in ``--out`` (reports/demo by default).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np


def build_meme_model(keras):
    """The seed-000 model as posted (VGG16 with weights=None: nothing is downloaded)."""
    layers, regularizers = keras.layers, keras.regularizers
    input_tensor = layers.Input(shape=(224, 224, 3), name="image")
    vgg = keras.applications.VGG16(input_tensor=input_tensor, weights=None, include_top=False)
    for layer in vgg.layers:
        layer.trainable = False
    x = layers.Flatten()(vgg.output)
    x = layers.Dense(256, activation="relu", kernel_regularizer=regularizers.l2(1e-5))(x)
    x = layers.Dropout(0.5)(x)
    x = layers.Dense(64, activation="relu", kernel_regularizer=regularizers.l2(1e-5))(x)
    input_text = layers.Input(shape=(1, 512), name="text")
    t = layers.LSTM(32, dropout=0.5, name="LTSM")(input_text)
    t = layers.Dense(10, kernel_initializer="normal", activation="relu")(t)
    merged = layers.concatenate([x, t])
    out = layers.Dense(1, activation="softmax", name="output_layer")(merged)
    model = keras.Model([input_tensor, input_text], out)
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def meme_data(samples: int, seed: int = 0) -> tuple[list[np.ndarray], np.ndarray]:
    """Balanced synthetic memes whose label shows in the image (brighter top half) and the text."""
    rng = np.random.default_rng(seed)
    y = (np.arange(samples) % 2).astype("float32")
    rng.shuffle(y)
    images = rng.uniform(0, 1, size=(samples, 224, 224, 3)).astype("float32")
    images[:, :112] += y[:, None, None, None] * 0.5
    text = rng.normal(size=(samples, 1, 512)).astype("float32")
    text[:, 0, :16] += y[:, None] * 1.5
    return [images, text], y


def _say(text: str) -> None:
    print(f"fusiondoctor demo: {text}", file=sys.stderr, flush=True)


def run(out: str = "reports/demo", samples: int = 32, epochs: int = 3, seeds: int = 3) -> int:
    from . import DoctorCallback, check
    from .live.quiet import import_keras
    from .render import figures, plots, render
    from .trials.confirm import confirm
    from .types import Verdict

    started = time.monotonic()
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    _say("loading Keras ...")
    keras = import_keras()
    keras.utils.set_random_seed(0)
    _say("building the seed-000 meme model (VGG16 224x224 + LSTM, Dense(1, softmax)) ...")
    model = build_meme_model(keras)
    x, y = meme_data(samples)
    _say(f"training it for {epochs} epochs on {samples} synthetic memes (the frozen VGG16 runs on every sample) ...")
    history = model.fit(x, y, epochs=epochs, batch_size=8, validation_split=0.25, verbose=0,
                        callbacks=[DoctorCallback(verbose=False)])
    _say("diagnosing the model and its history ...")
    report = check(model, history=history, name="seed-000 meme model")
    _say("confirming the fixes by retraining (baseline vs candidate, 3 seeds) ...")
    trials = confirm(model, (x, y), seeds=seeds, progress=True)
    full = report.merged(trials.report.__class__(trials=trials.report.trials))
    images = figures.report_images(report)  # the model drawing and the learning curves, findings marked
    for trial in trials.trials:
        if trial.runs:
            images[f"trial {trial.code}"] = plots.figure_bytes(plots.trial_curves(trials.baseline, trial))
    for name, data in images.items():
        (folder / f"{name.replace(' ', '_')}.png").write_bytes(data)
    (folder / "report.html").write_text(
        render(full, "html", images=images, title="fusiondoctor demo: the seed-000 meme model"), encoding="utf-8"
    )
    (folder / "report.md").write_text(render(full, "markdown"), encoding="utf-8")
    (folder / "report.json").write_text(render(full, "json"), encoding="utf-8")
    sys.stdout.write(render(full, "text"))
    _say(f"done in {time.monotonic() - started:.0f} s; reports in {folder}/ (open report.html)")
    confirmed = any(t.verdict is Verdict.CONFIRMED and t.code == "FD101" for t in trials.trials)
    return 0 if confirmed else 1
