"""A Report in a notebook and as a DataFrame: ``_repr_html_`` is the self-contained HTML report,
``_repr_markdown_`` the Markdown one, ``to_frame()`` one row per finding."""

from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser

import pandas as pd
import pytest

import fusiondoctor
from fusiondoctor.render import render
from fusiondoctor.types import FRAME_COLUMNS
from tests.helpers import tiny_fusion

#: A real stuck history (softmax over one unit on the seed-000 task: loss pinned, accuracy frozen).
STUCK = {"loss": [8.06, 8.06, 8.06, 8.06], "accuracy": [0.4945] * 4, "val_loss": [7.97] * 4, "val_accuracy": [0.5] * 4}


@pytest.fixture(scope="module")
def report(tmp_path_factory, keras3):
    path = tmp_path_factory.mktemp("display") / "meme.keras"
    tiny_fusion(keras3).save(path)
    return fusiondoctor.check(path, history=STUCK, settings=fusiondoctor.Settings())


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.urls = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def test_repr_html_is_a_self_contained_page(report):
    page = report._repr_html_()
    assert page == render(report, "html"), "the notebook shows the same report as --format html"
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    parsed = _Tags()
    parsed.feed(page)
    assert {"html", "head", "body", "style"} <= set(parsed.tags)
    assert "script" not in parsed.tags and "link" not in parsed.tags and "iframe" not in parsed.tags
    assert all(url.startswith("data:") for url in parsed.urls), parsed.urls
    for finding in report.findings:
        assert finding.code in page
    assert {"FD101", "FD301"} <= set(report.codes())


def test_repr_html_styles_stay_inside_the_report(report):
    """In Jupyter the page is embedded in the notebook's: no style may reach the notebook's own elements."""
    style = re.search(r"<style>(.*?)</style>", report._repr_html_(), re.S).group(1)
    selectors = [s.strip() for block in re.findall(r"([^{}]+)\{", style) for s in block.split(",")]
    assert selectors and all(s.startswith(".fusiondoctor") for s in selectors), selectors
    assert "<main class='fusiondoctor'>" in report._repr_html_()


def test_repr_markdown(report):
    from fusiondoctor.render.figures import report_images

    text = report._repr_markdown_()
    assert text == render(report, "markdown", images=report_images(report)), "pictures embedded, else the same"
    assert "![model](data:image/png;base64," in text
    for code in report.codes():
        assert f"### {code}" in text


def same(cell, value) -> bool:
    """A frame cell against a finding's value; a missing value is NA in the frame."""
    return bool(pd.isna(cell)) if value is None else cell == value


def test_to_frame_rows_match_the_findings(report):
    frame = report.to_frame()
    assert tuple(frame.columns) == FRAME_COLUMNS
    assert len(frame) == len(report.findings)
    for (_, row), finding in zip(frame.iterrows(), report.findings, strict=True):
        assert (row["subject"], row["code"], row["name"], row["severity"], row["message"]) == \
            (finding.subject, finding.code, finding.name, finding.severity.label, finding.message)
        for column in ("layer", "output", "metric", "epoch"):
            assert same(row[column], getattr(finding.location, column)), column
        assert same(row["fix"], finding.fix.title if finding.fix else None)
        assert same(row["explained_by"], "; ".join(finding.explained_by) or None)
    fd101 = frame[frame.code == "FD101"].iloc[0]
    assert fd101["layer"] == "output_layer" and fd101["severity"] == "error"
    fd303 = frame[frame.code == "FD303"]
    assert list(fd303["explained_by"].str.contains("FD101")) == [True] * len(fd303)


def test_to_frame_severity_is_ordered(report):
    frame = report.to_frame()
    serious = frame[frame.severity >= "warning"]
    assert set(serious.code) == {f.code for f in report.findings if f.severity >= fusiondoctor.Severity.WARNING}
    assert frame.sort_values("severity").iloc[-1]["severity"] == "error"
    assert str(frame["epoch"].dtype) == "Int64"


def test_empty_report_frame_has_the_columns():
    frame = fusiondoctor.Report().to_frame()
    assert frame.empty and tuple(frame.columns) == FRAME_COLUMNS


def test_report_display_imports_nothing_until_used():
    code = ("import sys, fusiondoctor\nr = fusiondoctor.Report()\n"
            "print(sorted(m for m in ('pandas', 'matplotlib', 'fusiondoctor.render') if m in sys.modules))\n"
            "r._repr_html_(); r._repr_markdown_()\nprint('pandas' in sys.modules, 'matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "[]" and out[1] == "False False"
