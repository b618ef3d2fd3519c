"""The README's rule table is generated from the registry and must match it."""

from __future__ import annotations

import re
from pathlib import Path

from fusiondoctor import catalogue

README = Path(__file__).resolve().parent.parent / "README.md"


def test_rule_table_matches_the_registry():
    text = README.read_text(encoding="utf-8")
    match = re.search(r"<!-- rules:start -->\n(.*?)<!-- rules:end -->", text, re.S)
    assert match, "README lacks the rules:start/rules:end markers"
    assert match.group(1) == catalogue.as_markdown(), "README rule table is stale: run `make readme`"


def test_readme_names_the_ci_command():
    ci = (README.parent / ".ci" / "run").read_text()
    assert "make test" in ci and "make test" in README.read_text()


def test_every_subpackage_is_declared_in_pyproject():
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    root = README.parent
    declared = set(tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(root).parts) for p in (root / "fusiondoctor").rglob("__init__.py")}
    assert declared == found
