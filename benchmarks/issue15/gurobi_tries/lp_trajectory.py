"""Where the H = 10 relaxation gains: the root LP's trajectory against the plans (issue 15,
tried).

For each start, after the 10-s Gurobi solve (LP-tightened bounds, as ``bench mip``), the LP
relaxation of the same program is solved once more. Printed per horizon step: the stage cost of
the LP's own states, of the model rolled out with the LP's actions, and of Gurobi's plan; the
centre of the object's four keypoints in the LP and in the plan. The LP's states are not the
model's states for its actions (the ReLUs are relaxed), so the first row is what the bound
believes and the second what those actions really do under the model.

Run from a folder holding ``push16/``: ``python lp_trajectory.py [starts]``.
"""

import sys

import numpy as np
from push_problem import gurobi_mpc, load, seeded_starts  # this folder's shared setup

from mpcnet.milp.solvers import SolveOptions


def stage_costs(states: np.ndarray, goal: np.ndarray, cost) -> np.ndarray:
    """Each step's state cost (L1 distance outside the goal tolerance, weighted)."""
    gap = np.maximum(np.abs(states - goal) - cost.goal_tolerance, 0.0)
    return (gap * cost.state_weight).sum(axis=-1)


def rollout(fnet, x0: np.ndarray, actions: np.ndarray) -> np.ndarray:
    states, x = [], x0
    for u in actions:
        _, out = fnet.forward(np.concatenate([x, u]))
        x = x + out if fnet.residual else out
        states.append(x)
    return np.array(states)


def main(starts: int = 4, horizon: int = 10) -> None:
    net, env = load()
    mpc = gurobi_mpc(net, env, horizon)
    enc, cost = mpc.encoding, env.cost_spec
    late = slice(4, horizon)  # steps 5..H
    for k, (x0, goal, warm) in enumerate(seeded_starts(net, env, horizon, starts)):
        plan = mpc.solve(x0, goal, warm_start=warm, options=SolveOptions(time_limit=10))
        relaxed = mpc.backend.grb.relax()
        relaxed.Params.OutputFlag = 0
        relaxed.optimize()
        z = np.array(relaxed.getAttr("X", relaxed.getVars()))
        lp_states, lp_actions = z[enc.x_cols[1:]], z[enc.u_cols]
        rows = {"LP states": stage_costs(lp_states, goal, cost),
                "model, LP's actions": stage_costs(rollout(enc.folded, x0, lp_actions), goal,
                                                   cost),
                "Gurobi's plan": stage_costs(plan.states, goal, cost)}
        print(f"start {k + 1}: LP {relaxed.ObjVal:.3f}, 10-s bound {plan.dual_bound:.3f}, "
              f"plan {plan.objective:.3f}")
        for name, costs in rows.items():
            print(f"  {name:20s} {np.round(costs, 3).tolist()}  steps 5-{horizon}: "
                  f"{costs[late].sum():.3f}")
        for name, states in (("LP", lp_states), ("plan", plan.states)):
            centre = states[:, :8].reshape(horizon, 4, 2).mean(axis=1)
            print(f"  object centre, {name:4s} {np.round(centre, 3).tolist()}")
        print(f"  goal centre {np.round(goal[:8].reshape(4, 2).mean(axis=0), 3).tolist()}")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
