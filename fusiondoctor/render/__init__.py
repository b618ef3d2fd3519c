"""Renderers: pure functions from a Report to text. None computes findings or mutates the report."""

from __future__ import annotations

from collections.abc import Callable

from ..types import Report
from . import html, json_report, markdown, sarif, text

RENDERERS: dict[str, Callable[..., str]] = {
    "text": text.render,
    "json": json_report.render,
    "sarif": sarif.render,
    "markdown": markdown.render,
    "html": html.render,
}
SUFFIXES = {".txt": "text", ".json": "json", ".sarif": "sarif", ".md": "markdown", ".markdown": "markdown",
            ".html": "html", ".htm": "html"}


def render(report: Report, fmt: str = "text", **options) -> str:
    try:
        renderer = RENDERERS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r} (choose from {', '.join(RENDERERS)})") from None
    return renderer(report, **options)
