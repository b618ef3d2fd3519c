"""The command line as a user runs it: a real process, stdout for the report, stderr for the rest."""

from __future__ import annotations

import json

import pytest

from fusiondoctor import registry
from tests.helpers import run_cli, tiny_fusion


@pytest.fixture(scope="module")
def broken(tmp_path_factory, keras3):
    path = tmp_path_factory.mktemp("cli") / "seedlike.h5"
    tiny_fusion(keras3).save(path)
    return path


@pytest.fixture(scope="module")
def healthy(tmp_path_factory, keras3):
    path = tmp_path_factory.mktemp("cli") / "healthy.keras"
    tiny_fusion(keras3, head_activation="sigmoid").save(path)
    return path


def test_text_report_names_code_layer_evidence_fix(broken):
    result = run_cli("check", broken)
    assert result.code == 1
    out = result.stdout
    assert "FD101 softmax-single-unit [error] at layer 'output_layer'" in out
    assert "evidence: activation=softmax  units=1" in out
    assert 'fix: Use sigmoid' in out and 'activation="sigmoid"' in out
    assert "docs: fusiondoctor explain FD101" in out
    assert "Found 1 finding (1 error) in 1 subject." in out
    assert result.stderr == ""


def test_json_report_is_versioned_and_parses(broken):
    result = run_cli("check", broken, "--format", "json")
    data = result.json
    assert result.code == 1 and data["version"] == 1
    finding, = data["findings"]
    assert finding["code"] == "FD101" and finding["location"]["layer"] == "output_layer"
    assert finding["fix"]["patch"] == [
        {"target": "layer", "name": "output_layer", "key": "activation", "value": "sigmoid"}
    ]
    assert data["summary"]["error"] == 1


def test_healthy_model_exits_zero(healthy):
    result = run_cli("check", healthy)
    assert result.code == 0
    assert "No findings in 1 subject." in result.stdout


def test_select_ignore_fail_on_and_exit_zero(broken):
    assert run_cli("check", broken, "--ignore", "FD101").code == 0
    assert run_cli("check", broken, "--select", "FD2").code == 0
    assert run_cli("check", broken, "--select", "FD2", "--extend-select", "FD1").code == 1
    assert run_cli("check", broken, "--exit-zero").code == 0
    bad = run_cli("check", broken, "--select", "FD9")
    assert bad.code == 2 and "matches no rule" in bad.stderr and len(bad.stderr_lines) == 1


def test_pyproject_settings_apply(tmp_path, broken):
    (tmp_path / "pyproject.toml").write_text('[tool.fusiondoctor]\nignore = ["FD101"]\n')
    copy = tmp_path / "m.h5"
    copy.write_bytes(broken.read_bytes())
    assert run_cli("check", copy, cwd=tmp_path).code == 0
    (tmp_path / "pyproject.toml").write_text('[tool.fusiondoctor]\nfail-on = "loud"\n')
    result = run_cli("check", copy, cwd=tmp_path)
    assert result.code == 2 and "unknown severity" in result.stderr


def test_output_file_and_format_from_suffix(tmp_path, broken):
    target = tmp_path / "report.json"
    result = run_cli("check", broken, "--output", target)
    assert result.code == 1 and result.stdout == ""
    assert json.loads(target.read_text())["findings"][0]["code"] == "FD101"
    assert "report written" in result.stderr


def test_rules_catalogue_comes_from_the_registry():
    text = run_cli("rules")
    assert text.code == 0
    for r in registry.all_rules():
        assert f"{r.code}  {r.name}" in text.stdout
    data = run_cli("rules", "--format", "json").json
    assert [r["code"] for r in data["rules"]] == [r.code for r in registry.all_rules()]


def test_explain_prints_the_rule_docs():
    result = run_cli("explain", "FD101")
    assert result.code == 0
    assert "# FD101 softmax-single-unit (error)" in result.stdout and "## Why is this bad?" in result.stdout
    assert run_cli("explain", "softmax-single-unit").stdout == result.stdout
    missing = run_cli("explain", "FD999")
    assert missing.code == 2 and "unknown rule" in missing.stderr


def test_no_command_is_a_usage_error():
    assert run_cli().code == 2
