"""The progress bar of long work: rewritten in place on a terminal, one HTML bar updated in place in
a notebook, plain changed lines elsewhere, silent when disabled."""

from __future__ import annotations

import io
import re

from fusiondoctor.progress import BAR_WIDTH, Progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class _Notebook:
    """Stands in for IPython's display(): records what was shown and each in-place update."""

    def __init__(self):
        self.shown, self.updates = [], []

    def __call__(self, obj, display_id=False):
        assert display_id is True, "the bar must be displayed with an id, to update it in place"
        self.shown.append(obj._repr_html_())
        return self

    def update(self, obj):
        self.updates.append(obj._repr_html_())


def test_terminal_bar_is_rewritten_in_place():
    stream = _Terminal()
    bar = Progress(stream=stream, display=None)
    bar.show("baseline seed 0: epoch 1/5", 1, 10)
    bar.show("baseline seed 0: epoch 2/5", 2, 10)
    bar.done()
    text = stream.getvalue()
    assert text.count("\r\033[K") == 2 and text.endswith("\n") and text.count("\n") == 1
    assert f"[{'#' * (BAR_WIDTH // 5)}{'.' * (BAR_WIDTH - BAR_WIDTH // 5)}] 2/10 baseline seed 0: epoch 2/5" in text


def test_a_log_gets_one_line_per_new_status():
    stream = io.StringIO()
    bar = Progress(stream=stream, display=None)
    for done in (1, 1, 2):
        bar.show("computing the frozen backbone's features once..." if done == 1 else "baseline seed 0", done, 4)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and "\r" not in stream.getvalue(), lines
    assert lines[1].startswith("[##########..........] 2/4 baseline seed 0")


def test_a_notebook_gets_one_html_bar_updated_in_place():
    notebook = _Notebook()
    bar = Progress(stream=io.StringIO(), display=notebook)
    bar.show("FD101 seed 0: epoch 1/3 score 0.812", 3, 12)
    bar.show("FD101 seed 1: epoch 1/3 <score> 0.875", 6, 12)
    assert len(notebook.shown) == 1 and len(notebook.updates) == 1
    assert re.search(r"<progress value='6' max='12'", notebook.updates[0])
    assert "&lt;score&gt;" in notebook.updates[0], "the status text is escaped"
    assert bar.stream.getvalue() == "", "nothing on stderr in a notebook"


def test_disabled_progress_shows_nothing():
    notebook, stream = _Notebook(), _Terminal()
    bar = Progress(enabled=False, stream=stream, display=notebook)
    bar.show("anything", 1, 2)
    bar.done()
    assert stream.getvalue() == "" and not notebook.shown
