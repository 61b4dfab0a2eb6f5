"""pusht: an env of another package, from a task file alone. gym-pusht's PushT-v0 (a T pushed
to a goal pose by a disc agent; a wrapping angle, absolute-target actions, hidden velocity,
success and coverage from info): do MPC planners on a model learned from its data beat doing
nothing on the env's own return, and how does the MIP on a 32-ReLU model do?"""

import sys

from training.cli.suites import Step, Suite, main

_EPISODES = ("--episodes {episodes} --seed 0 --steps {steps} --budget-ms {budget_ms} "
             "--horizon {horizon}")

SUITE = Suite(
    name="pusht",
    question=__doc__,
    steps=(
        Step("mpcnet collect --env gym_pusht/PushT-v0 --task examples/pusht --episodes "
             "{data_episodes} --steps {data_steps} --seed 0 --out dpusht", "dpusht"),
        Step("mpcnet train --data dpusht --hidden {hidden} --epochs {epochs} {train} "
             "--out pusht_dense", "pusht_dense"),
        Step("mpcnet sparsify --model pusht_dense --data dpusht --relus 32 {sparsify} "
             "--no-baseline --out pusht_sp", "pusht_sp"),
        Step(f"mpcnet compare --models pusht_dense --controllers hold,gd,mppi,cem {_EPISODES} "
             "--out cmp_dense", "cmp_dense"),
        Step(f"mpcnet compare --models pusht_sp --controllers hold,mip,mip-mppi,gd "
             f"{_EPISODES} --out cmp_sparse", "cmp_sparse"),
    ),
    full={"data_episodes": 1000, "data_steps": 50, "hidden": "128,128", "epochs": 100,
          "train": "--patience 10", "sparsify": "", "episodes": 40, "steps": 80,
          "budget_ms": 100, "horizon": 6},
    quick={"data_episodes": 4, "data_steps": 8, "hidden": "16,16", "epochs": 1,
           "train": "--rollout-horizon 3", "sparsify": "--relaxed-epochs 1 --finetune-epochs 0",
           "episodes": 1, "steps": 2, "budget_ms": 80, "horizon": 2},
)

if __name__ == "__main__":
    sys.exit(main(SUITE))
