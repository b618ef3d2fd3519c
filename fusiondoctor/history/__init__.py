"""Training histories: one HistorySpec from a Keras History, a dict, JSON, CSVLogger CSV or TensorBoard logs."""

from .readers import read_history
from .spec import HistorySpec, Series

__all__ = ["HistorySpec", "Series", "read_history"]
