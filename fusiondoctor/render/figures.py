"""Every plot that applies to a subject, for reports and `check --plots DIR`: drawn from the
subject's records (its history and recorded measurements), never by measuring anything."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Dict, List

from ..engine import Subject
from ..types import Report
from . import plots


def figures_for(subject: Subject, report: Report) -> Dict[str, Callable]:
    """name -> a function drawing the figure, for each plot whose data the subject holds."""
    found: Dict[str, Callable] = {}
    if subject.history is not None:
        found["learning_curves"] = lambda: plots.learning_curves(subject.history, report.findings, subject.name)
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


def write_all(subject: Subject, report: Report, folder: Path) -> List[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, draw in figures_for(subject, report).items():
        path = folder / f"{name}.png"
        plots.save_figure(draw(), str(path))
        written.append(path)
    return written
