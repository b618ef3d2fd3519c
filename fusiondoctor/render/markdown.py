"""A Markdown report, for pull requests and issue comments."""

from __future__ import annotations

from collections import Counter

from ..types import Finding, Report
from .text import summary_line


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


def render(report: Report, **_options) -> str:
    lines = ["# fusiondoctor report", "", "| subject | errors | warnings | info |", "|---|---|---|---|"]
    for subject in dict.fromkeys(report.subjects):
        mine = Counter(f.severity.label for f in report.findings if f.subject == subject)
        lines.append(f"| `{_cell(subject)}` | {mine['error']} | {mine['warning']} | {mine['info']} |")
    lines += ["", summary_line(report), ""]
    for finding in report.findings:
        lines += _finding(finding)
    if report.trials:
        lines += ["## Fix trials", "", "| code | verdict | baseline | candidate | gain | spread | finding gone |",
                  "|---|---|---|---|---|---|---|"]
        for t in report.trials:
            bound = "≥" if t["candidate"].get("lower_bound") else ""
            lines.append(f"| {t['code']} | **{t['verdict']}** | {t['baseline'].get('mean')} | "
                         f"{bound}{t['candidate'].get('mean')} | "
                         f"{t.get('metric_gain')} | {t.get('spread')} | {t.get('finding_gone')} |")
        lines.append("")
    if report.unexamined:
        lines += ["## Not inspected", ""] + [f"- {_cell(u.location.layer or u.location.output or '')}: {u.reason}"
                                             for u in report.unexamined]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
