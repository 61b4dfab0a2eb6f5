"""Bound tightening with ideal ReLU cuts in its LPs (mpcnet.milp.tightening)."""

import numpy as np
import pytest

from mpcnet.costs import CostSpec
from mpcnet.errors import ConfigError
from mpcnet.milp.mip_mpc import MipMpc
from mpcnet.milp.solvers import SolveOptions
from mpcnet.milp.tightening import lp_tighten, root_lp_bound
from tests.fixtures import EXACT, check_plan, random_net, reference_mips


def _ref_mpc(ref, cuts="none", tighten_cuts=2):
    return MipMpc(ref.net, ref.cost, ref.horizon, ref.action_low, ref.action_high,
                  ref.state_low, ref.state_high, x0_low=ref.x0, x0_high=ref.x0,
                  bounds="lp", cuts=cuts, tighten_cuts=tighten_cuts)


@pytest.mark.parametrize("name", reference_mips.NAMES)
@pytest.mark.parametrize("cuts", ["none", "root"])
def test_reference_problems_with_cuts_in_the_tightening(name, cuts):
    ref = reference_mips.load(name)
    mpc = _ref_mpc(ref, cuts)
    sol = mpc.solve(ref.x0, ref.goal, options=EXACT)
    check_plan(ref, sol)
    assert "cut_rows" not in sol.stats  # the rows stay out of the record
    if cuts == "root":  # the root loop starts from the tightening's cuts
        assert sol.stats["cuts"] >= sol.stats["tighten_cuts"]
        assert mpc.backend.highs.getNumRow() == mpc.encoding.model.num_rows  # then removed
    check_plan(ref, mpc.solve(ref.x0, ref.goal, options=EXACT))  # again, fresh cuts


def _tightened(net, horizon, x0, rounds):
    """The encoding's bounds after setting ``x0`` and tightening with ``rounds`` cut rounds."""
    n, m = net.state_dim, net.action_dim
    cost = CostSpec(np.ones(n), np.full(m, 0.01))
    mpc = MipMpc(net, cost, horizon, -np.ones(m), np.ones(m), -3 * np.ones(n), 3 * np.ones(n),
                 bounds="lp")
    enc = mpc.encoding
    enc.set_parameters(x0, np.zeros(n))
    _, stats = lp_tighten(enc, cut_rounds=rounds)
    return enc, stats


def test_cuts_in_the_tightening_keep_every_plan_and_only_ever_tighten():
    net, horizon = random_net(3, hidden=(10, 8)), 3
    x0 = np.array([0.3, -0.2, 0.1])
    plain, _ = _tightened(net, horizon, x0, 0)
    cut, stats = _tightened(net, horizon, x0, 3)
    assert stats["tighten_cuts"] > 0 and len(stats["cut_rows"]) == stats["tighten_cuts"]
    lo0, hi0 = plain.model.col_lower, plain.model.col_upper
    lo, hi = cut.model.col_lower, cut.model.col_upper
    assert (lo >= lo0 - 1e-9).all() and (hi <= hi0 + 1e-9).all()  # a subset of the LP
    finite = np.isfinite(hi0 - lo0)  # the cost columns have no upper bound
    assert (hi - lo)[finite].sum() < (hi0 - lo0)[finite].sum() - 1e-6  # a strict one here
    # every state and pre-activation of random plans of the network lies inside the bounds
    rng = np.random.default_rng(0)
    fnet = cut.folded
    for _ in range(300):
        x = x0
        for t, u in enumerate(rng.uniform(-1, 1, (horizon, net.action_dim))):
            pre, out = fnet.forward(np.concatenate([x, u]))
            for g, cols in enumerate(cut.a_cols[t]):
                assert (pre[g] >= lo[cols] - 1e-6).all() and (pre[g] <= hi[cols] + 1e-6).all()
            x = x + out if fnet.residual else out
            cols = cut.x_cols[t + 1]
            assert (x >= lo[cols] - 1e-6).all() and (x <= hi[cols] + 1e-6).all()


def test_fixed_actions_still_give_the_networks_own_plan():
    net, horizon = random_net(5, hidden=(10, 8)), 3
    n, m = net.state_dim, net.action_dim
    cost = CostSpec(np.ones(n), np.full(m, 0.01))
    mpc = MipMpc(net, cost, horizon, -np.ones(m), np.ones(m), -3 * np.ones(n), 3 * np.ones(n),
                 bounds="lp", cuts="root", tighten_cuts=3)
    rng = np.random.default_rng(1)
    x0, goal = rng.uniform(-0.5, 0.5, n), rng.uniform(-0.5, 0.5, n)
    for _ in range(5):
        actions = rng.uniform(-1, 1, (horizon, m))
        sol = mpc.solve(x0, goal, fixed_actions=actions, options=SolveOptions(mip_gap=1e-9))
        states = net.rollout(x0, actions)
        assert sol.status == "optimal"
        np.testing.assert_allclose(sol.states, states, atol=1e-6)
        assert sol.objective == pytest.approx(cost.plan_cost(states, actions, goal), abs=1e-6)


def test_root_lp_bound_is_below_the_optimum_and_rises_with_the_cuts():
    ref = reference_mips.load(reference_mips.NAMES[0])
    plain = _ref_mpc(ref, tighten_cuts=0)
    plain.encoding.set_parameters(ref.x0, ref.goal)
    lp_tighten(plain.encoding)
    cut = _ref_mpc(ref, tighten_cuts=3)
    cut.encoding.set_parameters(ref.x0, ref.goal)
    lp_tighten(cut.encoding, cut_rounds=3)
    assert root_lp_bound(plain.encoding) <= root_lp_bound(cut.encoding) + 1e-9
    assert root_lp_bound(cut.encoding) <= ref.optimum + 1e-6


@pytest.mark.parametrize("kwargs, needle", [
    ({"bounds": "symbolic", "tighten_cuts": 1}, "which bounds='symbolic' does not run"),
    ({"bounds": "lp", "tighten_cuts": -1}, "expected cut rounds from 0 to 100"),
    ({"bounds": "lp", "tighten_cuts": True}, "expected cut rounds from 0 to 100"),
    ({"bounds": "lp", "tighten_cuts": 1.5}, "expected cut rounds from 0 to 100"),
])
def test_tighten_cuts_is_checked(kwargs, needle):
    ref = reference_mips.load(reference_mips.NAMES[0])
    with pytest.raises(ConfigError, match=needle):
        MipMpc(ref.net, ref.cost, ref.horizon, ref.action_low, ref.action_high,
               ref.state_low, ref.state_high, x0_low=ref.x0, x0_high=ref.x0, **kwargs)
