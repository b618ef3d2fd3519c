"""The casebook's fix trials: every patchable bad case says what ``fusiondoctor.confirm`` concludes.

A rule case whose bad model gets a finding with a patched fix carries, in case.toml, a table

    [bad.trial]
    verdict = "confirmed"          # or "not confirmed" / "worse", with a comment saying why; or "skip"
    reason = "..."                 # for verdict = "skip": why no honest few-second trial exists
    data = "..."                   # what the training data is (bad.py's trial_data())
    epochs = 3                     # optional (default 3); seeds = 3 likewise (the seeds a trial starts with)
    verdict_jax = "..."            # optional: a backend's own verdict where backends honestly differ

and its bad.py defines ``trial_data()`` returning ``(x, y)`` with real signal (data cases, whose
``make(keras)`` already returns data, may carry the table too). ``test_trial_verdict`` runs
``confirm`` on the case and asserts the verdict for the case's own rule. The trials are marked
``live`` and ``slow``; ``test_every_patchable_case_has_a_trial`` (live, not slow) keeps the tables complete.

A history case (``kind = "history"``) whose rule's fix carries a patch has the table too: its bad.py
defines ``trial_model(keras)`` (the model as ``train`` compiles it, untrained) and ``trial_data()``
(``train``'s training data). ``confirm`` sees no history, so the finding trialled is the one
``check`` makes from the frozen run (bad.model.json with bad.history.json), passed as ``candidates``;
whether it is gone is read from the candidate's own history (``trials.confirm``).
"""

from __future__ import annotations

import pytest

import fusiondoctor
from tests.casebook import Case, cases, tomllib

pytestmark = pytest.mark.live

VERDICTS = ("confirmed", "not confirmed", "worse", "failed", "skip")


def trial_table(case: Case):
    with open(case.folder / "case.toml", "rb") as handle:
        return tomllib.load(handle).get("bad", {}).get("trial")


def trial_cases():
    found = []
    for case in cases(kind="model") + cases(kind="data") + cases(kind="history"):
        table = trial_table(case)
        if table is None:
            continue
        marks = [pytest.mark.slow]
        if table.get("verdict") == "skip":
            marks.append(pytest.mark.skip(reason=f"{case.rule}: {table.get('reason')}"))
        found.append(pytest.param(case, table, id=case.name, marks=marks))
    return found


def model_and_data(case: Case, keras):
    module = case.module("bad")
    if case.kind == "data":
        return module.make(keras)
    if case.kind == "history":
        keras.utils.set_random_seed(0)
        return module.trial_model(keras), module.trial_data()
    keras.utils.set_random_seed(0)
    return module.build(keras), module.trial_data()


def history_findings(case: Case) -> list:
    """The findings of a history case's rule that ``check`` makes from its frozen bad run, with a patch."""
    report = fusiondoctor.check(str(case.folder / "bad.model.json"), history=str(case.frozen_history("bad")))
    return [f for f in report.findings if f.code == case.rule and f.fix and f.fix.patch]


@pytest.mark.parametrize("case, table", trial_cases())
def test_trial_verdict(case: Case, table: dict, fresh):
    model, data = model_and_data(case, fresh)
    candidates = history_findings(case) if case.kind == "history" else None
    result = fusiondoctor.confirm(model, data, epochs=int(table.get("epochs", 3)), seeds=int(table.get("seeds", 3)),
                                  progress=False, candidates=candidates)
    assert case.rule in (result.report.codes() if candidates is None else [f.code for f in candidates])
    mine = [t for t in result.trials if t.code == case.rule]
    assert len(mine) == 1, [(t.code, t.verdict) for t in result.trials]
    (trial,) = mine
    summary = (trial.verdict, trial.gain, trial.spread, trial.note,
               [r.final for r in result.baseline.runs], [r.final for r in trial.runs])
    expected = table.get(f"verdict_{fresh.backend.backend()}", table["verdict"])  # a backend's own, where they differ
    assert trial.verdict == expected, summary
    if trial.verdict == "confirmed":
        assert trial.finding_gone is True
        assert len(trial.runs) >= int(table.get("seeds", 3))  # the seeds it starts with, more while undecided


@pytest.mark.parametrize("case", [c for c in cases(kind="model") if c.rule and c.rule != "FD100"], ids=lambda c: c.name)
def test_every_patchable_case_has_a_trial(case: Case, fresh):
    report = fusiondoctor.check(case.builder("bad")(fresh))
    patched = [f for f in report.findings if f.code == case.rule and f.fix and f.fix.patch]
    assert_trial_table(case, bool(patched), ("trial_data",))


@pytest.mark.parametrize("case", [c for c in cases(kind="history") if c.rule], ids=lambda c: c.name)
def test_every_patchable_history_case_has_a_trial(case: Case):
    """Static: the frozen bad run's finding decides whether the case needs a [bad.trial] table."""
    assert_trial_table(case, bool(history_findings(case)), ("trial_model", "trial_data"))


def assert_trial_table(case: Case, patched: bool, functions: tuple[str, ...]) -> None:
    """A case whose finding has a patch carries a [bad.trial] table (and only such a case): a skip
    says why; a verdict says what the data is, and bad.py defines ``functions``."""
    table = trial_table(case)
    if not patched:
        assert table is None, f"{case.name}: a [bad.trial] table, but its finding has no patch to trial"
        return
    assert table is not None, f"{case.name}: the fix of {case.rule} has a patch, so case.toml needs [bad.trial]"
    assert table.get("verdict") in VERDICTS, table
    if table["verdict"] == "skip":
        assert table.get("reason"), f"{case.name}: a skipped trial says why"
        return
    assert table.get("data"), f"{case.name}: [bad.trial] says what the data is"
    module = case.module("bad")
    for name in functions:
        assert callable(getattr(module, name, None)), f"{case.name}: bad.py needs {name}()"
