"""Data-aware probes: load a model safely, run it on a bounded sample, and measure what rules need."""
