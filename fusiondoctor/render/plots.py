"""Plots for reports (matplotlib, imported lazily with the Agg backend; nothing is shown on screen)."""

from __future__ import annotations

import functools
import io
import math
import warnings
from collections.abc import Sequence

from ..history.spec import HistorySpec, Series
from ..types import Finding, Severity

_COLORS = {Severity.ERROR: "#c0392b", Severity.WARNING: "#d68910", Severity.INFO: "#2874a6"}


def _quiet(draw):
    """Plot without matplotlib's warnings (missing glyphs of odd metric names, empty legends)."""

    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return draw(*args, **kwargs)

    return wrapper


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _panels(history: HistorySpec) -> dict[str, list[Series]]:
    """Metric base name -> its training and validation series; losses first, then accuracies."""
    panels: dict[str, list[Series]] = {}
    for series in history.series.values():
        if series.base == "learning_rate" or not series.values:
            continue
        panels.setdefault(series.base, []).append(series)
    order = sorted(panels, key=lambda b: (not b.endswith("loss"), "acc" not in b, b))
    return {b: sorted(panels[b], key=lambda s: s.is_validation) for b in order[:6]}


@_quiet
def learning_curves(history: HistorySpec, findings: Sequence[Finding] = (), title: str | None = None):
    """A figure with one panel per metric (training and validation), findings marked at their epochs."""
    plt = _pyplot()
    panels = _panels(history)
    count = max(1, len(panels))
    fig, axes = plt.subplots(1, count, figsize=(4.2 * count, 3.2), squeeze=False)
    for ax, (base, series_list) in zip(axes[0], panels.items()):
        for series in series_list:
            finite = [(e + 1, v) for e, v in zip(series.epochs, series.values) if math.isfinite(v)]
            if finite:
                ax.plot(*zip(*finite), marker="o", markersize=3, linestyle="--" if series.is_validation else "-",
                        label="validation" if series.is_validation else "training")
            for epoch, value in zip(series.epochs, series.values):
                if not math.isfinite(value):
                    ax.axvline(epoch + 1, color=_COLORS[Severity.ERROR], alpha=0.3)
        _mark(ax, base, findings)
        if any(s.is_accuracy for s in series_list):
            ax.set_ylim(-0.02, 1.02)  # a frozen accuracy should look flat, not like noise on a zoomed axis
        ax.set_title(base)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def _mark(ax, base: str, findings: Sequence[Finding]) -> None:
    """Epoch findings as dotted lines; whole-run findings listed in the panel's corner."""
    whole_run: dict[str, Severity] = {}
    for finding in findings:
        metric = finding.location.metric
        if metric is None or metric.removeprefix("val_") != base:
            continue
        color = _COLORS[finding.severity]
        if finding.location.epoch is not None:
            ax.axvline(finding.location.epoch + 1, color=color, linestyle=":", linewidth=1.5)
            ax.annotate(finding.code, (finding.location.epoch + 1, 0.98), xycoords=("data", "axes fraction"),
                        fontsize=7, color=color, ha="left", va="top")
        else:
            whole_run[finding.code] = max(finding.severity, whole_run.get(finding.code, Severity.INFO))
    if whole_run:
        worst = max(whole_run.values())
        ax.text(0.02, 0.04, " ".join(sorted(whole_run)), transform=ax.transAxes, fontsize=8, color=_COLORS[worst],
                bbox={"facecolor": "white", "edgecolor": _COLORS[worst], "boxstyle": "round,pad=0.2"})


@_quiet
def figure_bytes(fig, fmt: str = "png") -> bytes:
    _drawable_texts(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=110)
    _pyplot().close(fig)
    return buffer.getvalue()


def _drawable_texts(fig) -> None:
    """Names come from user files: a lone surrogate (a JSON "\\ud800" escape) cannot be drawn by any
    font, so it is shown as U+FFFD instead of crashing the renderer."""
    from matplotlib.text import Text

    for text in fig.findobj(Text):
        label = text.get_text()
        if isinstance(label, str) and not label.isascii():
            text.set_text("".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in label))


def save_figure(fig, path: str) -> None:
    fmt = path.rsplit(".", 1)[-1].lower() if "." in path else "png"
    if fmt not in ("png", "svg", "pdf"):
        raise ValueError(f"plot format must be png, svg or pdf, not {fmt!r}")
    with open(path, "wb") as handle:
        handle.write(figure_bytes(fig, fmt))


@_quiet
def merge_scales(scales: dict[str, list], title: str = "branch scale at each fusion merge"):
    """Bar chart: RMS of each operand per merge (log scale), dead operands marked."""
    plt = _pyplot()
    merges_ = list(scales.items())
    fig, axes = plt.subplots(1, max(1, len(merges_)), figsize=(4.2 * max(1, len(merges_)), 3.2), squeeze=False)
    for ax, (merge, rows) in zip(axes[0], merges_):
        names = [r.producer or r.key for r in rows]
        values = [max(r.rms, 1e-12) for r in rows]
        colors = [_COLORS[Severity.ERROR] if r.zero_fraction >= 0.99 else "#2874a6" for r in rows]
        ax.bar(range(len(rows)), values, color=colors)
        ax.set_xticks(range(len(rows)), names, rotation=20, fontsize=7)
        ax.set_yscale("log")
        ax.set_ylabel("RMS activation")
        ax.set_title(merge, fontsize=9)
        ax.grid(alpha=0.3, axis="y")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


@_quiet
def modality_contribution(result, title: str = "modality contribution (ablation)"):
    """Grouped bars: drop of the metric when each input is zeroed, mean-replaced or shuffled (95% CI)."""
    plt = _pyplot()
    inputs = list(dict.fromkeys(r.input for r in result.rows))
    modes = ["zero", "mean", "shuffle"]
    fig, ax = plt.subplots(figsize=(max(4.2, 1.8 * len(inputs) + 1.5), 3.2))
    width = 0.8 / len(modes)
    for i, mode in enumerate(modes):
        rows = [next(r for r in result.rows if r.input == n and r.mode == mode) for n in inputs]
        xs = [k + (i - 1) * width for k in range(len(inputs))]
        ax.bar(xs, [r.drop for r in rows], width, label=mode,
               yerr=[[r.drop - r.low for r in rows], [r.high - r.drop for r in rows]], capsize=3)
    ax.set_xticks(range(len(inputs)), inputs)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel(f"drop in {result.metric}")
    ax.set_title(f"{title}; full {result.metric} {result.full_score:.3f}", fontsize=9)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    return fig


@_quiet
def batchnorm_shift(shifts: list, title: str = "BatchNormalization: data vs moving statistics"):
    """Per trained BN layer (in graph order): mean shift in moving standard deviations."""
    plt = _pyplot()
    trained = [s for s in shifts if not s.fresh]
    fig, ax = plt.subplots(figsize=(max(4.2, 0.12 * len(trained) + 2), 3.2))
    if trained:
        ax.plot(
            range(len(trained)), [s.mean_shift for s in trained], marker="o", markersize=3, label="mean shift (std)"
        )
        ax.plot(
            range(len(trained)),
            [s.log_var_ratio for s in trained],
            marker="s",
            markersize=3,
            label="|log variance ratio|",
        )
        ax.set_xlabel("BatchNormalization layer (input side first)")
        ax.legend(fontsize=7)
    else:
        ax.text(0.5, 0.5, "no trained BatchNormalization layer", ha="center", transform=ax.transAxes)
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


@_quiet
def trial_curves(baseline, trial):
    """Held-out score per epoch: baseline runs against the candidate's, one line per seed."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(4.8, 3.2))
    last = max([len(r.scores) for r in baseline.runs + trial.runs] + [1])
    for runs, color, label in ((baseline.runs, "#7f8c8d", "baseline"), (trial.runs, "#1e8449", trial.code + " fix")):
        for index, run in enumerate(runs):
            name = label if index == 0 else None
            if run.ended == "constant":  # scored untrained: no epoch could move it
                ax.axhline(run.scores[0], color=color, linestyle="--", alpha=0.8,
                           label=f"{label} (untrained: output constant)" if index == 0 else None)
            elif run.scores:
                ax.plot(range(1, len(run.scores) + 1), run.scores, color=color, alpha=0.8, marker="o", markersize=3,
                        label=name)
    ax.set_xticks(range(1, last + 1))
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("epoch")
    ax.set_ylabel("held-out score")
    ax.set_title(f"{trial.code} fix: {trial.verdict}", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
