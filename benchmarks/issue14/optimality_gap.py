"""How far from the proven optimum are the sampling planners' plans under the model?

For seeded Push-v0 start states: the first plan of GD, CEM and MPPI at a budget, re-scored
under the model in float64; then Gurobi (LP-tightened bounds) solves the same MILP for up to
LIMIT seconds, warm-started from the best of those plans, and its dual bound certifies how
much better any plan could be. Usage (from /work/bench):
    python optimality_gap.py MODEL_DIR HORIZON BUDGET_MS STARTS LIMIT_S OUT.json
"""
import json
import sys
import time

import numpy as np
import torch

import envs
from controllers import PlannerConfig
from mpcnet.milp.mip_mpc import MipMpc
from mpcnet.milp.solvers import SolveOptions
from mpcnet.nn.relunet import ReluNet
from mpcnet.plan_cost import PlanCost
from training.bench.mip import start_states
from training.evaluate import build_controller

model, horizon, budget_ms, starts, limit, out = sys.argv[1:7]
horizon, starts, limit, budget_ms = int(horizon), int(starts), float(limit), float(budget_ms)
net = ReluNet.load(f"{model}/relunet")
env = envs.task_of(envs.make("mpcnet/Push-v0"))
problems = start_states("mpcnet/Push-v0", starts, 1)  # the starts of `bench planners --quality`
kernel = PlanCost(net, env.cost_spec, "float64")
config = PlannerConfig(horizon=horizon, budget_ms=budget_ms)
planners = {name: build_controller("mpcnet/Push-v0", net, name, config) for name in
            ("gd", "cem", "mppi")}
mpc = MipMpc(net, env.cost_spec, horizon, env.action_space.low, env.action_space.high,
             env.state_low, env.state_high, bounds="lp", backend="gurobi")
rows = []
for i, (x0, goal) in enumerate(problems):
    kernel.set_goal(goal)
    row = {"start": i}
    plans = {}
    for name, ctrl in planners.items():
        ctrl.reset(i, goal)
        plans[name] = ctrl.act(x0).plan
        with torch.no_grad():
            row[name] = float(kernel(kernel.tensor(x0), kernel.tensor(plans[name])[None])[0])
    best = min(planners, key=lambda n: row[n])
    t = time.perf_counter()
    sol = mpc.solve(x0, goal, warm_start=plans[best],
                    options=SolveOptions(time_limit=limit, mip_gap=1e-4, threads=1))
    row.update(mip=sol.objective, bound=sol.dual_bound, status=sol.status,
               seconds=time.perf_counter() - t, binaries=sol.binaries)
    rows.append(row)
    print(json.dumps(row), flush=True)
json.dump(rows, open(out, "w"), indent=1)
bound = np.array([r["bound"] for r in rows])
for name in (*planners, "mip"):
    cost = np.array([r[name] for r in rows])
    excess = (cost - bound) / cost
    print(f"{name}: mean cost {cost.mean():.4f}; above the proven bound by median "
          f"{100 * np.median(excess):.2f}%, max {100 * excess.max():.2f}%")
print(f"proven to 0.01%: {sum(r['status'] == 'optimal' for r in rows)}/{len(rows)}")
