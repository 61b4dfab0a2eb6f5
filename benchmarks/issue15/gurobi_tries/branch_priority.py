"""Does branching on the ReLUs of early (or late) horizon steps first move Gurobi's bound?

Run from a folder holding ``push16/``:  python branch_priority.py [horizon]

Gurobi's ``BranchPriority`` on each ReLU's binary: "early" gives step t priority H - t (the
first step's ReLUs are branched on first, so the later steps' inputs narrow in each branch),
"late" gives it t + 1. 4 seeded starts, LP-tightened bounds, warm start = best of 1024 random
plans, 10 s per solve.
"""

import sys

import numpy as np
from push_problem import HookedModel, gurobi_mpc, load, seeded_starts  # shared setup

from mpcnet.milp.solvers import SolveOptions

ORDERS = ("none", "early", "late")


def set_priorities(backend, priorities: dict[int, int]) -> None:
    """Each binary's ``BranchPriority`` (set before every solve: a rebuild would drop them)."""
    variables = backend.z.tolist()
    for col, priority in priorities.items():
        variables[col].BranchPriority = priority


def main(horizon: int = 10) -> None:
    net, env = load()
    mpc = gurobi_mpc(net, env, horizon)
    rows = {order: [] for order in ORDERS}
    for x0, goal, warm in seeded_starts(net, env, horizon):
        for order in ORDERS:
            grb = mpc.backend.grb
            grb.resetParams()
            grb.Params.OutputFlag = 0
            priorities = {sw.d_col: {"none": 0, "early": horizon - sw.t, "late": sw.t + 1}[order]
                          for sw in mpc.encoding.switching}
            mpc.backend.grb = HookedModel(grb, before=lambda p=priorities: set_priorities(
                mpc.backend, p))
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
