"""HistorySpec: per-epoch metric series, whatever format they came from."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

_ACCURACY = re.compile(r"(^|_)(acc|accuracy|binary_accuracy|categorical_accuracy|sparse_categorical_accuracy)$")


@dataclass(frozen=True)
class Series:
    """One metric over epochs. ``epochs`` are 0-based; values may be NaN or infinite."""

    name: str
    epochs: tuple[int, ...]
    values: tuple[float, ...]

    @property
    def is_validation(self) -> bool:
        return self.name.startswith("val_")

    @property
    def base(self) -> str:
        """The metric without its ``val_`` prefix."""
        return self.name[4:] if self.is_validation else self.name

    @property
    def is_loss(self) -> bool:
        return self.base == "loss" or self.base.endswith("_loss")

    @property
    def is_accuracy(self) -> bool:
        return bool(_ACCURACY.search(self.base))

    def finite(self) -> list[tuple[int, float]]:
        return [(e, v) for e, v in zip(self.epochs, self.values) if math.isfinite(v)]

    def __len__(self) -> int:
        return len(self.values)


@dataclass
class HistorySpec:
    source: str
    series: dict[str, Series] = field(default_factory=dict)
    format: str = "dict"
    #: Batches per training epoch, when the source records it (a live History's ``params``).
    steps: int | None = None

    @property
    def n_epochs(self) -> int:
        return max((max(s.epochs) + 1 for s in self.series.values() if s.epochs), default=0)

    def get(self, name: str) -> Series | None:
        return self.series.get(name)

    def names(self) -> list[str]:
        return list(self.series)

    def training(self) -> Iterator[Series]:
        return (s for s in self.series.values() if not s.is_validation)

    def validation_of(self, series: Series) -> Series | None:
        return self.series.get("val_" + series.base)

    def losses(self) -> list[tuple[Series, Series | None]]:
        """(training loss, validation loss) pairs: the total loss and each output's loss."""
        return [(s, self.validation_of(s)) for s in self.training() if s.is_loss]

    def accuracies(self) -> list[Series]:
        return [s for s in self.series.values() if s.is_accuracy]

    def as_dict(self) -> dict[str, list[float]]:
        return {name: list(s.values) for name, s in self.series.items()}


def validation_frequency(n_epochs: int, n_values: int) -> int | None:
    """The Keras ``validation_freq`` k that gives ``n_values`` validation runs in ``n_epochs``
    epochs (runs after epochs k, 2k, ...), if one does."""
    for freq in range(1, n_epochs + 1):
        if n_epochs // freq == n_values:
            return freq
    return None


def from_columns(columns: dict[str, Sequence[float]], source: str, fmt: str,
                 epochs: dict[str, Sequence[int]] | None = None) -> HistorySpec:
    """A HistorySpec from metric -> values; a series shorter than the longest is taken as a
    validation run every ``validation_freq`` epochs when such a frequency exists."""
    longest = max((len(v) for v in columns.values()), default=0)
    series = {}
    for name, values in columns.items():
        freq = validation_frequency(longest, len(values)) if values else None
        if epochs and name in epochs:
            steps = tuple(int(e) for e in epochs[name])
        elif freq:
            steps = tuple(freq * (i + 1) - 1 for i in range(len(values)))
        else:
            steps = tuple(range(len(values)))
        series[name] = Series(name, steps, tuple(float(v) for v in values))
    return HistorySpec(source, series, fmt)
