"""The ceiling of bound tightening: the 10-s solve at H = 10 on bounds from MILPs instead of
LPs (issue 15, tried).

For each start, after our LP tightening, every switching ReLU's pre-activation (in horizon
order) and every state coordinate is minimised and maximised over the whole MILP by Gurobi,
``cap`` seconds each, and its dual bound (valid whether proven or not) replaces the LP bound;
a ReLU whose interval no longer contains 0 loses its binary. This is the tightest any
per-coordinate bound can be (exact reach, up to the cap), whatever it costs, so the solve
that follows, timed on its own, says how much better bounds can still buy.

Run from a folder holding ``push16/``: ``python milp_bounds.py push16 [cap_s] [starts]``.
"""

import sys
import time

import numpy as np
from push_problem import gurobi_mpc, load, seeded_starts  # this folder's shared setup

from mpcnet.milp.solvers import SolveOptions


def _extreme(grb, z, col: int, sense: int) -> float:
    """Gurobi's dual bound on the least (sense 1) or largest (sense -1) value of ``col``."""
    obj = np.zeros(z.shape[0])
    obj[col] = 1.0
    z.Obj, grb.ModelSense = obj, sense
    grb.optimize()
    return float(grb.ObjBound)


def milp_tighten(mpc, cap: float) -> dict:
    """Replace the LP bounds of every switching ReLU and state by MILP bounds, step by step."""
    enc, backend = mpc.encoding, mpc.backend
    model, grb, z = enc.model, backend.grb, backend.z
    grb.Params.TimeLimit, grb.Params.MIPGap, grb.Params.OutputFlag = cap, 1e-4, 0
    start, stable = time.perf_counter(), 0
    for t in range(enc.horizon):
        for sw in (sw for sw in enc.switching if sw.t == t):
            if model.col_lower[sw.d_col] == model.col_upper[sw.d_col]:
                continue  # already stable
            lo = max(model.col_lower[sw.a_col], _extreme(grb, z, sw.a_col, 1))
            hi = min(model.col_upper[sw.a_col], _extreme(grb, z, sw.a_col, -1))
            stable += bool(hi <= 0 or lo >= 0)
            backend.update(model, enc.set_relu_bounds(sw, lo, hi))
        for col in enc.x_cols[t + 1]:
            model.col_lower[col] = max(model.col_lower[col], _extreme(grb, z, col, 1))
            model.col_upper[col] = min(model.col_upper[col], _extreme(grb, z, col, -1))
            backend.update(model, [])
    z.Obj, grb.ModelSense = model.cost, 1
    return {"seconds": time.perf_counter() - start, "newly_stable": stable}


def _switching(enc) -> int:
    m = enc.model
    return sum(m.col_lower[sw.d_col] != m.col_upper[sw.d_col] for sw in enc.switching)


def _widths(enc, t: int) -> float:
    m = enc.model
    return float(np.mean(m.col_upper[enc.x_cols[t]] - m.col_lower[enc.x_cols[t]]))


def main(model: str, cap: float = 1.0, starts: int = 4, horizon: int = 10) -> None:
    net, env = load(model)
    mpc = gurobi_mpc(net, env, horizon)
    enc, rows = mpc.encoding, []
    for x0, goal, warm in seeded_starts(net, env, horizon, starts):
        options = SolveOptions(time_limit=10, track_gap=False)
        lp = mpc.solve(x0, goal, warm_start=warm, options=options)
        lp_binaries, lp_width = _switching(enc), [_widths(enc, t) for t in (5, 10)]
        info = milp_tighten(mpc, cap)
        mpc.backend.grb.Params.MIPGap = options.mip_gap
        raw = mpc.backend.solve(options, enc.complete(warm))
        rows.append((lp.gap, raw.gap, lp.dual_bound, raw.dual_bound))
        print(f"LP bounds:   binaries {lp_binaries}, mean state width t=5,10 "
              f"{np.round(lp_width, 3)}, bound {lp.dual_bound:.4f} plan {lp.objective:.4f} "
              f"gap {lp.gap:.3f} nodes {lp.nodes}\n"
              f"MILP bounds: binaries {_switching(enc)}, mean state width t=5,10 "
              f"{np.round([_widths(enc, t) for t in (5, 10)], 3)}, bound {raw.dual_bound:.4f} "
              f"plan {raw.objective:.4f} gap {raw.gap:.3f} nodes {raw.nodes} "
              f"(tightening {info['seconds']:.0f} s, {info['newly_stable']} ReLUs made stable)",
              flush=True)
    r = np.array(rows)
    print(f"median gap: LP bounds {np.median(r[:, 0]):.3f}, MILP bounds {np.median(r[:, 1]):.3f}; "
          f"mean bound {r[:, 2].mean():.4f} against {r[:, 3].mean():.4f}")


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 1.0,
         int(sys.argv[3]) if len(sys.argv) > 3 else 4)
