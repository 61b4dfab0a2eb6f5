"""MPC controllers implementing one protocol: ``reset(seed, goal)`` and ``act(state)``.

Depends on ``mpcnet`` only (the dependency rule: training -> controllers -> mpcnet <- envs).
The torch-based names load on first use, so the command line can read ``PlannerConfig``
without importing torch.
"""

from __future__ import annotations

from controllers.config import PLANNER_FIELDS, PlannerConfig
from mpcnet.errors import unknown_name

_LAZY = ("Controller", "ControlStep", "PlanningController")


def __getattr__(name: str):
    if name in _LAZY:
        from controllers import base

        return getattr(base, name)
    raise AttributeError(f"module 'controllers' has no attribute {name!r}")


def _registry() -> dict:
    from controllers.bab import BabController
    from controllers.hold import Hold
    from controllers.mip import MipController, MipGdController, MipMppiController
    from controllers.sampling import CEM, MPPI, GradientDescent, RandomShooting

    return {c.name: c for c in (MipController, MipMppiController, MipGdController, MPPI, CEM,
                                GradientDescent, RandomShooting, BabController, Hold)}


CONTROLLER_NAMES = ("mip", "mip-mppi", "mip-gd", "mppi", "cem", "gd", "random", "bab", "hold")
# the ones that build a MILP (state box, bounds, size)
MIP_CONTROLLERS = ("mip", "mip-mppi", "mip-gd")
STATE_BOX_CONTROLLERS = (*MIP_CONTROLLERS, "bab")  # the ones that take the state box


def make_controller(name: str, net, cost, action_low, action_high,
                    config: PlannerConfig | None = None, state_low=None, state_high=None,
                    **kwargs):
    """Build a controller by name (``mip``, ``mip-mppi``, ``mip-gd``, ``mppi``, ``cem``,
    ``gd``, ``random``, ``bab``, or ``hold``: the do-nothing baseline)."""
    registry = _registry()
    if name not in registry:
        raise unknown_name("controller", name, registry)
    cls = registry[name]
    if name in STATE_BOX_CONTROLLERS:
        return cls(net, cost, action_low, action_high, config, state_low, state_high, **kwargs)
    return cls(net, cost, action_low, action_high, config, **kwargs)


__all__ = ["CONTROLLER_NAMES", "MIP_CONTROLLERS", "PLANNER_FIELDS", "ControlStep", "Controller",
           "PlannerConfig", "PlanningController", "make_controller"]
