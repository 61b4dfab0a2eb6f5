#!/usr/bin/env bash
# Issue 15, tried: does a push model that has seen the pusher far from the object (and keeps
# the object still there) make the H = 10 MILP easier? Run from /work/bench-like folder that
# holds data/ (mpcnet collect --env mpcnet/Push-v0 --episodes 200 --steps 30 --seed 0) and
# push16/ (its 16-ReLU model), one job at a time, on an idle machine.
set -e
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
H=$(dirname "$0")
T=$H/../gurobi_tries
python "$H/collect_far.py" --episodes 150 --steps 30 --seed 0 --out far
python "$H/collect_far.py" --merge data far --out data_far
mpcnet collect --env mpcnet/Push-v0 --episodes 50 --steps 30 --seed 1 --out heldout
mpcnet train --data data_far --seed 0 --out model_far
mpcnet sparsify --model model_far --data data_far --relus 16 --seed 0 --out push16_far
for m in push16 push16_far; do mpcnet validate --model $m --data heldout; done
for m in push16 push16_far; do python "$T/far_motion.py" $m; done
mpcnet bench mip --model push16_far --horizon 10 --starts 10 --time-limit 10 --backend gurobi \
    --json h10_gurobi_far.json
python "$H/project_rigid.py" push16 push16_rigid
mpcnet bench mip --model push16_rigid --horizon 10 --starts 10 --time-limit 10 --backend gurobi \
    --json h10_gurobi_rigid.json
