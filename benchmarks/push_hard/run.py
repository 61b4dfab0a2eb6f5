"""push_hard: on the hard pushing variants (obstacles between the object and the goal, large
turns), does the exact planner on a sparse model beat sampling and gradient descent on the
dense one? Paired seeded episodes at a real-time budget, the simulator itself as the ceiling."""

import sys

from training.cli.suites import Step, Suite, main

_BIG = "--frame pusher --hidden {big} --seed 0 --augment rotate {train}"
_MODELS = "--models big60k sp60k/relus_32"
_EPISODES = ("--episodes {episodes} --seed 100 --steps {steps} --budget-ms {budget_ms} "
             "--horizon {horizon}")
_LONG = ("--episodes {episodes} --seed 100 --steps {steps} --budget-ms {long_budget_ms} "
         "--horizon {long_horizon} --execute {execute}")
SUITE = Suite(
    name="push_hard",
    question=__doc__,
    steps=(
        # the models of benchmarks/push_recipe, the same command lines (a directory that holds
        # that suite's results reuses them)
        Step("mpcnet collect --episodes {e60k} --steps {data_steps} --seed 0 --workers 2 "
             "--out d60k", "d60k"),
        Step(f"mpcnet train --data d60k {_BIG} --epochs {{ep60k}} --out big60k", "big60k"),
        Step("mpcnet sparsify --model big60k --data d60k --relus {relus} {sparsify} "
             "--no-baseline --out sp60k", "sp60k"),
        Step(f"mpcnet compare --env mpcnet/PushObstacle-v0 {_MODELS} --controllers "
             f"gd,mppi,mip,mip-mppi,bab {_EPISODES} --out cmp_obstacle", "cmp_obstacle"),
        Step("mpcnet evaluate --model sim --env mpcnet/PushObstacle-v0 --controller cem "
             "--episodes {sim_episodes} --seed 100 --steps {steps} {sim} --out ev_sim_obstacle",
             "ev_sim_obstacle"),
        # long horizons: a plan of H = 15 every 3 steps, the same planning time per env step
        Step("mpcnet compare --env mpcnet/PushObstacle-v0 --models big60k --controllers "
             f"gd,mppi {_LONG} --out cmp_obstacle_h15", "cmp_obstacle_h15"),
        Step("mpcnet compare --env mpcnet/PushObstacle-v0 --models sp60k/relus_32 "
             f"--controllers mip-mppi {_LONG} --out cmp_obstacle_h15_sparse",
             "cmp_obstacle_h15_sparse"),
        Step(f"mpcnet compare --env mpcnet/PushTurn-v0 {_MODELS} --controllers gd,mppi,mip "
             f"{_EPISODES} --out cmp_turn", "cmp_turn"),
        Step(f"mpcnet compare --env mpcnet/PushAround-v0 {_MODELS} --controllers gd,mppi,mip "
             f"{_EPISODES} --out cmp_around", "cmp_around"),
        # the budget the paper gave its solver: 10 s a plan, a plan every 3 steps
        Step("mpcnet compare --env mpcnet/PushObstacle-v0 --models sp60k/relus_32 "
             "--controllers mip --episodes {slow_episodes} --seed 100 --steps {steps} "
             "--budget-ms {slow_budget_ms} --horizon {horizon} --execute {execute} "
             "--out cmp_obstacle_slow", "cmp_obstacle_slow"),
        Step("mpcnet report cmp_obstacle ev_sim_obstacle cmp_obstacle_h15 "
             "cmp_obstacle_h15_sparse cmp_turn cmp_around cmp_obstacle_slow --out report_hard",
             "report_hard"),
    ),
    full={"e60k": 2000, "data_steps": 30, "big": "256,256,256", "ep60k": 47, "train": "",
          "relus": "32,64,16", "sparsify": "--relaxed-epochs 30 --finetune-epochs 20",
          "episodes": 20, "steps": 60, "budget_ms": 200, "horizon": 6, "sim_episodes": 10,
          "sim": "", "long_horizon": 15, "execute": 3, "long_budget_ms": 600,
          "slow_episodes": 6, "slow_budget_ms": 10000},
    quick={"e60k": 4, "data_steps": 8, "big": "40,30", "ep60k": 1,
           "train": "--rollout-horizon 3", "relus": "32,16",
           "sparsify": "--relaxed-epochs 1 --finetune-epochs 0", "episodes": 1, "steps": 2,
           "budget_ms": 60, "horizon": 2, "sim_episodes": 1,
           "sim": "--iterations 1 --samples 4 --horizon 2", "long_horizon": 3, "execute": 2,
           "long_budget_ms": 120, "slow_episodes": 1, "slow_budget_ms": 200},
)

if __name__ == "__main__":
    sys.exit(main(SUITE))
