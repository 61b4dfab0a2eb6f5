#!/usr/bin/env bash
# The issue 15 ablation at 10 starts, re-run with the root LP bound recorded and the cuts in the
# bound tightening as a new row. Run from a folder holding push16/, nothing else running:
#   bash path/to/run.sh OUTDIR
set -e
out=${1:-ablation}
mkdir -p "$out"
export OMP_NUM_THREADS=1
bench() {  # name, horizon, extra options
    local name=$1 h=$2
    shift 2
    mpcnet bench mip --model push16 --horizon "$h" --starts 10 --time-limit 10 "$@" \
        --json "$out/h${h}_$name.json" > "$out/h${h}_$name.log" 2>&1
}
for h in 5 10; do
    bench highs_bigm "$h" --bounds symbolic
    bench highs_lp "$h"
    bench highs_lp_root "$h" --cuts root
    if [ "$h" = 5 ]; then bench highs_lpcuts_root "$h" --tighten-cuts 1 --cuts root; fi
    bench scip_sep "$h" --backend scip --cuts separator
    bench gurobi "$h" --backend gurobi
    bench gurobi_lpcuts "$h" --backend gurobi --tighten-cuts 1
done
echo done > "$out/done"
