"""sort: does one graph network trained on 4 objects predict Sort-v0 for 4 and 6, does MIP-MPC on
its 32-ReLU sparsification sort as well as MPPI on the dense one, and how does the MILP grow
with the number of objects?"""

import sys

from training.cli.suites import Step, Suite, main

_SORT = "mpcnet/Sort-v0"
_COMPARE = (f"mpcnet compare --env {_SORT} --episodes {{episodes_per_cell}} --seed 0 "
            "--horizon {horizon} --budget-ms {budget_ms} --steps {steps_per_episode}")
SUITE = Suite(
    name="sort",
    question=__doc__,
    steps=(
        Step(f"mpcnet collect --env {_SORT} --episodes {{episodes}} --steps {{steps}} --seed 0 "
             "--out sortdata", "sortdata"),
        Step(f"mpcnet collect --env {_SORT} --num-objects 4 --episodes {{heldout}} --steps "
             "{steps} --seed 1 --out heldout4", "heldout4"),
        Step(f"mpcnet collect --env {_SORT} --num-objects 6 --episodes {{heldout}} --steps "
             "{steps} --seed 1 --out heldout6", "heldout6"),
        Step("mpcnet train --data sortdata --model gnn --rollout-horizon {rollout} --seed 0 "
             "{train} --out gnn", "gnn"),
        Step("mpcnet sparsify --model gnn --data sortdata --relus {relus} --seed 0 {sparsify} "
             "--out gnn_sparse", "gnn_sparse"),
        Step("mpcnet validate --model gnn --data heldout4 --rollout-horizon {rollout} "
             "--json val_dense_4.json", "val_dense_4.json"),
        Step("mpcnet validate --model gnn --data heldout6 --rollout-horizon {rollout} "
             "--json val_dense_6.json", "val_dense_6.json"),
        Step("mpcnet validate --model gnn_sparse/relus_32 --data heldout6 --rollout-horizon "
             "{rollout} --json val_relus32_6.json", "val_relus32_6.json"),
        Step(_COMPARE + " --models gnn gnn_sparse/relus_32 --controllers mip,mip-mppi,mppi "
             "--max-mip-relus 600 --out compare", "compare"),
        Step("mpcnet bench mip-objects --model gnn_sparse/relus_4 --objects {objects} "
             "--horizon 1 --starts {starts} --time-limit {limit} --json mip_objects_h1.json",
             "mip_objects_h1.json"),
    ),
    full={"episodes": 1000, "steps": 10, "heldout": 100, "rollout": 5,
          "train": "--epochs 200", "relus": "32,4", "sparsify": "", "episodes_per_cell": 20,
          "horizon": 2, "budget_ms": 1000, "steps_per_episode": 12, "objects": "2,3,4,5,6",
          "starts": 3, "limit": 10},
    quick={"episodes": 4, "steps": 4, "heldout": 2, "rollout": 2,
           "train": "--epochs 1 --relation-hidden 24 --object-hidden 16 --effect-dim 4",
           "relus": "32,4", "sparsify": "--relaxed-epochs 1 --finetune-epochs 0 --no-baseline",
           "episodes_per_cell": 1, "horizon": 1, "budget_ms": 200, "steps_per_episode": 1,
           "objects": "2,3", "starts": 1, "limit": 1},
)

if __name__ == "__main__":
    sys.exit(main(SUITE))
