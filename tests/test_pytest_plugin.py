"""The pytest plugin, driven as users drive it: pytest in a subprocess on a test file of their own."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from tests.helpers import HEAVY_MODULES, tiny_fusion


@pytest.fixture(scope="module")
def models(tmp_path_factory, keras3):
    folder = tmp_path_factory.mktemp("plugin_models")
    broken, healthy = folder / "broken.keras", folder / "healthy.keras"
    tiny_fusion(keras3).save(broken)
    tiny_fusion(keras3, head_activation="sigmoid").save(healthy)
    return {"broken": str(broken), "healthy": str(healthy)}


def _suite(pytester, models, body: str) -> None:
    pytester.makepyfile(test_models=textwrap.dedent(f"""
        import pytest
        BROKEN = {models['broken']!r}
        HEALTHY = {models['healthy']!r}
    """) + textwrap.dedent(body))


def test_passing_suite(pytester, models):
    _suite(pytester, models, """
        def test_healthy(doctor):
            report = doctor.assert_healthy(HEALTHY)
            assert report.findings == ()

        def test_check_returns_the_report(doctor):
            assert doctor.check(BROKEN).codes() == ["FD101"]
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*fusiondoctor*", "2 checks in 2 tests; 1 with findings", "  FD101: 1"])


def test_failing_suite_shows_findings_like_the_text_report(pytester, models):
    _suite(pytester, models, """
        def test_broken(doctor):
            doctor.assert_healthy(BROKEN)

        def test_plain_function():
            from fusiondoctor.testing import assert_healthy
            assert_healthy(BROKEN)
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines([
        "*fusiondoctor found problems at or above 'warning':*",
        "*FD101 softmax-single-unit ?error? at layer 'output_layer'*",
        "*fix: Use sigmoid*",
    ])
    out = result.stdout.str()
    for internal in ("fusiondoctor/testing.py", "fusiondoctor/pytest_plugin.py", "fusiondoctor/engine.py"):
        assert internal not in out, f"traceback shows fusiondoctor's own frame {internal}"


def test_marker_and_options(pytester, models):
    _suite(pytester, models, """
        @pytest.mark.fusiondoctor(ignore=["FD101"])
        def test_ignored(doctor):
            doctor.assert_healthy(BROKEN)

        @pytest.mark.fusiondoctor(fail_on="error", select=["FD2"])
        def test_selected(doctor):
            doctor.assert_healthy(BROKEN)

        def test_unmarked(doctor):
            doctor.assert_healthy(BROKEN)
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--fusiondoctor-ignore", "FD101")
    result.assert_outcomes(passed=3)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--fusiondoctor-fail-on", "error",
                                           "--fusiondoctor-select", "FD3")
    result.assert_outcomes(passed=3)


def test_marker_is_validated_at_setup(pytester, models):
    _suite(pytester, models, """
        @pytest.mark.fusiondoctor(ignroe=["FD101"])
        def test_typo(doctor):
            doctor.assert_healthy(HEALTHY)

        @pytest.mark.fusiondoctor(select=["FD9"])
        def test_unknown_rule(doctor):
            doctor.assert_healthy(HEALTHY)
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*takes only keyword arguments*ignroe*", "*matches no rule*"])


def test_project_settings_apply(pytester, models):
    pytester.makepyprojecttoml('[tool.fusiondoctor]\nignore = ["FD101"]\n')
    _suite(pytester, models, """
        def test_broken_but_ignored(doctor):
            doctor.assert_healthy(BROKEN)
    """)
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_xdist_aggregates_one_report(pytester, models):
    pytest.importorskip("xdist")
    _suite(pytester, models, "\n".join(
        f"def test_{i}(doctor):\n    doctor.check({'BROKEN' if i % 2 else 'HEALTHY'})\n" for i in range(6)))
    report_path = pytester.path / "session.json"
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-n", "2", "--fusiondoctor-report", str(report_path)
    )
    result.assert_outcomes(passed=6)
    assert result.stdout.str().count("fusiondoctor ===") <= 1 or result.stdout.str().count("= fusiondoctor =") == 1
    result.stdout.fnmatch_lines(["6 checks in 6 tests; 3 with findings", "  FD101: 3"])
    data = json.loads(report_path.read_text())
    assert len(data["checks"]) == 6
    assert sorted(c["test"].split("::")[-1] for c in data["checks"] if c["findings"]) == ["test_1", "test_3", "test_5"]


def test_plugin_import_is_light():
    code = ("import sys, fusiondoctor.pytest_plugin\n"
            f"heavy = [m for m in sys.modules if m.split('.')[0] in {set(HEAVY_MODULES)!r}]\n"
            "ours = sorted(m for m in sys.modules if m.startswith('fusiondoctor'))\n"
            "print(heavy, ours)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    heavy, ours = out.strip().split("] [")
    assert heavy == "["
    assert "fusiondoctor.model" not in ours and "fusiondoctor.rules" not in ours and "h5py" not in out


def test_assert_finds(models):
    from fusiondoctor.testing import assert_finds

    assert_finds("FD101", models["broken"])
    with pytest.raises(AssertionError, match="expected fusiondoctor to report FD203"):
        assert_finds("FD203", models["broken"])


@pytest.mark.live
def test_assert_trains_overfits_one_batch_and_catches_constant_outputs(keras3):
    import numpy as np

    from fusiondoctor.testing import assert_trains

    rng = np.random.default_rng(0)
    x = [rng.normal(size=(32, 8, 8, 3)).astype("float32"), rng.normal(size=(32, 1, 12)).astype("float32")]
    y = (rng.random(32) < 0.5).astype("float32")
    assert_trains(tiny_fusion(keras3, head_activation="sigmoid"), (x, y), steps=40)
    with pytest.raises(AssertionError, match="same prediction"):
        assert_trains(tiny_fusion(keras3), (x, y), steps=40)
