"""The registry: identity rules, input declaration, selection, docs."""

from __future__ import annotations

import dataclasses
import re

import pytest

from fusiondoctor import registry
from fusiondoctor.errors import ConfigError
from fusiondoctor.registry import DOC_SECTIONS, Rule, rule
from fusiondoctor.types import Severity


def test_codes_and_names_are_unique_and_well_formed():
    rules = registry.all_rules()
    assert len({r.code for r in rules}) == len(rules)
    assert len({r.name for r in rules}) == len(rules)
    for r in rules:
        assert registry.CODE_PATTERN.match(r.code), r.code
        assert registry.NAME_PATTERN.match(r.name), r.name
        assert r.code not in registry.RETIRED


def test_code_prefix_matches_the_input_family():
    for r in registry.all_rules():
        if r.code.startswith("FD2"):
            assert "compiled" in r.needs, r.code
        if r.code.startswith("FD1"):
            assert r.needs == ("model",), r.code


@pytest.mark.parametrize("r", registry.all_rules(), ids=lambda r: r.code)
def test_every_rule_has_ruff_style_docs(r: Rule):
    assert r.summary and r.summary.endswith("."), r.code
    for heading in DOC_SECTIONS:
        assert heading in r.doc, f"{r.code} lacks {heading!r}"
    for heading in ("Example", "Use instead"):
        assert "```" in r.section(heading), f"{r.code}: {heading} has no code block"


@pytest.mark.parametrize("r", [r for r in registry.all_rules() if r.options], ids=lambda r: r.code)
def test_every_option_has_a_default_and_a_comment(r: Rule):
    import inspect

    source = inspect.getsource(r.options)
    for f in dataclasses.fields(r.options):
        assert f.default is not dataclasses.MISSING
        assert re.search(rf"#: .+\n\s+{f.name}:", source), f"option {f.name} of {r.code} is undocumented"


def test_unknown_input_names_are_refused():
    with pytest.raises(TypeError, match="unknown inputs"):
        @rule("FD998", "test-unknown-input", Severity.INFO)
        def bad(model, gradients):  # pragma: no cover
            yield from ()


def test_duplicate_code_and_bad_names_are_refused():
    with pytest.raises(ValueError, match="registered twice"):
        rule("FD101", "another-name", Severity.INFO)(lambda model: iter(()))
    with pytest.raises(ValueError, match="kebab-case"):
        rule("FD997", "Not_Kebab", Severity.INFO)(lambda model: iter(()))
    with pytest.raises(ValueError, match="three digits"):
        rule("X101", "fine-name", Severity.INFO)(lambda model: iter(()))


def test_selection_by_prefix_code_name_and_ignore():
    codes = lambda rules: [r.code for r in rules]  # noqa: E731
    all_codes = codes(registry.all_rules())
    assert codes(registry.select()) == all_codes
    assert all(c.startswith("FD2") for c in codes(registry.select(["FD2"])))
    assert codes(registry.select(["softmax-single-unit"])) == ["FD101"]
    assert "FD101" not in codes(registry.select(ignore=["FD101"]))
    assert codes(registry.select(["FD101"], extend_select=["FD203"])) == ["FD101", "FD203"]
    assert codes(registry.select(["FD1"], ignore=["FD10"])) == [
        c for c in all_codes if c.startswith("FD1") and not c.startswith("FD10")
    ]


def test_unknown_selector_is_a_config_error():
    with pytest.raises(ConfigError, match="matches no rule"):
        registry.select(["FD9"])
    with pytest.raises(ConfigError, match="unknown rule"):
        registry.get("no-such-rule")
