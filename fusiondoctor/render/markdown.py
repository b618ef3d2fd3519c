"""A Markdown report, for pull requests and issue comments."""

from __future__ import annotations

import base64
from collections import Counter

from ..types import Finding, Report
from .text import gain_interval_text, gone_text, scored_text, summary_line


def _cell(value) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _finding(finding: Finding) -> list[str]:
    loc = finding.location
    where = loc.layer or loc.output or loc.metric or loc.setting or ""
    setting = finding.location.setting
    at = (f" at `{where}`" if where else "") + (f" (setting `{setting}`)" if setting and setting != where else "")
    lines = [f"### {finding.code} `{finding.name}` — {finding.severity.label}{at}", "",
             finding.message, ""]
    if finding.evidence:
        lines += ["| evidence | value |", "|---|---|"]
        lines += [f"| {_cell(k)} | {_cell(v)} |" for k, v in finding.evidence.items() if v is not None]
        lines.append("")
    if finding.explained_by:
        lines += ["Explained by: " + "; ".join(finding.explained_by), ""]
    if finding.fix:
        lines += [f"**Fix:** {finding.fix.title}", ""]
        if finding.fix.snippet:
            lines += ["```python", finding.fix.snippet, "```", ""]
    return lines


def _pictures(images: dict[str, str | bytes]) -> list[str]:
    """Image lines: a path is linked (relative to the Markdown file), PNG bytes are embedded."""
    lines = []
    for name, value in images.items():
        source = value if isinstance(value, str) else "data:image/png;base64," + base64.b64encode(value).decode()
        lines += [f"![{_cell(name.replace('_', ' '))}]({source})", ""]
    return lines


def render(report: Report, images: dict[str, str | bytes] | None = None, **_options) -> str:
    """The report; ``images`` maps a picture's name to a file path to link or PNG bytes to embed
    (none by default: Markdown on stdout has nowhere to put them). The model drawing comes first."""
    from .html import is_model_picture

    images = images or {}
    models = {name: value for name, value in images.items() if is_model_picture(name)}
    lines = ["# fusiondoctor report", "", "| subject | errors | warnings | info |", "|---|---|---|---|"]
    for subject in dict.fromkeys(report.subjects):
        mine = Counter(f.severity.label for f in report.findings if f.subject == subject)
        lines.append(f"| `{_cell(subject)}` | {mine['error']} | {mine['warning']} | {mine['info']} |")
    lines += ["", summary_line(report), ""]
    lines += _pictures(models)
    for finding in report.findings:
        lines += _finding(finding)
    if report.trials:
        lines += ["## Fix trials", ""]
        if report.trials[0].output:
            lines += [_cell(scored_text(report.trials[0])), ""]
        lines += ["| code | verdict | baseline | candidate | gain [interval] | seeds | finding gone |",
                  "|---|---|---|---|---|---|---|"]
        for t in report.trials:
            bound = "≥" if t.candidate.lower_bound else ""
            lines.append(f"| {t.code} | **{t.verdict.value}** | {t.baseline.mean} | {bound}{t.candidate.mean} | "
                         f"{gain_interval_text(t)} | {t.seeds} | {gone_text(t)} |")
        lines.append("")
    plots = {name: value for name, value in images.items() if name not in models}
    if plots:
        lines += ["## Plots", ""] + _pictures(plots)
    if report.not_inspected:
        lines += ["## Not inspected", ""]
        lines += [f"- {_cell(u.location.layer or u.location.output or '')}: {u.reason}" for u in report.not_inspected]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
