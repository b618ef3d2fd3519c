"""The machine-readable report. Fields are only ever added; a breaking change bumps ``version``."""

from __future__ import annotations

import json
import math
from collections import Counter

from ..types import Report

SCHEMA_VERSION = 1


def _clean(value):
    """JSON has no NaN or infinity: write them as strings so the output always parses."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def as_dict(report: Report) -> dict:
    from .. import __version__

    counts = Counter(f.severity.label for f in report.findings)
    return _clean({
        "version": SCHEMA_VERSION,
        "tool": {"name": "fusiondoctor", "version": __version__},
        "subjects": list(dict.fromkeys(report.subjects)),
        "findings": [f.as_dict() for f in report.findings],
        "skipped": [s.as_dict() for s in report.skipped],
        "not_inspected": [u.as_dict() for u in report.not_inspected],
        "errors": [e.as_dict() for e in report.errors],
        "trials": [t.as_dict() for t in report.trials],
        "summary": {"findings": len(report.findings), **{k: counts.get(k, 0) for k in ("error", "warning", "info")},
                    "errors": len(report.errors), "incomplete": report.incomplete},
    })


def render(report: Report, **_options) -> str:
    return json.dumps(as_dict(report), indent=2, sort_keys=False) + "\n"
