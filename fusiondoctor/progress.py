"""Progress of long work (fix trials): a bar that works in a terminal and in a notebook.

In Jupyter or Colab the bar is one HTML ``<progress>`` element updated in place under the cell; on a
terminal it is one line rewritten in place; elsewhere (a log file, CI) each update is a plain line,
printed only when the text changes. Nothing is imported unless a notebook is running.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from html import escape
from typing import Any, TextIO

#: Characters of the text bar on a terminal.
BAR_WIDTH = 20


def _notebook_display() -> Callable | None:
    """IPython's ``display`` when this process is a notebook kernel (Jupyter, Colab), else None."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    if shell is None or type(shell).__name__ not in ("ZMQInteractiveShell", "Shell"):
        return None
    from IPython.display import display

    return display


class Progress:
    """``show(text, done, total)`` after each step of work; ``done()`` at the end.

    ``display`` (for tests) stands in for IPython's ``display``: a callable that takes an object with
    ``_repr_html_`` and ``display_id=True`` and returns a handle with ``update(obj)``.
    """

    def __init__(self, enabled: bool = True, stream: TextIO | None = None, display: Callable | None = None):
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.display = display if display is not None else (_notebook_display() if enabled else None)
        self.tty = self.display is None and hasattr(self.stream, "isatty") and self.stream.isatty()
        self._handle: Any = None
        self._last = ""

    def show(self, text: str, done: int | None = None, total: int | None = None) -> None:
        if not self.enabled:
            return
        if self.display is not None:
            self._update_notebook(text, done, total)
        elif self.tty:
            self.stream.write("\r\033[K" + _text_bar(done, total) + text)
            self.stream.flush()
        elif text != self._last:
            self.stream.write(_text_bar(done, total) + text + "\n")
            self.stream.flush()
        self._last = text

    def done(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("\n")
            self.stream.flush()

    def _update_notebook(self, text: str, done: int | None, total: int | None) -> None:
        view = _HtmlBar(text, done, total)
        if self._handle is None:
            self._handle = self.display(view, display_id=True)
        else:
            self._handle.update(view)


def _text_bar(done: int | None, total: int | None) -> str:
    if not total:
        return ""
    filled = round(BAR_WIDTH * min(done or 0, total) / total)
    return f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {min(done or 0, total)}/{total} "


class _HtmlBar:
    """What a notebook shows: a native progress bar and the status line."""

    def __init__(self, text: str, done: int | None, total: int | None):
        self.text, self.done, self.total = text, done, total

    def _repr_html_(self) -> str:
        bar = (f"<progress value='{min(self.done or 0, self.total)}' max='{self.total}' style='width:16em'></progress> "
               f"{min(self.done or 0, self.total)}/{self.total} " if self.total else "")
        return f"<div class='fusiondoctor-progress'>{bar}<code>{escape(self.text)}</code></div>"

    def __repr__(self) -> str:  # what a front end without HTML shows
        return _text_bar(self.done, self.total) + self.text
