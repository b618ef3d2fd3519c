"""One self-contained HTML file: summary, a card per finding (evidence, fix code), the plots inline
as PNG data, the trials table. No JavaScript, no external resources."""

from __future__ import annotations

import base64
from collections import Counter
from html import escape

from ..types import Finding, Report, RunsSummary, Verdict
from .text import gain_interval_text, gone_text, scored_text

#: Every rule is scoped to the report's own element: in a notebook (``Report._repr_html_``) the page
#: is embedded in Jupyter's, whose look must not change.
_CSS = """
.fusiondoctor{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:60rem;
  color:#1c2833;line-height:1.45}
.fusiondoctor h1{font-size:1.6rem;margin-bottom:.2rem}
.fusiondoctor h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d5d8dc;padding-bottom:.2rem}
.fusiondoctor .summary{display:flex;gap:1rem;margin:1rem 0}
.fusiondoctor .pill{padding:.4rem .8rem;border-radius:1rem;font-weight:600}
.fusiondoctor .error{background:#fadbd8;color:#922b21}
.fusiondoctor .warning{background:#fdebd0;color:#9c640c}
.fusiondoctor .info{background:#d6eaf8;color:#1b4f72}
.fusiondoctor .ok{background:#d5f5e3;color:#1d8348}
.fusiondoctor .card{border:1px solid #d5d8dc;border-left:.4rem solid #aab7b8;border-radius:.4rem;padding:.8rem 1rem;
  margin:1rem 0}
.fusiondoctor .card.error{border-left-color:#c0392b;background:#fff}
.fusiondoctor .card.warning{border-left-color:#d68910;background:#fff}
.fusiondoctor .card.info{border-left-color:#2874a6;background:#fff}
.fusiondoctor .code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}
.fusiondoctor table{border-collapse:collapse;margin:.5rem 0;font-size:.9em}
.fusiondoctor td,.fusiondoctor th{border:1px solid #d5d8dc;padding:.25rem .5rem;text-align:left}
.fusiondoctor th{background:#f4f6f7}
.fusiondoctor pre{background:#f4f6f7;padding:.6rem;border-radius:.3rem;overflow-x:auto}
.fusiondoctor figure{margin:1rem 0}
.fusiondoctor figure img{max-width:100%;border:1px solid #e5e8e8}
.fusiondoctor figcaption{font-size:.85em;color:#566573}
.fusiondoctor .muted{color:#566573;font-size:.9em}
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
    parts.append(f"<p class='muted'>Docs: <span class='code'>fusiondoctor explain {escape(finding.code)}</span>"
                 "</p></div>")
    return "\n".join(parts)


_TRIAL_COLUMNS = ("code", "verdict", "fix", "baseline", "candidate", "gain [interval]", "seeds", "finding gone")
_TRIALS_NOTE = ("Best held-out score of each run, mean ± standard deviation over seeds; the gain is the mean of the "
                "per-seed paired gains (candidate minus baseline on the same seed) with the interval the verdict was "
                "decided on; ≥ marks a mean that counts a run stopped, once the verdict could no longer change, at "
                "its best score so far.")


def _trials(report: Report) -> str:
    if not report.trials:
        return ""
    rows = []
    for t in report.trials:
        verdict_class = {Verdict.CONFIRMED: "ok", Verdict.WORSE: "error", Verdict.FAILED: "error"}.get(t.verdict,
                                                                                                       "warning")
        gain = escape(gain_interval_text(t))
        rows.append(f"<tr><td class='code'>{escape(t.code)}</td>"
                    f"<td><span class='pill {verdict_class}'>{escape(t.verdict.value)}</span></td>"
                    f"<td>{escape(t.fix)}</td><td>{_ms(t.baseline)}</td><td>{_ms(t.candidate)}</td>"
                    f"<td>{gain}</td><td>{t.seeds}</td>"
                    f"<td>{escape(gone_text(t))}</td></tr>")
    head = "".join(f"<th>{name}</th>" for name in _TRIAL_COLUMNS)
    note = _TRIALS_NOTE + (escape(" " + scored_text(report.trials[0]) + ".") if report.trials[0].output else "")
    return f"<h2>Fix trials</h2><p class='muted'>{note}</p><table><tr>{head}</tr>{''.join(rows)}</table>"


def _ms(side: RunsSummary) -> str:
    if side.mean is None:
        return "n/a"
    bound = "≥ " if side.lower_bound else ""
    return bound + f"{side.mean:.3f}" + (f" ± {side.std:.3f}" if side.std is not None else "")



def is_model_picture(name: str) -> bool:
    """The model drawing's name in an images mapping ("model", or "<subject>: model")."""
    return name == "model" or name.endswith(": model")


def _figures(images: dict[str, bytes], heading: str = "Plots") -> str:
    if not images:
        return ""
    parts = [f"<h2>{heading}</h2>"]
    for name, data in images.items():
        encoded = base64.b64encode(data).decode("ascii")
        parts.append(f"<figure><img alt='{escape(name)}' src='data:image/png;base64,{encoded}'>"
                     f"<figcaption>{escape(name.replace('_', ' '))}</figcaption></figure>")
    return "\n".join(parts)


def render(report: Report, images: dict[str, bytes] | None = None, title: str = "fusiondoctor report",
           **_options) -> str:
    """The page; ``images`` (name -> PNG bytes) default to every picture drawn from ``report.inputs``
    (pass ``{}`` for none). The model drawing comes first, the other plots after the findings."""
    from .. import __version__

    if images is None:
        from .figures import report_images

        images = report_images(report)
    models = {name: data for name, data in images.items() if is_model_picture(name)}
    plots = {name: data for name, data in images.items() if name not in models}

    counts = Counter(f.severity.label for f in report.findings)
    def plural(label: str) -> str:
        return "s" if counts[label] != 1 and label != "info" else ""

    pills = "".join(f"<span class='pill {label}'>{counts[label]} {label}{plural(label)}</span>"
                    for label in ("error", "warning", "info")) if report.findings \
        else "<span class='pill ok'>no findings</span>"
    subjects = ", ".join(f"<span class='code'>{escape(s)}</span>" for s in dict.fromkeys(report.subjects))
    body: list[str] = [f"<h1>{escape(title)}</h1>", f"<p class='muted'>{subjects}</p>",
                       f"<div class='summary'>{pills}</div>"]
    if report.incomplete:
        problems = [f"{e.code} crashed ({e.exc_type}: {e.message})" for e in report.errors]
        problems += [f"{s.code} could not run (measuring {'; '.join(s.failed)})" for s in report.skipped if s.failed]
        body.append("<div class='card error'><strong>Incomplete diagnosis:</strong> " + escape("; ".join(problems))
                    + "</div>")
    body.append(_figures(models, "Model"))
    body.append("<h2>Findings</h2>" if report.findings else "")
    body.extend(_finding_card(f) for f in report.findings)
    body.append(_trials(report))
    body.append(_figures(plots))
    if report.not_inspected:
        items = "".join(f"<li><span class='code'>{escape(u.location.layer or u.location.output or '')}</span> "
                        f"{escape(u.reason)}</li>" for u in report.not_inspected)
        body.append(f"<h2>Not inspected</h2><ul>{items}</ul>")
    if any(not s.failed for s in report.skipped):
        missing = Counter(m for s in report.skipped if not s.failed for m in s.missing)
        skipped = ", ".join(f"{n} rules need {m}" for m, n in missing.items())
        body.append("<p class='muted'>Skipped: " + escape(skipped) + "</p>")
    body.append(f"<p class='muted'>fusiondoctor {escape(__version__)}</p>")
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{escape(title)}</title>"
            f"<style>{_CSS}</style></head><body><main class='fusiondoctor'>\n" + "\n".join(b for b in body if b)
            + "\n</main></body></html>\n")
