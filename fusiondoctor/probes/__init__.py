"""Data-aware probes: load a model safely, read a bounded data sample, and measure, before the engine
runs, what the selected rules declare (``measure.py``) into the records of ``fusiondoctor.measurements``."""
