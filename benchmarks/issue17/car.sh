#!/bin/bash
set -e
M=/work/main/.venv/bin/mpcnet
cd /work/bench/tasks
$M collect --env MountainCarContinuous-v0 --task mountain_car --episodes 400 --steps 40 --seed 0 --out car/data
$M train --data car/data --hidden 64,64 --epochs 60 --out car/dense
$M sparsify --model car/dense --data car/data --relus 16 --no-baseline --out car/relus16
