"""closed_loop_push: on the same 40 seeded Push-v0 episodes, 200 ms per step, horizon 6, does
MIP-MPC on a 16-ReLU model beat MPPI, CEM, GD and the branch and bound on the dense model?"""

import sys

from training.cli.suites import Step, Suite, main

_SPEC = """env = "mpcnet/Push-v0"
models = [{models}]
controllers = [{controllers}]
budget_ms = [{budget_ms}]
horizon = [{horizon}]
execute = [1]
episodes = {episodes_per_cell}
seed = 0
steps = {steps_per_episode}
iterations = 0
max_mip_relus = {max_mip_relus}
"""


def _spec(models: str, controllers: str, max_mip_relus: str = "16", extra: str = "") -> str:
    """A sweep spec whose sizes (budget, horizon, episodes, steps) the suite fills in."""
    text = (_SPEC.replace("{models}", models).replace("{controllers}", controllers)
            .replace("{max_mip_relus}", max_mip_relus))
    return text + extra


SUITE = Suite(
    name="closed_loop_push",
    question=__doc__,
    files={
        # every planner on the pusher-frame dense model and its 16-ReLU sparsification
        "planners.toml": _spec('"model_pf", "sw_pf/relus_16"',
                               '"mip", "mip-mppi", "mppi", "cem", "gd"'),
        # the ReLU budget: GD on 32 and 8 ReLUs, the MIP (Gurobi) on 8
        "budgets.toml": _spec('"sw_pf/relus_32", "sw_pf/relus_8"', '"gd", "mip"',
                              max_mip_relus="8", extra='[planner]\nmip_solver = "gurobi"\n'),
        # the branch and bound over the actions beside MPPI and GD
        "bab.toml": _spec('"model_pf", "sw_pf/relus_16"', '"bab", "mppi", "gd"'),
    },
    steps=(
        Step("mpcnet collect --env mpcnet/Push-v0 --episodes {episodes} --steps {steps} --seed 0 "
             "--out data", "data"),
        Step("mpcnet train --data data --frame pusher --seed 0 {train} --out model_pf",
             "model_pf"),
        Step("mpcnet sparsify --model model_pf --data data --relus {relus} --seed 0 {sparsify} "
             "--no-distill --out sw_pf", "sw_pf"),
        Step("mpcnet sweep planners.toml --out planners --workers {workers}",
             "planners/results.md"),
        Step("mpcnet sweep budgets.toml --out budgets --workers {workers}", "budgets/results.md"),
        Step("mpcnet sweep bab.toml --out bab --workers {workers}", "bab/results.md"),
    ),
    full={"episodes": 200, "steps": 30, "train": "", "relus": "32,16,8", "sparsify": "",
          "workers": 2, "budget_ms": 200, "horizon": 6, "episodes_per_cell": 40,
          "steps_per_episode": 40},
    quick={"episodes": 6, "steps": 8, "train": "--hidden 20,20 --epochs 1 --rollout-horizon 3",
           "relus": "32,16,8", "sparsify": "--relaxed-epochs 1 --finetune-epochs 0 --no-baseline",
           "workers": 1, "budget_ms": 100, "horizon": 2, "episodes_per_cell": 1,
           "steps_per_episode": 1},
)

if __name__ == "__main__":
    sys.exit(main(SUITE))
