"""The rule catalogue, generated from the registry: for `rules`, `explain` and the README table."""

from __future__ import annotations

import dataclasses
import json

from . import registry
from .registry import INPUTS, Rule

#: How the catalogue names an input: the data rules read measurements taken on data (--data).
_SHOWN = {"measurements": "data"}


def _needs(rule: Rule) -> str:
    return ", ".join(_SHOWN.get(n, n) for n in rule.needs) or "-"


def option_rows(rule: Rule) -> list[tuple]:
    if rule.options is None:
        return []
    rows = []
    for f in dataclasses.fields(rule.options):
        rows.append((f.name.replace("_", "-"), f.default))
    return rows


def as_text() -> str:
    rules = registry.all_rules()
    width = max(len(r.name) for r in rules)
    lines = [f"{'code':6} {'name':{width}} {'severity':8} {'needs':10} summary"]
    for r in rules:
        lines.append(f"{r.code:6} {r.name:{width}} {r.severity.label:8} {_needs(r):10} {r.summary}")
    return "\n".join(lines) + "\n"


def as_markdown() -> str:
    lines = ["| code | name | severity | needs | what it finds |", "|---|---|---|---|---|"]
    for r in registry.all_rules():
        lines.append(f"| {r.code} | `{r.name}` | {r.severity.label} | {_needs(r)} | {r.summary} |")
    return "\n".join(lines) + "\n"


def as_json() -> str:
    rows = [
        {"code": r.code, "name": r.name, "severity": r.severity.label, "needs": list(r.needs), "summary": r.summary,
         "options": {k: v for k, v in option_rows(r)}}
        for r in registry.all_rules()
    ]
    return json.dumps({"version": 1, "rules": rows}, indent=2) + "\n"


def explain(code_or_name: str) -> str:
    r = registry.get(code_or_name)
    lines = [f"# {r.code} {r.name} ({r.severity.label})", "", r.summary, ""]
    lines.append("Needs: " + (", ".join(INPUTS[n] for n in r.needs) or "nothing"))
    options = option_rows(r)
    if options:
        lines.append(f"Options ([tool.fusiondoctor.rules.{r.name}]):")
        lines.extend(f"  {name} = {value!r}" for name, value in options)
    body = r.doc.split("\n", 1)[1].strip() if "\n" in r.doc else ""
    lines += ["", body, ""]
    return "\n".join(lines)
