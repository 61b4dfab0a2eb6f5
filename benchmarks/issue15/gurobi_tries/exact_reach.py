"""Exact reach against LP-tightened reach: the smallest and largest value of each state
coordinate after t steps, by MILP (Gurobi, 0.1% gap, its dual bounds, so the widths are
sound), against the LP-tightened intervals of the same H = 10 problem (issue 15, tried).

Run from a folder holding ``push16/``: ``python exact_reach.py push16``.
"""

import sys
import time

import gurobipy as gp
import numpy as np
from push_problem import gurobi_mpc, load  # this folder's shared setup

from mpcnet.milp.solvers import SolveOptions
from training.bench.mip import start_states


def main(model: str, horizon: int = 10, steps: int = 6) -> None:
    net, env = load(model)
    mpc = gurobi_mpc(net, env, horizon)
    x0, goal = start_states("mpcnet/Push-v0", 1, 0)[0]
    mpc.solve(x0, goal, options=SolveOptions(time_limit=0.01))  # runs the LP tightening
    enc, grb, z = mpc.encoding, mpc.backend.grb, mpc.backend.z.tolist()
    grb.Params.MIPGap, grb.Params.TimeLimit = 1e-3, 30
    for t in range(1, steps + 1):
        cols = enc.x_cols[t]
        start = time.perf_counter()
        widths = []
        for col in cols:
            ends = []
            for sense in (gp.GRB.MINIMIZE, gp.GRB.MAXIMIZE):
                grb.setObjective(z[col] + 0.0, sense)
                grb.optimize()
                ends.append(grb.ObjBound)
            widths.append(ends[1] - ends[0])
        lp = enc.model.col_upper[cols] - enc.model.col_lower[cols]
        print(f"t = {t}: exact widths {np.round(widths, 3)} "
              f"({time.perf_counter() - start:.1f} s)\n       LP widths    {np.round(lp, 3)}",
              flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
