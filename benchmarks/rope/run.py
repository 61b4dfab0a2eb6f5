"""rope: can a sparse ReLU model of a rope (mpcnet/Rope-v0) be planned with exactly, and does
the exact planner beat sampling and gradient descent on the dense model? Data, a dense MLP and
its sparsifications, a graph model with the rope's chain as edges, prediction on held-out
episodes and on a longer rope, and paired seeded closed-loop episodes on four goal families,
with the simulator as the reference planner on one."""

import sys

from training.cli.suites import Step, Suite, main

_EPISODES = ("--seed 100 --steps {steps} --budget-ms {budget_ms} --horizon {horizon}")


def _family(env: str, name: str, exact: str = "mip,mip-mppi,bab,gd",
            dense: str = "gd,mppi,cem") -> tuple[Step, ...]:
    """The dense model's samplers, the sparse model's exact planners and GD, and doing
    nothing, on one goal family."""
    runs = f"--episodes {{episodes}} {_EPISODES}"
    return (
        Step(f"mpcnet compare --env mpcnet/{env} --models rope_dense --controllers {dense} "
             f"{runs} --out cmp_{name}_dense", f"cmp_{name}_dense"),
        Step(f"mpcnet compare --env mpcnet/{env} --models rope_sp/relus_32 --controllers "
             f"{exact} {runs} --out cmp_{name}_sparse", f"cmp_{name}_sparse"),
        Step(f"mpcnet compare --env mpcnet/{env} --models rope_dense --controllers hold "
             f"{runs} --out cmp_{name}_hold", f"cmp_{name}_hold"),
    )


SUITE = Suite(
    name="rope",
    question=__doc__,
    steps=(
        Step("mpcnet collect --env mpcnet/Rope-v0 --episodes {data_episodes} --steps "
             "{data_steps} --seed 0 --out drope", "drope"),
        # a rope 5 cm longer than any in the data: what the model does off its training rope
        Step("mpcnet collect --env mpcnet/RopeLong-v0 --episodes {long_episodes} --steps "
             "{data_steps} --seed 1 --out drope_long", "drope_long"),
        Step("mpcnet train --data drope --hidden {hidden} --seed 0 --epochs {epochs} {train} "
             "--out rope_dense", "rope_dense"),
        Step("mpcnet sparsify --model rope_dense --data drope --relus {relus} {sparsify} "
             "--no-baseline --out rope_sp", "rope_sp"),
        Step("mpcnet validate --model rope_dense --data drope_long --json val_long_dense.json",
             "val_long_dense.json"),
        Step("mpcnet validate --model rope_sp/relus_32 --data drope_long "
             "--json val_long_sparse.json", "val_long_sparse.json"),
        # the graph model: keypoints as nodes, the rope's chain and the pusher as edges
        Step("mpcnet train --data drope --model gnn --edges chain --seed 0 --epochs {epochs} "
             "{train} {gnn} --out rope_gnn_chain", "rope_gnn_chain"),
        Step("mpcnet validate --model rope_gnn_chain --data drope_long "
             "--json val_long_gnn_chain.json", "val_long_gnn_chain.json"),
        *_family("RopeLine-v0", "line", exact="mip,mip-mppi,mip-gd,bab,gd"),
        *_family("RopeArc-v0", "arc"),
        *_family("RopeL-v0", "L", exact="mip,gd", dense="gd,mppi"),
        *_family("RopeU-v0", "U", exact="mip,gd", dense="gd,mppi"),
        # the simulator as the model: the reference; each plan replays the rope in PyBullet
        # (about 22 ms a step), so it plans with fewer samples, without a time budget
        Step("mpcnet compare --env mpcnet/RopeLine-v0 --models sim --controllers cem --samples "
             "{sim_samples} --iterations {sim_iterations} --episodes {sim_episodes} "
             f"{_EPISODES} --out cmp_line_sim", "cmp_line_sim"),
        Step("mpcnet report rope_sp cmp_line_dense cmp_line_sparse cmp_line_hold "
             "cmp_line_sim cmp_arc_dense cmp_arc_sparse cmp_arc_hold --out report_rope",
             "report_rope"),
    ),
    full={"data_episodes": 1500, "data_steps": 30, "long_episodes": 100,
          "hidden": "256,256,256", "epochs": 30, "train": "", "relus": "32,16",
          "sparsify": "--relaxed-epochs 20 --finetune-epochs 10", "episodes": 40,
          "steps": 40, "budget_ms": 200, "horizon": 6, "gnn": "", "sim_samples": 32,
          "sim_iterations": 2, "sim_episodes": 20},
    quick={"data_episodes": 4, "data_steps": 8, "long_episodes": 2, "hidden": "24,16",
           "epochs": 1, "train": "--rollout-horizon 3", "relus": "32,16",
           "sparsify": "--relaxed-epochs 1 --finetune-epochs 0", "episodes": 1,
           "steps": 2, "budget_ms": 80, "horizon": 2,
           "gnn": "--relation-hidden 8 --object-hidden 8 --effect-dim 4", "sim_samples": 4,
           "sim_iterations": 1, "sim_episodes": 1},
)

if __name__ == "__main__":
    sys.exit(main(SUITE))
