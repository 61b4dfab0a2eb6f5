"""The action-space branch and bound: sound bounds, closing gaps, plans in the box."""

import json

import numpy as np
import pytest
import torch

from controllers import PlannerConfig, make_controller
from controllers.bab import ActionBranchAndBound, relative_gap
from mpcnet.bab.plan_bounds import PlanBounds
from mpcnet.costs import CostSpec
from mpcnet.errors import ConfigError
from mpcnet.milp.mip_mpc import MipMpc
from mpcnet.milp.solvers import SolveOptions
from mpcnet.plan_cost import PlanCost
from tests.fixtures import random_net, reference_mips
from tests.fixtures.models import tiny_model
from training.cli import main


def _search(net, cost, horizon, low, high, state_low=None, state_high=None, **kwargs):
    bounds = PlanBounds(net, cost, horizon, state_low, state_high)
    return ActionBranchAndBound(bounds, PlanCost(net, cost, "float64"), low, high, **kwargs)


def _root(ref, bounds):
    lo = torch.tensor(np.tile(ref.action_low, ref.horizon))[None]
    hi = torch.tensor(np.tile(ref.action_high, ref.horizon))[None]
    return bounds.bound(lo, hi, "coef")


def _gen(seed=0):
    gen = torch.Generator()
    gen.manual_seed(seed)
    return gen


@pytest.mark.parametrize("name", reference_mips.NAMES)
def test_bounds_and_search_never_pass_the_known_optimum(name):
    ref = reference_mips.load(name)
    search = _search(ref.net, ref.cost, ref.horizon, ref.action_low, ref.action_high,
                     ref.state_low, ref.state_high)
    search.bounds.set_problem(ref.x0, ref.goal)
    root = float(_root(ref, search.bounds).lower[0])
    tol = 1e-7 * (1 + abs(ref.optimum))
    assert root <= ref.optimum + tol
    result = search.solve(ref.x0, ref.goal, np.zeros((ref.horizon, ref.net.action_dim)),
                          None, _gen(), iterations=30)
    assert result.lower_bound <= ref.optimum + tol <= result.objective + 2 * tol
    assert result.lower_bound > root - tol  # branching only raises the bound
    # the plan is in the box and costs what is reported, states inside the state box
    assert (result.plan >= ref.action_low).all() and (result.plan <= ref.action_high).all()
    states = ref.net.rollout(ref.x0, result.plan)
    assert ref.cost.plan_cost(states, result.plan, ref.goal) == pytest.approx(result.objective,
                                                                            rel=1e-9)
    if ref.state_low is not None:
        assert (states >= ref.state_low - 1e-9).all() and (states <= ref.state_high + 1e-9).all()


@pytest.mark.parametrize("seed", range(4))
def test_lower_bound_is_below_the_milp_optimum_on_random_networks(seed):
    net = random_net(seed, identity_frac=0.2, residual=seed % 2 == 0)
    rng = np.random.default_rng(seed)
    cost = CostSpec(np.ones(3), np.full(2, 0.05), terminal_weight=2.0,
                    goal_tolerance=np.array([0.0, 0.05, 0.0]))
    low, high, x0, goal = -np.ones(2), np.ones(2), rng.normal(0, 0.5, 3), rng.normal(0, 1, 3)
    mpc = MipMpc(net, cost, 3, low, high, x0_low=x0 - 1, x0_high=x0 + 1)
    optimum = mpc.solve(x0, goal, options=SolveOptions(mip_gap=1e-9))
    assert optimum.status == "optimal"
    search = _search(net, cost, 3, low, high)
    result = search.solve(x0, goal, np.zeros((3, 2)), None, _gen(seed), iterations=40)
    tol = 1e-7 * (1 + abs(optimum.objective))
    assert result.lower_bound <= optimum.objective + tol <= result.objective + 2 * tol


def test_a_box_bound_never_exceeds_the_cost_of_a_plan_inside_it():
    ref = reference_mips.load("mixed_10_h4")
    bounds = PlanBounds(ref.net, ref.cost, ref.horizon, slope_steps=3)
    bounds.set_problem(ref.x0, ref.goal)
    kernel = PlanCost(ref.net, ref.cost, "float64")
    kernel.set_goal(ref.goal)
    rng = np.random.default_rng(0)
    dim = ref.horizon * ref.net.action_dim
    full_lo, full_hi = np.tile(ref.action_low, ref.horizon), np.tile(ref.action_high, ref.horizon)
    a, b = rng.uniform(full_lo, full_hi, (2, 64, dim))
    width = rng.choice([1.0, 0.1, 0.01], (64, 1))
    lo = np.minimum(a, b)
    hi = np.minimum(lo + width * (np.maximum(a, b) - lo) + 1e-6, full_hi)
    bound = bounds.bound(torch.tensor(lo), torch.tensor(hi), "gradient")
    plans = lo[:, None] + rng.random((64, 200, dim)) * (hi - lo)[:, None]
    plans[:, 0], plans[:, 1] = lo, hi  # the corners too
    costs = kernel(torch.tensor(ref.x0), torch.tensor(plans.reshape(-1, ref.horizon, 2)))
    costs = costs.reshape(64, 200).min(1).values
    assert (bound.lower <= costs + 1e-9).all()
    assert (bound.split_score >= 0).all() and bound.split_score.shape == (64, dim)


@pytest.mark.parametrize("name", ["tiny_relu_h2", "mixed_8x8_h3"])
def test_a_small_problem_closes_to_zero_gap(name):
    """Closed to the gap tolerance (1e-4, HiGHS's default): the search stops on its own."""
    ref = reference_mips.load(name)
    search = _search(ref.net, ref.cost, ref.horizon, ref.action_low, ref.action_high)
    result = search.solve(ref.x0, ref.goal, np.zeros((ref.horizon, ref.net.action_dim)), None,
                          _gen(), iterations=500)
    assert result.gap <= 1e-4 and result.iterations < 500
    assert result.objective == pytest.approx(ref.optimum, rel=1e-4)
    assert result.lower_bound <= ref.optimum + 1e-9


def test_results_match_on_cpu_and_cuda():
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    ref = reference_mips.load("mixed_8x8_h3")
    values = []
    for device in ("cpu", "cuda"):
        bounds = PlanBounds(ref.net, ref.cost, ref.horizon, device=device)
        bounds.set_problem(ref.x0, ref.goal)
        values.append(float(_root(ref, bounds).lower[0]))
    assert values[0] == pytest.approx(values[1], rel=1e-9, abs=1e-9)


def test_the_controller_reports_bound_and_gap_and_refuses_bad_settings():
    from tests.fixtures import HIGH, LOW, easy_net

    net, cost = easy_net(), CostSpec(np.ones(2), np.full(2, 0.01))
    ctrl = make_controller("bab", net, cost, LOW, HIGH,
                           PlannerConfig(horizon=3, budget_ms=300, iterations=20))
    ctrl.reset(0, np.array([0.3, -0.2]))
    step = ctrl.act(np.zeros(2))
    info = step.info
    assert info["lower_bound"] <= step.predicted_cost + 1e-9
    assert info["gap"] == pytest.approx(relative_gap(step.predicted_cost, info["lower_bound"]))
    assert (step.plan >= LOW).all() and (step.plan <= HIGH).all()
    with pytest.raises(ConfigError, match="mppi_fraction"):
        make_controller("bab", net, cost, LOW, HIGH, mppi_fraction=1.5)
    with pytest.raises(ConfigError, match="split"):
        make_controller("bab", net, cost, LOW, HIGH, split="middle")


def test_bench_bab_writes_gaps_and_the_milp_beside_them(tmp_path):
    model, out = tiny_model(tmp_path), tmp_path / "bab.json"
    assert main(["bench", "bab", "--model", str(model), "--horizon", "2", "--starts", "2",
                 "--time-limit", "0.2", "--milp", "5", "--json", str(out)]) == 0
    record = json.loads(out.read_text())
    for key in ("gap", "lower_bound", "objective", "milp_gap"):
        assert len(record[key]) == 2
    assert "median_gap" in record and "milp_median_gap" in record
    for row in record["rows"]:
        # both solved the same problem: each one's bound is below the other's plan
        assert row["lower_bound"] <= row["milp_objective"] + 1e-6
        assert row["milp_dual_bound"] <= row["objective"] + 1e-6
