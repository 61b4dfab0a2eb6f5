"""Cost terms on differences between state entries (``CostSpec.pair_terms``): numpy, torch,
the planners' kernel, the MILP (exact) and bab (sound) agree."""

import numpy as np
import pytest
import torch

from mpcnet.bab.plan_bounds import PlanBounds
from mpcnet.costs import CostSpec
from mpcnet.errors import ConfigError
from mpcnet.milp.mip_mpc import MipMpc
from mpcnet.plan_cost import PlanCost
from tests.fixtures import EXACT, random_net

PAIRS = ((0, 2, 1.5), (1, 3, 0.5))  # the first point's distance to the second, per axis


def pair_cost(pairs=PAIRS, n=4, m=2):
    weight = np.r_[1.0, 0.0, 0.0, 0.5][:n]
    return CostSpec(weight, np.full(m, 0.01), terminal_weight=2.0, pair_terms=pairs)


def test_the_term_is_the_weighted_l1_distance_between_the_entries():
    cost = pair_cost()
    state, goal = np.array([0.2, -0.1, 1.0, 0.4]), np.zeros(4)
    plain = 1.0 * 0.2 + 0.5 * 0.4
    assert cost.state_cost(state, goal) == pytest.approx(plain + 1.5 * 0.8 + 0.5 * 0.5)


def test_numpy_torch_and_the_planners_kernel_agree():
    rng = np.random.default_rng(0)
    net, cost = random_net(1, n=4, m=2), pair_cost()
    goal, x0 = rng.normal(size=4), rng.normal(size=4) * 0.3
    plans = rng.uniform(-0.5, 0.5, (16, 5, 2))
    states = np.stack([net.rollout(x0, p) for p in plans])
    expected = [cost.plan_cost(s, p, goal) for s, p in zip(states, plans, strict=True)]
    as_t = lambda a: torch.as_tensor(a, dtype=torch.float64)  # noqa: E731
    np.testing.assert_allclose(cost.plan_cost_torch(as_t(states), as_t(plans), as_t(goal)),
                               expected, rtol=1e-12)
    kernel = PlanCost(net, cost, dtype="float64")
    kernel.set_goal(goal)
    np.testing.assert_allclose(kernel(as_t(x0), as_t(plans)).numpy(), expected, rtol=1e-9)
    assert CostSpec.from_dict(cost.to_dict()).pair_terms == PAIRS


def _mpc(cost, net, horizon=4):
    n = net.state_dim
    return MipMpc(net, cost, horizon, -np.full(2, 0.5), np.full(2, 0.5), -np.full(n, 3.0),
                  np.full(n, 3.0), x0_low=-np.full(n, 0.5), x0_high=np.full(n, 0.5))


@pytest.mark.parametrize("seed", range(3))
def test_milp_objective_equals_the_evaluated_cost_and_its_optimum_beats_sampling(seed):
    rng = np.random.default_rng(seed)
    net, cost = random_net(seed, n=4, m=2), pair_cost()
    x0, goal = rng.uniform(-0.4, 0.4, 4), rng.normal(size=4)
    mpc = _mpc(cost, net)
    for plan in rng.uniform(-0.5, 0.5, (3, 4, 2)):
        sol = mpc.solve(x0, goal, options=EXACT, fixed_actions=plan)
        evaluated = cost.plan_cost(net.rollout(x0, plan), plan, goal)
        assert sol.objective == pytest.approx(evaluated, abs=1e-6, rel=1e-6)
    best = mpc.solve(x0, goal, options=EXACT)
    assert best.status == "optimal"
    assert best.objective == pytest.approx(cost.plan_cost(best.states, best.actions, goal),
                                           abs=1e-6, rel=1e-6)
    sampled = rng.uniform(-0.5, 0.5, (256, 4, 2))
    assert best.objective <= min(cost.plan_cost(net.rollout(x0, p), p, goal)
                                 for p in sampled) + 1e-6


def test_bab_bounds_with_the_term_are_sound():
    rng = np.random.default_rng(3)
    net, cost = random_net(2, n=4, m=2), pair_cost()
    x0, goal, h = rng.uniform(-0.4, 0.4, 4), rng.normal(size=4), 3
    bounds = PlanBounds(net, cost, h, -np.full(4, 3.0), np.full(4, 3.0))
    bounds.set_problem(x0, goal)
    low, high = np.full(h * 2, -0.5), np.full(h * 2, 0.5)
    corners = rng.uniform(low, high, (2, 32, h * 2))
    lo, hi = np.minimum(*corners), np.maximum(*corners)
    result = bounds.bound(torch.as_tensor(lo), torch.as_tensor(hi)).lower.numpy()
    for i in range(32):
        plans = rng.uniform(lo[i], hi[i], (32, h * 2)).reshape(32, h, 2)
        costs = [cost.plan_cost(net.rollout(x0, p), p, goal) for p in plans]
        assert result[i] <= min(costs) + 1e-9
    # the term raises the bound where the intervals of the two entries lie apart
    plain = PlanBounds(net, pair_cost(pairs=()), h, -np.full(4, 3.0), np.full(4, 3.0))
    plain.set_problem(x0, goal)
    assert (result >= plain.bound(torch.as_tensor(lo), torch.as_tensor(hi)).lower.numpy()
            - 1e-9).all()


@pytest.mark.parametrize("pairs, needle", [
    (((0, 0, 1.0),), "two different state entries"),
    (((0, 9, 1.0),), "two different state entries"),
    (((0, 1, -1.0),), "weight >= 0"),
    (((0, 1),), "triples"),
])
def test_malformed_pair_terms_are_refused(pairs, needle):
    with pytest.raises(ConfigError, match=needle):
        pair_cost(pairs=pairs)
