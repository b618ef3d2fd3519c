"""The report for people: one block per finding (code, layer, evidence, fix), then a summary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from ..engine import describe_missing
from ..types import Finding, Report, RunsSummary, Severity, TrialResult


def _where(finding: Finding) -> str:
    loc = finding.location
    parts = []
    if loc.layer:
        parts.append(f"layer '{loc.layer}'")
    if loc.output and loc.output != loc.layer:
        parts.append(f"output '{loc.output}'")
    if loc.metric:
        parts.append(f"metric '{loc.metric}'")
    if loc.setting:
        parts.append(f"setting {loc.setting}")
    if loc.epoch is not None:
        parts.append(f"epoch {loc.epoch}")
    return " at " + ", ".join(parts) if parts else ""


def _format_value(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def finding_block(finding: Finding) -> list[str]:
    lines = [f"{finding.subject}: {finding.code} {finding.name} [{finding.severity.label}]{_where(finding)}",
             f"  {finding.message}"]
    evidence = [f"{k}={_format_value(v)}" for k, v in finding.evidence.items() if v is not None]
    if evidence:
        lines.append("  evidence: " + "  ".join(evidence))
    if finding.explained_by:
        lines.append("  explained by: " + "; ".join(finding.explained_by))
    elif finding.other_causes:
        lines.append("  no static finding explains it; other possible causes: " + "; ".join(finding.other_causes))
    if finding.fix:
        trial = "  (trial it: fusiondoctor fix)" if finding.fix.patch else ""
        lines.append(f"  fix: {finding.fix.title}{trial}")
        for snippet_line in finding.fix.snippet.splitlines():
            lines.append(f"      {snippet_line}")
    lines.append(f"  docs: fusiondoctor explain {finding.code}")
    return lines


def summary_line(report: Report) -> str:
    counts = Counter(f.severity for f in report.findings)
    subjects = len(set(report.subjects))
    noun = "subject" if subjects == 1 else "subjects"
    if not report.findings:
        head = f"No findings in {subjects} {noun}."
    else:
        parts = ", ".join(f"{counts[s]} {s.label}{'s' if counts[s] != 1 and s != Severity.INFO else ''}"
                          for s in sorted(counts, reverse=True))
        plural = "s" if len(report.findings) != 1 else ""
        head = f"Found {len(report.findings)} finding{plural} ({parts}) in {subjects} {noun}."
    return head


def _skipped_lines(report: Report) -> list[str]:
    """Rules that could not run because a measurement failed (each named), then the others counted
    by the input they lacked."""
    lines = [f"{s.subject}: {s.code} {s.name} could not run: measuring {'; '.join(s.failed)}"
             for s in report.skipped if s.failed]
    missing = Counter(m for s in report.skipped if not s.failed for m in s.missing)
    if missing:
        reasons = "; ".join(f"{n} need {describe_missing(m)}" for m, n in missing.most_common())
        lines.append(f"{sum(missing.values())} rule runs skipped: {reasons}.")
    return lines


def _mean_std(side: RunsSummary) -> str:
    if side.mean is None:
        return "n/a"
    return ("≥" if side.lower_bound else "") + f"{side.mean:.3f}" + (f"±{side.std:.3f}" if side.std is not None else "")


def gone_text(trial: TrialResult) -> str:
    """Whether the targeted finding is gone from the candidate: "yes", "no" or "n/a" (not looked for)."""
    return {True: "yes", False: "no", None: "n/a"}[trial.finding_gone]


def gain_interval_text(trial: TrialResult) -> str:
    """The paired gain with its interval: "+0.042 [+0.004, +0.080]" (≥ when it counts a run ended early)."""
    if trial.gain is None:
        return "n/a"
    text = ("≥" if trial.candidate.lower_bound else "") + f"{trial.gain:+.3f}"
    if trial.interval:
        text += f" [{trial.interval[0]:+.3f}, {trial.interval[1]:+.3f}]"
    return text


def gain_text(trial: TrialResult) -> str:
    """The paired gain with its interval and seeds: "+0.042 [+0.004, +0.080] over 10 seeds"."""
    if trial.gain is None:
        return "n/a"
    return gain_interval_text(trial) + f" over {trial.seeds} seed{'s' if trial.seeds != 1 else ''}"


def scored_text(trial: TrialResult) -> str:
    """Which output the trials score, on a model with several ("" with one)."""
    if not trial.output:
        return ""
    return (f"Scored on output '{trial.output}' (the main output: the largest loss weight, the last listed on a tie; "
            "every output trains)")


def trial_lines(trials: Sequence[TrialResult]) -> list[str]:
    """The table of fix trials: verdict, baseline and candidate scores, the paired gain and its interval."""
    lines = ["Fix trials (best held-out score of each run, mean±std over seeds; gain: paired, with its interval):"]
    if trials and trials[0].output:
        lines.append("  " + scored_text(trials[0]))
    ended = trials[0].baseline.ended if trials else None
    if ended:
        lines.append(f"  baseline runs ended early: {ended}")
    for t in trials:
        gone = {True: "finding gone", False: "finding remains", None: ""}[t.finding_gone]
        lines.append(f"  {t.code} {t.verdict.value.upper():13} "
                     f"{_mean_std(t.baseline)} -> {_mean_std(t.candidate)}"
                     f"  gain {gain_text(t)} {gone}".rstrip())
        lines.append(f"        {t.fix}" + (f"  [{t.note}]" if t.note else ""))
    return lines


def render(report: Report, verbose: bool = False) -> str:
    lines: list[str] = []
    for finding in report.findings:
        lines.extend(finding_block(finding))
        lines.append("")
    for error in report.errors:
        lines.append(f"{error.subject}: {error.code} {error.name} crashed: {error.exc_type}: {error.message}")
        lines.append(f"  the diagnosis is incomplete; skip the rule with --ignore {error.code} "
                     "and please report the crash")
        if verbose:
            lines.extend("    " + line for line in error.traceback.splitlines())
        lines.append("")
    if report.not_inspected:
        lines.append("Not inspected:")
        for item in report.not_inspected:
            where = item.location.layer or item.location.output or ""
            lines.append(f"  {item.subject}: {where + ': ' if where else ''}{item.reason}")
        lines.append("")
    if report.trials:
        lines.extend(trial_lines(report.trials))
        lines.append("")
    lines.append(summary_line(report))
    lines.extend(_skipped_lines(report))
    return "\n".join(lines) + "\n"
