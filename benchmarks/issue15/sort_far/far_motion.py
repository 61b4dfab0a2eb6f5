"""How far the sort models move objects that the push never comes near (issue 15, tried).

A sort bound could rule out plans only if the model kept an object still when the push passes
far from it: "an object moves only when the pusher reaches it". This checks whether the
learned models have that property, on the states of the collected data. For every object, the
push's reach is its start point ``s`` widened by the push length ``|d|_inf``; an object whose
centre lies at least ``r`` (L-infinity) outside it is "far". Printed per model and ``r``: the
far objects' one-step motion (largest coordinate change) under the model, for the data's own
pushes (with the simulator's motion beside it) and for 10 uniformly random pushes per state.

Run from a folder holding the models and the data:
``python far_motion.py sortdata gnn gnn_relus32``.
"""

import sys
from pathlib import Path

import numpy as np
import torch

import envs
from mpcnet.data import TransitionData
from mpcnet.nn.graphnet import GraphNet, TorchGraphNet, num_objects_of

RADII = (0.1, 0.15, 0.2)


def far_motion(x, u, moved, radius: float) -> torch.Tensor:
    """Largest coordinate change of each far object (those at least ``radius`` outside the
    push's reach)."""
    n = num_objects_of(x.shape[-1])
    p = x[:, :2 * n].reshape(-1, n, 2)
    reach = u[:, 2:].abs().amax(-1, keepdim=True)
    outside = (u[:, None, :2] - p).abs().amax(-1) - reach
    move = (moved[:, :2 * n] - x[:, :2 * n]).reshape(-1, n, 2).abs().amax(-1)
    return move[outside >= radius]


def summary(move: torch.Tensor) -> str:
    q = torch.quantile(move, torch.tensor([0.5, 0.99], dtype=move.dtype))
    return (f"median {1000 * q[0]:.1f} mm, p99 {1000 * q[1]:.1f} mm, "
            f"max {1000 * move.max():.1f} mm")


def main(data_dir: str, *models: str) -> None:
    data = TransitionData.load(Path(data_dir))
    x, u, sim_next = (torch.tensor(a, dtype=torch.float64)
                      for a in (data.states, data.actions, data.next_states))
    space = envs.make("mpcnet/Sort-v0").action_space
    rng = np.random.default_rng(0)
    random_u = torch.tensor(rng.uniform(space.low, space.high, (10 * len(x), 4)))
    random_x = x.repeat(10, 1)
    print(f"{len(x)} transitions of {data_dir}; 10 random pushes per state for the last column")
    for r in RADII:
        far = far_motion(x, u, sim_next, r)
        print(f"r = {r} m: {far.numel()} far objects; the simulator moves them {summary(far)}")
    for name in models:
        net = TorchGraphNet(GraphNet.load(Path(name) / "graphnet"), dtype=torch.float64)
        with torch.no_grad():
            pred, pred_random = net(x, u), net(random_x, random_u)
        for r in RADII:
            print(f"{name}, r = {r} m: the data's pushes {summary(far_motion(x, u, pred, r))}; "
                  f"random pushes {summary(far_motion(random_x, random_u, pred_random, r))}")


if __name__ == "__main__":
    main(*sys.argv[1:])
