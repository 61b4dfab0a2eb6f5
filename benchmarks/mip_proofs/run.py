"""mip_proofs: how fast does each MILP solver prove the MPC optimum on sparse push models, from
16 ReLUs at horizons 5 and 10 to the 36-cell grid of ReLU budgets x horizons, and how does the
branch and bound over the actions compare at horizon 10?"""

import sys

from training.cli.suites import Step, Suite, main

_MIP = "mpcnet bench mip --model sw_world/relus_16 --starts {starts} --time-limit {limit}"
SUITE = Suite(
    name="mip_proofs",
    question=__doc__,
    steps=(
        Step("mpcnet collect --env mpcnet/Push-v0 --episodes {episodes} --steps {steps} --seed 0 "
             "--out data", "data"),
        Step("mpcnet train --data data --seed 0 {train} --out model", "model"),
        Step("mpcnet sparsify --model model --data data --relus {relus_a} {sparsify} "
             "--no-distill --out sw_world", "sw_world"),
        Step("mpcnet sparsify --model model --data data --relus {relus_b} {sparsify} "
             "--no-distill --out sw_world_b", "sw_world_b"),
        Step(_MIP + " --horizon {short} --json h_short_highs.json", "h_short_highs.json"),
        Step(_MIP + " --horizon {short} --backend gurobi --json h_short_gurobi.json",
             "h_short_gurobi.json"),
        Step(_MIP + " --horizon {long} --json h_long_highs.json", "h_long_highs.json"),
        Step(_MIP + " --horizon {long} --backend gurobi --json h_long_gurobi.json",
             "h_long_gurobi.json"),
        Step(_MIP + " --horizon {long} --backend scip --cuts separator --json h_long_scip.json",
             "h_long_scip.json"),
        Step("mpcnet bench mip-grid --models {grid_models} --horizons {horizons} --starts "
             "{grid_starts} --time-limit {grid_limit} --tighten-budget 5 --backend gurobi "
             "--json grid_gurobi.json --write grid_gurobi.md", "grid_gurobi.json"),
        Step("mpcnet bench mip-grid --models {grid_models} --horizons {horizons} --starts "
             "{grid_starts} --time-limit {grid_limit} --tighten-budget 5 "
             "--json grid_highs.json --write grid_highs.md", "grid_highs.json"),
        Step("mpcnet bench bab --model sw_world/relus_16 --horizon {long} --starts {starts} "
             "--time-limit 1 --milp {grid_limit} --json bab.json", "bab.json"),
    ),
    full={"episodes": 200, "steps": 30, "train": "", "sparsify": "", "relus_a": "32,16,8",
          "relus_b": "64,24,12", "starts": 10, "limit": 10, "short": 5, "long": 10,
          "grid_models": "sw_world/relus_8 sw_world_b/relus_12 sw_world/relus_16 "
                         "sw_world_b/relus_24 sw_world/relus_32 sw_world_b/relus_64",
          "horizons": "2,4,6,8,10,15", "grid_starts": 2, "grid_limit": 20},
    quick={"episodes": 6, "steps": 8, "train": "--hidden 8,8 --epochs 1 --rollout-horizon 3",
           "sparsify": "--relaxed-epochs 1 --finetune-epochs 0 --no-baseline",
           "relus_a": "16,8", "relus_b": "12,10", "starts": 1, "limit": 1, "short": 1, "long": 2,
           "grid_models": "sw_world/relus_8 sw_world_b/relus_12", "horizons": "1,2",
           "grid_starts": 1, "grid_limit": 1},
)

if __name__ == "__main__":
    sys.exit(main(SUITE))
