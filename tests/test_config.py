"""Settings from pyproject.toml and command-line precedence."""

from __future__ import annotations

import pytest

from fusiondoctor import registry
from fusiondoctor.config import Settings, load_settings, settings_from_table
from fusiondoctor.errors import ConfigError
from fusiondoctor.types import Severity


def test_pyproject_table_is_found_walking_up(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.fusiondoctor]\nselect = ["FD1"]\nignore = ["FD103"]\nfail-on = "error"\n'
        '[tool.fusiondoctor.rules.unnormalized-fusion-branches]\nmin-width-ratio = 8.0\n'
    )
    nested = tmp_path / "models" / "deep"
    nested.mkdir(parents=True)
    settings = load_settings(start=nested)
    assert settings.select == ("FD1",)
    assert settings.fail_on == Severity.ERROR
    options = settings.options_for(registry.get("FD103"))
    assert options.min_width_ratio == 8.0 and options.warn_width_ratio == 100.0
    codes = [r.code for r in settings.rules()]
    assert "FD103" not in codes and all(c.startswith("FD1") for c in codes)


def test_no_pyproject_gives_defaults(tmp_path):
    assert load_settings(start=tmp_path) == Settings()


def test_command_line_replaces_select_and_extends_ignore():
    base = Settings(select=("FD1",), ignore=("FD101",))
    merged = base.with_overrides(select=("FD2",), ignore=("FD203",), fail_on="info")
    assert merged.select == ("FD2",)
    assert merged.ignore == ("FD101", "FD203")
    assert merged.fail_on == Severity.INFO


@pytest.mark.parametrize("table, message", [
    ({"selekt": ["FD1"]}, "unknown keys"),
    ({"fail-on": "fatal"}, "unknown severity"),
    ({"select": [1, 2]}, "list of rule selectors"),
    ({"rules": {"softmax-single-unit": 3}}, "option = value"),
])
def test_bad_tables_are_config_errors(table, message):
    with pytest.raises(ConfigError, match=message):
        settings_from_table(table)


def test_unknown_rule_option_is_reported_with_the_known_ones():
    settings = settings_from_table({"rules": {"unnormalized-fusion-branches": {"min-ratio": 2}}})
    with pytest.raises(ConfigError, match="unknown option 'min-ratio'.*min-width-ratio"):
        settings.validate()
