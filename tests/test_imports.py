"""Import discipline: the package, the CLI's static path and the pytest plugin load no heavy modules."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.helpers import HEAVY_MODULES, tiny_fusion

PROBE = """
import contextlib, io, sys
with contextlib.redirect_stdout(io.StringIO()):
{body}
heavy = sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r})
print(','.join(heavy))
"""


def _loaded_after(body: str) -> str:
    indented = "\n".join("    " + line for line in body.splitlines())
    code = PROBE.format(body=indented, heavy=set(HEAVY_MODULES))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.mark.parametrize("body", [
    "import fusiondoctor",
    "import fusiondoctor.cli",
    "import fusiondoctor; fusiondoctor.all_rules()",
    "from fusiondoctor import cli; cli.main(['rules'])",
])
def test_light_imports(body):
    assert _loaded_after(body) == ""


def test_static_check_of_files_loads_no_heavy_module(tmp_path, keras3):
    model = tiny_fusion(keras3)
    for name in ("m.keras", "m.h5"):
        model.save(tmp_path / name)
    body = (f"from fusiondoctor import cli\n"
            f"code = cli.main(['check', {str(tmp_path / 'm.keras')!r}, {str(tmp_path / 'm.h5')!r}, '--format', 'json'])\n"
            f"assert code == 1, code")
    assert _loaded_after(body) == ""
