#!/bin/bash
# HiGHS heuristic effort at H = 10, 4 starts, 10 s (issue 15); mkdir heur first
cd "${1:-.}"  # a folder holding push16/
M=mpcnet
export OMP_NUM_THREADS=1
for e in 0.05 0.3 0.8; do
  $M bench mip --model push16 --horizon 10 --starts 4 --time-limit 10 --solver-param mip_heuristic_effort=$e --json heur/h10_e$e.json > heur/h10_e$e.log 2>&1
done
echo done > heur/done
$M bench mip --model push16 --horizon 10 --starts 2 --time-limit 10 --no-warm-start --json heur/h10_nowarm.json
