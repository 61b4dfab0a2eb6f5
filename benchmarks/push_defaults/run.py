"""push_defaults: does the default recipe reach the pushing goal? A new user's commands with no
flag but the data size: 2,000 episodes of the default env (mpcnet/Push-v2), the default dense
model, 32 ReLUs by the default sparsification, then 40 paired episodes at the default 200 ms a
step and the env's horizon: GD and MPPI on the dense model, mip-gd, the MIP and GD on the
sparse one. Then the spread over the dense model's training seed, and the former defaults
(before the push recipe), pinned by flags, with one change at a time."""

import sys

from training.cli.suites import Step, Suite, main

# (model, controller): every row runs on the same episodes (--seed 100), so rows pair
_RUNS = (("dense", "gd"), ("dense", "mppi"), ("sparse32", "mip-gd"), ("sparse32", "gd"),
         ("sparse32", "mip"))
# the former defaults, named: no retreats, a 2 x 128 MLP for 150 epochs, 80 + 40 sparsify
# epochs ({train} and {sparsify} come after them, so the quick mode still shrinks them)
_DATA_F = "--retreat-prob 0"
_TRAIN_F = "--hidden 128,128 --epochs 150"
_SPARSIFY_F = "--relaxed-epochs 80 --finetune-epochs 40"


def _diagnose(model: str, controller: str, flags: str = "") -> Step:
    out = f"dg_{model}_{controller}"
    return Step(f"mpcnet diagnose --model {model} --controller {controller} --episodes "
                f"{{eval_episodes}} --seed 100 {flags}{{eval}} --out {out}", out)


_FORMER = (
    Step(f"mpcnet collect --episodes {{episodes}} --workers 2 {_DATA_F} {{collect}} "
         "--out data_f", "data_f"),
    Step(f"mpcnet train --data data_f {_TRAIN_F} {{train}} --out dense_f", "dense_f"),
    Step(f"mpcnet sparsify --model dense_f --data data_f --relus 32 {_SPARSIFY_F} {{sparsify}} "
         "--out sparse32_f", "sparse32_f"),
    *(_diagnose(f"{model}_f", controller) for model, controller in _RUNS),
    # what push_recipe's 32-ReLU model had that the former default lacked, one at a time
    Step("mpcnet train --data data_f --hidden 256,256,256 --epochs 150 {train} "
         "--out dense_big_f", "dense_big_f"),
    Step(f"mpcnet sparsify --model dense_big_f --data data_f --relus 32 {_SPARSIFY_F} "
         "{sparsify} --no-baseline --out sparse32_big_f", "sparse32_big_f"),
    Step("mpcnet sparsify --model dense_f --data data_f --relus 32 {sparsify_short} "
         "--no-baseline --out sparse32_e50_f", "sparse32_e50_f"),
    Step("mpcnet collect --episodes {episodes} --workers 2 --retreat-prob 0.25 {collect} "
         "--out data_r_f", "data_r_f"),
    Step(f"mpcnet train --data data_r_f {_TRAIN_F} {{train}} --out dense_r_f", "dense_r_f"),
    Step(f"mpcnet sparsify --model dense_r_f --data data_r_f --relus 32 {_SPARSIFY_F} "
         "{sparsify} --out sparse32_r_f", "sparse32_r_f"),
    *(Step(f"mpcnet sparsify --model dense_f --data data_f --relus 32 --seed {seed} "
           f"{_SPARSIFY_F} {{sparsify}} --no-baseline --out sparse32_s{seed}_f",
           f"sparse32_s{seed}_f") for seed in (1, 2)),
    *(_diagnose(model, "mip-gd") for model in ("sparse32_big_f", "sparse32_e50_f",
                                               "sparse32_r_f", "sparse32_s1_f",
                                               "sparse32_s2_f")),
)
# the letter of the goal: Push-v0 at H = 6, with the push recipe's values named (Push-v0
# keeps the former defaults)
_V0 = (
    Step("mpcnet collect --env mpcnet/Push-v0 --episodes {episodes} --workers 2 --retreat-prob "
         "0.25 {collect} --out data_v0", "data_v0"),
    Step("mpcnet train --data data_v0 --hidden 256,256,256 --epochs 47 {train} --out dense_v0",
         "dense_v0"),
    Step("mpcnet sparsify --model dense_v0 --data data_v0 --relus 32 --relaxed-epochs 30 "
         "--finetune-epochs 20 {sparsify} --no-baseline --out sparse32_v0", "sparse32_v0"),
    *(_diagnose(model, controller, "--horizon {v0_horizon} ")
      for model, controller in (("dense_v0", "gd"), ("dense_v0", "mppi"),
                                ("sparse32_v0", "mip-gd"), ("sparse32_v0", "gd"))),
)
SUITE = Suite(
    name="push_defaults",
    question=__doc__,
    steps=(
        Step("mpcnet collect --episodes {episodes} --workers 2 {collect} --out data", "data"),
        Step("mpcnet train --data data {train} --out dense", "dense"),
        Step("mpcnet sparsify --model dense --data data --relus 32 {sparsify} --out sparse32",
             "sparse32"),
        *(_diagnose(model, controller) for model, controller in _RUNS),
        Step("mpcnet report " + " ".join(f"dg_{m}_{c}" for m, c in _RUNS) + " --out report",
             "report"),
        # the dense model's training seed: two more, each sparsified as the default is
        *(step for seed in (1, 2) for step in (
            Step(f"mpcnet train --data data --seed {seed} {{train}} --out dense_s{seed}",
                 f"dense_s{seed}"),
            Step(f"mpcnet sparsify --model dense_s{seed} --data data --relus 32 {{sparsify}} "
                 f"--no-baseline --out sparse32_d{seed}", f"sparse32_d{seed}"),
            _diagnose(f"sparse32_d{seed}", "mip-gd"))),
        # the staged schedule (sparsify --schedule staged) on the default dense model
        Step("mpcnet sparsify --model dense --data data --relus 32 --schedule staged "
             "{sparsify} --no-baseline --out sparse32_staged", "sparse32_staged"),
        *(_diagnose("sparse32_staged", controller) for controller in ("mip-gd", "gd")),
        Step("mpcnet sparsify --model dense --data data --relus 32 --schedule staged --stages 10 "
             "{sparsify} --no-baseline --out sparse32_staged10", "sparse32_staged10"),
        _diagnose("sparse32_staged10", "mip-gd"),
        *_V0,
        *_FORMER,
    ),
    full={"episodes": 2000, "collect": "", "train": "", "sparsify": "", "eval_episodes": 40,
          "eval": "", "sparsify_short": "--relaxed-epochs 30 --finetune-epochs 20",
          "v0_horizon": 6},
    quick={"episodes": 3, "collect": "--steps 8", "train": "--epochs 1 --hidden 40,30 "
           "--rollout-horizon 3", "sparsify": "--relaxed-epochs 1 --finetune-epochs 0",
           "eval_episodes": 1, "eval": "--steps 2 --budget-ms 50 --horizon 2",
           "sparsify_short": "--relaxed-epochs 1 --finetune-epochs 0",
           "v0_horizon": 2},
)

if __name__ == "__main__":
    sys.exit(main(SUITE))
