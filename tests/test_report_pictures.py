"""Every report that involves a model carries a drawing of it: the HTML report (a static check too),
Markdown written to a file, `--plot`, `--plots`, and a Report shown in a notebook."""

from __future__ import annotations

import base64
import re

import pytest

import fusiondoctor
from fusiondoctor.config import Settings
from fusiondoctor.render import figures
from tests.helpers import run_cli, tiny_fusion

PNG = b"\x89PNG\r\n\x1a\n"


def _images(html: str) -> dict:
    """alt text -> decoded PNG bytes of every inline image of a page."""
    found = re.findall(r"<img alt='([^']*)' src='data:image/png;base64,([^']+)'>", html)
    return {alt: base64.b64decode(data) for alt, data in found}


@pytest.fixture
def model_file(fresh, tmp_path):
    path = tmp_path / "meme.keras"
    tiny_fusion(fresh).save(path)  # Dense(1, softmax) named output_layer: FD101
    return path


def test_a_static_html_report_shows_the_model_with_its_flagged_layer(model_file, tmp_path):
    out = tmp_path / "report.html"
    run = run_cli("check", model_file, "--output", out)
    assert run.code == 1, run.stderr
    page = out.read_text()
    images = _images(page)
    assert "model" in images and images["model"].startswith(PNG), list(images)
    assert page.index("<h2>Model</h2>") < page.index("<h2>Findings</h2>"), "the drawing comes first"
    report = fusiondoctor.check(model_file, settings=Settings())
    drawing = figures.figures_for(report.inputs[0], report)["model"]().fusiondoctor_drawing
    box = drawing.box_of("output_layer")
    assert box is not None and "FD101" in box.codes, "the drawing marks output_layer with FD101"


def test_markdown_written_to_a_file_links_the_drawing_next_to_it(model_file, tmp_path):
    out = tmp_path / "report.md"
    run = run_cli("check", model_file, "--output", out)
    assert run.code == 1, run.stderr
    picture = tmp_path / "report_model.png"
    assert picture.read_bytes().startswith(PNG)
    assert "![model](report_model.png)" in out.read_text()
    before = sorted(tmp_path.iterdir())
    stdout = run_cli("check", model_file, "--format", "markdown")
    assert "![" not in stdout.stdout and sorted(tmp_path.iterdir()) == before, "Markdown on stdout writes no file"


def test_plot_draws_the_model_and_next_to_curves_when_a_history_is_given(model_file, tmp_path):
    alone = tmp_path / "alone.png"
    assert run_cli("check", model_file, "--plot", alone).code == 1
    assert alone.read_bytes().startswith(PNG)
    history = tmp_path / "history.json"
    history.write_text('{"loss": [0.7, 0.6, 0.5, 0.4], "accuracy": [0.5, 0.5, 0.5, 0.5]}')
    curves = tmp_path / "curves.png"
    run = run_cli("check", model_file, "--history", history, "--plot", curves)
    assert run.code == 1, run.stderr
    assert curves.read_bytes().startswith(PNG) and (tmp_path / "curves_model.png").read_bytes().startswith(PNG)
    assert "model drawing written to" in run.stderr and "learning curves written to" in run.stderr


def test_a_report_in_a_notebook_shows_its_pictures_inline(fresh):
    report = fusiondoctor.check(tiny_fusion(fresh), history={"loss": [0.7, 0.6, 0.5], "accuracy": [0.5] * 3},
                                settings=Settings())
    images = _images(report._repr_html_())
    assert {"model", "learning_curves"} <= set(images), list(images)
    assert all(data.startswith(PNG) for data in images.values())
    assert "data:image/png;base64," in report._repr_markdown_()
