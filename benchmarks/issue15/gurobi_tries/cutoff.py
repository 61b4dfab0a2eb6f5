"""LP bound tightening under an objective cutoff (the cost of GD's plan), against without, at
H = 10 (issue 15, tried; needs MipMpc(cutoff=...), in the commit that added this script).

Run from a folder holding ``push16/``: ``python cutoff.py 10 push16``.
"""

import sys
from pathlib import Path

import envs
from controllers import PlannerConfig
from mpcnet.milp.mip_mpc import MipMpc
from mpcnet.milp.solvers import SolveOptions
from mpcnet.nn.relunet import ReluNet
from training.bench_mip import _gd_plan, start_states
from training.evaluate import build_controller


def main(horizon: int, model: str) -> None:
    net = ReluNet.load(Path(model) / "relunet")
    env = envs.task_of(envs.make("mpcnet/Push-v0"))
    low, high = env.action_space.low.astype(float), env.action_space.high.astype(float)
    gd = build_controller("mpcnet/Push-v0", net, "gd",
                          PlannerConfig(horizon=horizon, budget_ms=200), None)
    mpcs = {cutoff: MipMpc(net, env.cost_spec, horizon, low, high, env.state_low,
                           env.state_high, bounds="lp", backend="gurobi", cutoff=cutoff)
            for cutoff in (False, True)}
    problems = start_states("mpcnet/Push-v0", 4, 0)
    _gd_plan(gd, net, env.cost_spec, *problems[0], 0)  # torch's slow first call
    for i, (x0, goal) in enumerate(problems):
        warm, warm_cost, _ = _gd_plan(gd, net, env.cost_spec, x0, goal, i)
        for cutoff, mpc in mpcs.items():
            sol = mpc.solve(x0, goal, warm_start=warm,
                            options=SolveOptions(time_limit=10, track_gap=True))
            print(f"cutoff={cutoff} warm {warm_cost:.4f} objective {sol.objective:.4f} "
                  f"bound {sol.dual_bound:.4f} gap {sol.gap:.3f} binaries {sol.binaries} "
                  f"nodes {sol.nodes} update {sol.update_time_s:.2f} "
                  f"solve {sol.solve_time_s:.2f}", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
