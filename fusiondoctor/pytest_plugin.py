"""The pytest plugin: a ``doctor`` fixture, a ``fusiondoctor`` marker, options and a summary.

Registered through the ``pytest11`` entry point. Importing it loads nothing but pytest and
fusiondoctor's small type modules; everything else loads the first time a test uses the fixture,
so an installed plugin does not slow unrelated test suites.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

_MARKER_KEYS = {"select", "ignore", "fail_on", "extend_select"}
_PROPERTY = "fusiondoctor"
#: (test node id, JSON report) of every check in the session, gathered from test reports so that
#: checks made on xdist workers reach the controller.
_RESULTS: list[tuple] = []


def pytest_addoption(parser) -> None:
    group = parser.getgroup("fusiondoctor", "fusiondoctor model checks")
    group.addoption(
        "--fusiondoctor-select", metavar="CODES", help="comma-separated rule codes/prefixes the doctor fixture runs"
    )
    group.addoption(
        "--fusiondoctor-ignore", metavar="CODES", help="comma-separated rules the doctor fixture leaves out"
    )
    group.addoption(
        "--fusiondoctor-fail-on", choices=["info", "warning", "error"], help="lowest severity that fails assert_healthy"
    )
    group.addoption(
        "--fusiondoctor-report", metavar="PATH", help="write one report of every check in the session (.json or .txt)"
    )


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers",
        "fusiondoctor(select=None, ignore=(), fail_on=None, extend_select=()): "
        "settings for the doctor fixture in this test",
    )
    _RESULTS.clear()


def _settings_for(item):
    """Settings: [tool.fusiondoctor] in the rootdir, then command-line options, then the marker."""
    from .config import resolve

    config = item.config
    settings = resolve(start=str(config.rootpath), select=config.getoption("fusiondoctor_select"),
                       ignore=config.getoption("fusiondoctor_ignore"), fail_on=config.getoption("fusiondoctor_fail_on"))
    marker = item.get_closest_marker("fusiondoctor")
    if marker is None:
        return settings
    kwargs = dict(marker.kwargs)
    return resolve(settings, select=kwargs.get("select"), extend_select=kwargs.get("extend_select") or (),
                   ignore=kwargs.get("ignore") or (), fail_on=kwargs.get("fail_on"))


def pytest_runtest_setup(item) -> None:
    marker = item.get_closest_marker("fusiondoctor")
    if marker is None:
        return
    unknown = set(marker.kwargs) - _MARKER_KEYS
    if marker.args or unknown:
        pytest.fail(f"@pytest.mark.fusiondoctor takes only keyword arguments {sorted(_MARKER_KEYS)}; "
                    f"got {sorted(unknown) or list(marker.args)}", pytrace=False)
    from .errors import FusionDoctorError

    try:
        _settings_for(item)
    except FusionDoctorError as exc:
        pytest.fail(f"@pytest.mark.fusiondoctor: {exc}", pytrace=False)


class Doctor:
    """What the ``doctor`` fixture gives a test: checks bound to the session's fusiondoctor settings."""

    def __init__(self, item):
        self._item = item
        self.settings = _settings_for(item)

    def check(self, obj: Any = None, history: Any = None):
        """The report on a keras.Model or model file, and/or a training history."""
        from .testing import run_check

        report, _ = run_check(obj, history, self.settings)
        self._record(report)
        return report

    def assert_healthy(self, obj: Any = None, history: Any = None, *, ignore=(), fail_on: str | None = None):
        """Fail the test when a finding reaches fail-on (or a rule crashed); return the report."""
        __tracebackhide__ = True
        from .config import parse_severity
        from .testing import failure_text, run_check

        report, active = run_check(obj, history, self.settings, ignore=tuple(ignore), fail_on=fail_on)
        self._record(report)
        level = parse_severity(fail_on) if fail_on else active.fail_on
        if report.failed(level) or report.errors:
            raise AssertionError(failure_text(report, level))
        return report

    def _record(self, report) -> None:
        from .render.json_report import as_dict

        self._item.user_properties.append((_PROPERTY, json.dumps(as_dict(report))))


@pytest.fixture
def doctor(request) -> Doctor:
    """Check Keras models and histories with the project's [tool.fusiondoctor] settings."""
    return Doctor(request.node)


def pytest_runtest_logreport(report) -> None:
    """Collect checks from test reports (on the controller under xdist, where they arrive serialized)."""
    if report.when != "call":
        return
    for name, value in getattr(report, "user_properties", ()):
        if name == _PROPERTY:
            _RESULTS.append((report.nodeid, json.loads(value)))


def _is_worker(config) -> bool:
    return hasattr(config, "workerinput")


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if _is_worker(config) or not _RESULTS:
        return
    codes: Counter = Counter()
    for _, report in _RESULTS:
        codes.update(f["code"] for f in report["findings"])
    terminalreporter.section("fusiondoctor")
    failing = sum(1 for _, r in _RESULTS if r["findings"])
    terminalreporter.write_line(f"{len(_RESULTS)} checks in {len({n for n, _ in _RESULTS})} tests; "
                                f"{failing} with findings")
    for code, count in sorted(codes.items()):
        terminalreporter.write_line(f"  {code}: {count}")
    path = config.getoption("fusiondoctor_report")
    if path:
        _write_session_report(path, _RESULTS)
        terminalreporter.write_line(f"report written to {path}")


def _write_session_report(path: str, results: list[tuple]) -> None:
    checks: list[dict[str, Any]] = [{"test": nodeid, **report} for nodeid, report in results]
    if path.endswith(".json"):
        payload = {"version": 1, "tool": "fusiondoctor", "checks": checks}
        text = json.dumps(payload, indent=2) + "\n"
    else:
        lines = []
        for check in checks:
            lines.append(f"{check['test']}: {len(check['findings'])} findings")
            lines.extend(f"  {f['code']} {f['name']} [{f['severity']}] {f['message']}" for f in check["findings"])
        text = "\n".join(lines) + "\n"
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
