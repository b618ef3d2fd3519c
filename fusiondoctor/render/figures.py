"""Every plot that applies to a subject, for reports and `check --plots DIR`."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Dict, List

from ..engine import Subject
from ..types import Report
from . import plots


def figures_for(subject: Subject, report: Report) -> Dict[str, Callable]:
    """name -> a function drawing the figure; only plots whose data is already there or cheap."""
    found: Dict[str, Callable] = {}
    if subject.history is not None:
        found["learning_curves"] = lambda: plots.learning_curves(subject.history, report.findings, subject.name)
    probes = subject.probes
    if probes is not None:
        if probes.fusion_merges:
            found["branch_scales"] = lambda: plots.merge_scales(probes.merge_scales())
        if len(probes.names) > 1 and probes.labels is not None:
            result = probes.ablation()
            if result is not None:
                found["modality_contribution"] = lambda: plots.modality_contribution(result)
        if any(n.layer.class_name == "BatchNormalization" for n in probes.spec.nodes.values()):
            found["batchnorm_shift"] = lambda: plots.batchnorm_shift(probes.batchnorm())
    return found


def write_all(subject: Subject, report: Report, folder: Path) -> List[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, draw in figures_for(subject, report).items():
        path = folder / f"{name}.png"
        plots.save_figure(draw(), str(path))
        written.append(path)
    return written
