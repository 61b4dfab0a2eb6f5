#!/bin/bash
# A second model of the same data (training and sparsification seed 1): does the MountainCar
# result hold for another model?
set -e
M=/work/main/.venv/bin/mpcnet
cd /work/bench/tasks
$M train --data car/data --hidden 64,64 --epochs 60 --seed 1 --out car/dense_s1
$M sparsify --model car/dense_s1 --data car/data --relus 16 --no-baseline --seed 1 --out car/relus16_s1
$M compare --env MountainCarContinuous-v0 --models car/dense_s1 car/relus16_s1 --controllers mip,mppi --episodes 20 --steps 100 --horizon 20 --budget-ms 100 --seed 0 --out car/cmp_s1
