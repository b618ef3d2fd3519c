"""`fusiondoctor fix` / `fusiondoctor.confirm`: diagnose, then trial each fix that has a patch."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..config import Settings, resolve
from ..engine import Subject, diagnose
from ..errors import FusionDoctorError, InputError
from ..live.keras_model import model_class
from ..model.graph import heads, merges
from ..model.live import raw_from_config
from ..model.normalize import normalize
from ..probes.data import make_probe_data
from ..probes.faults import refuse_untrainable
from ..probes.feature_cache import CacheOption, FeatureCache
from ..probes.labels import score_bounds, task_of, with_labels
from ..probes.measure import measure
from ..probes.probes import Probes
from ..progress import Progress
from ..registry import get as get_rule
from ..subject import live_model, load_model_spec, needed_measurements
from ..types import Finding, Report, Verdict
from .judge import Circumstances, Design, decide, judge, paired, settled
from .patches import PatchError, apply_patch
from .runner import TrialRunner, TrialSettings, main_output, trial_compile_config
from .runs import Run, Trial

#: Samples trials train and validate on by default (probing uses its own, smaller sample).
DEFAULT_TRIAL_SAMPLES = 4096


@dataclasses.dataclass
class Confirmation:
    report: Report
    baseline: Trial
    trials: list[Trial]
    settings: TrialSettings
    holdout_samples: int
    written: str | None = None
    #: every confirmed patch applied together, trialled against the baseline (with two or more confirmed)
    combined: Trial | None = None

    def shown(self) -> list[Trial]:
        """The trials in the report's order: the combined fix first, then each single one."""
        return ([self.combined] if self.combined is not None else []) + list(self.trials)

    def best(self) -> Trial | None:
        """The model to keep: the combined fix when it is confirmed, else the best confirmed single fix."""
        if self.combined is not None and self.combined.verdict is Verdict.CONFIRMED:
            return self.combined
        confirmed = [t for t in self.trials if t.verdict is Verdict.CONFIRMED]
        return max(confirmed, key=lambda t: t.gain) if confirmed else None


def _patchable(findings: Iterable[Finding]) -> list[Finding]:
    seen, chosen = set(), []
    for finding in findings:
        if finding.fix and finding.fix.patch:
            key = repr(finding.fix.patch)  # a value may be a list (metric names, layer paths)
            if key not in seen:
                seen.add(key)
                chosen.append(finding)
    return chosen


def _candidates(report: Report, chosen) -> list[Finding]:
    found = _patchable(report.findings)
    if chosen is None:
        return found
    return list(chosen(found) if callable(chosen) else chosen)


def _ancestry(spec):
    """For modality dropout: (merge path, operand layer names fed only by this input) per fusion merge."""
    def lookup(input_name: str):
        found = []
        for merge in merges(spec):
            if not merge.is_fusion or merge.node.layer.parent:
                continue
            # the layer in the merge's own scope: a nested model's operand is the nested model itself
            names = {spec.nodes[o.key].layer.path.split("/")[0] for o in merge.operands
                     if o.inputs == frozenset({input_name})}
            if names:
                found.append((merge.node.layer.path, names))
        return found
    return lookup


def _static_finding(code: str, config: dict, compile_config: dict, runner: TrialRunner,
                    where: str | None = None) -> bool | None:
    """Whether a model/compile rule still finds ``code`` in a candidate config (at layer or output
    ``where``, when given: another head of a model with several outputs may have the same finding);
    None for other rules."""
    rule = get_rule(code)
    if not set(rule.needs) <= {"model", "compiled"}:
        return None
    raw = raw_from_config(config, compile_config, model_class(runner.live), "<candidate>")
    report = diagnose(Subject("<candidate>", model=normalize(raw)), Settings(), [rule])
    return any(f.code == code and where in (None, f.location.layer, f.location.output) for f in report.findings)


def _finding_gone(code: str, trial: Trial, config: dict, compile_config: dict, runner: TrialRunner,
                  where: str | None = None) -> bool | None:
    still_there = _static_finding(code, config, compile_config, runner, where)
    if still_there is not None:
        return not still_there
    rule = get_rule(code)
    if rule.needs == ("history",) and trial.runs and trial.runs[-1].history:
        report = diagnose(Subject("<candidate>", history=_history(trial.runs[-1].history)), Settings(), [rule])
        return not any(f.code == code for f in report.findings)
    return None


def _all_gone(codes: Sequence[str], trial: Trial, config: dict, compile_config: dict,
              runner: TrialRunner, where: Sequence[str | None] = ()) -> bool | None:
    """Every targeted finding gone (True), one still there (False), or not known for some (None);
    ``where``: each finding's layer or output, to look there only."""
    places = list(where) or [None] * len(codes)
    gone = [_finding_gone(code, trial, config, compile_config, runner, place) for code, place in zip(codes, places)]
    return False if False in gone else (None if None in gone else True)


def _never_learns(baseline: Trial) -> bool:
    """On every seed the baseline's output is constant, or its held-out score never moved: the
    model as it is cannot learn."""
    runs = [r for r in baseline.runs if r.complete]
    return bool(runs) and all(r.ended == "constant" or (len(r.scores) > 1 and len(set(r.scores)) == 1) for r in runs)


def _history(values: dict):
    from ..history import read_history

    return read_history(values, name="<candidate history>")


def confirm(model: Any, data: Any, *, select: Iterable[str] | None = None, ignore: Iterable[str] = (),
            epochs: int = 5, seeds: int = 3, max_seeds: int = 20, budget: float | None = None,
            keep_weights: str = "frozen",
            max_samples: int = DEFAULT_TRIAL_SAMPLES, unsafe: bool = False, distribution: Any = None,
            progress: bool = True, settings: Settings | None = None, write: str | None = None,
            candidates: Sequence[Finding] | Callable[[list[Finding]], list[Finding]] | None = None,
            cache: CacheOption = True) -> Confirmation:
    """Diagnose ``model`` with ``data``, then retrain it with each patchable fix against the
    unpatched baseline, paired seed by seed, and give each fix a verdict (``trials.judge``: start
    with ``seeds`` seeds, add more while undecided, up to ``max_seeds`` or the ``budget``).

    ``candidates``: the findings whose fixes are trialled, instead of the diagnosis's findings that
    carry a patch; or a function from those to the list to trial (to add or drop some). Errors first.
    ``cache``: where the frozen backbone's features are kept across calls (``probes.feature_cache``:
    True for the platform cache directory, a directory, or False for none).

    A model with several outputs trains on all of them, with its own per-output losses and
    ``loss_weights``, and needs labels for each (``y`` a dict keyed by output name or a list in output
    order). Every trial is scored on the main output alone (``runner.main_output``: the largest loss
    weight; on a tie or with no weights, the last output listed), the split is stratified on its
    classes, and a fix to an auxiliary head is judged by that same score."""
    base = resolve(settings, select=select, ignore=ignore)
    if write:
        _refuse_overwrite(write, model)
    spec = load_model_spec(model)
    live = live_model(model, unsafe)
    config, compile_config = live.get_config(), trial_compile_config(live)  # before probes add sub-models
    if isinstance(config.get("output_layers"), dict):  # Keras orders such outputs by key, not as the config lists them
        raise FusionDoctorError("fix trials support models whose outputs are one tensor or a list; this model's "
                                "outputs are a dict: build it with a list of outputs")
    trial_data = make_probe_data(data, spec, max_samples)
    _labels(trial_data, spec, trial_data.source)  # every output's labels, before any work
    refuse_untrainable(trial_data, spec, live)
    features = FeatureCache.resolve(cache)
    probes = Probes(live, spec, trial_data, cache=features)  # the same samples: the backbone runs once for both
    name = str(model) if isinstance(model, (str, os.PathLike)) else spec.source
    report = diagnose(Subject(name, model=spec, measurements=measure(probes, needed_measurements(base.rules()))), base)
    found = list(heads(spec))
    if not found:
        raise FusionDoctorError("fix trials need a model with an output")
    main = main_output([o.name for o in spec.outputs], compile_config)
    ys = _labels(probes.data, spec, trial_data.source)  # the samples probes.inputs holds
    trial_settings = TrialSettings(epochs=epochs, seeds=seeds, max_seeds=max_seeds, budget=budget,
                                   keep_weights=keep_weights)
    bar = Progress(progress)
    runner = TrialRunner(live, config, compile_config, probes.inputs, ys if len(ys) > 1 else ys[0],
                         with_labels(task_of(found[main]), ys[main]), trial_settings, bar, distribution, main=main,
                         cache=features)
    runner.share_front(probes.front)
    chosen = sorted(_candidates(report, candidates), key=lambda f: -f.severity)  # errors first
    runner.steps = 1 + len(chosen) + 1  # the bar: the baseline, each candidate, then their combination
    baseline = Trial("baseline", "unchanged model", None, ())
    baseline.runs, _ = runner.runs(runner.config, runner.compile_config, list(range(seeds)), "baseline")
    trials, blocker = [], None
    for finding in chosen:
        runner.step += 1
        trials.append(_trial(finding, runner, baseline, spec, blocker))
        runner.show(f"{trials[-1].code}: {trials[-1].verdict.value} after {trials[-1].judgement.seeds} seeds")
        if blocker is None and trials[-1].verdict is Verdict.CONFIRMED and _never_learns(baseline):
            blocker = (trials[-1].code, _place(trials[-1], spec))
    runner.step += 1
    combined = _combined(trials, runner, baseline, spec)
    if combined is not None:
        runner.show(f"{combined.code}: {combined.verdict.value} after {combined.judgement.seeds} seeds")
    bar.done()
    shown = ([combined] if combined is not None else []) + trials  # the model the user will keep comes first
    scored = found[main].output.name if len(found) > 1 else None  # named where there is a choice
    result = Confirmation(
        dataclasses.replace(report, trials=tuple(t.result(baseline.runs, scored) for t in shown)),
        baseline,
        trials,
        trial_settings,
        len(runner.val_idx),
        combined=combined,
    )
    if write:
        result.written = _write_best(result, write)
    return result


def _labels(data, spec, source: str) -> list[np.ndarray]:
    """Every output's labels, in the model's output order; a one-line InputError names the outputs without."""
    outputs = [o.name for o in spec.outputs]
    ys = [data.labels_for(name, outputs) for name in outputs]
    if len(outputs) == 1 and ys[0] is None:
        raise InputError(source, "fix trials need labels: add y to the data")
    missing = [name for name, y in zip(outputs, ys) if y is None]
    if missing:
        raise InputError(source, f"fix trials train every output and need labels for each; none for "
                                 f"{', '.join(map(repr, missing))} (give y as a dict keyed by output name or a list in "
                                 f"output order; in an .npz, arrays {', '.join('y_' + o for o in outputs)})")
    return [np.asarray(y) for y in ys]


def _combined(trials: list[Trial], runner: TrialRunner, baseline: Trial, spec) -> Trial | None:
    """Every confirmed patch applied together, in the order trialled, judged against the baseline like
    a single fix; None with fewer than two confirmed (one alone is its own combination)."""
    confirmed = [t for t in trials if t.verdict is Verdict.CONFIRMED]
    if len(confirmed) < 2:
        return None
    codes = tuple(t.code for t in confirmed)
    trial = Trial(" + ".join(codes), "all confirmed fixes together: " + "; ".join(t.title for t in confirmed), None,
                  tuple(op for t in confirmed for op in t.patch), combined=True)
    return _judged(trial, codes, runner, baseline, spec, where=tuple(_place(t, spec) for t in confirmed))


def _place(trial: Trial, spec) -> str | None:
    """Where ``trial``'s finding is looked for in a candidate: at its own layer or output on a model with
    several outputs (each head may have the same finding), anywhere on a model with one."""
    return trial.location if len(spec.outputs) > 1 else None


def _trial(finding: Finding, runner: TrialRunner, baseline: Trial, spec,
           blocker: tuple[str, str | None] | None = None) -> Trial:
    """One candidate's runs, judged. ``blocker``: a confirmed fix's code (and place) for a baseline that
    never learns; a candidate that keeps that finding cannot learn either, and is not trained."""
    trial = Trial(finding.code, finding.fix.title, finding.location.layer or finding.location.output, finding.fix.patch)
    return _judged(trial, (finding.code,), runner, baseline, spec, blocker, (_place(trial, spec),))


def _judged(trial: Trial, codes: Sequence[str], runner: TrialRunner, baseline: Trial, spec,
            blocker: tuple[str, str | None] | None = None, where: Sequence[str | None] = ()) -> Trial:
    """Apply ``trial``'s patch, run it under the sequential design, and judge it; ``codes``: the
    findings it targets (several for the combined fix), ``where``: their places (``_place``)."""
    design = design_of(runner)
    outputs = [o.name for o in spec.outputs]
    try:
        config, compile_config = apply_patch(runner.config, runner.compile_config, trial.patch, outputs,
                                             _ancestry(spec))
    except PatchError as exc:
        trial.judgement = judge([], [], design, Circumstances(patch_error=str(exc)))
        return trial
    # the baseline through the same edit with no operations: the same form, to compare with
    same_config, same_compile = apply_patch(runner.config, runner.compile_config, (), outputs, _ancestry(spec))
    if (config, compile_config) == (same_config, same_compile):
        trial.judgement = judge(baseline.runs, [], design, Circumstances(unchanged=True))
        return trial
    if config == same_config and _without_metrics(compile_config) == _without_metrics(same_compile):
        trial.finding_gone = _all_gone(codes, trial, config, compile_config, runner, where)
        trial.judgement = judge(baseline.runs, [], design, Circumstances(metrics_only=True))
        return trial
    if blocker and _static_finding(blocker[0], config, compile_config, runner, blocker[1]):
        trial.judgement = judge(baseline.runs, [], design, Circumstances(blocked_by=blocker[0]))
        return trial
    # a history rule's finding is looked for in the candidate's history: its runs train every epoch
    early = not any("history" in get_rule(code).needs for code in codes)
    trial.runs, trial.model = _sequential(runner, baseline, config, compile_config, design, trial.code, early)
    if trial.runs and not any(r.error for r in trial.runs):
        trial.finding_gone = _all_gone(codes, trial, config, compile_config, runner, where)
    trial.judgement = judge(baseline.runs, trial.runs, design,
                            Circumstances(over_budget=runner.over_budget(), finding_gone=trial.finding_gone))
    return trial


def _without_metrics(compile_config: dict | None) -> dict:
    """A compile config without what only reports (metrics): what training depends on."""
    return {k: v for k, v in (compile_config or {}).items() if k not in ("metrics", "weighted_metrics")}


def design_of(runner: TrialRunner) -> Design:
    """The trials' sequential design (``judge``), from the settings and the held-out part."""
    settings = runner.settings
    classes = runner.task.kind in ("binary", "multiclass", "multilabel")
    return Design(start=settings.seeds, cap=max(settings.seeds, settings.max_seeds), alpha=settings.alpha,
                  min_effect=settings.min_effect, resolution=1.0 / len(runner.val_idx) if classes else 0.0,
                  bounds=score_bounds(runner.task))


def _sequential(runner: TrialRunner, baseline: Trial, config: dict, compile_config: dict, design: Design, label: str,
                early: bool) -> tuple[list[Run], Any]:
    """The candidate's runs: up to each look in turn, seed by seed paired with the baseline's (trained
    here when a look needs seeds it has not run), until the decision is made, the cap is reached, a
    run fails, or the budget is spent."""
    runs: list[Run] = []
    model = None
    while (look := design.next_look(len(runs))) is not None and not runner.over_budget():
        seeds = list(range(len(runs), look))
        _extend_baseline(runner, baseline, look)
        if not all(any(r.seed == s and r.complete for r in baseline.runs) for s in seeds):
            break  # the baseline failed or was cut on a seed the look needs

        more, trained = runner.runs(config, compile_config, seeds, label, _settler(baseline, list(runs), design),
                                    early=early)
        runs += more
        model = trained if trained is not None else model
        if len(more) < len(seeds) or any(r.error or r.cut for r in more):
            break
        if any(r.ended == "settled" for r in more) or decide(paired(baseline.runs, runs), design)[0] is not None:
            break
    return runs, model


def _settler(baseline: Trial, before: list[Run], design: Design):
    """``runner.runs``'s ``settle`` for a look whose earlier seeds ran ``before``."""
    return lambda done, current: settled(baseline.runs, before + done, design, current)


def _extend_baseline(runner: TrialRunner, baseline: Trial, seeds: int) -> None:
    """Train the baseline on the seeds below ``seeds`` it has not run yet."""
    missing = [s for s in range(seeds) if s not in {r.seed for r in baseline.runs}]
    if missing and not runner.over_budget():
        more, _ = runner.runs(runner.config, runner.compile_config, missing, "baseline")
        baseline.runs = sorted(baseline.runs + more, key=lambda r: r.seed)


def _refuse_overwrite(path: str, source: Any) -> None:
    """fusiondoctor never writes over the model it was given."""
    target = Path(path)
    if isinstance(source, (str, os.PathLike)) and target.exists() and target.resolve() == Path(source).resolve():
        raise FusionDoctorError(f"--write {path} would overwrite the input model; choose another path")


def _write_best(result: Confirmation, path: str) -> str | None:
    best = result.best()
    if best is None or best.model is None:
        return None
    target = Path(path)  # confirm() refused the input's own path before any work
    target.parent.mkdir(parents=True, exist_ok=True)
    best.model.save(str(target))
    return str(target)
