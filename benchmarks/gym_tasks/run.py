"""gym_tasks: from the shipped task files alone, how do MIP-MPC on a 16-ReLU model and the
sampling planners on the dense model do on Pendulum-v1 and MountainCarContinuous-v0?"""

import sys

from training.cli.suites import Step, Suite, main


def _task(env: str, task: str, short: str, episodes: str, steps: str, horizon: str,
          compare_steps: str) -> tuple[Step, ...]:
    """Data, a dense 2x64 model, its 16-ReLU sparsification and the paired comparison."""
    return (
        Step(f"mpcnet collect --env {env} --task {task} --episodes {{{episodes}}} --steps "
             f"{{{steps}}} --seed 0 --out {short}/data", f"{short}/data"),
        Step(f"mpcnet train --data {short}/data {{train}} --out {short}/dense",
             f"{short}/dense"),
        Step(f"mpcnet sparsify --model {short}/dense --data {short}/data --relus 16 "
             f"--no-baseline {{sparsify}} --out {short}/relus16", f"{short}/relus16"),
        Step(f"mpcnet compare --env {env} --models {short}/dense {short}/relus16 --controllers "
             f"mip,mip-mppi,mppi,cem,gd --episodes {{episodes_per_cell}} --steps "
             f"{{{compare_steps}}} --horizon {{{horizon}}} --budget-ms 100 --seed 0 "
             f"--out {short}/compare", f"{short}/compare"),
    )


SUITE = Suite(
    name="gym_tasks",
    question=__doc__,
    steps=(*_task("Pendulum-v1", "pendulum", "pend", "pend_episodes", "pend_steps",
                  "pend_horizon", "pend_compare_steps"),
           *_task("MountainCarContinuous-v0", "mountain_car", "car", "car_episodes",
                  "car_steps", "car_horizon", "car_compare_steps")),
    full={"pend_episodes": 300, "pend_steps": 100, "pend_horizon": 10, "pend_compare_steps": 100,
          "car_episodes": 400, "car_steps": 40, "car_horizon": 20, "car_compare_steps": 20,
          "train": "--hidden 64,64 --epochs 60", "sparsify": "", "episodes_per_cell": 20},
    quick={"pend_episodes": 4, "pend_steps": 10, "pend_horizon": 2, "pend_compare_steps": 1,
           "car_episodes": 4, "car_steps": 10, "car_horizon": 2, "car_compare_steps": 1,
           "train": "--hidden 16,16 --epochs 1 --rollout-horizon 3",
           "sparsify": "--relaxed-epochs 1 --finetune-epochs 0", "episodes_per_cell": 1},
)

if __name__ == "__main__":
    sys.exit(main(SUITE))
