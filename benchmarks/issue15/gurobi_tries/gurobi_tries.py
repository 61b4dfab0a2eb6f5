"""What moves Gurobi's dual bound at H = 10 on the 16-ReLU push model (issue 15, tried).

Run from a folder holding ``push16/`` (``mpcnet sparsify ... --relus 16 --out push16``):

    python gurobi_tries.py params          # MIPFocus / Cuts settings against the default
    python gurobi_tries.py cuts 10         # ideal ReLU cuts as user cuts at every node
    python gurobi_tries.py cuts 10 root    # the same cuts at the root node only
    python gurobi_tries.py cuts 6 root
    python gurobi_tries.py obbt 10         # Gurobi's own OBBT=3, on LP-tightened bounds
    python gurobi_tries.py obbt 10 symbolic  # ... and instead of our LP tightening

4 seeded starts, LP-tightened bounds, warm start = best of 1024 random plans, 10 s per solve.
"""

import sys
import time

import gurobipy as gp
import numpy as np
from push_problem import HookedModel, gurobi_mpc, load, seeded_starts  # shared setup

from mpcnet.milp.cuts import separate
from mpcnet.milp.mip_mpc import MipMpc
from mpcnet.milp.solvers import SolveOptions

PARAMS = {"default": {}, "MIPFocus=3": {"MIPFocus": 3}, "Cuts=3": {"Cuts": 3},
          "MIPFocus=2,Cuts=2": {"MIPFocus": 2, "Cuts": 2}, "OBBT=3": {"OBBT": 3}}
SETTINGS = {"params": ["default", "MIPFocus=3", "Cuts=3", "MIPFocus=2,Cuts=2"],
            "obbt": ["default", "OBBT=3"], "cuts": ["default", "cuts"]}


def relu_cut_callback(mpc: MipMpc, root_only: bool, counts: dict):
    """A Gurobi callback adding the most violated ideal cut of each switching ReLU."""
    enc, variables = mpc.encoding, mpc.backend.z.tolist()
    model = enc.model

    def callback(m, where):
        if where != gp.GRB.Callback.MIPNODE:
            return
        if m.cbGet(gp.GRB.Callback.MIPNODE_STATUS) != gp.GRB.OPTIMAL:
            return
        if root_only and m.cbGet(gp.GRB.Callback.MIPNODE_NODCNT) > 0:
            return
        start = time.perf_counter()
        rel = np.asarray(m.cbGetNodeRel(variables))
        for sw in enc.switching:
            if model.col_lower[sw.d_col] == model.col_upper[sw.d_col]:
                continue
            cols = sw.in_cols
            cut = separate(sw.in_w, sw.bias, model.col_lower[cols], model.col_upper[cols],
                           rel[cols], rel[sw.y_col], rel[sw.d_col])
            if cut.violation <= 1e-6 * (1 + abs(rel[sw.y_col])):
                continue
            expr = gp.LinExpr([1.0, -cut.coef_d, *(-cut.coef_v)],
                              [variables[sw.y_col], variables[sw.d_col],
                               *[variables[c] for c in cols]])
            m.cbCut(expr <= cut.rhs)
            counts["cuts"] += 1
        counts["seconds"] += time.perf_counter() - start

    return callback


def main(mode: str, horizon: int = 10, option: str = "") -> None:
    net, env = load()
    root_only, bounds = option == "root", "symbolic" if option == "symbolic" else "lp"
    mpc = gurobi_mpc(net, env, horizon, bounds)
    grb = mpc.backend.grb
    settings = SETTINGS[mode]
    results = {name: [] for name in settings}
    for x0, goal, warm in seeded_starts(net, env, horizon):
        for name in settings:
            grb.resetParams()
            grb.Params.OutputFlag = 0
            for key, value in PARAMS.get(name, {}).items():
                grb.setParam(key, value)
            counts = {"cuts": 0, "seconds": 0.0}
            if name == "cuts":
                grb.Params.PreCrush = 1  # user cuts are written in the original columns
                cut_callback = relu_cut_callback(mpc, root_only, counts)
                mpc.backend.grb = HookedModel(grb, callback=cut_callback)
            sol = mpc.solve(x0, goal, warm_start=warm,
                            options=SolveOptions(time_limit=10, track_gap=False))
            mpc.backend.grb = grb
            results[name].append((sol.objective, sol.dual_bound, sol.gap, sol.solve_time_s))
            print(name, f"objective {sol.objective:.4f} bound {sol.dual_bound:.4f} "
                  f"gap {sol.gap:.3f} nodes {sol.nodes} update {sol.update_time_s:.2f} "
                  f"time {sol.solve_time_s:.2f}", counts, flush=True)
    for name, rows in results.items():
        r = np.array(rows)
        print(f"{name}: mean objective {r[:, 0].mean():.3f} mean bound {r[:, 1].mean():.3f} "
              f"median gap {np.median(r[:, 2]):.3f} median time {np.median(r[:, 3]):.2f}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 10,
         sys.argv[3] if len(sys.argv) > 3 else "")
