"""mpcnet: model-predictive control with sparse ReLU dynamics models.

The core library: data types, exported networks, torch models, rollout kernels, costs, the
mixed-integer program (:mod:`mpcnet.milp`) and the action-space bounds (:mod:`mpcnet.bab`).
It never imports ``pybullet`` nor the ``envs``, ``controllers`` or ``training`` packages, and
``import mpcnet`` loads neither torch nor a solver: the names below that need them load on
first use.

Rule: ``mpcnet`` imports only itself and third-party libraries (the layers above it are
``envs``, ``controllers`` and ``training``: training -> controllers -> mpcnet <- envs).
"""

__version__ = "0.2.0"

from mpcnet._exports import MovedModules, lazy_exports  # noqa: E402
from mpcnet.costs import CostSpec  # noqa: E402
from mpcnet.data import TransitionData  # noqa: E402
from mpcnet.errors import (  # noqa: E402
    ArtifactError,
    ConfigError,
    MpcnetError,
    ShapeError,
    UnknownNameError,
)
from mpcnet.nn.relunet import Layer, ReluNet  # noqa: E402
from mpcnet.threads import configure_threads, pin_heap_thresholds  # noqa: E402

_LAZY = {
    "MipMpc": "mpcnet.milp.mip_mpc", "SolveOptions": "mpcnet.milp.solvers",
    "MpcSolution": "mpcnet.milp.encoding", "NetBounds": "mpcnet.milp.bounds",
    "compute_bounds": "mpcnet.milp.bounds", "GraphNet": "mpcnet.nn.graphnet",
    "load_model": "mpcnet.nn.model_io", "save_model": "mpcnet.nn.model_io",
}
__getattr__, __dir__ = lazy_exports(__name__, _LAZY)

# module paths before the move into nn/, milp/ and bab/ (0.1): they work until 0.3, with a
# DeprecationWarning
MOVED = {
    **{f"mpcnet.{m}": f"mpcnet.nn.{m}" for m in (
        "folded", "gated", "graphnet", "model_io", "onnx_io", "relunet", "sparsity",
        "torch_gnn", "torch_models")},
    **{f"mpcnet.{m}": f"mpcnet.milp.{m}" for m in ("bounds", "cuts", "mip_mpc")},
    "mpcnet.milp_model": "mpcnet.milp.model",
    "mpcnet.solvers": "mpcnet.milp.solvers",
    **{f"mpcnet.solvers.{m}": f"mpcnet.milp.solvers.{m}" for m in (
        "highs_backend", "pyomo_backend", "scip_backend", "gurobi_backend")},
    "mpcnet.plan_bounds": "mpcnet.bab.plan_bounds",
}
MovedModules.install(MOVED, removal="0.3")

__all__ = [
    "ArtifactError", "ConfigError", "CostSpec", "GraphNet", "Layer", "MipMpc", "MpcSolution",
    "MpcnetError", "NetBounds", "ReluNet", "ShapeError", "SolveOptions", "TransitionData",
    "UnknownNameError", "__version__", "compute_bounds", "configure_threads", "load_model",
    "pin_heap_thresholds", "save_model",
]
