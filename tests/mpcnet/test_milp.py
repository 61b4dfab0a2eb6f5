import numpy as np
import pytest

from mpcnet.costs import CostSpec
from mpcnet.errors import ConfigError, InfeasibleError, ShapeError
from mpcnet.milp.bounds import compute_bounds
from mpcnet.milp.encoding import MpcEncoding
from mpcnet.milp.mip_mpc import MipMpc
from mpcnet.milp.solvers import SolveOptions
from mpcnet.milp.solvers.pyomo_backend import available_solvers
from mpcnet.nn.folded import FoldedNet
from mpcnet.nn.relunet import Layer, ReluNet
from tests.fixtures import EXACT, check_plan, random_net, reference_mips


def _mpc(ref, backend="highs", bounds="symbolic", cuts="none"):
    return MipMpc(ref.net, ref.cost, ref.horizon, ref.action_low, ref.action_high,
                  ref.state_low, ref.state_high, x0_low=ref.x0, x0_high=ref.x0,
                  bounds=bounds, backend=backend, cuts=cuts)


def test_highs_solves_whatever_thread_count_each_solve_asks_for():
    # HiGHS's thread pool is process-wide: a solve asking for fewer threads than it started
    # with used to end with no status, and the controllers ask for 1 after benches asked for 0
    ref = reference_mips.load(reference_mips.NAMES[0])
    mpc = _mpc(ref)
    for threads in (None, 1, 2, 1, None):
        check_plan(ref, mpc.solve(ref.x0, ref.goal, options=SolveOptions(mip_gap=1e-9,
                                                                          threads=threads)))


def test_the_first_highs_instance_of_a_process_prints_nothing():
    import subprocess
    import sys

    code = ("from mpcnet.milp.solvers.highs_backend import new_highs; new_highs(); "
            "new_highs(); print('only this')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout == "only this\n" and out.stderr == ""


@pytest.mark.parametrize("name", reference_mips.NAMES)
@pytest.mark.parametrize("bounds", ["interval", "symbolic", "lp"])
def test_reference_problems_highs(name, bounds):
    ref = reference_mips.load(name)
    check_plan(ref, _mpc(ref, bounds=bounds).solve(ref.x0, ref.goal, options=EXACT))


@pytest.mark.parametrize("name", reference_mips.NAMES)
@pytest.mark.parametrize("bounds", ["symbolic", "lp"])
def test_reference_problems_with_root_cuts(name, bounds):
    ref = reference_mips.load(name)
    mpc = _mpc(ref, bounds=bounds, cuts="root")
    sol = mpc.solve(ref.x0, ref.goal, options=EXACT)
    check_plan(ref, sol)
    assert sol.stats["cut_rounds"] >= 1
    before, after = sol.stats["root_bound_before"], sol.stats["root_bound_after"]
    if before is not None:  # cuts only ever raise the relaxation's bound
        assert after >= before - 1e-7 and after <= ref.optimum * (1 + 1e-6) + 1e-6
    assert mpc.backend.highs.getNumRow() == mpc.encoding.model.num_rows  # cuts removed
    check_plan(ref, mpc.solve(ref.x0, ref.goal, options=EXACT))  # and again, fresh cuts


@pytest.mark.parametrize("name", reference_mips.NAMES)
@pytest.mark.parametrize("cuts", ["none", "separator"])
def test_reference_problems_scip(name, cuts):
    pytest.importorskip("pyscipopt")
    ref = reference_mips.load(name)
    check_plan(ref, _mpc(ref, backend="scip", cuts=cuts).solve(ref.x0, ref.goal,
                                                                 options=EXACT))


@pytest.mark.parametrize("backend, module", [("scip", "pyscipopt"), ("gurobi", "gurobipy")])
def test_optional_backends_need_their_extra(monkeypatch, backend, module):
    import builtins

    real = builtins.__import__

    def missing(name, *args, **kwargs):
        if name == module:
            raise ImportError(f"No module named {module!r}")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", missing)
    ref = reference_mips.load("tiny_relu_h2")
    with pytest.raises(ConfigError, match=rf"pip install 'mpcnet\[{backend}\]'"):
        _mpc(ref, backend=backend)


def test_cut_settings_need_their_backend():
    ref = reference_mips.load("tiny_relu_h2")
    with pytest.raises(ConfigError, match="'separator' needs the scip backend"):
        _mpc(ref, cuts="separator")
    with pytest.raises(ConfigError, match="'root' needs the highs backend"):
        _mpc(ref, backend="scip", cuts="root")


@pytest.mark.parametrize("name", reference_mips.NAMES)
def test_reference_problems_pyomo_agrees_with_highs(name):
    ref = reference_mips.load(name)
    pyomo = _mpc(ref, backend="pyomo").solve(ref.x0, ref.goal, options=EXACT)
    check_plan(ref, pyomo)
    direct = _mpc(ref).solve(ref.x0, ref.goal, options=EXACT)
    assert pyomo.objective == pytest.approx(direct.objective, rel=1e-6)


@pytest.mark.parametrize("name", reference_mips.NAMES)
def test_reference_problems_gurobi_through_pyomo_where_installed(name):
    if "gurobi_direct" not in available_solvers():
        pytest.skip("gurobipy is not installed here")
    ref = reference_mips.load(name)
    mpc = MipMpc(ref.net, ref.cost, ref.horizon, ref.action_low, ref.action_high,
                 ref.state_low, ref.state_high, x0_low=ref.x0, x0_high=ref.x0,
                 backend="pyomo", pyomo_solver="gurobi_direct")
    sol = mpc.solve(ref.x0, ref.goal, options=EXACT)
    check_plan(ref, sol)
    assert sol.objective == pytest.approx(ref.optimum, rel=1e-6)


@pytest.mark.parametrize("name", reference_mips.NAMES)
@pytest.mark.parametrize("bounds", ["symbolic", "lp"])
def test_reference_problems_gurobi_direct(name, bounds):
    pytest.importorskip("gurobipy")
    ref = reference_mips.load(name)
    mpc = _mpc(ref, backend="gurobi", bounds=bounds)
    check_plan(ref, mpc.solve(ref.x0, ref.goal, options=EXACT))
    check_plan(ref, mpc.solve(ref.x0, ref.goal, options=EXACT))  # updated in place, again


def test_gurobi_updates_in_place_like_fresh_builds_and_reproduces_the_network():
    pytest.importorskip("gurobipy")
    net = random_net(5)
    cost = CostSpec(np.ones(3), np.full(2, 0.1))
    box = (-np.full(3, 2.0), np.full(3, 2.0))
    shared = MipMpc(net, cost, 3, -np.ones(2), np.ones(2), *box, backend="gurobi")
    rng = np.random.default_rng(6)
    for _ in range(3):  # big-M coefficients and bounds change with x0: edited, not rebuilt
        x0, goal = rng.uniform(-1, 1, 3), rng.uniform(-1, 1, 3)
        fresh = MipMpc(net, cost, 3, -np.ones(2), np.ones(2), *box, x0_low=x0, x0_high=x0)
        a = shared.solve(x0, goal, options=EXACT)
        assert a.objective == pytest.approx(fresh.solve(x0, goal, options=EXACT).objective,
                                            rel=1e-6, abs=1e-8)
        actions = rng.uniform(-1, 1, (3, 2))
        fixed = shared.solve(x0, goal, options=EXACT, fixed_actions=actions)
        np.testing.assert_allclose(fixed.states, net.rollout(x0, actions), atol=1e-6)


def test_gurobi_warm_start_and_time_outs():
    pytest.importorskip("gurobipy")
    ref = reference_mips.load("mixed_10_h4")
    mpc = _mpc(ref, backend="gurobi", bounds="interval")
    warm = np.zeros((ref.horizon, ref.net.action_dim))
    sol = mpc.solve(ref.x0, ref.goal, warm_start=warm, options=SolveOptions(node_limit=1))
    expected = ref.cost.plan_cost(ref.net.rollout(ref.x0, warm), warm, ref.goal)
    assert sol.feasible and sol.objective <= expected + 1e-7
    assert sol.dual_bound <= ref.optimum + 1e-6
    tracked = mpc.solve(ref.x0, ref.goal, options=SolveOptions(mip_gap=1e-9, track_gap=True))
    assert tracked.time_to_1pct_gap_s is not None
    assert tracked.time_to_1pct_gap_s <= tracked.solve_time_s + 1e-6


@pytest.mark.parametrize("backend", ["highs", "gurobi"])
@pytest.mark.parametrize("name", ["relu_6x6_h3", "nonresidual_8_h3"])
def test_the_progress_trace_brackets_the_optimum_and_only_improves(backend, name):
    if backend == "gurobi":
        pytest.importorskip("gurobipy")
    ref = reference_mips.load(name)
    mpc = _mpc(ref, backend=backend, bounds="interval")  # loose bounds: a search to trace
    sol = mpc.solve(ref.x0, ref.goal, options=SolveOptions(mip_gap=1e-9, track_gap=True))
    assert sol.status == "optimal" and len(sol.progress) >= 3
    seconds, incumbents, bounds = np.array(sol.progress).T
    assert (np.diff(seconds) >= 0).all() and seconds[-1] <= sol.solve_time_s + 1e-6
    found, known = incumbents[np.isfinite(incumbents)], bounds[np.isfinite(bounds)]
    assert len(found) and len(known)
    assert (np.diff(found) <= 1e-9).all() and (np.diff(known) >= -1e-9).all()
    assert (found >= ref.optimum - 1e-6).all() and (known <= ref.optimum + 1e-6).all()
    assert found[-1] == pytest.approx(ref.optimum, abs=1e-6)
    untracked = mpc.solve(ref.x0, ref.goal, options=EXACT)
    assert untracked.progress == []  # no callback unless asked for


def test_gurobi_licence_limit_is_one_line():
    pytest.importorskip("gurobipy")
    net = random_net(1, hidden=(40, 40))
    cost = CostSpec(np.ones(3), np.full(2, 0.1))
    box = (-np.full(3, 5.0), np.full(3, 5.0))
    with pytest.raises(ConfigError, match="size-limited pip licence"):
        mpc = MipMpc(net, cost, 30, -np.ones(2), np.ones(2), *box, backend="gurobi")
        mpc.solve(np.zeros(3), np.zeros(3), options=SolveOptions(time_limit=1.0))


def test_pyomo_finds_highs():
    assert "appsi_highs" in available_solvers()


@pytest.mark.parametrize("solver, how", [("gurobi", "pip install gurobipy"),
                                         ("cbc", "a cbc binary on PATH")])
def test_a_missing_optional_solver_names_how_to_install_it(solver, how):
    ref = reference_mips.load("tiny_relu_h2")
    if solver in available_solvers():
        pytest.skip(f"{solver} is installed here")
    with pytest.raises(ConfigError, match=how):
        MipMpc(ref.net, ref.cost, ref.horizon, ref.action_low, ref.action_high,
               x0_low=ref.x0, x0_high=ref.x0, backend="pyomo", pyomo_solver=solver)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("cuts", ["none", "root"])
def test_fixed_actions_reproduce_the_forward_pass(seed, cuts):
    """With root cuts too: a cut that removed the network's own point for these actions would
    make this solve infeasible or move its states."""
    net = random_net(seed, residual=seed % 2 == 0)
    cost = CostSpec(np.ones(3), np.full(2, 0.1))
    rng = np.random.default_rng(seed)
    x0, goal, actions = rng.normal(size=3), rng.normal(size=3), rng.uniform(-1, 1, (4, 2))
    mpc = MipMpc(net, cost, 4, -np.ones(2), np.ones(2), x0_low=x0, x0_high=x0, cuts=cuts)
    sol = mpc.solve(x0, goal, fixed_actions=actions, options=EXACT)
    expected = net.rollout(x0, actions)
    np.testing.assert_allclose(sol.states, expected, atol=1e-6)
    assert sol.objective == pytest.approx(cost.plan_cost(expected, actions, goal), abs=1e-6)
    # the actions were only fixed for that solve
    free = mpc.solve(x0, goal, options=EXACT)
    assert free.objective <= sol.objective + 1e-7


@pytest.mark.parametrize("seed", range(3))
def test_mip_is_no_worse_than_thousands_of_sampled_plans(seed):
    net = random_net(10 + seed, hidden=(6,))
    cost = CostSpec(np.ones(3), np.full(2, 0.05))
    rng = np.random.default_rng(seed)
    x0, goal = rng.normal(size=3), rng.normal(size=3)
    sol = MipMpc(net, cost, 3, -np.ones(2), np.ones(2), x0_low=x0, x0_high=x0).solve(
        x0, goal, options=EXACT)
    plans = rng.uniform(-1, 1, (5000, 3, 2))
    best = min(cost.plan_cost(net.rollout(x0, p), p, goal) for p in plans)
    assert sol.objective <= best + 1e-7


@pytest.mark.parametrize("seed", range(2))
def test_goal_box_cost_is_encoded_exactly(seed):
    """With a goal tolerance the MILP cost is the L1 distance to the goal box, so fixed
    actions give the numpy cost and the optimum beats sampled plans."""
    net = random_net(20 + seed, hidden=(6,))
    cost = CostSpec(np.ones(3), np.full(2, 0.05), goal_tolerance=np.array([0.3, 0.1, 0.5]))
    rng = np.random.default_rng(seed)
    x0, goal = rng.normal(size=3), rng.normal(size=3)
    mpc = MipMpc(net, cost, 3, -np.ones(2), np.ones(2), x0_low=x0, x0_high=x0)
    plans = rng.uniform(-1, 1, (3000, 3, 2))
    costs = [cost.plan_cost(net.rollout(x0, p), p, goal) for p in plans]
    fixed = mpc.solve(x0, goal, fixed_actions=plans[0], options=EXACT)
    assert fixed.objective == pytest.approx(costs[0], abs=1e-6)
    sol = mpc.solve(x0, goal, options=EXACT)
    assert sol.objective <= min(costs) + 1e-7
    assert sol.objective == pytest.approx(
        cost.plan_cost(net.rollout(x0, sol.actions), sol.actions, goal), abs=1e-6)


@pytest.mark.parametrize("method", ["interval", "symbolic"])
@pytest.mark.parametrize("residual", [True, False])
def test_bounds_are_sound_on_random_inputs(method, residual):
    net = random_net(3, hidden=(10, 8), residual=residual)
    folded = FoldedNet.from_relunet(net)
    x_lo, x_hi = -np.ones(3) * 0.5, np.ones(3) * 0.5
    s_lo, s_hi = -np.full(3, 3.0), np.full(3, 3.0)
    bounds = compute_bounds(net, x_lo, x_hi, -np.ones(2), np.ones(2), 4, s_lo, s_hi, method)
    rng = np.random.default_rng(0)
    x = rng.uniform(x_lo, x_hi, (4000, 3))
    u = rng.uniform(-1, 1, (4000, 4, 2))
    inside = np.ones(4000, bool)
    for t in range(4):
        pre, out = folded.forward(np.concatenate([x, u[:, t]], 1))
        for g, a in enumerate(pre):
            ok = (a >= bounds.pre_lower[t][g]) & (a <= bounds.pre_upper[t][g])
            assert ok[inside].all()
        x = x + out if residual else out
        inside &= ((x >= s_lo) & (x <= s_hi)).all(1)
        assert ((x >= bounds.state_lower[t + 1]) & (x <= bounds.state_upper[t + 1]))[inside].all()
    assert inside.mean() > 0.5  # the check saw most samples


def test_symbolic_bounds_are_never_looser_and_binaries_equal_unstable_relus():
    net = random_net(5, hidden=(12, 10))
    x0 = np.array([0.1, -0.2, 0.3])
    loose = compute_bounds(net, x0, x0, -np.ones(2), np.ones(2), 5, method="interval")
    tight = compute_bounds(net, x0, x0, -np.ones(2), np.ones(2), 5, method="symbolic")
    for t in range(5):
        for g in range(2):
            assert (tight.pre_lower[t][g] >= loose.pre_lower[t][g] - 1e-12).all()
            assert (tight.pre_upper[t][g] <= loose.pre_upper[t][g] + 1e-12).all()
    assert tight.unstable_count() <= loose.unstable_count()
    cost = CostSpec(np.ones(3), np.zeros(2))
    for bounds in (loose, tight):
        enc = MpcEncoding(net, cost, 5, -np.ones(2), np.ones(2), x0_low=x0, x0_high=x0,
                          bounds=bounds.method)
        assert enc.stats().binaries == bounds.unstable_count()


def test_sparser_networks_need_fewer_binaries():
    dense = random_net(7, hidden=(12, 10), identity_frac=0.0)
    layers = list(dense.layers)
    layers[0] = Layer(layers[0].weight, layers[0].bias,
                      tuple("identity" if j % 2 else "relu" for j in range(12)))
    sparse = ReluNet(tuple(layers), 3, 2)
    x0 = np.zeros(3)
    count = [MpcEncoding(n, CostSpec(np.ones(3), np.zeros(2)), 4, -np.ones(2), np.ones(2),
                         x0_low=x0, x0_high=x0).stats().binaries for n in (dense, sparse)]
    assert count[1] < count[0]


def test_folded_net_equals_relunet():
    net = random_net(8, hidden=(9, 7, 5), identity_frac=0.4)
    folded = FoldedNet.from_relunet(net)
    rng = np.random.default_rng(1)
    x, u = rng.normal(size=(100, 3)), rng.normal(size=(100, 2))
    np.testing.assert_allclose(folded.step(x, u), net.step(x, u), atol=1e-12)
    assert folded.relu_count == net.relu_count


def test_build_once_then_update_matches_fresh_builds():
    net = random_net(2)
    cost = CostSpec(np.ones(3), np.full(2, 0.1))
    box = (-np.full(3, 2.0), np.full(3, 2.0))
    shared = MipMpc(net, cost, 3, -np.ones(2), np.ones(2), *box)
    rng = np.random.default_rng(4)
    for _ in range(3):
        x0, goal = rng.uniform(-1, 1, 3), rng.uniform(-1, 1, 3)
        fresh = MipMpc(net, cost, 3, -np.ones(2), np.ones(2), *box, x0_low=x0, x0_high=x0)
        a = shared.solve(x0, goal, options=EXACT)
        b = fresh.solve(x0, goal, options=EXACT)
        assert a.objective == pytest.approx(b.objective, rel=1e-6, abs=1e-8)
        assert a.binaries <= shared.build_stats["binaries"]


def test_warm_start_is_accepted_and_time_outs_do_not_raise():
    ref = reference_mips.load("mixed_10_h4")
    mpc = _mpc(ref, bounds="interval")
    warm = np.zeros((ref.horizon, ref.net.action_dim))
    sol = mpc.solve(ref.x0, ref.goal, warm_start=warm,
                    options=SolveOptions(time_limit=1e-3))
    assert sol.warm_start_accepted
    assert sol.status in ("time_limit", "optimal") and sol.feasible
    expected = ref.cost.plan_cost(ref.net.rollout(ref.x0, warm), warm, ref.goal)
    assert sol.objective <= expected + 1e-7
    cold = mpc.solve(ref.x0, ref.goal, options=SolveOptions(time_limit=1e-3))
    assert cold.status in ("no_solution", "time_limit", "optimal")
    assert cold.feasible == (cold.status != "no_solution")


def test_deadline_covers_set_up_and_the_solvers_recent_overruns(monkeypatch):
    import dataclasses
    import time

    import mpcnet.milp.mip_mpc as mip_mpc

    OVERRUN_WINDOW = 5  # noqa: N806 - the module constant, shortened to keep the test quick
    monkeypatch.setattr(mip_mpc, "OVERRUN_WINDOW", OVERRUN_WINDOW)
    ref = reference_mips.load("mixed_10_h4")
    mpc = _mpc(ref)
    limits = []
    overruns = iter([0.3] + [0.01] * (OVERRUN_WINDOW + 1))
    real_solve = mpc.backend.solve

    def solve_that_overruns(options, start):  # as HiGHS does on large programs
        limits.append(options.time_limit)
        raw = real_solve(options, start)
        return dataclasses.replace(raw, solve_time_s=options.time_limit + next(overruns))

    mpc.backend.solve = solve_that_overruns
    for _ in range(OVERRUN_WINDOW + 2):
        mpc.solve(ref.x0, ref.goal, deadline=time.perf_counter() + 5.0,
                  options=SolveOptions(time_limit=60.0))
    assert 4.0 < limits[0] <= 5.0  # the deadline, not the 60 s limit
    # the largest overrun of the last OVERRUN_WINDOW solves is allowed for, not a decayed one:
    # a one-off 0.3 s overrun shortens the next OVERRUN_WINDOW solves by 0.3 s
    assert all(limit <= 5.0 - 0.3 + 1e-9 for limit in limits[1:OVERRUN_WINDOW + 1])
    assert limits[OVERRUN_WINDOW + 1] > 5.0 - 0.3  # then it is forgotten
    assert mpc.overrun_s == pytest.approx(0.01)


def test_bad_input_is_named():
    ref = reference_mips.load("tiny_relu_h2")
    with pytest.raises(ConfigError, match="initial-state box"):
        MpcEncoding(ref.net, ref.cost, 2, ref.action_low, ref.action_high)
    mpc = _mpc(ref)
    with pytest.raises(ShapeError, match=r"goal: expected 2 numbers"):
        mpc.solve(ref.x0, np.zeros(3))
    # NaN parameters: refused, never an "optimal" plan with a finite objective
    with pytest.raises(ConfigError, match="goal: expected finite numbers"):
        mpc.solve(ref.x0, np.array([np.nan, 0.0]))
    with pytest.raises(ConfigError, match="x0: expected finite numbers"):
        mpc.solve(np.array([np.nan, 0.0]), ref.goal)
    with pytest.raises(ConfigError, match="horizon: expected an integer >= 1, got 2.5"):
        MipMpc(ref.net, ref.cost, 2.5, ref.action_low, ref.action_high, x0_low=ref.x0,
               x0_high=ref.x0)
    with pytest.raises(ShapeError, match="action_low: expected 1 numbers"):
        MipMpc(ref.net, ref.cost, 2, np.zeros(3), ref.action_high, x0_low=ref.x0,
               x0_high=ref.x0)
    with pytest.raises(InfeasibleError, match="state box"):
        MpcEncoding(ref.net, ref.cost, 2, ref.action_low, ref.action_high,
                    state_low=np.array([1.0, 0.0]), state_high=np.array([0.0, 1.0]),
                    x0_low=ref.x0, x0_high=ref.x0)
    far = np.full(2, 50.0)
    with pytest.raises(InfeasibleError, match="step 1"):
        MpcEncoding(ref.net, ref.cost, 2, ref.action_low, ref.action_high,
                    state_low=far, state_high=far + 1, x0_low=ref.x0, x0_high=ref.x0)
    with pytest.raises(ConfigError, match="outside the initial-state box"):
        mpc.solve(ref.x0 + 1.0, ref.goal)
    with pytest.raises(ConfigError, match="bounds"):
        MipMpc(ref.net, ref.cost, 2, ref.action_low, ref.action_high, x0_low=ref.x0,
               x0_high=ref.x0, bounds="crown")


def test_gurobi_backend_follows_every_kind_of_edit():
    pytest.importorskip("gurobipy")
    from mpcnet.milp.model import MilpBuilder
    from mpcnet.milp.solvers.gurobi_backend import GurobiBackend

    b = MilpBuilder()  # min x + 2y  s.t.  x + y = 1,  x - y <= 0.5,  x in [0, 3], y int in [0, 3]
    x, y = b.add_cols(0.0, 3.0, cost=1.0, size=1), b.add_cols(0.0, 3.0, 2.0, integer=True, size=1)
    eq = b.add_row(np.r_[x, y], [1.0, 1.0], 1.0, 1.0)
    le = b.add_row(np.r_[x, y], [1.0, -1.0], -np.inf, 0.5)
    model = b.build()
    backend = GurobiBackend(model)
    assert backend.solve(EXACT).objective == pytest.approx(2.0)  # x = 0, y = 1
    model.row_lower[eq] = model.row_upper[eq] = 3.0  # a new right-hand side
    backend.update(model, [(le, y[0], -2.0)])  # and a new coefficient: x - 2y <= 0.5
    assert backend.solve(EXACT).objective == pytest.approx(4.0)  # x = 2, y = 1 (x = 3 > 0.5)
    model.row_lower[eq] = 0.5  # the equality becomes a range 0.5 <= x + y <= 3: rebuilt
    model.a = model.a.tolil()
    model.a[le, y[0]] = -2.0
    model.a = model.a.tocsr()
    backend.update(model, [])
    assert backend.solve(EXACT).objective == pytest.approx(0.5)  # x = 0.5, y = 0


@pytest.mark.parametrize("name", ["mixed_8x8_h3", "mixed_10_h4"])
def test_a_solve_stopped_at_its_time_limit_does_not_stop_the_next_one_early(name):
    # HiGHS is asked from inside its LP and MIP loops whether to stop, and it keeps the
    # answer from one run to the next: a stale "stop" once cut every later solve short
    ref = reference_mips.load(name)
    mpc = _mpc(ref)
    stopped = mpc.solve(ref.x0, ref.goal, options=SolveOptions(time_limit=1e-5))
    assert stopped.status != "optimal"
    again = mpc.solve(ref.x0, ref.goal, options=SolveOptions(time_limit=60.0, mip_gap=1e-9))
    assert again.status == "optimal"
    assert again.objective == pytest.approx(ref.optimum, rel=1e-6, abs=1e-7)
