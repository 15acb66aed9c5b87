"""The pieces of ``benchmarks/reads.py`` (``make bench-reads``)."""
