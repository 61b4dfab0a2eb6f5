"""push_recipe: on mpcnet/Push-v1, which data size and which model let a planner succeed, and
does the model's error on the states the planner visits explain it? 40 paired episodes,
200 ms per step, horizon 6, the simulator itself as the ceiling."""

import sys

from training.cli.suites import Step, Suite, main

_DIAGNOSE = ("mpcnet diagnose --model {model} --controller {controller} --episodes {eval_episodes} "
             "--seed 100 --steps {eval_steps} --budget-ms {budget_ms} --out dg_{name}_{controller}")
_RUNS = [("big60k", "big60k", "gd"), ("big60k", "big60k", "mppi"),
         ("big60k_norot", "big60k_norot", "gd"), ("small60k", "small60k", "gd"),
         ("big500k", "big500k", "gd"), ("big500k", "big500k", "mppi"), ("big6k", "big6k", "gd"),
         ("sp60k/relus_32", "s32_60k", "mip"), ("sp60k/relus_32", "s32_60k", "gd"),
         ("sp60k/relus_32", "s32_60k", "mip-mppi"), ("sp60k/relus_16", "s16_60k", "mip"),
         ("sp60k/relus_64", "s64_60k", "mip"),
         # distilled from big60k (sparsify --distill): model or search?
         ("spd60k", "sd32_60k", "gd"), ("spd60k", "sd32_60k", "mip"),
         # the MILP from gradient descent's plan: what does the search add to its incumbent?
         ("sp60k/relus_32", "s32_60k", "mip-gd"), ("spd60k", "sd32_60k", "mip-gd"),
         # the data sizes' dense models sparsified alike (about 11,500 gradient steps each)
         ("sp6k", "s32_6k", "gd"), ("sp6k", "s32_6k", "mip"),
         ("sp500k", "s32_500k", "gd"), ("sp500k", "s32_500k", "mip"),
         # the table's other budgets at 6k and 495k
         ("sp6k_sweep/relus_64", "s64_6k", "mip"), ("sp6k_sweep/relus_16", "s16_6k", "mip"),
         ("sp500k_sweep/relus_64", "s64_500k", "mip"),
         ("sp500k_sweep/relus_16", "s16_500k", "mip"),
         # and GD and MPPI there (measured later, on these models made again)
         *((f"sp{data}_sweep/relus_{k}", f"s{k}_{data}", planner) for data in ("6k", "500k")
           for k in (64, 16) for planner in ("gd", "mppi")),
         ("big6k", "big6k", "mppi"), ("sp6k", "s32_6k", "mppi"), ("sp500k", "s32_500k", "mppi"),
         # and at 60k (on sp60k made again by the command above)
         ("sp60k/relus_32", "s32_60k", "mppi"),
         *(("sp60k/relus_" + k, f"s{k}_60k", planner) for k in ("64", "16")
           for planner in ("gd", "mppi")),
         # one improve round: GD's episodes on the distilled model and the simulator's
         ("imp1/round_1/dense", "impd_60k", "gd"), ("imp1/round_1/sparse", "imp32_60k", "gd"),
         ("imp1/round_1/sparse", "imp32_60k", "mip-gd")]
# the horizon: H = 12 at 200 ms, with the pusher kept by the object (--approach-weight 0.05)
# or not; spd60k_r is distilled from big60k_r, trained on data whose explorer also walks off
# after a quarter of its pushes (collect --retreat-prob 0.25)
_H12 = [("spd60k_r", "sd32_60k_r", "mip-gd", "05"), ("spd60k_r", "sd32_60k_r", "gd", "05"),
        ("big60k", "big60k", "gd", "05"), ("big60k", "big60k", "gd", "0"),
        ("spd60k_r", "sd32_60k_r", "mip", "05")]
# GD with 150 iterations a step instead of the clock (about 200 ms at H = 6 here), so the
# runs do not depend on the machine: the retreats, the horizon and the approach term, paired
_ITERATED = [("big60k", "big60k", 6, "0"), ("big60k_r", "big60k_r", 6, "0"),
             ("spd60k", "sd32_60k", 6, "0"), ("spd60k_r", "sd32_60k_r", 6, "0"),
             ("big60k_r", "big60k_r", 12, "0"), ("big60k", "big60k", 12, "0"),
             ("spd60k_r", "sd32_60k_r", 12, "0"), ("spd60k", "sd32_60k", 12, "0"),
             ("spd60k_r", "sd32_60k_r", 12, "05")]
# search or model? the MIP and GD again with a second per step, on 20 of the episodes
_LONG = [("sp60k/relus_32", "dg_s32_60k_mip1000", "mip"), ("big60k", "dg_big60k_gd1000", "gd")]


def _diagnose(model: str, name: str, controller: str) -> Step:
    text = _DIAGNOSE.replace("{model}", model).replace("{name}", name)
    return Step(text.replace("{controller}", controller), f"dg_{name}_{controller}")


def _diagnose_h12(model: str, name: str, controller: str, approach: str) -> Step:
    out = f"dg_{name}_{controller}_h12_a{approach}"
    return Step(f"mpcnet diagnose --model {model} --controller {controller} --episodes "
                "{eval_episodes} --seed 100 --steps {eval_steps} --budget-ms {budget_ms} "
                f"--horizon {{long_h}} --approach-weight 0.{approach} --out {out}", out)


def _iterated(model: str, name: str, horizon: int, approach: str) -> Step:
    out = f"dgi_{name}_gd" + ("" if horizon == 6 else f"_h{horizon}") + (
        "" if approach == "0" else f"_a{approach}")
    return Step(f"mpcnet diagnose --model {model} --controller gd --iterations {{gd_iter}} "
                f"--horizon {horizon if horizon == 6 else '{long_h}'} --approach-weight "
                f"0.{approach} --episodes {{eval_episodes}} --seed 100 --steps {{eval_steps}} "
                f"--out {out}", out)


# Push-v1 named: the default env is Push-v2 now (the same physics, a cost with the approach
# term and a 12-step default horizon), and these rows were measured on v1
_COLLECT = "mpcnet collect --env mpcnet/Push-v1 --steps {steps} --seed 0"
_BIG = "--frame pusher --hidden {big} --seed 0 {train}"
SUITE = Suite(
    name="push_recipe",
    question=__doc__,
    steps=(
        # nested data: the first 200 and 2000 episodes of the largest set are the smaller sets
        Step(_COLLECT + " --episodes {e500k} --workers 2 --out d500k", "d500k"),
        Step(_COLLECT + " --episodes {e60k} --workers 2 --out d60k", "d60k"),
        Step(_COLLECT + " --episodes {e6k} --out d6k", "d6k"),
        Step(_COLLECT + " --episodes {e60k} --retreat-prob 0.25 --out d60k_r", "d60k_r"),
        # about 10,000 gradient steps each: 47 epochs of 60k, 6 of 500k, 470 of 6k
        Step(f"mpcnet train --data d60k {_BIG} --augment rotate --epochs {{ep60k}} --out big60k",
             "big60k"),
        Step(f"mpcnet train --data d60k {_BIG} --augment none --epochs {{ep60k}} "
             "--out big60k_norot",
             "big60k_norot"),
        Step("mpcnet train --data d60k --frame pusher --hidden {small} --seed 0 {train} "
             "--epochs {ep60k} --out small60k", "small60k"),
        Step(f"mpcnet train --data d500k {_BIG} --augment rotate --epochs {{ep500k}} --out big500k",
             "big500k"),
        Step(f"mpcnet train --data d6k {_BIG} --augment rotate --epochs {{ep6k}} --out big6k",
             "big6k"),
        Step(f"mpcnet train --data d60k_r {_BIG} --augment rotate --epochs {{ep60k}} "
             "--out big60k_r", "big60k_r"),
        Step("mpcnet sparsify --model big60k --data d60k --relus 32,64,16 {sparsify} "
             "--no-baseline --no-distill --out sp60k", "sp60k"),
        Step("mpcnet sparsify --model big60k --data d60k --relus 32 {sparsify} --no-baseline "
             "--distill --out spd60k", "spd60k"),
        Step("mpcnet sparsify --model big60k_r --data d60k_r --relus 32 {sparsify} --no-baseline "
             "--distill --out spd60k_r", "spd60k_r"),
        Step("mpcnet sparsify --model big6k --data d6k --relus 32 {sparsify6k} --no-baseline "
             "--no-distill --out sp6k", "sp6k"),
        Step("mpcnet sparsify --model big500k --data d500k --relus 32 {sparsify500k} "
             "--no-baseline --no-distill --out sp500k", "sp500k"),
        Step("mpcnet sparsify --model big6k --data d6k --relus 64,16 {sparsify6k} --no-baseline "
             "--no-distill --out sp6k_sweep", "sp6k_sweep"),
        Step("mpcnet sparsify --model big500k --data d500k --relus 64,16 {sparsify500k} "
             "--no-baseline --no-distill --out sp500k_sweep", "sp500k_sweep"),
        # on-policy data: GD's episodes on the distilled 32-ReLU model (a fixed iteration count
        # near 200 ms, so the data do not depend on the machine) and the simulator's, then the
        # dense model fine-tuned and distilled again
        Step("mpcnet improve --model big60k --data d60k --controller gd --iterations {imp_iter} "
             "--relus 32 --distill {sparsify} --train-epochs {imp_train} --rounds 1 --episodes "
             "{imp_episodes} --teacher-episodes {imp_teacher} {imp_teach} --steps {eval_steps} "
             "--seed 0 --out imp1", "imp1"),
        *(_diagnose(*run) for run in _RUNS),
        *(_diagnose_h12(*run) for run in _H12),
        *(_iterated(*run) for run in _ITERATED),
        *(Step(f"mpcnet diagnose --model {model} --controller {controller} --episodes "
               "{long_episodes} --seed 100 --steps {eval_steps} --budget-ms {long_budget_ms} "
               f"--out {out}", out) for model, out, controller in _LONG),
        # Push-v2 with no flag is Push-v1 with H = 12 and the approach term: the same row
        Step("mpcnet diagnose --env mpcnet/Push-v2 --model spd60k_r --controller mip-gd "
             "--episodes {eval_episodes} --seed 100 --steps {eval_steps} --budget-ms {budget_ms} "
             "{v2_h} --out dg_sd32_60k_r_mip-gd_v2", "dg_sd32_60k_r_mip-gd_v2"),
        Step("mpcnet evaluate --env mpcnet/Push-v1 --model sim --controller cem --episodes "
             "{sim_episodes} --seed 100 "
             "--steps {eval_steps} {sim} --out ev_sim_cem", "ev_sim_cem"),
        Step("mpcnet report " + " ".join(f"dg_{name}_{c}" for _, name, c in _RUNS)
             + " " + " ".join(out for _, out, _ in _LONG) + " ev_sim_cem --out report",
             "report"),
    ),
    full={"e500k": 16667, "e60k": 2000, "e6k": 200, "steps": 30, "big": "256,256,256",
          "small": "128,128", "ep60k": 47, "ep500k": 6, "ep6k": 470,
          "sparsify": "--relaxed-epochs 30 --finetune-epochs 20",
          "sparsify6k": "--relaxed-epochs 300 --finetune-epochs 200",
          "sparsify500k": "--relaxed-epochs 4 --finetune-epochs 2", "eval_episodes": 40,
          "eval_steps": 40, "budget_ms": 200, "sim_episodes": 20, "sim": "", "train": "",
          "long_episodes": 20, "long_budget_ms": 1000, "imp_iter": 150, "imp_train": 30,
          "imp_episodes": 200, "imp_teacher": 30, "imp_teach": "", "long_h": 12,
          "gd_iter": 150, "v2_h": ""},
    quick={"e500k": 6, "e60k": 4, "e6k": 3, "steps": 8, "big": "40,30", "small": "6",
           "ep60k": 1, "ep500k": 1, "ep6k": 1,
           "sparsify": "--relaxed-epochs 1 --finetune-epochs 0", "train": "--rollout-horizon 3",
           "sparsify6k": "--relaxed-epochs 1 --finetune-epochs 0",
           "sparsify500k": "--relaxed-epochs 1 --finetune-epochs 0",
           "eval_episodes": 1, "eval_steps": 2, "budget_ms": 50, "sim_episodes": 1,
           "long_episodes": 1, "long_budget_ms": 60, "imp_iter": 2, "imp_train": 1,
          "imp_episodes": 1, "imp_teacher": 1,
          "imp_teach": "--teacher-samples 4 --teacher-iterations 1 --horizon 2", "long_h": 2,
          "gd_iter": 2, "v2_h": "--horizon 2",
           "sim": "--iterations 1 --samples 4 --horizon 2"},
)

if __name__ == "__main__":
    sys.exit(main(SUITE))
