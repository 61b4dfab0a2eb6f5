"""A lower bound by stages: for each step t alone, the least cost of x_t any plan reaches
(Gurobi, 5 s each, its dual bound), summed, against the full problem's bound after 10 s
(issue 15, tried). Run from a folder holding ``push16/``: ``python stage_minima.py push16``.
"""

import sys
import time

import numpy as np
from push_problem import gurobi_mpc, load  # this folder's shared setup

from mpcnet.milp.solvers import SolveOptions
from training.bench.mip import start_states


def main(model: str, horizon: int = 10, limit: float = 5.0) -> None:
    net, env = load(model)
    mpc = gurobi_mpc(net, env, horizon)
    enc = mpc.encoding
    for x0, goal in start_states("mpcnet/Push-v0", 4, 0):
        full = mpc.solve(x0, goal, options=SolveOptions(time_limit=10))
        grb, z = mpc.backend.grb, mpc.backend.z
        cost = enc.model.cost.copy()
        grb.Params.TimeLimit = limit
        start, stages = time.perf_counter(), []
        for cols in enc.s_cols:  # the state cost of one step alone (action costs are >= 0)
            stage = np.zeros_like(cost)
            stage[cols] = cost[cols]
            z.Obj = stage
            grb.optimize()
            stages.append((round(grb.ObjBound, 4), round(grb.ObjVal, 4), round(grb.Runtime, 2)))
        z.Obj = cost
        print(f"full problem: plan {full.objective:.4f}, bound {full.dual_bound:.4f}; sum of "
              f"stage bounds {sum(s[0] for s in stages):.4f} ({time.perf_counter() - start:.0f} s)"
              f"\n  per stage (bound, best found, seconds): {stages}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
