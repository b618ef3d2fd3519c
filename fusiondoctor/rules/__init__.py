"""Rule modules, imported by the registry on first use. One module per input family."""

from . import compile, data, data_values, history, layers, meta, monitors, objective, optimizer, structure  # noqa: F401  (imported for their @rule registrations)
