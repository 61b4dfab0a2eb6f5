"""Does the 16-ReLU push model keep the object still when the pusher is far from it?

A bound that "knows the object moves only when the pusher reaches it" is only valid for the
model if the model itself moves the object little when the pusher is far. This measures the
largest one-step keypoint change the model predicts over the state and action boxes with the
pusher at least ``r`` from the object's centre along one axis (4 half-planes, 8 keypoint
coordinates, both signs), with and without the keypoints held to a rigid square (up to 1 cm).

Run from a folder holding ``push16/``:  python far_motion.py [model directory]
"""

import sys
import time

import gurobipy as gp
import numpy as np
from push_problem import gurobi_mpc, load  # this folder's shared setup

ROT90 = np.array([[0.0, -1.0], [1.0, 0.0]])


def one_step_model(net, env):
    """The one-step MILP with x0 free over the whole state box: (grb, x0 vars, x1 vars)."""
    one = gurobi_mpc(net, env, 1, bounds="symbolic")
    enc = one.encoding
    enc.set_parameters((env.state_low + env.state_high) / 2, np.zeros(net.state_dim),
                       tighten=False)
    enc.model.col_lower[enc.x_cols[0]] = env.state_low
    enc.model.col_upper[enc.x_cols[0]] = env.state_high
    one.backend.update(enc.model, [])
    z = one.backend.z.tolist()
    return one.backend.grb, [z[c] for c in enc.x_cols[0]], [z[c] for c in enc.x_cols[1]]


def rigid_square(grb, x0, tolerance: float):
    """Keypoints k_{i+1} - c = R90 (k_i - c), c their mean, each to within ``tolerance``."""
    kp = [(x0[2 * i], x0[2 * i + 1]) for i in range(4)]
    c = [gp.quicksum(k[d] for k in kp) / 4 for d in range(2)]
    rows = []
    for i in range(4):
        a, b = kp[i], kp[(i + 1) % 4]
        for d in range(2):
            rotated = gp.quicksum(ROT90[d, e] * (a[e] - c[e]) for e in range(2))
            rows.append(grb.addConstr(b[d] - c[d] - rotated <= tolerance))
            rows.append(grb.addConstr(b[d] - c[d] - rotated >= -tolerance))
    return rows


def largest_far_motion(grb, x0, x1, r: float) -> float:
    """max |x1_k - x0_k| over keypoint coordinates k with the pusher >= r from the centre."""
    centre = [gp.quicksum(x0[2 * i + d] for i in range(4)) / 4 for d in range(2)]
    worst = 0.0
    for d in range(2):
        for side in (1.0, -1.0):
            far = grb.addConstr(side * (x0[8 + d] - centre[d]) >= r)
            for k in range(8):
                for sense in (gp.GRB.MAXIMIZE, gp.GRB.MINIMIZE):
                    grb.setObjective(x1[k] - x0[k], sense)
                    grb.optimize()
                    if grb.Status == gp.GRB.OPTIMAL:
                        worst = max(worst, abs(grb.ObjVal))
            grb.remove(far)
    return worst


def main(model: str = "push16") -> None:
    net, env = load(model)
    grb, x0, x1 = one_step_model(net, env)
    grb.Params.OutputFlag = 0
    for rigid in (False, True):
        rows = rigid_square(grb, x0, 0.01) if rigid else []
        for r in (0.1, 0.15, 0.2, 0.3):
            start = time.perf_counter()
            worst = largest_far_motion(grb, x0, x1, r)
            print(f"rigid={rigid} r={r}: largest keypoint change {worst:.4f} m "
                  f"({time.perf_counter() - start:.1f} s)", flush=True)
        for row in rows:
            grb.remove(row)


if __name__ == "__main__":
    main(*sys.argv[1:2])
