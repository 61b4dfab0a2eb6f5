"""The pipeline: data collection, training, sparsification, closed-loop evaluation and the
``improve`` rounds (the stages), with their configs, results and run directories.

Rooms by role, and who may import whom (checked by ``tests/test_import_rules.py``):

- ``training`` (this package's modules): the stages. They import ``controllers``, ``envs``
  and ``mpcnet``, never the sub-packages below.
- ``training.bench``: the benchmarks behind ``mpcnet bench``; imports the stages.
- ``training.experiments``: sweeps, statistics, plots and the report; imports the stages and
  the benchmarks (whose results the report reads).
- ``training.cli``: the ``mpcnet`` command; imports all of the above. Nothing imports it.
"""

from mpcnet._exports import MovedModules

# module paths before the split by role (0.1): they work until 0.3, with a DeprecationWarning
MOVED = {
    **{f"training.{m}": f"training.experiments.{m}" for m in (
        "sweep", "sweep_spec", "sweep_results", "stats", "report", "compare_plots",
        "sparsify_tables")},
    **{f"training.bench_{m}": f"training.bench.{m}" for m in ("mip", "bab", "peer",
                                                               "planners")},
    "training.mip_plots": "training.bench.mip_plots",
    "training.commands": "training.cli.stages",
    "training.control_commands": "training.cli.control",
    "training.bench_commands": "training.cli.bench",
    "training.onnx_commands": "training.cli.onnx",
    "training.run_inputs": "training.cli.inputs",
}
MovedModules.install(MOVED, removal="0.3")
