"""Cuts that couple consecutive steps: bounds on how far the object moves in one step
(issue 15, tried).

For each start, after the 10-s solve on LP-tightened bounds, each step's change of each
keypoint coordinate (both signs) and of the two keypoint diagonals (the object's turn) is
maximised over the whole H = 10 MILP by Gurobi, ``cap`` seconds each. Its dual bound is a
valid right-hand side, so ``d . (x_{t+1} - x_t) <= bound`` cuts off no plan. The LP
relaxation's own maximum of each is printed beside it, as the start's largest ratio to the
bound. With the 240 cuts in, the root LP and the same 10-s solve run again. The cuts' own
time is not counted: the question is what they could buy if they were free.

Run from a folder holding ``push16/``: ``python move_cuts.py [cap_s] [starts]``.
"""

import sys
import time

import gurobipy as gp
import numpy as np
from push_problem import gurobi_mpc, load, seeded_starts  # this folder's shared setup

from mpcnet.milp.solvers import SolveOptions


def directions() -> list[np.ndarray]:
    """Each keypoint coordinate, and each coordinate of the two diagonals, both signs."""
    dirs = []
    for i in range(8):
        e = np.zeros(8)
        e[i] = 1.0
        dirs += [e, -e]
    for a, b in ((0, 2), (1, 3)):
        for c in (0, 1):
            e = np.zeros(8)
            e[2 * a + c], e[2 * b + c] = 1.0, -1.0
            dirs += [e, -e]
    return dirs


def root_lp(grb) -> float:
    relaxed = grb.relax()
    relaxed.Params.OutputFlag = 0
    relaxed.optimize()
    return float(relaxed.ObjVal)


def move(v, enc, t: int, d: np.ndarray):
    """``d . (x_{t+1} - x_t)`` over the keypoints, in the variables ``v``."""
    now, nxt = enc.x_cols[t][:8], enc.x_cols[t + 1][:8]
    return gp.quicksum(float(d[i]) * (v[int(nxt[i])] - v[int(now[i])])
                       for i in np.flatnonzero(d))


def add_move_cuts(enc, grb, cap: float) -> tuple[list, float]:
    """One cut per step and direction, its right-hand side Gurobi's bound after ``cap`` s;
    also the largest ratio of the LP relaxation's own maximum to that bound."""
    relaxed = grb.relax()
    relaxed.Params.OutputFlag = 0
    v, cost = grb.getVars(), [var.Obj for var in grb.getVars()]
    grb.Params.TimeLimit, grb.Params.MIPGap = cap, 1e-4
    cuts, ratio = [], 0.0
    for t in range(enc.horizon):
        for d in directions():
            grb.setObjective(move(v, enc, t, d), gp.GRB.MAXIMIZE)
            grb.optimize()
            relaxed.setObjective(move(relaxed.getVars(), enc, t, d), gp.GRB.MAXIMIZE)
            relaxed.optimize()
            if grb.ObjBound > 1e-3:
                ratio = max(ratio, relaxed.ObjVal / grb.ObjBound)
            cuts.append(grb.addConstr(move(v, enc, t, d) <= grb.ObjBound + 1e-7))
    grb.setObjective(gp.quicksum(c * var for c, var in zip(cost, v, strict=True)),
                     gp.GRB.MINIMIZE)
    grb.update()
    return cuts, ratio


def main(cap: float = 0.3, starts: int = 4, horizon: int = 10) -> None:
    net, env = load()
    mpc = gurobi_mpc(net, env, horizon)
    enc, gaps = mpc.encoding, []
    options = SolveOptions(time_limit=10)
    for k, (x0, goal, warm) in enumerate(seeded_starts(net, env, horizon, starts)):
        before = mpc.solve(x0, goal, warm_start=warm, options=options)
        grb = mpc.backend.grb
        lp_before, start = root_lp(grb), time.perf_counter()
        cuts, ratio = add_move_cuts(enc, grb, cap)
        seconds, lp_after = time.perf_counter() - start, root_lp(grb)
        grb.Params.MIPGap = options.mip_gap
        after = mpc.backend.solve(options, enc.complete(warm))
        gaps.append((before.gap, after.gap))
        print(f"start {k + 1}: {len(cuts)} cuts in {seconds:.0f} s (LP's largest move over "
              f"the cut's bound: {ratio:.2f}); root LP {lp_before:.4f} -> "
              f"{lp_after:.4f}; 10-s bound {before.dual_bound:.4f} -> {after.dual_bound:.4f}; "
              f"plan {before.objective:.4f} -> {after.objective:.4f}; gap {before.gap:.3f} -> "
              f"{after.gap:.3f}", flush=True)
        grb.remove(cuts)
        grb.update()
    print("median gap: without cuts {:.3f}, with {:.3f}".format(*np.median(gaps, axis=0)))


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 0.3,
         *(int(a) for a in sys.argv[2:]))
