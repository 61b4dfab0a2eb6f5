import dataclasses

import numpy as np
import pytest

from controllers import CONTROLLER_NAMES, PlannerConfig, make_controller
from mpcnet.costs import CostSpec
from mpcnet.errors import ConfigError, UnknownNameError
from tests.fixtures import HIGH, LOW, easy_net


def controller(name, **cfg):
    net = easy_net()
    cost = CostSpec(np.ones(2), np.full(2, 0.01))
    return make_controller(name, net, cost, LOW, HIGH,
                           PlannerConfig(**{"horizon": 3, "budget_ms": 200, **cfg}),
                           state_low=-np.ones(2), state_high=np.ones(2))


@pytest.mark.parametrize("name", CONTROLLER_NAMES)
def test_controller_contract(name):
    goal = np.array([0.3, -0.2])
    ctrl = controller(name, iterations=4)
    ctrl.reset(3, goal)
    x = np.zeros(2)
    first = ctrl.act(x)
    assert first.action.shape == (2,) and first.plan.shape == (3, 2)
    assert (first.action >= LOW - 1e-9).all() and (first.action <= HIGH + 1e-9).all()
    assert first.plan_time_s > 0
    # same seed, same action
    again = controller(name, iterations=4)
    again.reset(3, goal)
    np.testing.assert_allclose(again.act(x).action, first.action, atol=1e-7)
    if name == "hold":  # the baseline does nothing: the planners below must beat it
        np.testing.assert_array_equal(first.plan, 0.0)
        return
    # the cost goes down over a few closed-loop steps on the model
    net, start_cost = easy_net(), np.abs(x - goal).sum()
    for _ in range(4):
        x = net.step(x, ctrl.act(x).action)
    assert np.abs(x - goal).sum() < 0.7 * start_cost


def test_mip_controller_survives_a_forced_time_out():
    ctrl = controller("mip")
    ctrl.config = dataclasses.replace(ctrl.config, budget_ms=1e-3)
    ctrl.mpc.lp_time_budget = 0.0
    ctrl.reset(0, np.array([0.3, -0.2]))
    step = ctrl.act(np.zeros(2))
    assert step.status in ("fallback", "time_limit", "optimal")
    assert (step.action >= LOW - 1e-9).all() and (step.action <= HIGH + 1e-9).all()
    # a state outside the box the program was built for falls back, it does not raise
    step = ctrl.act(np.array([5.0, 5.0]))
    assert step.status == "fallback"


def test_unknown_controller_suggests_a_name():
    with pytest.raises(UnknownNameError, match="Did you mean 'mppi'"):
        make_controller("mppj", easy_net(), CostSpec(np.ones(2), np.zeros(2)), LOW, HIGH)


@pytest.mark.parametrize("hybrid_name,sampler_name,fraction",
                         [("mip-mppi", "mppi", "mppi_fraction"), ("mip-gd", "gd", "gd_fraction")])
def test_a_warm_started_mip_never_returns_a_worse_plan_than_its_sampler(hybrid_name, sampler_name,
                                                                        fraction):
    goal = np.array([0.3, -0.2])
    hybrid = controller(hybrid_name, iterations=3, dtype="float64")
    sampler = controller(sampler_name, iterations=3, dtype="float64")
    hybrid.reset(5, goal)
    sampler.reset(5, goal)
    x = np.array([-0.4, 0.5])
    step, alone = hybrid.act(x), sampler.act(x)
    # same seed and iterations: the hybrid's first stage is the sampler's plan; the MILP only
    # improves it, here to the proven optimum
    assert step.predicted_cost <= alone.predicted_cost + 1e-7
    assert step.status == "optimal" and step.info["gap"] <= 1e-3
    assert step.info["warm_cost"] == pytest.approx(alone.predicted_cost, rel=1e-9, abs=1e-9)
    with pytest.raises(ConfigError, match=fraction):
        make_controller(hybrid_name, easy_net(), CostSpec(np.ones(2), np.full(2, 0.01)), LOW,
                        HIGH, state_low=-np.ones(2), state_high=np.ones(2), **{fraction: 1.5})


def test_mip_refuses_a_budget_its_bound_update_cannot_fit_in():
    with pytest.raises(ConfigError, match=r"too small for horizon 3.*budget_ms=\d+ or more"):
        controller("mip", budget_ms=1e-3)
    for hybrid in ("mip-mppi", "mip-gd"):
        with pytest.raises(ConfigError, match="too small"):
            controller(hybrid, budget_ms=1e-3)
    controller("mip", budget_ms=1e-3, iterations=1)  # fixed iterations: no deadline to miss


@pytest.mark.parametrize("solver", ["gurobi", "scip"])
def test_mip_controllers_step_with_another_solver_to_the_same_plan(solver):
    pytest.importorskip({"gurobi": "gurobipy", "scip": "pyscipopt"}[solver])
    goal, x = np.array([0.3, -0.2]), np.array([-0.4, 0.5])
    steps = {}
    for name in ("highs", solver):
        ctrl = controller("mip", budget_ms=20_000, mip_solver=name)
        assert ctrl.mpc.backend.name == name
        ctrl.reset(0, goal)
        steps[name] = ctrl.act(x)
        assert steps[name].status == "optimal"
    assert steps[solver].predicted_cost == pytest.approx(steps["highs"].predicted_cost,
                                                         rel=1e-3, abs=1e-9)


def test_mip_solver_is_checked():
    with pytest.raises(ConfigError, match="mip_solver: expected one of highs, gurobi, scip"):
        PlannerConfig(mip_solver="cplex")


def test_the_mip_reports_whether_its_plan_beat_its_warm_start():
    import time

    goal, x = np.array([0.3, -0.2]), np.array([-0.4, 0.5])
    ctrl = controller("mip", budget_ms=5_000)
    ctrl.reset(0, goal)
    step = ctrl.act(x)
    assert step.status == "optimal"
    assert step.info["improved"] == (step.predicted_cost < step.info["warm_cost"] - 1e-9)
    deadline = time.perf_counter() + 5.0
    zeros = np.zeros((3, 2))
    with_zeros = float(ctrl.kernel(ctrl.kernel.tensor(x), ctrl.kernel.tensor(zeros)[None])[0])
    _, cost, _, info = ctrl.solve_from(x, zeros, with_zeros, deadline)
    assert info["improved"] and cost < with_zeros  # doing nothing is far from the optimum
    _, cost, _, info = ctrl.solve_from(x, step.plan, step.predicted_cost, deadline)
    assert not info["improved"]  # from its own optimum there is nothing left to gain
    assert cost == pytest.approx(step.predicted_cost, rel=1e-6, abs=1e-9)


def _edge_net():
    """x' = x + 0.1 u (as 0.1 relu(u) - 0.1 relu(-u)) on the state box [-1, 1]."""
    from mpcnet.nn.relunet import Layer, ReluNet

    return ReluNet((Layer(np.array([[0.0, 1.0], [0.0, -1.0]]), np.zeros(2), ("relu", "relu")),
                    Layer(np.array([[0.1, -0.1]]), np.zeros(1), ("linear",))), 1, 1)


def _edge_controller(name):
    ctrl = make_controller(name, _edge_net(), CostSpec(np.ones(1), np.zeros(1)), [-1.0], [1.0],
                           PlannerConfig(horizon=2, budget_ms=500, iterations=20),
                           state_low=[-1.0], state_high=[1.0])
    ctrl.reset(0, np.array([1.5]))  # a goal beyond the box's edge at 1
    return ctrl


def test_the_mip_takes_the_cheapest_warm_start_that_stays_in_the_state_box():
    ctrl, x0 = _edge_controller("mip"), np.array([0.95])
    outside, inside = np.ones((2, 1)), np.zeros((2, 1))  # to 1.05, 1.15; staying at 0.95
    plan, cost, ok = ctrl.warm_start(x0, [outside, inside], 0)
    np.testing.assert_array_equal(plan, inside)
    assert ok and cost == pytest.approx(2 * 0.55)
    plan, cost, ok = ctrl.warm_start(x0, [outside], 0)  # none inside: the least outside
    np.testing.assert_array_equal(plan, outside)
    assert not ok
    plan, cost, ok = ctrl.warm_start(x0, [outside, inside], 64)  # random ones that do better
    states = _edge_net().rollout(x0, plan)
    assert ok and (states <= 1.0 + 1e-9).all() and cost < 2 * 0.55


@pytest.mark.parametrize("name", ["mip-gd", "mip-mppi"])
def test_a_warm_started_mip_plans_inside_the_box_its_sampler_leaves(name):
    # the sampler drives x past the edge towards the goal; the program stops x at the edge:
    # u = (0.5, 0) reaches 1 and stays, the box's optimum, proven
    ctrl = _edge_controller(name)
    step = ctrl.act(np.array([0.95]))
    assert step.status == "optimal"
    np.testing.assert_allclose(step.plan[:, 0], [0.5, 0.0], atol=1e-6)
    assert step.predicted_cost == pytest.approx(1.0, abs=1e-6)
