"""The rule registry: codes, names, severities, declared inputs, options and docs.

A rule is one function decorated with :func:`rule`. Its parameter names declare the inputs it needs
(flake8-style injection); the engine passes only those, and records the rule as skipped when one is
missing. A data rule also lists the measurements it reads (``measures=``): they are taken before the
engine runs, for the selected rules only. Rule modules are imported on first use of the registry,
not at ``import fusiondoctor``.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .errors import ConfigError
from .measurements import MEASUREMENTS
from .types import Severity

#: Inputs a rule may ask for, with the words used when one is missing.
INPUTS: dict[str, str] = {
    "model": "a model (file or keras.Model)",
    "compiled": "a compiled model (the file was saved without compile settings)",
    "history": "a training history (pass --history)",
    "measurements": "data to probe the model with (pass --data)",
    "monitor": "a live training run (fusiondoctor.DoctorCallback)",
}
_EXTRA_PARAMS = {"options"}

CODE_PATTERN = re.compile(r"^FD[1-9]\d\d$")
NAME_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
#: Sections every rule docstring must have (ruff's template).
DOC_SECTIONS = ("## What it does", "## Why is this bad?", "## Example", "## Use instead")

#: Codes that were used once and must never be reused: code -> why it was retired.
RETIRED: dict[str, str] = {}


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    func: Callable
    needs: tuple[str, ...]
    options: type | None
    doc: str
    takes_options: bool = False
    optional: tuple[str, ...] = ()
    explained_by: tuple[str, ...] = ()
    causes: tuple[str, ...] = ()
    measures: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        return self.doc.strip().splitlines()[0].strip() if self.doc.strip() else self.name

    @property
    def family(self) -> str:
        return self.func.__module__.rsplit(".", 1)[-1]

    def section(self, heading: str) -> str:
        """The text under one ``## heading`` of the docstring."""
        match = re.search(rf"^## {re.escape(heading)}\s*$(.*?)(?=^## |\Z)", self.doc, re.M | re.S)
        return inspect.cleandoc(match.group(1)) if match else ""

    def default_options(self):
        return self.options() if self.options else None


_RULES: dict[str, Rule] = {}
_LOADED = False


def rule(
    code: str,
    name: str,
    severity: Severity,
    *,
    options: type | None = None,
    explained_by: tuple[str, ...] = (),
    causes: tuple[str, ...] = (),
    measures: tuple[str, ...] = (),
) -> Callable:
    """Register a rule function under a stable code and kebab-case name.

    Parameters without a default are required inputs; parameters defaulting to None are optional
    inputs, passed when available. ``explained_by`` lists static rules whose findings explain this
    rule's symptom (the report links them); ``causes`` lists what else could cause it. A rule that
    takes ``measurements`` names the ones it reads in ``measures`` (keys of ``MEASUREMENTS``).
    """

    def register(func: Callable) -> Callable:
        _check_identity(code, name)
        signature = inspect.signature(func).parameters
        params = list(signature)
        unknown = [p for p in params if p not in INPUTS and p not in _EXTRA_PARAMS]
        if unknown:
            raise TypeError(f"rule {code} asks for unknown inputs {unknown}; known: {sorted(INPUTS)}")
        if "options" in params and options is None:
            raise TypeError(f"rule {code} takes options but declares no options dataclass")
        if options is not None and not dataclasses.is_dataclass(options):
            raise TypeError(f"rule {code}: options must be a dataclass")
        _check_measures(code, "measurements" in params, measures)
        needs = tuple(p for p in params if p in INPUTS and signature[p].default is inspect.Parameter.empty)
        optional = tuple(p for p in params if p in INPUTS and p not in needs)
        doc = inspect.cleandoc(func.__doc__ or "")
        _RULES[code] = Rule(code, name, severity, func, needs, options, doc, "options" in params, optional,
                            tuple(explained_by), tuple(causes), tuple(measures))
        return func

    return register


def _check_measures(code: str, takes_measurements: bool, measures: tuple[str, ...]) -> None:
    if takes_measurements and not measures:
        raise TypeError(f"rule {code} takes measurements but declares none (measures=...)")
    if measures and not takes_measurements:
        raise TypeError(f"rule {code} declares measures but does not take measurements")
    unknown = [m for m in measures if m not in MEASUREMENTS]
    if unknown:
        raise TypeError(f"rule {code} declares unknown measurements {unknown}; known: {sorted(MEASUREMENTS)}")


def _check_identity(code: str, name: str) -> None:
    if not CODE_PATTERN.match(code):
        raise ValueError(f"bad rule code {code!r}: expected FD followed by three digits")
    if not NAME_PATTERN.match(name):
        raise ValueError(f"bad rule name {name!r}: expected kebab-case")
    if code in RETIRED:
        raise ValueError(f"rule code {code} is retired ({RETIRED[code]}) and may not be reused")
    if code in _RULES:
        raise ValueError(f"rule code {code} registered twice")
    if any(r.name == name for r in _RULES.values()):
        raise ValueError(f"rule name {name!r} registered twice")


def _load() -> None:
    global _LOADED
    if not _LOADED:
        _LOADED = True
        importlib.import_module("fusiondoctor.rules")


def all_rules() -> list[Rule]:
    """Every registered rule, sorted by code."""
    _load()
    return [_RULES[c] for c in sorted(_RULES)]


def get(code_or_name: str) -> Rule:
    """One rule by code (``FD101``) or name (``softmax-single-unit``)."""
    key = code_or_name.strip()
    for r in all_rules():
        if r.code == key.upper() or r.name == key.lower():
            return r
    raise ConfigError(f"unknown rule {code_or_name!r} (see `fusiondoctor rules`)")


def _matches(selector: str, r: Rule) -> bool:
    sel = selector.strip()
    return sel.upper() == "ALL" or r.code.startswith(sel.upper()) or r.name == sel.lower()


def _validate_selectors(selectors: Iterable[str], rules: list[Rule]) -> None:
    for sel in selectors:
        if not any(_matches(sel, r) for r in rules):
            raise ConfigError(f"selector {sel!r} matches no rule (codes look like FD101, prefixes like FD1)")


def select(
    select: Iterable[str] | None = None,
    extend_select: Iterable[str] = (),
    ignore: Iterable[str] = (),
) -> list[Rule]:
    """The active rules: ``select`` (all when None), plus ``extend_select``, minus ``ignore``.

    Selectors are code prefixes (``FD1``, ``FD20``), full codes, rule names, or ``ALL``.
    """
    rules = all_rules()
    chosen_sel = list(select) if select is not None else ["ALL"]
    extra, dropped = list(extend_select), list(ignore)
    _validate_selectors(chosen_sel + extra + dropped, rules)
    active = [r for r in rules if any(_matches(s, r) for s in chosen_sel + extra)]
    return [r for r in active if not any(_matches(s, r) for s in dropped)]
