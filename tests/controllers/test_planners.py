"""The fused plan-cost kernel, the sampling planners' algorithms and their budgets."""

import time

import numpy as np
import pytest
import torch

from controllers import PlannerConfig, make_controller
from controllers.sampling import MPPI
from mpcnet.costs import CostSpec
from mpcnet.errors import ConfigError
from mpcnet.nn.relunet import Layer, ReluNet
from mpcnet.plan_cost import PlanCost
from mpcnet.rollout import rollout, torch_dynamics
from tests.fixtures import HIGH, LOW, easy_net, random_mlp, sparse_gnn


def non_residual_net() -> ReluNet:
    rng = np.random.default_rng(3)
    hidden = Layer(rng.normal(size=(5, 5)), rng.normal(size=5),
                   ("relu", "identity", "relu", "identity", "relu"))
    second = Layer(rng.normal(size=(4, 5)), rng.normal(size=4), ("identity",) * 4)
    out = Layer(rng.normal(size=(3, 4)), rng.normal(size=3), ("linear",) * 3)
    return ReluNet((hidden, second, out), 3, 2, False)


NETS = {
    "dense push-shaped": lambda: random_mlp(hidden=(16, 12)).export(),
    "relu and identity": easy_net,
    "non-residual, identity layer": non_residual_net,
    "graph (3 objects)": lambda: sparse_gnn().export().instantiate(3),
}


def _reference(net, cost, x0, plans, goal):
    states = rollout(torch_dynamics(net, dtype=torch.float64), x0, plans)
    return cost.plan_cost_torch(states, plans, goal)


@pytest.mark.parametrize("name", list(NETS))
def test_fused_kernel_equals_rollout_then_cost_with_gradients(name):
    net = NETS[name]()
    n, m = net.state_dim, net.action_dim
    rng = np.random.default_rng(1)
    cost = CostSpec(rng.uniform(0, 1, n), rng.uniform(0, 0.1, m), terminal_weight=2.5,
                    goal_tolerance=rng.uniform(0, 0.02, n))
    goal, x0 = rng.normal(size=n) * 0.1, torch.tensor(rng.normal(size=n) * 0.1)
    plans = torch.tensor(rng.uniform(-0.1, 0.1, (9, 5, m)), requires_grad=True)
    kernel = PlanCost(net, cost, "float64")
    kernel.set_goal(goal)
    got = kernel(x0, plans)
    want = _reference(net, cost, x0, plans, goal)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-12,
                               atol=1e-12)
    (g_got,) = torch.autograd.grad(got.sum(), plans)
    (g_want,) = torch.autograd.grad(want.sum(), plans)
    np.testing.assert_allclose(g_got.numpy(), g_want.numpy(), rtol=1e-10, atol=1e-12)
    single = PlanCost(net, cost, "float32")
    single.set_goal(goal)
    with torch.no_grad():
        np.testing.assert_allclose(single(x0.float(), plans.detach().float()).numpy(),
                                   want.detach().numpy(), rtol=1e-4, atol=1e-5)


def _controller(name, **cfg):
    return make_controller(name, easy_net(), CostSpec(np.ones(2), np.full(2, 0.01)), LOW, HIGH,
                           PlannerConfig(**{"horizon": 4, "budget_ms": 200, **cfg}))


@pytest.mark.parametrize("name", ["mppi", "cem"])
def test_mean_planners_return_the_mean_and_its_true_cost(name):
    goal, x = np.array([0.3, -0.2]), np.array([-0.1, 0.2])
    ctrl = _controller(name, iterations=3, dtype="float64")
    ctrl.reset(0, goal)
    step = ctrl.act(x)
    states = easy_net().rollout(x, step.plan)
    exact = CostSpec(np.ones(2), np.full(2, 0.01)).plan_cost(states, step.plan, goal)
    assert step.predicted_cost == pytest.approx(exact, rel=1e-9)
    best = _controller(name, iterations=3, dtype="float64", return_best=True)
    best.reset(0, goal)
    assert not np.allclose(best.act(x).plan, step.plan)  # the option changes the answer


def test_mppi_is_not_worse_with_more_iterations():
    goal, x = np.array([0.3, -0.2]), np.array([-0.4, 0.5])
    means = {}
    for iterations in (2, 30):
        costs = []
        for seed in range(6):
            ctrl = _controller("mppi", iterations=iterations, samples=64)
            ctrl.reset(seed, goal)
            costs.append(ctrl.act(x).predicted_cost)
        means[iterations] = np.mean(costs)
    assert means[30] <= means[2]


def test_mppi_update_is_the_cost_weighted_mean_of_its_samples():
    """One iteration by hand with the controller's own generator state gives its plan."""
    goal, x = np.array([0.3, -0.2]), np.array([-0.1, 0.2])
    ctrl = _controller("mppi", iterations=1, samples=32, dtype="float64")
    ctrl.reset(4, goal)
    gen_state = ctrl.gen.get_state()
    plan = ctrl.act(x).plan
    ctrl.gen.set_state(gen_state)
    eps = torch.randn((32, 4, 2), generator=ctrl.gen, dtype=torch.float64) * 0.3 * 0.2
    eps[0] = 0.0
    samples = torch.clamp(eps, -0.1, 0.1)  # the warm start is zero
    costs = ctrl.kernel(torch.tensor(x), samples)
    weights = torch.softmax(-(costs - costs.min()) / (0.05 * (costs.max() - costs.min())), 0)
    np.testing.assert_allclose(plan, torch.einsum("k,khm->hm", weights, samples).numpy(),
                               atol=1e-12)


def test_evaluation_is_chunked_to_the_deadline():
    ctrl = _controller("mppi", budget_ms=100)
    ctrl.reset(0, np.zeros(2))
    ctrl.timer.seconds = {256: 0.4}  # one full batch: four times the budget
    assert ctrl.chunk_size(256) == 16  # a quarter of the budget
    plans = ctrl.sample_uniform(256)
    x0 = ctrl.kernel.tensor(np.zeros(2))
    ctrl.timer.seconds = {256: 0.4, 16: 10.0}  # no further chunk fits
    assert ctrl.evaluate(x0, plans, time.perf_counter() + 1.0).shape == (16,)
    assert ctrl.evaluate(x0, plans, None).shape == (256,)


def test_planner_settings_are_validated_config_fields():
    for bad in ({"samples": 0}, {"noise": -1.0}, {"elite_fraction": 1.5}, {"smoothing": 1.0},
                {"dtype": "float16"}, {"device": "tpu"}, {"horizon": 2.5}, {"budget_ms": 0}):
        with pytest.raises(ConfigError):
            PlannerConfig(**bad)
    ctrl = _controller("mppi", samples=12, noise=0.1)
    assert (ctrl.setting("samples"), ctrl.setting("noise"), ctrl.setting("temperature")) == \
        (12, 0.1, MPPI.defaults["temperature"])
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="no CUDA"):
            _controller("mppi", device="cuda")


def test_cli_planner_flags_reach_the_config():
    from training.cli import build_parser
    from training.cli.options import planner_config_from_args

    args = build_parser().parse_args(
        ["evaluate", "--model", "m", "--samples", "64", "--noise", "0.2", "--return-best",
         "--dtype", "float64", "--iterations", "3", "--threads", "1"])
    config = planner_config_from_args(args)
    assert (config.samples, config.noise, config.return_best, config.dtype,
            config.iterations) == (64, 0.2, True, "float64", 3)
