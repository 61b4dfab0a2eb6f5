"""The exact range of the 16-ReLU push model's one-step output over the whole state box,
against the LP-tightened state intervals of one H = 10 problem (issue 15, tried).

Run from a folder holding ``push16/``: ``python one_step_range.py``.
"""

import time

import gurobipy as gp
import numpy as np
from push_problem import gurobi_mpc, load  # this folder's shared setup

from mpcnet.milp.solvers import SolveOptions
from training.bench.mip import start_states


def one_step_range(net, env):
    """``(lowest, highest)`` of each ``x1 - x0`` over the state and action boxes (20 MILPs)."""
    one = gurobi_mpc(net, env, 1, bounds="symbolic")
    enc = one.encoding
    enc.set_parameters((env.state_low + env.state_high) / 2, np.zeros(net.state_dim),
                       tighten=False)
    enc.model.col_lower[enc.x_cols[0]] = env.state_low  # x0 free over the whole box
    enc.model.col_upper[enc.x_cols[0]] = env.state_high
    one.backend.update(enc.model, [])
    grb, z = one.backend.grb, one.backend.z.tolist()
    lowest, highest = [], []
    for i in range(net.state_dim):
        change = z[enc.x_cols[1][i]] - z[enc.x_cols[0][i]]
        grb.setObjective(change, gp.GRB.MINIMIZE)
        grb.optimize()
        lowest.append(grb.ObjVal)
        grb.setObjective(change, gp.GRB.MAXIMIZE)
        grb.optimize()
        highest.append(grb.ObjVal)
    return np.array(lowest), np.array(highest)


def main() -> None:
    net, env = load()
    start = time.perf_counter()
    lowest, highest = one_step_range(net, env)
    print(f"exact one-step range ({time.perf_counter() - start:.1f} s):",
          np.round(highest - lowest, 3))
    mpc = gurobi_mpc(net, env, 10)
    x0, goal = start_states("mpcnet/Push-v0", 1, 0)[0]
    mpc.solve(x0, goal, options=SolveOptions(time_limit=0.01))  # runs the LP tightening
    model = mpc.encoding.model
    for t in (1, 3, 6, 10):
        cols = mpc.encoding.x_cols[t]
        print(f"t = {t}: LP-tightened widths", np.round(model.col_upper[cols]
                                                        - model.col_lower[cols], 3))


if __name__ == "__main__":
    main()
