"""The one judge of a fix trial: the baseline's and the candidate's runs in, a verdict out.

Pure: no Keras, no clock, no files. What happened around the runs (a patch that did not apply, the
budget running out, the finding still there) comes in as ``Circumstances``; ``judge`` applies the
overrides in this order, the first that holds decides:

1. the patch does not apply: FAILED;
2. the patch changes nothing (the candidate's config is the baseline's): NOT CONFIRMED, never trained;
3. the candidate keeps a confirmed blocker of a baseline that never learns: NOT CONFIRMED, not trained;
4. no baseline run completed: NOT CONFIRMED when the budget stopped it, else FAILED;
5. a candidate run raised (errors first): FAILED, with the error;
6. the statistics decide (``decide``);
7. the budget cut the trial and the seeds it ran do not settle the outcome: NOT CONFIRMED (budget
   cuts never decide);
8. CONFIRMED, but the targeted finding is still there in the candidate: NOT CONFIRMED.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..types import Verdict
from .runs import Run, endings


@dataclass(frozen=True)
class Design:
    """How a trial is decided: the seeds it plans, the smallest gain that matters, the score's range."""

    seeds: int = 3
    min_delta: float = 0.02
    bounds: tuple[float, float] | None = (0.0, 1.0)


@dataclass(frozen=True)
class Circumstances:
    """What happened around the runs, for the overrides."""

    patch_error: str | None = None
    unchanged: bool = False
    blocked_by: str | None = None
    over_budget: bool = False
    finding_gone: bool | None = None


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    gain: float = math.nan
    spread: float = math.nan
    interval: tuple[float, float] | None = None
    seeds: int = 0
    note: str = ""


def judge(baseline: Sequence[Run], candidate: Sequence[Run], design: Design,
          given: Circumstances = Circumstances()) -> Judgement:
    """The verdict of a trial, with the overrides applied in the order the module states."""
    if given.patch_error is not None:
        return Judgement(Verdict.FAILED, note=f"patch does not apply: {given.patch_error}")
    if given.unchanged:
        return Judgement(Verdict.NOT_CONFIRMED, note="the patch changes nothing in the model: not trained, "
                                                     "a no-op is never confirmed")
    if given.blocked_by:
        return Judgement(Verdict.NOT_CONFIRMED,
                         note=f"not trialled: the baseline never learns, and this candidate keeps {given.blocked_by}, "
                              "whose fix is confirmed; run fix again on the fixed model")
    if not any(r.complete for r in baseline):
        if given.over_budget:
            return Judgement(Verdict.NOT_CONFIRMED, note="stopped by --budget before the baseline trained")
        return Judgement(Verdict.FAILED, note="the baseline did not train")
    errors = [r.error for r in candidate if r.error]
    if errors:
        return Judgement(Verdict.FAILED, note=errors[-1])
    found, gain, spread = decide(baseline, candidate, design.min_delta)
    complete = [r for r in candidate if r.complete]
    pairs = _pairs(baseline, candidate)
    cut = len(complete) < design.seeds and given.over_budget
    note = ""
    if cut:
        note = "stopped by --budget"
    elif len(candidate) < design.seeds:
        note = f"stopped after {len(candidate)} seeds: the verdict could no longer change"
    if not cut and endings(candidate):
        note = "; ".join(filter(None, [note, "ended early: " + endings(candidate)]))
    if cut and found in (Verdict.CONFIRMED, Verdict.WORSE) and not settled(baseline, complete, design):
        found = Verdict.NOT_CONFIRMED  # the seeds left out could still change it
        note = f"stopped by --budget after {len(complete)} of {design.seeds} seeds: too few to decide"
    if found is Verdict.CONFIRMED and given.finding_gone is False:
        found, note = Verdict.NOT_CONFIRMED, "the metric improved but the finding is still there"
    return Judgement(found, gain, spread, None, len(pairs), note)


def _pairs(baseline: Sequence[Run], candidate: Sequence[Run]) -> list[tuple[float, float]]:
    """(baseline, candidate) scores of the seeds both completed, paired by seed."""
    base = {r.seed: r.final for r in baseline if r.complete}
    return [(base[c.seed], c.final) for c in candidate if c.complete and c.seed in base]


def decide(baseline: Sequence[Run], candidate: Sequence[Run], min_delta: float) -> tuple[Verdict, float, float]:
    """The statistics alone: the verdict, the mean gain, and the seed-to-seed spread."""
    pairs = _pairs(baseline, candidate)
    if not pairs:
        return Verdict.NOT_CONFIRMED, math.nan, math.nan
    base = [b for b, _ in pairs]
    cand = [c for _, c in pairs]
    gain = statistics.fmean(cand) - statistics.fmean(base)
    spread = max(statistics.stdev(base), statistics.stdev(cand)) if len(pairs) > 1 else math.inf
    threshold = max(spread, min_delta)
    if gain > threshold:
        return Verdict.CONFIRMED, gain, spread
    if gain < -threshold:
        return Verdict.WORSE, gain, spread
    return Verdict.NOT_CONFIRMED, gain, spread


#: Scores tried per unfinished run when deciding whether a trial may stop early.
_SETTLE_GRID = 41


def settled(baseline: Sequence[Run], candidate: Sequence[Run], design: Design, current: Run | None = None) -> bool:
    """True when no scores the unfinished runs could reach change the verdict.

    Unfinished: the seeds not run yet, anywhere in ``bounds``, and the ``current`` run, anywhere from
    its best score so far up (a run's score is its best epoch's). They are tried on a grid (every
    combination, for up to two unfinished runs; with more, the trial runs on): the spread moves with
    them, so the extremes alone do not bound the verdict. At least one candidate run always finishes."""
    bounds = design.bounds
    done = [r for r in candidate if r.complete]
    ranges = [bounds] * (design.seeds - len(done) - (current is not None))
    if current is not None:
        ranges.append((max(bounds[0], current.final), bounds[1]) if bounds else None)
    if not ranges:
        return True
    if not done or len(ranges) > 2 or not all(r and all(map(math.isfinite, r)) for r in ranges):
        return False
    grids = [np.linspace(low, high, _SETTLE_GRID) for low, high in ranges]
    # the verdict the runs give if they stop now (the current one at its score so far) must be among them
    start = len(baseline)
    now = list(done) + ([current] if current is not None else [])
    verdicts = {decide(baseline, _reseeded(now), design.min_delta)[0]}
    for fills in itertools.product(*grids):
        padded = _reseeded(list(done) + [Run(start + i, scores=[float(fill)]) for i, fill in enumerate(fills)])
        verdicts.add(decide(baseline, padded, design.min_delta)[0])
        if len(verdicts) > 1:
            return False
    return True


def _reseeded(runs: list[Run]) -> list[Run]:
    """Runs numbered by position, paired with the baseline's runs in order."""
    return [Run(i, scores=r.scores) for i, r in enumerate(runs)]
