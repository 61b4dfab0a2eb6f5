"""Does branching on the ReLUs of early (or late) horizon steps first move Gurobi's bound?

Run from a folder holding ``push16/``:  python branch_priority.py [horizon]

Gurobi's ``BranchPriority`` on each ReLU's binary: "early" gives step t priority H - t (the
first step's ReLUs are branched on first, so the later steps' inputs narrow in each branch),
"late" gives it t + 1. 4 seeded starts, LP-tightened bounds, warm start = best of 1024 random
plans, 10 s per solve.
"""

import sys

import numpy as np
from push_problem import gurobi_mpc, load  # this folder's shared setup

from mpcnet.milp.solvers import SolveOptions
from training.bench_mip import best_sampled_plan, start_states

ORDERS = ("none", "early", "late")


class WithPriorities:
    """The backend's Gurobi model; optimize() first sets each binary's branch priority."""

    def __init__(self, backend, priorities: dict[int, int]):
        self.backend, self.priorities = backend, priorities
        self.model = backend.grb

    def __getattr__(self, name):
        return getattr(self.model, name)

    def optimize(self, callback=None):
        variables = self.backend.z.tolist()
        for col, priority in self.priorities.items():
            variables[col].BranchPriority = priority
        self.model.optimize(callback)


def main(horizon: int = 10) -> None:
    net, env = load()
    low, high = env.action_space.low.astype(float), env.action_space.high.astype(float)
    mpc = gurobi_mpc(net, env, horizon)
    rows = {order: [] for order in ORDERS}
    rng = np.random.default_rng(0)
    for x0, goal in start_states("mpcnet/Push-v0", 4, 0):
        warm, _ = best_sampled_plan(net, env.cost_spec, x0, goal, horizon, low, high, 1024,
                                    rng, include=np.zeros((1, horizon, 2)))
        for order in ORDERS:
            grb = mpc.backend.grb
            grb.resetParams()
            grb.Params.OutputFlag = 0
            priorities = {sw.d_col: {"none": 0, "early": horizon - sw.t, "late": sw.t + 1}[order]
                          for sw in mpc.encoding.switching}
            mpc.backend.grb = WithPriorities(mpc.backend, priorities)
            sol = mpc.solve(x0, goal, warm_start=warm,
                            options=SolveOptions(time_limit=10, track_gap=True))
            mpc.backend.grb = grb
            rows[order].append((sol.objective, sol.dual_bound, sol.gap, sol.nodes))
            print(order, f"objective {sol.objective:.4f} bound {sol.dual_bound:.4f} "
                  f"gap {sol.gap:.3f} nodes {sol.nodes} update {sol.update_time_s:.2f} "
                  f"solve {sol.solve_time_s:.2f}", flush=True)
    for order, r in rows.items():
        r = np.array(r)
        print(f"{order}: mean objective {r[:, 0].mean():.3f} mean bound {r[:, 1].mean():.3f} "
              f"median gap {np.median(r[:, 2]):.3f} median nodes {np.median(r[:, 3]):.0f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
