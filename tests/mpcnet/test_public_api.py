"""The public surface: each package exports its names, ``import mpcnet`` stays light, old
module paths still work for one release (with a warning), results unpack with a warning."""

import importlib
import subprocess
import sys
import warnings

import pytest

import mpcnet
import training
from training.results import SparsifyResult

PACKAGES = ["mpcnet", "mpcnet.milp", "mpcnet.nn", "mpcnet.bab"]


@pytest.mark.parametrize("package", PACKAGES)
def test_every_exported_name_resolves_to_the_package_s_own_code(package):
    module = importlib.import_module(package)
    assert module.__all__, f"{package} exports nothing"
    for name in module.__all__:
        value = getattr(module, name)
        home = getattr(value, "__module__", None)
        assert home is None or home.startswith(package.split(".")[0]), (name, home)
        assert name in dir(module)
    with pytest.raises(AttributeError, match="no attribute 'NoSuchName'"):
        module.NoSuchName  # noqa: B018


def test_the_planner_is_one_import_away():
    from mpcnet import MipMpc
    from mpcnet.milp import MipMpc as same
    from mpcnet.milp.mip_mpc import MipMpc as defined

    assert MipMpc is same is defined


def test_import_mpcnet_loads_neither_torch_nor_a_solver():
    code = ("import sys, mpcnet\n"
            "print(','.join(m for m in ('torch', 'highspy', 'pyomo', 'pybullet', 'envs', "
            "'controllers', 'training') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("old, new", sorted({**mpcnet.MOVED, **training.MOVED}.items()))
def test_an_old_module_path_is_the_new_module_with_a_warning(old, new):
    if "gurobi" in new:
        pytest.importorskip("gurobipy")
    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=f"{old} moved to {new}"):
        module = importlib.import_module(old)
    assert module is importlib.import_module(new)


def test_a_module_under_a_moved_package_is_not_loaded_twice():
    sys.modules.pop("mpcnet.solvers.highs_backend", None)
    with pytest.warns(DeprecationWarning):
        import mpcnet.solvers.highs_backend as old
    from mpcnet.milp.solvers import highs_backend

    assert old is highs_backend and old.__name__ == "mpcnet.milp.solvers.highs_backend"


def test_the_old_rollout_benchmark_names_still_resolve():
    from training.bench import rollout

    with pytest.warns(DeprecationWarning, match="training.bench.rollout.random_push_net"):
        assert training.bench.random_push_net is rollout.random_push_net


def test_a_result_unpacks_in_the_old_order_with_a_warning():
    result = SparsifyResult("sparse", None, {"relus_after": 4}, [])
    with pytest.warns(DeprecationWarning, match="use its fields"):
        sparse, baseline, metrics, history = result
    assert (sparse, baseline, metrics, history) == ("sparse", None, {"relus_after": 4}, [])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert result.model == "sparse" and result.metrics["relus_after"] == 4
    with pytest.raises(AttributeError):
        result.model = "other"  # frozen
