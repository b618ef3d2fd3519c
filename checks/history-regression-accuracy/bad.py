"""The soil-temperature anomaly regression of good.py with a ReLU on its output unit.

Half the anomalies are below zero, and a ReLU cannot output a negative number: every sample with a
negative target is predicted as 0 at best, and the loss levels off well above the good model's.
The accuracy is frozen at 0.0 here too, for the same reason as in good.py (accuracy means nothing
on real-valued targets), so it is no evidence of anything; FD211 points at the output's ReLU.
"""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("_regression_accuracy_good", Path(__file__).with_name("good.py"))
_good = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_good)
EPOCHS = _good.EPOCHS


def build(keras):
    return _good.build(keras, activation="relu")


def train(keras, callbacks=None):
    return _good.train(keras, callbacks, activation="relu")
