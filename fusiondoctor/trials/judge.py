"""The one judge of a fix trial: the baseline's and the candidate's runs in, a verdict out.

The design (sequential, paired). Baseline and candidate train on the same seeds; a seed fixes the
split (each seed holds out its own stratified part, so the gain is one on unseen data, not on one
particular held-out part), the data order and the starting weights of every layer the two
share (each layer draws from the seed and its own name), so the per-seed gain ``candidate - baseline``
cancels most seed-to-seed noise. The trial looks at the gains after ``start`` seeds (3 by default)
and, while undecided, doubles the seeds up to ``cap`` (20): looks after 3, 6, 12 and 20 seeds. At
look k it forms a t interval on the mean gain at level ``alpha_k`` per side, where the error rate
``alpha`` (0.05) is spent over the looks in proportion to the seeds each adds (linear alpha spending:
``alpha_k = alpha * (n_k - n_(k-1)) / cap``, so 3/20, 3/20, 6/20 and 8/20 of it). The shares add up
to ``alpha``, so by the union bound the chance that a patch with no effect is ever confirmed, or ever
called worse, is at most ``alpha`` each; spending little at the early looks keeps most of it for the
last, where a small gain (+0.04 on a noisy baseline) is shown. The standard deviation of the gains is
taken as at least the score's resolution (one held-out sample), so a few identical gains on a coarse
score do not make a zero-width interval. With ``low, high`` the interval and ``mean`` the mean gain:

- CONFIRMED when ``low > 0`` and ``mean >= min_effect`` (0.01 on the score: a gain that matters);
- WORSE when ``high < 0`` and ``mean <= -min_effect``;
- NOT CONFIRMED, decided, when ``high < min_effect``: any gain is smaller than what matters;
- otherwise undecided: more seeds, or NOT CONFIRMED at the cap.

A run ends early once nothing it could still score changes the decision at its look (``settled``).

Pure: no Keras, no clock, no files. What happened around the runs (a patch that did not apply, the
budget running out, the finding still there) comes in as ``Circumstances``; ``judge`` applies the
overrides in this order, the first that holds decides:

1. the patch does not apply: FAILED;
2. the patch changes nothing (the candidate's config is the baseline's): NOT CONFIRMED, never trained;
   it changes only the compiled metrics (training is the same, seed for seed): likewise;
3. the candidate keeps a confirmed blocker of a baseline that never learns: NOT CONFIRMED, not trained;
4. no baseline run completed: NOT CONFIRMED when the budget stopped it, else FAILED;
5. a candidate run raised (errors first): FAILED, with the error;
6. the statistics decide, at the last look the complete pairs reach: a look the budget cut short
   never decides (budget cuts never decide), nor do the seeds after the last complete look;
7. CONFIRMED, but the targeted finding is still there in the candidate: NOT CONFIRMED.
"""

from __future__ import annotations

import functools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..types import Verdict
from .runs import Run, endings


@dataclass(frozen=True)
class Design:
    """How a trial is decided (see the module): the seeds it starts with and its cap, the error rate,
    the smallest gain that matters, the score's resolution and range."""

    start: int = 3
    cap: int = 20
    alpha: float = 0.05
    min_effect: float = 0.01
    resolution: float = 0.0
    bounds: tuple[float, float] | None = (0.0, 1.0)

    def looks(self) -> list[int]:
        """The numbers of seeds after which the trial looks: ``start``, doubling, up to ``cap``."""
        looks, n = [], max(1, self.start)
        while n < self.cap:
            looks.append(n)
            n *= 2
        return looks + [max(self.cap, self.start)]

    def alpha_at(self, seeds: int) -> float:
        """The error rate spent per side at the look of ``seeds`` seeds (the latest look at or below
        it): ``alpha`` times the share of the cap's seeds that look adds."""
        looks = self.looks()
        k = max([i for i, n in enumerate(looks) if n <= seeds], default=0)
        added = looks[k] - (looks[k - 1] if k else 0)
        return self.alpha * added / looks[-1]

    def next_look(self, done: int) -> int | None:
        """The look after ``done`` paired seeds, or None past the last one."""
        return next((n for n in self.looks() if n > done), None)


@dataclass(frozen=True)
class Circumstances:
    """What happened around the runs, for the overrides."""

    patch_error: str | None = None
    unchanged: bool = False
    metrics_only: bool = False
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
    if given.metrics_only:
        return Judgement(Verdict.NOT_CONFIRMED, note="the patch changes only the metrics reported, not what is "
                                                     "trained: not trained, as retraining cannot show it; apply it "
                                                     "for metrics that mean something")
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
    pairs = paired(baseline, candidate)
    looks = [n for n in design.looks() if n <= len(pairs)]
    if not looks:
        why = "stopped by --budget" if given.over_budget else "too few seeds completed"
        return Judgement(Verdict.NOT_CONFIRMED, seeds=len(pairs), note=f"{why} after {len(pairs)} seeds: undecided")
    at = looks[-1]
    found, gain, spread, interval = decide(pairs[:at], design)
    note = ""
    if found is None:
        found = Verdict.NOT_CONFIRMED
        if at == design.looks()[-1]:
            note = f"undecided after {at} seeds: no gain of {design.min_effect:g} or more shown"
        elif given.over_budget:
            note = f"stopped by --budget after {len(pairs)} seeds: undecided"
        else:
            note = f"undecided after {at} seeds"
    if endings(candidate):
        note = "; ".join(filter(None, [note, "ended early: " + endings(candidate)]))
    if found is Verdict.CONFIRMED and given.finding_gone is False:
        found, note = Verdict.NOT_CONFIRMED, "the metric improved but the finding is still there"
    return Judgement(found, gain, spread, interval, at, note)


def paired(baseline: Sequence[Run], candidate: Sequence[Run]) -> list[tuple[float, float]]:
    """(baseline, candidate) scores of the seeds both completed, paired by seed, in the candidate's order."""
    base = {r.seed: r.final for r in baseline if r.complete}
    return [(base[c.seed], c.final) for c in candidate if c.complete and c.seed in base]


def decide(pairs: Sequence[tuple[float, float]], design: Design
           ) -> tuple[Verdict | None, float, float, tuple[float, float] | None]:
    """The statistics alone, at one look: the decision (None: undecided), the mean paired gain, the
    gains' standard deviation and the interval (see the module)."""
    gains = [c - b for b, c in pairs if math.isfinite(b) and math.isfinite(c)]
    if not gains:
        return None, math.nan, math.nan, None
    mean = statistics.fmean(gains)
    if len(gains) < 2:
        return None, mean, math.nan, None
    spread = statistics.stdev(gains)
    level = 1 - design.alpha_at(len(pairs))  # per side, this look's share of alpha (the module)
    half = _t(level, len(gains) - 1) * max(spread, design.resolution) / math.sqrt(len(gains))
    low, high = mean - half, mean + half
    if low > 0 and mean >= design.min_effect:
        return Verdict.CONFIRMED, mean, spread, (low, high)
    if high < 0 and mean <= -design.min_effect:
        return Verdict.WORSE, mean, spread, (low, high)
    if high < design.min_effect:
        return Verdict.NOT_CONFIRMED, mean, spread, (low, high)
    return None, mean, spread, (low, high)


@functools.lru_cache(maxsize=256)
def _t(level: float, df: int) -> float:
    """Student's t quantile (scipy, loaded only when a trial is judged)."""
    from scipy import stats

    return float(stats.t.ppf(level, df))


#: Scores tried for the run under way when deciding whether it may end early.
_SETTLE_GRID = 41


def settled(baseline: Sequence[Run], candidate: Sequence[Run], design: Design, current: Run | None = None) -> bool:
    """True when the run under way (``current``, the last seed of its look) may end: the decision at
    its look is made, and the same, whatever score from its best so far up to the top of ``bounds``
    it would end with (a run's score is its best epoch's, so it can only rise). The score is tried
    on a grid: the gains' spread moves with it, so the extremes alone do not bound the decision."""
    if current is None or design.bounds is None:
        return False
    done = [r for r in candidate if r.complete]
    look = len(done) + 1
    if look not in design.looks():
        return False
    low, high = max(design.bounds[0], current.final), design.bounds[1]
    if not (math.isfinite(low) and math.isfinite(high)):
        return False
    decisions = set()
    for fill in np.linspace(low, high, _SETTLE_GRID):
        run = Run(current.seed, scores=[float(fill)])
        decision = decide(paired(baseline, done + [run]), design)[0]
        if decision is None and look == design.looks()[-1]:
            decision = Verdict.NOT_CONFIRMED  # undecided at the cap
        decisions.add(decision)
        if len(decisions) > 1 or None in decisions:
            return False
    return True
