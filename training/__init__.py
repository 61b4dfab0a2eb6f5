"""Data collection, training, sparsification, closed-loop evaluation, benchmarks and the
``mpcnet`` command line: the top of the dependency graph (it may import all the others)."""
