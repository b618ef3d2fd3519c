"""Small helpers shared by tests: run the CLI as a real process, build tiny fusion models."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

HEAVY_MODULES = ("tensorflow", "keras", "tf_keras", "matplotlib", "jax", "torch", "pandas", "mlflow")


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> dict:
        return json.loads(self.stdout)

    @property
    def stderr_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


def run_cli(*args: str, cwd=None) -> Run:
    proc = subprocess.run([sys.executable, "-m", "fusiondoctor", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=120)
    return Run(proc.returncode, proc.stdout, proc.stderr)


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def tiny_fusion(keras, head_activation: str = "softmax", loss: str = "binary_crossentropy", units: int = 1):
    """A two-branch model in the shape of the seed-000 story, small enough to build in milliseconds."""
    layers = keras.layers
    image = keras.Input((8, 8, 3), name="image")
    x = layers.Conv2D(4, 3, activation="relu")(image)
    x = layers.Flatten()(x)
    x = layers.Dense(16, activation="relu")(x)
    text = keras.Input((1, 12), name="text")
    t = layers.LSTM(4, name="LTSM")(text)
    t = layers.Dense(8, activation="relu")(t)
    merged = layers.concatenate([x, t])
    out = layers.Dense(units, activation=head_activation, name="output_layer")(merged)
    model = keras.Model([image, text], out)
    model.compile(loss=loss, optimizer="adam", metrics=["accuracy"])
    return model
