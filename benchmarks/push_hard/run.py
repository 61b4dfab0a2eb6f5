"""push_hard: on the hard pushing variants (obstacles between the object and the goal, large
turns), does the exact planner on a sparse model beat sampling and gradient descent on the
dense one? Paired seeded episodes at a real-time budget, the simulator itself as the ceiling."""

import sys

from training.cli.suites import Step, Suite, main

_BIG = "--frame pusher --hidden {big} --seed 0 --augment rotate {train}"
_MODELS = "--models big60k sp60k/relus_32"
_T_MODELS = "--models bigT60k spT60k/relus_32"
_EPISODES = ("--episodes {episodes} --seed 100 --steps {steps} --budget-ms {budget_ms} "
             "--horizon {horizon}")
_FEWER = ("--episodes {fewer_episodes} --seed 100 --steps {steps} --budget-ms {budget_ms} "
          "--horizon {horizon}")
_H12 = ("--episodes {episodes} --seed 100 --steps {steps} --budget-ms {budget_ms} "
        "--horizon {h12} --approach-weight 0.05")
_V1 = "--episodes {episodes} --seed 100 --steps {steps} --budget-ms {budget_ms} {v1_horizon}"
_COARSE = ("--episodes {episodes} --seed 100 --steps {steps9} --budget-ms {budget_ms} "
           "--horizon {h9}")
_QUALITY = ("--starts {q_starts} --seed 0 --budget-ms {budget_ms} --planners "
            "mip,mip-mppi,mip-gd,mppi,cem,gd,random --reference-s {ref_s}")
# H = 12, a plan every {execute} steps, fewer episodes; the budget goes between the two
_FEW12 = "--episodes {slow12_episodes} --seed 100 --steps {steps}"
_EVERY12 = "--horizon {h12} --approach-weight 0.05 --execute {execute}"
_LONG = ("--episodes {fewer_episodes} --seed 100 --steps {steps} --budget-ms {long_budget_ms} "
         "--horizon {long_horizon} --execute {execute}")


def _models(shape: str, env: str) -> tuple[Step, ...]:
    """Data, the dense 3 x 256 model and its sparsifications for the box ("") or the T ("T"),
    with the command lines of benchmarks/push_recipe (a directory holding that suite's
    results reuses the box models)."""
    return (
        Step(f"mpcnet collect --env {env} --episodes {{e60k}} --steps {{data_steps}} --seed 0 "
             f"--workers 2 --out d{shape}60k", f"d{shape}60k"),
        Step(f"mpcnet train --data d{shape}60k {_BIG} --epochs {{ep60k}} --out big{shape}60k",
             f"big{shape}60k"),
        Step(f"mpcnet sparsify --model big{shape}60k --data d{shape}60k --relus "
             f"{{relus{shape}}} {{sparsify}} --no-baseline --no-distill --out sp{shape}60k",
             f"sp{shape}60k"),
    )


def _compare(env: str, models: str, controllers: str, episodes: str, out: str) -> Step:
    return Step(f"mpcnet compare --env mpcnet/{env} {models} --controllers {controllers} "
                f"{episodes} --out {out}", out)


SUITE = Suite(
    name="push_hard",
    question=__doc__,
    steps=(
        *_models("", "mpcnet/Push-v1"),
        *_models("T", "mpcnet/PushT-v1"),
        _compare("PushObstacle-v0", _MODELS, "gd,mppi,mip,mip-mppi,bab", _EPISODES,
                 "cmp_obstacle"),
        _compare("PushObstacle-v0", "--models sp60k/relus_16", "mip,mip-mppi,bab", _EPISODES,
                 "cmp_obstacle16"),
        _compare("PushObstacle-v0", "--models big60k", "cem", _EPISODES, "cmp_obstacle_cem"),
        _compare("PushObstacle-v0", "--models sp60k/relus_32", "mip-gd", _EPISODES,
                 "cmp_obstacle_mipgd"),
        Step("mpcnet evaluate --model sim --env mpcnet/PushObstacle-v0 --controller cem "
             "--episodes {sim_episodes} --seed 100 --steps {steps} {sim} --out ev_sim_obstacle",
             "ev_sim_obstacle"),
        # long horizons: a plan of H = 15 every 3 steps, the same planning time per env step
        _compare("PushObstacle-v0", "--models big60k", "gd,mppi", _LONG, "cmp_obstacle_h15"),
        _compare("PushObstacle-v0", "--models sp60k/relus_32", "mip-mppi", _LONG,
                 "cmp_obstacle_h15_sparse"),
        _compare("PushTurn-v0", _MODELS, "gd,mppi,mip", _FEWER, "cmp_turn"),
        _compare("PushAround-v0", _MODELS, "gd,mppi,mip", _FEWER, "cmp_around"),
        # the two at 40 episodes: GD on the dense model against the MIP, alone and from GD's plan
        *(step for env, name in (("PushTurn-v0", "turn"), ("PushAround-v0", "around"))
          for step in (_compare(env, "--models big60k", "gd", _EPISODES, f"cmp_{name}40"),
                       _compare(env, "--models sp60k/relus_32", "mip,mip-gd", _EPISODES,
                                f"cmp_{name}40_sparse"))),
        Step("mpcnet evaluate --model sim --env mpcnet/PushTurn-v0 --controller cem "
             "--episodes {sim_episodes} --seed 100 --steps {steps} {sim} --out ev_sim_turn",
             "ev_sim_turn"),
        # the T-shaped object, on models of its own
        _compare("PushTObstacle-v0", _T_MODELS, "gd,mppi,mip,mip-mppi,bab", _FEWER,
                 "cmp_tobstacle"),
        *(step for env, name in (("PushTTurn-v0", "tturn"), ("PushTAround-v0", "taround"))
          for step in (_compare(env, "--models bigT60k", "gd", _FEWER, f"cmp_{name}"),
                       _compare(env, "--models spT60k/relus_32", "mip-gd", _FEWER,
                                f"cmp_{name}_sparse"))),
        # H = 12 with the pusher kept by the object, as on Push-v1 (push_recipe)
        *(step for env, name in (("PushTurn-v0", "turn"), ("PushAround-v0", "around"),
                                 ("PushObstacle-v0", "obstacle"))
          for step in (_compare(env, "--models big60k", "gd", _H12, f"cmp_{name}40_h12"),
                       _compare(env, "--models sp60k/relus_32", "mip-gd", _H12,
                                f"cmp_{name}40_h12_sparse"),
                       # the dense model's samplers there (the goal names the best of them)
                       *(_compare(env, "--models big60k", sampler, _H12,
                                  f"cmp_{name}40_h12_{sampler}") for sampler in ("mppi", "cem")))),
        _compare("PushTurn-v0", "--models sp60k/relus_32", "bab", _H12, "cmp_turn40_h12_bab"),
        Step("mpcnet evaluate --model sim --env mpcnet/PushAround-v0 --controller cem "
             "--episodes {sim_episodes} --seed 100 --steps {steps} {sim} --horizon {h12} "
             "--approach-weight 0.05 --out ev_sim_around_h12", "ev_sim_around_h12"),
        # the T at H = 12 with the approach term: the -v1 ids, whose defaults these are
        *(step for name in ("TTurn", "TAround", "TObstacle")
          for step in (_compare(f"Push{name}-v1", "--models bigT60k", "gd", _V1,
                                f"cmp_{name.lower()}40_v1"),
                       _compare(f"Push{name}-v1", "--models spT60k/relus_32", "mip-gd", _V1,
                                f"cmp_{name.lower()}40_v1_sparse"),
                       # the dense T model's samplers (the goal names the best of them)
                       _compare(f"Push{name}-v1", "--models bigT60k", "mppi,cem", _V1,
                                f"cmp_{name.lower()}40_v1_samplers"))),
        # the budget the paper gave its solver: 10 s a plan, a plan every 3 steps
        Step("mpcnet compare --env mpcnet/PushObstacle-v0 --models sp60k/relus_32 "
             "--controllers mip --episodes {slow_episodes} --seed 100 --steps {steps} "
             "--budget-ms {slow_budget_ms} --horizon {horizon} --execute {execute} "
             "--out cmp_obstacle_slow", "cmp_obstacle_slow"),
        # named exact planners at H = 12 (the MIP alone and from MPPI's plan); mip-gd on 16
        _compare("PushTurn-v0", "--models sp60k/relus_32", "mip", _H12, "cmp_turn40_h12_mip"),
        _compare("PushAround-v0", "--models sp60k/relus_32", "mip,bab", _H12,
                 "cmp_around40_h12_exact"),
        *(step for env, name in (("PushTurn-v0", "turn"), ("PushAround-v0", "around"))
          for step in (_compare(env, "--models sp60k/relus_32", "mip-mppi", _H12,
                                f"cmp_{name}40_h12_mipmppi"),
                       _compare(env, "--models sp60k/relus_16", "mip-gd", _H12,
                                f"cmp_{name}40_h12_sparse16"))),
        # the rest of the sweep at H = 12: mip, mip-mppi and bab on PushObstacle (32 ReLUs),
        # on all three box variants with 16 ReLUs, and on the T's 32-ReLU model
        _compare("PushObstacle-v0", "--models sp60k/relus_32", "mip,mip-mppi,bab", _H12,
                 "cmp_obstacle40_h12_exact"),
        *(_compare(f"Push{env}-v0", "--models sp60k/relus_16", "mip,mip-mppi,bab", _H12,
                   f"cmp_{env.lower()}40_h12_exact16") for env in ("Turn", "Around", "Obstacle")),
        *(_compare(f"Push{name}-v1", "--models spT60k/relus_32", "mip,mip-mppi,bab", _V1,
                   f"cmp_{name.lower()}40_v1_exact") for name in ("TTurn", "TAround", "TObstacle")),
        # the generous budget at H = 12: 10 s a plan, a plan every 3 steps, fewer episodes
        # (and the same at 200 ms, so that only the budget differs)
        *(_compare("PushTurn-v0", "--models sp60k/relus_32", "mip",
                   f"{_FEW12} --budget-ms {{{budget}}} {_EVERY12}", out)
          for budget, out in (("slow_budget_ms", "cmp_turn_h12_slow"),
                              ("budget_ms", "cmp_turn_h12_fast3"))),
        # what HiGHS does in those 10 s at H = 12 (nodes, bound, incumbent over time)
        Step("mpcnet bench mip --model sp60k/relus_32 --env mpcnet/PushTurn-v1 --horizon {h12} "
             "--starts {probe12_starts} --seed 0 --time-limit {ref_s} --bounds symbolic "
             "--json probe12_32.json", "probe12_32.json"),
        # how far each planner's first plan is from the model's optimum (the MILP for 10 s
        # from the best plan of all), on the 32- and 16-ReLU models at H = 12, with and
        # without obstacles
        *(Step(f"mpcnet bench planners --quality --model sp60k/relus_{k} --env "
               f"mpcnet/Push{env}-v1 --horizon {{h12}} {_QUALITY} --json q3_{k}_h12{tag}.json",
               f"q3_{k}_h12{tag}.json")
          for env, tag in (("Turn", ""), ("Obstacle", "_obstacle")) for k in (32, 16)),
        # the reference planner at H = 12 on the other two variants
        *(Step(f"mpcnet evaluate --model sim --env mpcnet/Push{env}-v0 --controller cem "
               "--episodes {sim_episodes} --seed 100 --steps {steps} {sim} --horizon {h12} "
               f"--approach-weight 0.05 --out ev_sim_{env.lower()}_h12",
               f"ev_sim_{env.lower()}_h12") for env in ("Turn", "Obstacle")),
        # move primitives: 9 cm pusher steps, so that H = 4 reaches as far as H = 12 at 3 cm
        # with a third of the MILP's binaries; data and models of their own
        Step("mpcnet collect --env mpcnet/Push-v2 --max-step 0.09 --episodes {e9} --steps "
             "{data_steps9} --seed 0 --workers 2 --out d9", "d9"),
        Step("mpcnet train --data d9 --rollout-horizon {roll9} --seed 0 {train9} --out big9",
             "big9"),
        Step("mpcnet sparsify --model big9 --data d9 --relus 32,16 {sparsify} --no-baseline "
             "--no-distill --out sp9", "sp9"),
        *(step for env in ("Turn", "Around")
          for step in (_compare(f"Push{env}-v1", "--models big9", "gd,mppi,cem", _COARSE,
                                f"c9_{env.lower()}_dense"),
                       _compare(f"Push{env}-v1", "--models sp9/relus_16", "mip,mip-mppi,bab",
                                _COARSE, f"c9_{env.lower()}_s16"))),
        Step("mpcnet bench planners --quality --model sp9/relus_16 --env mpcnet/PushTurn-v1 "
             f"--horizon {{h9}} {_QUALITY} --json q9_16.json", "q9_16.json"),
        # can a solver prove those programs (54 binaries with 16 ReLUs, 112 with 32)?
        *(Step(f"mpcnet bench mip --model sp9/relus_{k} --env mpcnet/PushTurn-v1 --horizon "
               "{h9} --starts {probe_starts} --seed 0 --time-limit {ref_s} --bounds symbolic "
               f"--warm-from gd {flag} --json probe9_{k}{suffix}.json",
               f"probe9_{k}{suffix}.json")
          for k, flag, suffix in ((16, "", ""), (32, "", ""),
                                  (16, "--backend gurobi", "_gurobi"))),
        Step("mpcnet report cmp_obstacle cmp_obstacle16 cmp_obstacle_cem ev_sim_obstacle "
             "cmp_obstacle_h15 cmp_obstacle_h15_sparse cmp_turn cmp_around cmp_tobstacle "
             "cmp_obstacle_slow cmp_turn40 cmp_turn40_sparse cmp_around40 cmp_around40_sparse "
             "ev_sim_turn cmp_obstacle_mipgd cmp_tturn cmp_tturn_sparse cmp_taround "
             "cmp_taround_sparse "
             "--out report_hard", "report_hard"),
    ),
    full={"e60k": 2000, "data_steps": 30, "big": "256,256,256", "ep60k": 47, "train": "",
          "relus": "32,64,16", "relusT": "32,16",
          "sparsify": "--relaxed-epochs 30 --finetune-epochs 20", "episodes": 40,
          "fewer_episodes": 20, "steps": 60, "budget_ms": 200, "horizon": 6,
          "sim_episodes": 10, "sim": "", "long_horizon": 15, "execute": 3,
          "long_budget_ms": 600, "slow_episodes": 6, "slow12_episodes": 10,
          "probe12_starts": 3, "slow_budget_ms": 10000, "h12": 12,
          "v1_horizon": "", "e9": 5000, "data_steps9": 12, "roll9": 6, "train9": "",
          "h9": 4, "steps9": 20, "q_starts": 8, "ref_s": 10, "probe_starts": 6},
    quick={"e60k": 4, "data_steps": 8, "big": "40,30", "ep60k": 1,
           "train": "--rollout-horizon 3", "relus": "32,16", "relusT": "32,16",
           "sparsify": "--relaxed-epochs 1 --finetune-epochs 0", "episodes": 1,
           "fewer_episodes": 1, "steps": 2, "budget_ms": 60, "horizon": 2, "sim_episodes": 1,
           "sim": "--iterations 1 --samples 4 --horizon 2", "long_horizon": 3, "execute": 2,
           "long_budget_ms": 120, "slow_episodes": 1, "slow12_episodes": 1,
           "probe12_starts": 1, "slow_budget_ms": 200, "h12": 3,
           "v1_horizon": "--horizon 3", "e9": 4, "data_steps9": 8, "roll9": 3,
           "train9": "--hidden 40,30 --epochs 1", "h9": 2, "steps9": 2, "q_starts": 1,
           "ref_s": 1, "probe_starts": 1},
)

if __name__ == "__main__":
    sys.exit(main(SUITE))
