"""Settings: defaults, then ``[tool.fusiondoctor]`` in pyproject.toml, then what the front end was
given (command-line flags, keyword arguments, a pytest marker). Every front end calls ``resolve``."""

from __future__ import annotations

import dataclasses
import math
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import registry
from .errors import ConfigError
from .limits import DEFAULT_LIMITS, Limits
from .types import Severity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

DEFAULT_FAIL_ON = Severity.WARNING
_KEYS = {"select", "extend-select", "ignore", "fail-on", "rules", "limits"}


@dataclass(frozen=True)
class Settings:
    """What to run and when to fail. Rule options are keyed by rule name."""

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: Severity = DEFAULT_FAIL_ON
    rule_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    source: str | None = None
    limits: Limits = DEFAULT_LIMITS

    def rules(self):
        return registry.select(self.select, self.extend_select, self.ignore)

    def options_for(self, rule: registry.Rule):
        """The rule's options dataclass filled from settings, or None for rules without options."""
        if rule.options is None:
            return None
        given = dict(self.rule_options.get(rule.name, {}))
        fields = {f.name for f in dataclasses.fields(rule.options)}
        values = {}
        for key, value in given.items():
            attr = key.replace("-", "_")
            if attr not in fields:
                known = ", ".join(sorted(f.replace("_", "-") for f in fields))
                raise ConfigError(f"rule {rule.name}: unknown option {key!r} (known: {known})")
            values[attr] = value
        return rule.options(**values)

    def with_rule_option(self, rule_name: str, key: str, value: Any) -> Settings:
        """These settings with one rule option set (a command-line hint such as ``--samples``)."""
        options = {name: dict(given) for name, given in self.rule_options.items()}
        options.setdefault(rule_name, {})[key] = value
        return dataclasses.replace(self, rule_options=options)

    def with_overrides(
        self,
        select: tuple[str, ...] | None = None,
        extend_select: tuple[str, ...] = (),
        ignore: tuple[str, ...] = (),
        fail_on: str | None = None,
        limits: Mapping[str, Any] | None = None,
    ) -> Settings:
        """Command-line precedence (ruff's): --select replaces, --extend-select and --ignore add;
        ``limits`` replaces the limits it names."""
        return dataclasses.replace(
            self,
            select=tuple(select) if select is not None else self.select,
            extend_select=self.extend_select + tuple(extend_select),
            ignore=self.ignore + tuple(ignore),
            fail_on=parse_severity(fail_on) if fail_on else self.fail_on,
            limits=parse_limits({k: v for k, v in (limits or {}).items() if v is not None}, self.limits),
        )

    def validate(self) -> Settings:
        """Raise ConfigError for unknown selectors, rules or options."""
        self.rules()
        for name in self.rule_options:
            rule = registry.get(name)
            self.options_for(rule)
        return self


def parse_limits(values: Mapping[str, Any], base: Limits = DEFAULT_LIMITS) -> Limits:
    """Limits from ``max-file-mb`` / ``max_layers`` style keys, checked to be positive numbers."""
    known = {f.name for f in dataclasses.fields(Limits)}
    changes = {}
    for key, value in values.items():
        attr = key.replace("-", "_")
        if attr not in known:
            raise ConfigError(f"unknown limit {key!r} (known: {', '.join(sorted(k.replace('_', '-') for k in known))})")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
            raise ConfigError(f"limit {key!r} must be a positive number, not {value!r}")
        changes[attr] = type(getattr(base, attr))(value)
    return dataclasses.replace(base, **changes)


def parse_severity(text: str) -> Severity:
    try:
        return Severity.parse(text)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


Selectors = str | Iterable[str] | None


def selectors(value: Selectors, what: str = "selectors") -> tuple[str, ...] | None:
    """Rule selectors from a comma-separated string or a list of strings; None stays None."""
    if value is None:
        return None
    if isinstance(value, str):
        return tuple(s.strip() for s in value.split(",") if s.strip())
    if isinstance(value, (list, tuple, set, frozenset)) and all(isinstance(v, str) for v in value):
        return tuple(s.strip() for v in value for s in v.split(",") if s.strip())
    raise ConfigError(f"{what} must be a list of rule selectors (codes, prefixes or names), not {value!r}")


def resolve(settings: Settings | None = None, *, select: Selectors = None, extend_select: Selectors = (),
            ignore: Selectors = (), fail_on: str | None = None, limits: Mapping[str, Any] | None = None,
            config: os.PathLike | None = None, start: os.PathLike | None = None) -> Settings:
    """The settings a front end runs with: ``settings`` (or the nearest ``[tool.fusiondoctor]``, or
    the file ``config``), overridden the way command-line flags override (``select`` replaces,
    ``extend_select`` and ``ignore`` add), validated. Selectors may be lists or comma-separated."""
    base = settings if settings is not None else load_settings(config, start)
    return base.with_overrides(selectors(select, "select"), selectors(extend_select, "extend-select") or (),
                               selectors(ignore, "ignore") or (), fail_on, limits).validate()


def settings_from_table(table: Mapping[str, Any], source: str | None = None) -> Settings:
    """Settings from a ``[tool.fusiondoctor]`` table (already parsed)."""
    unknown = set(table) - _KEYS
    if unknown:
        raise ConfigError(f"[tool.fusiondoctor] unknown keys {sorted(unknown)} (known: {sorted(_KEYS)})")
    rules = table.get("rules", {})
    limits = table.get("limits", {})
    if not isinstance(limits, Mapping):
        raise ConfigError("[tool.fusiondoctor.limits] must hold limit = number pairs")
    if not isinstance(rules, Mapping) or not all(isinstance(v, Mapping) for v in rules.values()):
        raise ConfigError("[tool.fusiondoctor.rules.<rule-name>] tables must hold option = value pairs")
    settings = Settings(
        select=_table_selectors(table, "select") if "select" in table else None,
        extend_select=_table_selectors(table, "extend-select") or (),
        ignore=_table_selectors(table, "ignore") or (),
        fail_on=parse_severity(table["fail-on"]) if "fail-on" in table else DEFAULT_FAIL_ON,
        rule_options={str(k): dict(v) for k, v in rules.items()},
        source=source,
        limits=parse_limits(limits),
    )
    return settings


def _table_selectors(table: Mapping[str, Any], key: str) -> tuple[str, ...] | None:
    return selectors(table.get(key, ()), f"[tool.fusiondoctor] {key}")


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml with a [tool.fusiondoctor] table, walking up from ``start``."""
    here = start.resolve()
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and "tool" in (table := _read_toml(candidate)) and "fusiondoctor" in table["tool"]:
            return candidate
    return None


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read settings: {exc}") from None


def load_settings(config: os.PathLike | None = None, start: os.PathLike | None = None) -> Settings:
    """Settings from an explicit file, or from the nearest pyproject.toml above ``start``."""
    path = Path(config) if config else find_pyproject(Path(start or os.getcwd()))
    if path is None:
        return Settings()
    data = _read_toml(path)
    table = data.get("tool", {}).get("fusiondoctor")
    if table is None:
        raise ConfigError(f"{path}: no [tool.fusiondoctor] table")
    return settings_from_table(table, source=str(path))
