import numpy as np
import pytest
import torch

from mpcnet.bab.plan_bounds import PlanBounds
from mpcnet.costs import CostSpec
from mpcnet.errors import ConfigError
from mpcnet.milp.mip_mpc import MipMpc
from mpcnet.plan_cost import PlanCost
from tests.fixtures import EXACT, random_net, reference_mips
from tests.fixtures.obstacle_reference import enumerated_optimum

POINTS = ((0, 1), (2, 3))


def obstacle_cost(boxes, weight=3.0, n=4, m=2):
    return CostSpec(np.ones(n), np.full(m, 0.01), terminal_weight=2.0, obstacles=boxes,
                    obstacle_points=POINTS, obstacle_weight=weight)


def test_depth_is_the_distance_to_the_nearest_side_inside_and_zero_outside():
    cost = obstacle_cost([[0.0, 0.0, 1.0, 2.0]])
    states = np.array([[0.25, 1.0, 5.0, 5.0],     # 0.25 from the left side; outside
                       [0.5, 1.9, -1.0, 1.0],     # 0.1 from the top; outside
                       [1.0, 1.0, 0.5, 1.0]])     # on the right side; 0.5 inside
    np.testing.assert_allclose(cost.obstacle_depths(states)[..., 0],
                               [[0.25, 0.0], [0.1, 0.0], [0.0, 0.5]])
    np.testing.assert_allclose(cost.obstacle_cost(states), 3.0 * np.array([0.25, 0.1, 0.5]))


def test_numpy_torch_and_the_planners_kernel_agree():
    rng = np.random.default_rng(0)
    net = random_net(1, n=4, m=2)
    cost = obstacle_cost(rng.uniform(-1, 0, (2, 2)).repeat(2, 1) + [0, 0, 1.2, 1.5])
    goal, x0 = rng.normal(size=4), rng.normal(size=4) * 0.3
    plans = rng.uniform(-0.5, 0.5, (16, 5, 2))
    states = np.stack([net.rollout(x0, p) for p in plans])
    expected = [cost.plan_cost(s, p, goal) for s, p in zip(states, plans, strict=True)]
    assert max(cost.obstacle_cost(states).sum(-1)) > 0  # the test sees the obstacle term
    as_t = lambda a: torch.as_tensor(a, dtype=torch.float64)  # noqa: E731
    np.testing.assert_allclose(cost.plan_cost_torch(as_t(states), as_t(plans), as_t(goal)),
                               expected, rtol=1e-12)
    kernel = PlanCost(net, cost.with_obstacles(np.zeros((0, 4))), dtype="float64")
    kernel.set_obstacles(cost.obstacles)
    kernel.set_goal(goal)
    np.testing.assert_allclose(kernel(as_t(x0), as_t(plans)).numpy(), expected, rtol=1e-9)


@pytest.mark.parametrize("kwargs, needle", [
    ({"obstacles": [[0, 0, 1]]}, "shape"),
    ({"obstacles": [[1, 0, 0, 1]]}, "x_low <= x_high"),
    ({"obstacles": [[0, 0, 1, np.nan]]}, "finite"),
    ({"obstacle_points": ((0, 9),)}, "state entries"),
    ({"obstacle_points": ("ab",)}, "pairs of state entries"),
    ({"obstacle_weight": -1.0}, "obstacle_weight"),
])
def test_malformed_obstacles_are_refused(kwargs, needle):
    args = {"obstacles": [[0, 0, 1, 1]], "obstacle_points": POINTS, "obstacle_weight": 1.0,
            **kwargs}
    with pytest.raises(ConfigError, match=needle):
        CostSpec(np.ones(4), np.ones(2), **args)


def test_the_obstacle_cost_survives_a_round_trip():
    cost = obstacle_cost([[0.0, 0.1, 0.2, 0.3]])
    again = CostSpec.from_dict(cost.to_dict())
    np.testing.assert_array_equal(again.obstacles, cost.obstacles)
    assert again.obstacle_points == POINTS and again.obstacle_weight == 3.0
    assert not CostSpec.from_dict({"state_weight": [1.0], "action_weight": [1.0]}).has_obstacles


def _mpc(cost, net, horizon=4, x0=None, **kwargs):
    n = net.state_dim
    return MipMpc(net, cost, horizon, -np.full(2, 0.5), np.full(2, 0.5), -np.full(n, 3.0),
                  np.full(n, 3.0), x0_low=-np.full(n, 0.5), x0_high=np.full(n, 0.5), **kwargs)


@pytest.mark.parametrize("seed", range(4))
def test_milp_objective_equals_the_evaluated_cost_on_fixed_plans(seed):
    rng = np.random.default_rng(seed)
    net = random_net(seed, n=4, m=2)
    x0, goal = rng.uniform(-0.4, 0.4, 4), rng.normal(size=4)
    plan = rng.uniform(-0.5, 0.5, (4, 2))
    states = net.rollout(x0, plan)
    # boxes around two of the plan's points, so that the term is not zero
    centres = states[[1, 3]][:, [0, 1]]
    boxes = np.c_[centres - 0.2, centres + 0.3].clip(-3, 3)
    cost = obstacle_cost(np.c_[np.full((3, 2), 3.0), np.full((3, 2), 3.0)])
    mpc = _mpc(cost, net)
    for these in (boxes, boxes[:1], np.zeros((0, 4))):
        mpc.set_obstacles(these)
        sol = mpc.solve(x0, goal, options=EXACT, fixed_actions=plan)
        evaluated = cost.with_obstacles(these).plan_cost(states, plan, goal)
        assert sol.objective == pytest.approx(evaluated, abs=1e-6, rel=1e-6)
    assert obstacle_cost(boxes).obstacle_cost(states).sum() > 0.01
    # and the optimum is no worse than the fixed plan, with the boxes in place
    mpc.set_obstacles(boxes)
    assert mpc.solve(x0, goal, options=EXACT).objective <= (
        obstacle_cost(boxes).plan_cost(states, plan, goal) + 1e-6)


def test_boxes_the_program_cannot_hold_are_refused():
    net = random_net(0, n=4, m=2)
    mpc = _mpc(obstacle_cost([[0.0, 0.0, 0.1, 0.1]]), net)
    with pytest.raises(ConfigError, match="built for 1 boxes, got 2"):
        mpc.set_obstacles([[0, 0, 0.1, 0.1]] * 2)
    with pytest.raises(ConfigError, match="inside the points' state box"):
        mpc.set_obstacles([[0, 0, 3.5, 0.1]])
    plain = _mpc(CostSpec(np.ones(4), np.full(2, 0.01)), net)
    with pytest.raises(ConfigError, match="without obstacle"):
        plain.set_obstacles([[0, 0, 0.1, 0.1]])


def test_the_detour_reference_optimum_is_the_enumerated_one():
    # the stored optimum, recomputed by the LP enumeration that does not use the MILP
    ref = reference_mips.load("obstacle_detour_h4")
    optimum, plan = enumerated_optimum(ref)
    assert optimum == pytest.approx(ref.optimum, rel=1e-9)
    states = ref.net.rollout(ref.x0, plan)
    assert abs(states[:, 1]).max() >= 0.08 - 1e-9  # it goes around the box, not through
    assert ref.best_random > ref.optimum * 1.2  # sampling stays well above it


def test_bab_bounds_are_sound_on_the_detour():
    ref = reference_mips.load("obstacle_detour_h4")
    bounds = PlanBounds(ref.net, ref.cost, ref.horizon, ref.state_low, ref.state_high)
    bounds.set_problem(ref.x0, ref.goal)
    h, m = ref.horizon, 2
    low, high = np.tile(ref.action_low, h), np.tile(ref.action_high, h)
    rng = np.random.default_rng(0)
    # random sub-boxes: each bound must not exceed the cost of any plan inside it
    corners = rng.uniform(low, high, (2, 64, h * m))
    lo, hi = np.minimum(*corners), np.maximum(*corners)
    lo[0], hi[0] = low, high
    result = bounds.bound(torch.as_tensor(lo), torch.as_tensor(hi)).lower.numpy()
    assert result[0] <= ref.optimum + 1e-9
    for i in range(64):
        plans = rng.uniform(lo[i], hi[i], (32, h * m)).reshape(32, h, m)
        costs = [ref.cost.plan_cost(ref.net.rollout(ref.x0, p), p, ref.goal) for p in plans]
        assert result[i] <= min(costs) + 1e-9
    # the obstacle term makes the bound of a box that crosses the obstacle higher
    straight = np.tile([0.075, 0.0], h)
    through = bounds.bound(torch.as_tensor(straight[None] - 1e-3),
                           torch.as_tensor(straight[None] + 1e-3)).lower.item()
    bounds.set_obstacles(np.zeros((0, 4)))
    without = bounds.bound(torch.as_tensor(straight[None] - 1e-3),
                           torch.as_tensor(straight[None] + 1e-3)).lower.item()
    assert through > without + 0.1
