"""What every script here sets up: the push model, the Push-v0 task and its MILP on Gurobi."""

from pathlib import Path

import envs
from mpcnet.milp.mip_mpc import MipMpc
from mpcnet.nn.relunet import ReluNet


def load(model: str = "push16"):
    """``(net, env)``: the ReLU network in ``model/`` and the Push-v0 task."""
    return ReluNet.load(Path(model) / "relunet"), envs.task_of(envs.make("mpcnet/Push-v0"))


def gurobi_mpc(net, env, horizon: int, bounds: str = "lp") -> MipMpc:
    """The MPC problem over ``horizon`` steps, in the task's action and state boxes."""
    low, high = env.action_space.low.astype(float), env.action_space.high.astype(float)
    return MipMpc(net, env.cost_spec, horizon, low, high, env.state_low, env.state_high,
                  bounds=bounds, backend="gurobi")
