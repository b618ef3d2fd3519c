"""Measure before diagnosing: run the probes the selected rules declare, into a frozen record.

    record = measure(probes, subject.needed_measurements(settings.rules()))

A measurement that fails is recorded with its reason; the engine then skips the rules that needed
it (the diagnosis is incomplete, so the exit code is 2), and no rule ever crashes on it.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable

from ..errors import InputError
from ..measurements import MEASUREMENTS, Measurements
from .probes import Probes

#: Measurements that run the model forward: the sample is fitted into the time budget before them.
_FORWARD = ("merge_scales", "batchnorm", "ablation", "branch_probes")


def _describe(exc: BaseException) -> str:
    text = str(exc).splitlines()[0][:160] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def measure(probes: Probes, names: Iterable[str]) -> Measurements:
    """The record of the named measurements (unknown names are refused)."""
    names = tuple(dict.fromkeys(names))
    unknown = [n for n in names if n not in MEASUREMENTS]
    if unknown:
        raise ValueError(f"unknown measurements {unknown} (known: {', '.join(MEASUREMENTS)})")
    with warnings.catch_warnings():  # numpy and scikit-learn warn on odd data: the rules report it, once
        warnings.simplefilter("ignore")
        values, failed = _measure_all(probes, names)
    return Measurements(probes.data.source, probes.data.n, tuple(probes.names), frozenset(values), failed,
                        dropped=probes.dropped, **values)


def _measure_all(probes: Probes, names: tuple[str, ...]) -> tuple[dict, dict]:
    unusable = probes.blocked
    if unusable is None and any(n in _FORWARD for n in names):
        try:
            probes.calibrate()  # every measurement reads the same (possibly smaller) sample
        except InputError:
            raise
        except Exception as exc:  # the model cannot run this data: a skip for the forward measurements
            unusable = f"the model cannot run the data ({_describe(exc)})"
    values, failed = {}, {}
    for name in names:
        if unusable is not None and name in _FORWARD:
            failed[name] = unusable
            continue
        try:
            values[name] = getattr(probes, name)
        except InputError:
            raise
        except Exception as exc:  # a measurement that fails is a skip for its rules, never a crash
            failed[name] = _describe(exc)
    return values, failed
