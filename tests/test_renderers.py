"""Every report format from one real report: SARIF validates against the OASIS schema, HTML is a
single self-contained file, Markdown and JSON carry the same findings."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import fusiondoctor
from fusiondoctor.render import RENDERERS, render
from tests.helpers import run_cli, tiny_fusion

SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def report(tmp_path_factory, keras3):
    path = tmp_path_factory.mktemp("render") / "seedlike.keras"
    tiny_fusion(keras3).save(path)
    history = {"loss": [8.06, 8.06, 8.06, 8.06], "accuracy": [0.4945] * 4, "val_loss": [7.97] * 4,
               "val_accuracy": [0.5] * 4}
    return fusiondoctor.check(path, history=history, settings=fusiondoctor.Settings()), path


def test_sarif_validates_and_locates_every_result(report):
    jsonschema = pytest.importorskip("jsonschema")
    data = json.loads(render(report[0], "sarif"))
    jsonschema.validate(data, json.loads(SCHEMA.read_text()))
    run, = data["runs"]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert rule_ids == [r.code for r in fusiondoctor.all_rules()]
    assert {r["ruleId"] for r in run["results"]} == set(report[0].codes())
    for result in run["results"]:
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
    fd101 = next(r for r in run["results"] if r["ruleId"] == "FD101")
    assert fd101["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "output_layer"
    assert fd101["level"] == "error"


def test_html_is_self_contained(report):
    text = render(report[0], "html", images={"learning curves": b"\x89PNG\r\n\x1a\nfake"})
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert "<script" not in text.lower()
    assert not re.search(r"(src|href)=['\"]https?:", text), "no external resources"
    assert "data:image/png;base64," in text
    for finding in report[0].findings:
        assert finding.code in text
    page = render(fusiondoctor.Report(), "html", title="<b>")
    assert "<b>" not in page and "&lt;b&gt;" in page, "the title is escaped"


def test_markdown_and_json_carry_the_same_findings(report):
    markdown = render(report[0], "markdown")
    data = json.loads(render(report[0], "json"))
    assert [f["code"] for f in data["findings"]] == [f.code for f in report[0].findings]
    for code in report[0].codes():
        assert f"### {code}" in markdown
    assert data["version"] == 1


@pytest.mark.parametrize("suffix, marker", [(".html", "<!DOCTYPE html>"), (".sarif", '"version": "2.1.0"'),
                                            (".md", "# fusiondoctor report"), (".json", '"version": 1')])
def test_output_suffix_picks_the_format(report, tmp_path, suffix, marker):
    target = tmp_path / f"report{suffix}"
    result = run_cli("check", report[1], "--output", target)
    assert result.code == 1 and marker in target.read_text()


def test_every_format_is_listed_in_the_cli():
    result = run_cli("check", "--help")
    for name in RENDERERS:
        assert name in result.stdout


def test_every_format_names_the_setting_at_fault(tmp_path, keras3):
    """A finding about a setting (here the learning rate, FD212) says which one in every format."""
    model = tiny_fusion(keras3, head_activation="sigmoid")
    model.compile(optimizer=keras3.optimizers.Adam(0.1), loss="binary_crossentropy", metrics=["accuracy"])
    path = tmp_path / "fast.keras"
    model.save(path)
    report = fusiondoctor.check(path, settings=fusiondoctor.Settings())
    (finding,) = [f for f in report.findings if f.code == "FD212"]
    assert finding.location.setting == "optimizer.learning_rate"
    assert "FD212 learning-rate-out-of-range [warning] at setting optimizer.learning_rate" in render(report, "text")
    assert "### FD212 `learning-rate-out-of-range` — warning at `optimizer.learning_rate`" in render(report, "markdown")
    data = json.loads(render(report, "json"))
    assert [f["location"]["setting"] for f in data["findings"] if f["code"] == "FD212"] == ["optimizer.learning_rate"]
    sarif = json.loads(render(report, "sarif"))
    (result,) = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "FD212"]
    assert result["properties"]["setting"] == "optimizer.learning_rate"
    assert result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "optimizer.learning_rate"
    assert "optimizer.learning_rate" in render(report, "html")
