"""push_defaults: does the default recipe reach the pushing goal? A new user's commands with no
flag but the data size: 2,000 episodes of the default env (mpcnet/Push-v2), the default dense
model, 32 ReLUs by the default sparsification, then 40 paired episodes at the default 200 ms a
step and the env's horizon: GD and MPPI on the dense model, mip-gd, the MIP and GD on the
sparse one."""

import sys

from training.cli.suites import Step, Suite, main

# (model, controller): every row runs on the same episodes (--seed 100), so rows pair
_RUNS = (("dense", "gd"), ("dense", "mppi"), ("sparse32", "mip-gd"), ("sparse32", "gd"),
         ("sparse32", "mip"))
SUITE = Suite(
    name="push_defaults",
    question=__doc__,
    steps=(
        Step("mpcnet collect --episodes {episodes} --workers 2 {collect} --out data", "data"),
        Step("mpcnet train --data data {train} --out dense", "dense"),
        Step("mpcnet sparsify --model dense --data data --relus 32 {sparsify} --out sparse32",
             "sparse32"),
        *(Step(f"mpcnet diagnose --model {model} --controller {controller} --episodes "
               f"{{eval_episodes}} --seed 100 {{eval}} --out dg_{model}_{controller}",
               f"dg_{model}_{controller}") for model, controller in _RUNS),
        Step("mpcnet report " + " ".join(f"dg_{m}_{c}" for m, c in _RUNS) + " --out report",
             "report"),
        # what push_recipe's 32-ReLU model had that the default lacks, one change at a time
        Step("mpcnet train --data data --hidden 256,256,256 {train} --out dense_big",
             "dense_big"),
        Step("mpcnet sparsify --model dense_big --data data --relus 32 {sparsify} --no-baseline "
             "--out sparse32_big", "sparse32_big"),
        Step("mpcnet sparsify --model dense --data data --relus 32 {sparsify_short} "
             "--no-baseline --out sparse32_e50", "sparse32_e50"),
        Step("mpcnet collect --episodes {episodes} --workers 2 --retreat-prob 0.25 {collect} "
             "--out data_r", "data_r"),
        Step("mpcnet train --data data_r {train} --out dense_r", "dense_r"),
        Step("mpcnet sparsify --model dense_r --data data_r --relus 32 {sparsify} "
             "--out sparse32_r", "sparse32_r"),
        # the spread between sparsifications of the same dense model: two more seeds
        *(Step(f"mpcnet sparsify --model dense --data data --relus 32 --seed {seed} "
               f"{{sparsify}} --no-baseline --out sparse32_s{seed}", f"sparse32_s{seed}")
          for seed in (1, 2)),
        *(Step(f"mpcnet diagnose --model {model} --controller mip-gd --episodes "
               f"{{eval_episodes}} --seed 100 {{eval}} --out dg_{model}_mip-gd",
               f"dg_{model}_mip-gd")
          for model in ("sparse32_big", "sparse32_e50", "sparse32_r", "sparse32_s1",
                        "sparse32_s2")),
    ),
    full={"episodes": 2000, "collect": "", "train": "", "sparsify": "", "eval_episodes": 40,
          "eval": "", "sparsify_short": "--relaxed-epochs 30 --finetune-epochs 20"},
    quick={"episodes": 3, "collect": "--steps 8", "train": "--epochs 1 --hidden 40,30 "
           "--rollout-horizon 3", "sparsify": "--relaxed-epochs 1 --finetune-epochs 0",
           "eval_episodes": 1, "eval": "--steps 2 --budget-ms 50 --horizon 2",
           "sparsify_short": "--relaxed-epochs 1 --finetune-epochs 0"},
)

if __name__ == "__main__":
    sys.exit(main(SUITE))
