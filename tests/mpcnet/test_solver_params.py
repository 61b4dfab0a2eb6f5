"""The solvers' own parameters (``MipMpc(solver_params=...)``, ``--solver-param``): they reach
the solver, the optimum stays the optimum, and whatever the solver or mpcnet refuses is one
clear error before any solve."""

import json

import pytest

from mpcnet.errors import ConfigError
from mpcnet.milp.mip_mpc import MipMpc
from tests.fixtures import EXACT, check_plan, reference_mips
from tests.fixtures.cli import run_cli
from tests.fixtures.models import tiny_model
from training.cli import main

REF = reference_mips.NAMES[0]
# one parameter per backend that changes how the solver searches, not what it may return
VALID = {"highs": {"mip_heuristic_effort": 0.3, "presolve": "off"},
         "gurobi": {"MIPFocus": 2, "Cuts": 2},
         "scip": {"separating/maxrounds": 3, "presolving/maxrounds": 0},
         "pyomo": {"mip_heuristic_effort": 0.3}}


def _mpc(backend: str, params: dict) -> MipMpc:
    ref = reference_mips.load(REF)
    return MipMpc(ref.net, ref.cost, ref.horizon, ref.action_low, ref.action_high,
                  ref.state_low, ref.state_high, x0_low=ref.x0, x0_high=ref.x0,
                  backend=backend, solver_params=params)


def _need(backend: str) -> None:
    if backend in ("gurobi", "scip"):
        pytest.importorskip({"gurobi": "gurobipy", "scip": "pyscipopt"}[backend])


def _seen_by_solver(backend: str, mpc: MipMpc, name: str):
    """The value the solver itself holds for ``name`` after a solve."""
    if backend == "highs":
        return mpc.backend.highs.getOptionValue(name)[1]
    if backend == "gurobi":
        return mpc.backend.grb.getParamInfo(name)[2]
    return mpc.backend.seen.getParam(name)  # scip: the model of the last solve


@pytest.mark.parametrize("backend", ["highs", "gurobi", "scip", "pyomo"])
def test_parameters_reach_the_solver_and_the_optimum_stays(backend):
    _need(backend)
    ref = reference_mips.load(REF)
    mpc = _mpc(backend, VALID[backend])
    if backend == "scip":  # SCIP's model is built per solve: keep the last one to look at
        build = mpc.backend._build

        def keep():
            scip, variables = build()
            mpc.backend.seen = scip
            return scip, variables
        mpc.backend._build = keep
    check_plan(ref, mpc.solve(ref.x0, ref.goal, options=EXACT))
    if backend != "pyomo":
        for name, value in VALID[backend].items():
            assert _seen_by_solver(backend, mpc, name) == value


@pytest.mark.parametrize("backend, params, expected", [
    ("highs", {"no_such_option": 1}, "highs parameter no_such_option=1: refused"),
    ("highs", {"mip_heuristic_effort": "lots"}, "mip_heuristic_effort='lots': refused"),
    ("highs", {"time_limit": 5}, "highs parameter time_limit: mpcnet sets it"),
    ("gurobi", {"NoSuchParam": 1}, "gurobi parameter NoSuchParam=1: refused"),
    ("gurobi", {"MIPFocus": 7}, "gurobi parameter MIPFocus=7: refused"),
    ("gurobi", {"timelimit": 5}, "gurobi parameter timelimit: mpcnet sets it"),
    ("scip", {"no/such/param": 1}, "scip parameter no/such/param=1: refused"),
    ("scip", {"presolving/maxrounds": -5}, "presolving/maxrounds=-5: refused"),
    ("scip", {"limits/gap": 0.1}, "scip parameter limits/gap: mpcnet sets it"),
    ("pyomo", {"mip_rel_gap": 0.1}, "appsi_highs parameter mip_rel_gap: mpcnet sets it"),
    # appsi_highs would ignore it: checked on a scratch HiGHS
    ("pyomo", {"no_such_option": 1}, "appsi_highs parameter no_such_option=1: refused"),
])
def test_refused_parameters_are_one_line_before_any_solve(backend, params, expected):
    _need(backend)
    with pytest.raises(ConfigError, match=expected) as info:
        _mpc(backend, params)
    assert "\n" not in str(info.value)


def test_bench_mip_records_its_solver_parameters(tmp_path):
    model, out = tiny_model(tmp_path), tmp_path / "mip.json"
    assert main(["bench", "mip", "--model", str(model), "--horizon", "2", "--starts", "1",
                 "--time-limit", "5", "--solver-param", "presolve=off",
                 "--solver-param", "mip_heuristic_effort=0.3", "--json", str(out)]) == 0
    record = json.loads(out.read_text())
    assert record["solver_params"] == {"presolve": "off", "mip_heuristic_effort": 0.3}
    assert record["proven_optimal"] == 1


@pytest.mark.parametrize("command, param, expected", [
    ("mip", "MIPFocus", "expected NAME=VALUE"),
    ("mip", "no_such_option=1", "highs parameter no_such_option=1: refused"),
    ("mip-grid", "no_such_option=1", "highs parameter no_such_option=1: refused"),
])
def test_a_bad_solver_parameter_exits_2_before_solving(tmp_path, capsys, command, param,
                                                       expected):
    model, out = tiny_model(tmp_path), tmp_path / "out.json"
    models = ["--model", str(model)] if command == "mip" else ["--models", str(model)]
    assert run_cli(["bench", command, *models, "--solver-param", param, "--json",
                    str(out)]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err
    assert not out.exists()


def test_the_mip_controller_hands_them_to_its_solver():
    import numpy as np

    from controllers import PlannerConfig, make_controller
    from mpcnet.costs import CostSpec
    from tests.fixtures import easy_net

    ctrl = make_controller("mip", easy_net(), CostSpec(np.ones(2), np.full(2, 0.01)),
                           -np.ones(2), np.ones(2), PlannerConfig(horizon=3, budget_ms=2_000),
                           state_low=-np.ones(2), state_high=np.ones(2),
                           solver_params={"mip_heuristic_effort": 0.3})
    assert ctrl.mpc.backend.highs.getOptionValue("mip_heuristic_effort")[1] == 0.3
    ctrl.reset(0, np.array([0.3, -0.2]))
    assert ctrl.act(np.array([-0.4, 0.5])).status == "optimal"


def test_planner_config_carries_them_to_the_mip_controller():
    import numpy as np

    from controllers import PlannerConfig, make_controller
    from mpcnet.costs import CostSpec
    from tests.fixtures import easy_net

    config = PlannerConfig(horizon=3, budget_ms=2_000,
                           mip_params="mip_heuristic_effort=0.3, presolve=off")
    assert config.mip_solver_params() == {"mip_heuristic_effort": 0.3, "presolve": "off"}
    ctrl = make_controller("mip", easy_net(), CostSpec(np.ones(2), np.full(2, 0.01)),
                           -np.ones(2), np.ones(2), config, state_low=-np.ones(2),
                           state_high=np.ones(2), solver_params={"presolve": "on"})
    highs = ctrl.mpc.backend.highs
    assert highs.getOptionValue("mip_heuristic_effort")[1] == 0.3
    assert highs.getOptionValue("presolve")[1] == "on"  # the explicit argument wins


@pytest.mark.parametrize("text", ["MIPFocus", "=2", "MIPFocus=2,,Cuts", 3])
def test_planner_config_refuses_mip_params_that_are_not_name_value(text):
    from controllers import PlannerConfig

    with pytest.raises(ConfigError, match="mip_params: expected"):
        PlannerConfig(mip_params=text)
