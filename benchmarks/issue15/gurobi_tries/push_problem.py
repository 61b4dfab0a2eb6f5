"""What every script here sets up: the push model, the Push-v0 task and its MILP on Gurobi."""

from pathlib import Path

import numpy as np

import envs
from mpcnet.milp.mip_mpc import MipMpc
from mpcnet.nn.relunet import ReluNet
from mpcnet.sampling import best_sampled_plan
from training.bench.mip import start_states


def load(model: str = "push16"):
    """``(net, env)``: the ReLU network in ``model/`` and the Push-v0 task."""
    return ReluNet.load(Path(model) / "relunet"), envs.task_of(envs.make("mpcnet/Push-v0"))


def gurobi_mpc(net, env, horizon: int, bounds: str = "lp") -> MipMpc:
    """The MPC problem over ``horizon`` steps, in the task's action and state boxes."""
    low, high = env.action_space.low.astype(float), env.action_space.high.astype(float)
    return MipMpc(net, env.cost_spec, horizon, low, high, env.state_low, env.state_high,
                  bounds=bounds, backend="gurobi")


def seeded_starts(net, env, horizon: int, starts: int = 4):
    """``(x0, goal, warm plan)`` of the scripts' seeded starts; the warm plan is the best of
    1024 random plans and zero actions, as ``bench mip``'s default."""
    low, high = env.action_space.low.astype(float), env.action_space.high.astype(float)
    rng = np.random.default_rng(0)
    for x0, goal in start_states("mpcnet/Push-v0", starts, 0):
        warm, _ = best_sampled_plan(net, env.cost_spec, x0, goal, horizon, low, high, 1024,
                                    rng, include=np.zeros((1, horizon, len(low))))
        yield x0, goal, warm


class HookedModel:
    """The backend's Gurobi model, whose optimize() first runs ``before()`` and always passes
    ``callback``: how a script changes what the backend's solve does without editing it."""

    def __init__(self, model, before=None, callback=None):
        self.model, self.before, self.callback = model, before, callback

    def __getattr__(self, name):
        return getattr(self.model, name)

    def optimize(self, callback=None):
        if self.before is not None:
            self.before()
        self.model.optimize(self.callback)
