"""planners_vs_peer: are mpcnet's sampling planners as strong and as fast as a public one
(pytorch_mppi, same model and cost on Pendulum-v1), and how fast are the batched rollouts?"""

import sys

from training.cli.suites import Step, Suite, main

SUITE = Suite(
    name="planners_vs_peer",
    question=__doc__,
    steps=(
        # the quick run brings a toy Pendulum model; the full run trains the bench's own 2x64
        Step("mpcnet collect --env Pendulum-v1 --task pendulum --episodes 4 --steps 10 "
             "--out pend_data", "pend_data", only="quick"),
        Step("mpcnet train --data pend_data --hidden 8,8 --epochs 1 --rollout-horizon 3 "
             "--out pend_model", "pend_model", only="quick"),
        Step("mpcnet bench planners --peer pytorch_mppi {model} --episodes {episodes} --sizes "
             "{sizes} {budgets} --json peer.json", "peer.json"),
        Step("mpcnet bench rollout --samples {samples} --horizons {horizons} {loop} "
             "--json rollout.json", "rollout.json"),
    ),
    full={"model": "", "budgets": "", "episodes": 10, "sizes": "1024x20,256x10",
          "samples": "256,1024,4096",
          "horizons": "10,20", "loop": ""},
    quick={"model": "--model pend_model", "budgets": "--budgets-ms 0 --samples 16 --horizon 2",
           "episodes": 1, "sizes": "16x2", "samples": "16", "horizons": "2",
           "loop": "--no-loop"},
)

if __name__ == "__main__":
    sys.exit(main(SUITE))
