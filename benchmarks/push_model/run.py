"""push_model: how well does a ReLU MLP predict Push-v0, and how much of that survives
progressive sparsification to 64, 32, 16 and 8 ReLUs (against one-shot magnitude pruning)?"""

import sys

from training.cli.suites import Step, Suite, main

SUITE = Suite(
    name="push_model",
    question=__doc__,
    steps=(
        Step("mpcnet collect --env mpcnet/Push-v0 --episodes {episodes} --steps {steps} --seed 0 "
             "--out data", "data"),
        Step("mpcnet train --data data --seed 0 {train} --out model", "model"),
        Step("mpcnet train --data data --frame pusher --seed 0 {train} --out model_pf",
             "model_pf"),
        Step("mpcnet sparsify --model model --data data --relus {relus} --seed 0 {sparsify} "
             "--no-distill --out sweep", "sweep"),
        Step("mpcnet sparsify --model model_pf --data data --relus {relus} --seed 0 {sparsify} "
             "--no-distill --out sweep_pf", "sweep_pf"),
    ),
    full={"episodes": 200, "steps": 30, "train": "", "relus": "64,32,16,8", "sparsify": ""},
    quick={"episodes": 6, "steps": 8, "train": "--hidden 8,8 --epochs 1 --rollout-horizon 3",
           "relus": "4,2", "sparsify": "--relaxed-epochs 1 --finetune-epochs 0 --no-baseline"},
)

if __name__ == "__main__":
    sys.exit(main(SUITE))
