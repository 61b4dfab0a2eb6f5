"""Sampled plans through the batched rollout kernel (random shooting), used for warm starts."""

from __future__ import annotations

import numpy as np
import torch

from mpcnet.costs import CostSpec
from mpcnet.nn.relunet import ReluNet
from mpcnet.rollout import rollout, torch_dynamics


def best_sampled_plan(net: ReluNet | torch.nn.Module, cost: CostSpec, x0: np.ndarray,
                      goal: np.ndarray, horizon: int, action_low, action_high, samples: int,
                      rng: np.random.Generator, include=None) -> tuple[np.ndarray, float]:
    """The cheapest of ``samples`` uniform random action sequences (plus ``include`` plans).

    Returns:
        ``(actions (H, m), cost)``, the cost evaluated through the network with ``cost``.
    """
    model = torch_dynamics(net, dtype=torch.float64) if isinstance(net, ReluNet) else net
    low, high = np.asarray(action_low, float), np.asarray(action_high, float)
    plans = rng.uniform(low, high, (samples, horizon, len(low)))
    if include is not None:
        plans = np.concatenate([np.asarray(include, float).reshape(-1, horizon, len(low)),
                                plans])
    with torch.no_grad():
        u = torch.as_tensor(plans)
        states = rollout(model, torch.as_tensor(np.asarray(x0, float)), u)
        costs = cost.plan_cost_torch(states, u, np.asarray(goal, float)).numpy()
    best = int(np.argmin(costs))
    return plans[best], float(costs[best])
