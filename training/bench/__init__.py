"""Benchmarks behind ``mpcnet bench``: rollout throughput, MILP solve times and grids, the
branch and bound, plan quality of the planners, and the pytorch_mppi peer comparison.

Rule: imports the stages (``training``) and the libraries below; never
``training.experiments`` (which reads the benchmarks' results) nor ``training.cli``.
"""

import importlib
import warnings

# ``training.bench`` was the rollout benchmark module before 0.2; its names still resolve,
# with a DeprecationWarning, until 0.3
_ROLLOUT_NAMES = ("random_push_net", "bench_rollout", "device_name", "rollout_table",
                  "replace_section")


def __getattr__(name: str):
    if name not in _ROLLOUT_NAMES:
        raise AttributeError(f"module 'training.bench' has no attribute {name!r}")
    warnings.warn(f"training.bench.{name} moved to training.bench.rollout.{name}; import it "
                  "from there (the old path goes in 0.3)", DeprecationWarning, stacklevel=2)
    return getattr(importlib.import_module("training.bench.rollout"), name)
