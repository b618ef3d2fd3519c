"""Every picture that applies to a subject, for reports and `check --plots DIR`: the model drawing,
learning curves, branch scales, modality contribution, BatchNorm shift. Drawn from the subject's
records (its model spec, history and recorded measurements), never by measuring anything."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..engine import Subject
from ..types import Report
from . import plots


def figures_for(subject: Subject, report: Report) -> dict[str, Callable]:
    """name -> a function drawing the figure, for each picture whose data the subject holds."""
    found: dict[str, Callable] = {}
    mine = [f for f in report.findings if f.subject == subject.name]
    if subject.model is not None:
        from .model_graph import draw_model

        found["model"] = lambda: draw_model(subject.model, mine)
    if subject.history is not None:
        found["learning_curves"] = lambda: plots.learning_curves(subject.history, mine, subject.name)
    record = subject.measurements
    if record is None:
        return found
    if record.merge_scales:
        found["branch_scales"] = lambda: plots.merge_scales(record.merge_scales)
    if record.ablation is not None and len(record.inputs) > 1:
        found["modality_contribution"] = lambda: plots.modality_contribution(record.ablation)
    if record.batchnorm:
        found["batchnorm_shift"] = lambda: plots.batchnorm_shift(record.batchnorm)
    return found


def report_images(report: Report) -> dict[str, bytes]:
    """PNG bytes of every picture of every subject the report holds; names are prefixed with the
    subject when there are several."""
    subjects = [s for s in report.inputs if isinstance(s, Subject)]
    images = {}
    for subject in subjects:
        prefix = f"{Path(subject.name).name}: " if len(subjects) > 1 else ""
        for name, draw in figures_for(subject, report).items():
            images[prefix + name] = plots.figure_bytes(draw())
    return images


def write_all(subject: Subject, report: Report, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, draw in figures_for(subject, report).items():
        path = folder / f"{name}.png"
        plots.save_figure(draw(), str(path))
        written.append(path)
    return written
