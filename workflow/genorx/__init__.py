"""genorx: from sequencing reads to a per-patient therapy table."""

__version__ = "0.1.0"
