"""One training run's record, and the words for why runs ended early. Pure data: no Keras."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..types import RunsSummary, TrialResult, Verdict

#: Why a run may end before its last epoch with its score known (``Run.ended``).
ENDINGS = {
    "ceiling": "reached the best possible score",
    "constant": "softmax over one unit: its output is 1.0 whatever the weights",
    "settled": "the verdict could no longer change",
}


@dataclass
class Run:
    """One training run of one model on one seed."""

    seed: int
    scores: list[float] = field(default_factory=list)  # holdout score after each epoch
    history: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0
    error: str | None = None
    cut: bool = False  # the budget stopped it before its last epoch
    ended: str = ""  # a key of ENDINGS: it stopped early because more epochs could not change what counts

    @property
    def complete(self) -> bool:
        """Trained every epoch it needed without an error: only complete runs count towards a verdict."""
        return bool(self.scores) and not self.error and not self.cut

    @property
    def final(self) -> float:
        """The run's score: its best held-out score over the epochs it trained (the checkpoint a
        user keeps, and how KerasTuner ranks trials), so later epochs can only raise it."""
        finite = [s for s in self.scores if math.isfinite(s)]
        return max(finite) if finite else math.nan


@dataclass
class Trial:
    """A candidate fix, its runs, and the judge's verdict against the baseline (``judgement``)."""

    code: str
    title: str
    location: str | None
    patch: tuple
    runs: list[Run] = field(default_factory=list)
    judgement: Any = None  # judge.Judgement, once judged
    finding_gone: bool | None = None
    model: Any = None  # the last trained candidate (for --write)
    combined: bool = False  # every confirmed patch applied together

    @property
    def verdict(self) -> Verdict | None:
        return self.judgement.verdict if self.judgement else None

    @property
    def gain(self) -> float:
        return self.judgement.gain if self.judgement else math.nan

    @property
    def spread(self) -> float:
        return self.judgement.spread if self.judgement else math.nan

    @property
    def interval(self) -> tuple[float, float] | None:
        return self.judgement.interval if self.judgement else None

    @property
    def note(self) -> str:
        return self.judgement.note if self.judgement else ""

    def result(self, baseline: Sequence[Run], output: str | None = None) -> TrialResult:
        """The trial as reports show it (typed, frozen, rounded); ``output``: the output scored, on a
        model with several."""
        j = self.judgement
        interval = (_clean(j.interval[0]), _clean(j.interval[1])) if j.interval else None
        return TrialResult(
            code=self.code, fix=self.title, location=self.location, verdict=j.verdict, gain=_clean(j.gain),
            interval=interval if interval and None not in interval else None, seeds=j.seeds, spread=_clean(j.spread),
            finding_gone=None if j.verdict is Verdict.FAILED else self.finding_gone,
            baseline=summary([r for r in baseline if r.seed in {c.seed for c in self.runs}] or baseline),
            candidate=summary(self.runs), note=j.note, patch=tuple(self.patch), combined=self.combined,
            output=output)


def _clean(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else round(value, 4)


def summary(runs: Sequence[Run]) -> RunsSummary:
    finals = [r.final for r in runs if r.complete]
    return RunsSummary(
        mean=_clean(statistics.fmean(finals)) if finals else None,
        std=_clean(statistics.stdev(finals)) if len(finals) > 1 else None,
        seeds=len(finals), curves=tuple(tuple(round(s, 4) for s in r.scores) for r in runs if r.scores),
        ended=endings(runs) or None,
        # a run ended once the verdict was settled counts with its best score so far: the mean is at least this
        lower_bound=any(r.ended == "settled" for r in runs if r.complete))


def endings(runs: Sequence[Run]) -> str:
    """The runs that ended early, and why: "seed 0 after epoch 3 (reached the best possible score)";
    runs that ended alike are named together ("seeds 0, 1, 2 untrained (...)")."""
    groups: dict[tuple[str, str], list[int]] = {}
    for r in runs:
        if r.ended:
            when = "untrained" if r.ended == "constant" else f"after epoch {len(r.scores)}"
            groups.setdefault((when, r.ended), []).append(r.seed)
    return ", ".join(f"seed{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))} {when} ({ENDINGS[ended]})"
                     for (when, ended), seeds in groups.items())
