#!/bin/bash
set -e
M=/work/main/.venv/bin/mpcnet
cd /work/bench/tasks
$M collect --env Pendulum-v1 --task pendulum --episodes 300 --steps 100 --seed 0 --out pend/data
$M train --data pend/data --hidden 64,64 --epochs 60 --out pend/dense
$M sparsify --model pend/dense --data pend/data --relus 16 --no-baseline --out pend/relus16
