"""mpcnet: model-predictive control with sparse ReLU dynamics models.

The core library: data types, exported networks, torch models, rollout kernels and costs.
It never imports ``pybullet`` nor the ``envs``, ``controllers`` or ``training`` packages.
"""

__version__ = "0.1.0"

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

__all__ = [
    "ArtifactError", "ConfigError", "CostSpec", "Layer", "MpcnetError", "ReluNet",
    "ShapeError", "TransitionData", "UnknownNameError", "__version__", "configure_threads",
    "pin_heap_thresholds",
]
