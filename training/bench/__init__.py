"""Benchmarks behind ``mpcnet bench``: rollout throughput, MILP solve times and grids, the
branch and bound, plan quality of the planners, and the pytorch_mppi peer comparison.

Rule: imports the stages (``training``) and the libraries below; never
``training.experiments`` (which reads the benchmarks' results) nor ``training.cli``.
"""
