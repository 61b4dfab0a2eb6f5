"""Experiments over finished models: closed-loop sweeps, their statistics, the comparison
plots and tables, and the report.

Rule: imports the stages (``training``), the benchmarks (``training.bench``, whose results
the report reads) and the libraries below; never ``training.cli``.
"""
