"""One self-contained HTML file: summary, a card per finding (evidence, fix code), the plots inline
as PNG data, the trials table. No JavaScript, no external resources."""

from __future__ import annotations

import base64
from collections import Counter
from html import escape

from ..types import Finding, Report

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:60rem;color:#1c2833;
line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}
h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d5d8dc;padding-bottom:.2rem}
.summary{display:flex;gap:1rem;margin:1rem 0} .pill{padding:.4rem .8rem;border-radius:1rem;font-weight:600}
.error{background:#fadbd8;color:#922b21} .warning{background:#fdebd0;color:#9c640c}
.info{background:#d6eaf8;color:#1b4f72}
.ok{background:#d5f5e3;color:#1d8348}
.card{border:1px solid #d5d8dc;border-left:.4rem solid #aab7b8;border-radius:.4rem;padding:.8rem 1rem;margin:1rem 0}
.card.error{border-left-color:#c0392b;background:#fff} .card.warning{border-left-color:#d68910;background:#fff}
.card.info{border-left-color:#2874a6;background:#fff}
.code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9em}
td,th{border:1px solid #d5d8dc;padding:.25rem .5rem;text-align:left}
th{background:#f4f6f7} pre{background:#f4f6f7;padding:.6rem;border-radius:.3rem;overflow-x:auto}
figure{margin:1rem 0} figure img{max-width:100%;border:1px solid #e5e8e8} figcaption{font-size:.85em;color:#566573}
.muted{color:#566573;font-size:.9em}
"""


def _finding_card(finding: Finding) -> str:
    where = finding.location.layer or finding.location.output or finding.location.metric or finding.location.setting
    epoch = f", epoch {finding.location.epoch}" if finding.location.epoch is not None else ""
    if finding.location.setting and finding.location.setting != where:
        epoch += f", setting <span class='code'>{escape(finding.location.setting)}</span>"
    parts = [f'<div class="card {finding.severity.label}">',
             f'<div><span class="pill {finding.severity.label}">{finding.severity.label}</span> '
             f'<strong class="code">{escape(finding.code)}</strong> <span class="code">{escape(finding.name)}</span>'
             + (f' at <span class="code">{escape(where)}</span>{epoch}' if where else "") + "</div>",
             f"<p>{escape(finding.message)}</p>"]
    evidence = [(k, v) for k, v in finding.evidence.items() if v is not None]
    if evidence:
        rows = "".join(f"<tr><th>{escape(str(k))}</th><td class='code'>{escape(str(v))}</td></tr>" for k, v in evidence)
        parts.append(f"<table><caption class='muted'>evidence</caption>{rows}</table>")
    if finding.explained_by:
        parts.append(f"<p class='muted'>Explained by: {escape('; '.join(finding.explained_by))}</p>")
    elif finding.other_causes:
        parts.append(f"<p class='muted'>No static finding explains it. Other possible causes: "
                     f"{escape('; '.join(finding.other_causes))}</p>")
    if finding.fix:
        parts.append(f"<p><strong>Fix:</strong> {escape(finding.fix.title)}"
                     + (" <span class='muted'>(can be confirmed with <span class='code'>fusiondoctor fix</span>)</span>"
                        if finding.fix.patch else "") + "</p>")
        if finding.fix.snippet:
            parts.append(f"<pre class='code'>{escape(finding.fix.snippet)}</pre>")
    docs = f"fusiondoctor explain {escape(finding.code)}"
    parts.append(f"<p class='muted'>Docs: <span class='code'>{docs}</span></p></div>")
    return "\n".join(parts)


def _trials(report: Report) -> str:
    if not report.trials:
        return ""
    rows = []
    for t in report.trials:
        base, cand = t["baseline"], t["candidate"]
        verdict_class = {"confirmed": "ok", "worse": "error", "failed": "error"}.get(t["verdict"], "warning")
        rows.append(f"<tr><td class='code'>{escape(t['code'])}</td>"
                    f"<td><span class='pill {verdict_class}'>{escape(t['verdict'])}</span></td>"
                    f"<td>{escape(t['fix'])}</td><td>{_ms(base)}</td><td>{_ms(cand)}</td>"
                    f"<td>{_num(t.get('metric_gain'))}</td><td>{_num(t.get('spread'), signed=False)}</td>"
                    f"<td>{escape(str(t.get('finding_gone')))}</td></tr>")
    head = "<tr>" + "".join(f"<th>{c}</th>" for c in ("code", "verdict", "fix", "baseline", "candidate", "gain",
                                                     "spread", "finding gone")) + "</tr>"
    note = ("Best held-out score of each run, mean ± standard deviation over seeds; a fix is confirmed only when its "
            "gain exceeds the seed-to-seed spread; ≥ marks a mean that counts a run stopped, once the verdict could "
            "no longer change, at its best score so far.")
    return f"<h2>Fix trials</h2><p class='muted'>{note}</p><table>{head}{''.join(rows)}</table>"


def _ms(side: dict) -> str:
    if side.get("mean") is None:
        return "n/a"
    bound = "≥ " if side.get("lower_bound") else ""
    return bound + f"{side['mean']:.3f}" + (f" ± {side['std']:.3f}" if side.get("std") is not None else "")


def _num(value, signed: bool = True) -> str:
    return "n/a" if value is None else (f"{value:+.3f}" if signed else f"{value:.3f}")


def _figures(images: dict[str, bytes] | None) -> str:
    if not images:
        return ""
    parts = ["<h2>Plots</h2>"]
    for name, data in images.items():
        encoded = base64.b64encode(data).decode("ascii")
        parts.append(f"<figure><img alt='{escape(name)}' src='data:image/png;base64,{encoded}'>"
                     f"<figcaption>{escape(name.replace('_', ' '))}</figcaption></figure>")
    return "\n".join(parts)


def render(report: Report, images: dict[str, bytes] | None = None, title: str = "fusiondoctor report",
           **_options) -> str:
    from .. import __version__

    counts = Counter(f.severity.label for f in report.findings)
    plural = {label: "s" if counts[label] != 1 and label != "info" else "" for label in ("error", "warning", "info")}
    pills = "".join(f"<span class='pill {label}'>{counts[label]} {label}{plural[label]}</span>"
                    for label in plural) if report.findings else "<span class='pill ok'>no findings</span>"
    subjects = ", ".join(f"<span class='code'>{escape(s)}</span>" for s in dict.fromkeys(report.subjects))
    body: list[str] = [f"<h1>{escape(title)}</h1>", f"<p class='muted'>{subjects}</p>",
                       f"<div class='summary'>{pills}</div>"]
    if report.errors:
        crashed = "; ".join(f"{e.code} crashed ({e.exc_type}: {e.message})" for e in report.errors)
        body.append("<div class='card error'><strong>Incomplete diagnosis:</strong> " + escape(crashed) + "</div>")
    body.append("<h2>Findings</h2>" if report.findings else "")
    body.extend(_finding_card(f) for f in report.findings)
    body.append(_trials(report))
    body.append(_figures(images))
    if report.unexamined:
        items = "".join(f"<li><span class='code'>{escape(u.location.layer or u.location.output or '')}</span> "
                        f"{escape(u.reason)}</li>" for u in report.unexamined)
        body.append(f"<h2>Not inspected</h2><ul>{items}</ul>")
    if report.skipped:
        missing = Counter(m for s in report.skipped for m in s.missing)
        needs = ", ".join(f"{n} rules need {m}" for m, n in missing.items())
        body.append("<p class='muted'>Skipped: " + escape(needs) + "</p>")
    body.append(f"<p class='muted'>fusiondoctor {escape(__version__)}</p>")
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{escape(title)}</title>"
            f"<style>{_CSS}</style></head><body>\n" + "\n".join(b for b in body if b) + "\n</body></html>\n")
