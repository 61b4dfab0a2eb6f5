#!/usr/bin/env bash
# Run from a folder holding push16/ (the 16-ReLU world-frame push model), one job at a time:
#   bash path/to/tries.sh > results.log
T=$(dirname "$0")
for args in "params" "cuts 10" "cuts 10 root" "cuts 6 root"; do
    echo "## python gurobi_tries.py $args"
    python "$T/gurobi_tries.py" $args
done
echo "## python one_step_range.py"
python "$T/one_step_range.py"
for args in "obbt 10" "obbt 10 symbolic"; do
    echo "## python gurobi_tries.py $args"
    python "$T/gurobi_tries.py" $args
done
echo "## python branch_priority.py 10"
python "$T/branch_priority.py" 10
echo "## python milp_bounds.py push16 1.5 3"
python "$T/milp_bounds.py" push16 1.5 3
