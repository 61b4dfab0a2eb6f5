import numpy as np
import pytest
import torch

from mpcnet.errors import ConfigError
from mpcnet.nn.model_io import load_model, save_model
from mpcnet.nn.sparsity import IDENTITY, RELU, REMOVED, RelaxedGates, Sparsifiable
from tests.fixtures import random_mlp
from training.collect import collect
from training.config import CollectConfig, SparsifyConfig, TrainConfig
from training.sparsify import budget_schedule, check_budget, sparsify, sparsify_progressive
from training.train import split_episodes

TINY = dict(relaxed_epochs=4, finetune_epochs=2, seed=0)


@pytest.fixture(scope="module")
def tiny_data():
    data = collect(CollectConfig(episodes=8, steps=12, seed=2)).data
    return split_episodes(data, 0.25, 0)


@pytest.fixture(scope="module")
def tiny_train_config():
    return TrainConfig(hidden=(12, 10), epochs=2, rollout_horizon=4, batch_size=64)


def test_projection_holds_both_budgets():
    gates = RelaxedGates([20, 15])
    torch.manual_seed(0)
    with torch.no_grad():
        gates.logits.normal_(0, 2)
    gates.relu_budget, gates.keep_budget, gates.temperature = 5.0, 12.0, 0.5
    p = gates.probabilities()
    assert p[:, RELU].sum().item() <= 5.0 + 1e-4
    assert (p[:, RELU] + p[:, IDENTITY]).sum().item() <= 12.0 + 1e-4
    relu_w, id_w = gates.layer_gates(1)
    assert relu_w.shape == id_w.shape == (15,)


@pytest.mark.parametrize("k, keep", [(0, None), (3, None), (7, 9), (35, None)])
def test_harden_never_exceeds_the_budgets(k, keep):
    gates = RelaxedGates([20, 15])
    with torch.no_grad():
        gates.logits.normal_(0, 3, generator=torch.Generator().manual_seed(k))
    choice = gates.harden(k, keep)
    assert int((choice == RELU).sum()) <= k
    if keep is not None:
        assert int((choice != REMOVED).sum()) <= keep


def test_budget_schedule_goes_from_dense_to_k():
    assert budget_schedule(256, 16, 0.0) == pytest.approx(256)
    assert budget_schedule(256, 16, 1.0) == pytest.approx(16)
    assert budget_schedule(256, 0, 1.0) == pytest.approx(0, abs=1e-9)
    values = [budget_schedule(256, 8, f) for f in np.linspace(0, 1, 11)]
    assert all(a > b for a, b in zip(values, values[1:], strict=False))


def test_sparsify_meets_the_budget_is_seeded_and_saves_like_train(tiny_data,
                                                                  tiny_train_config, tmp_path):
    train, val = tiny_data
    base = random_mlp(hidden=(12, 10))
    config = SparsifyConfig(relus=5, keep=12, **TINY)
    a = sparsify_progressive(base, train, val, config, tiny_train_config).model
    b = sparsify_progressive(base, train, val, config, tiny_train_config).model
    net_a, net_b = a.export(), b.export()
    assert net_a.relu_count <= 5
    assert net_a.relu_count + net_a.identity_count <= 12
    assert net_a.describe() == net_b.describe()
    for la, lb in zip(net_a.layers, net_b.layers, strict=True):
        np.testing.assert_array_equal(la.weight, lb.weight)
    # the sparse model is an ordinary ReluMLP: same files, same loader, same forward
    save_model(a, tmp_path)
    loaded = load_model(tmp_path)
    x, u = torch.randn(30, 10), torch.randn(30, 2) * 0.03
    with torch.no_grad():
        np.testing.assert_allclose(loaded(x, u).numpy(), a(x, u).numpy(), atol=1e-6)
        np.testing.assert_allclose(net_a.step(x.double().numpy(), u.double().numpy()),
                                   a(x, u).double().numpy(), atol=1e-5)


def test_sparsify_reports_every_metric(tiny_data, tiny_train_config):
    train, val = tiny_data
    metrics = sparsify(random_mlp(hidden=(12, 10)), train, val,
                       SparsifyConfig(relus=3, **TINY), tiny_train_config).metrics
    for key in ("relus_before", "relus_after", "identity_neurons", "removed_neurons",
                "val_mse_1step", "val_mse_rollout", "dense_val_mse_rollout",
                "magnitude_val_mse_rollout"):
        assert key in metrics
    assert metrics["relus_before"] == 22 and metrics["relus_after"] <= 3


def test_relaxed_model_with_hard_gates_equals_its_export():
    model = Sparsifiable(random_mlp(hidden=(12, 10)))
    choice = torch.tensor([RELU, IDENTITY, REMOVED] * 7 + [RELU])
    model.fix_structure(choice)
    plain = model.to_plain()
    net = plain.export()
    assert net.relu_count == 8 and net.identity_count == 7
    x, u = torch.randn(20, 10), torch.randn(20, 2)
    with torch.no_grad():
        np.testing.assert_allclose(net.step(x.double().numpy(), u.double().numpy()),
                                   plain(x, u).double().numpy(), atol=1e-5)


@pytest.mark.parametrize("kwargs, needle", [
    ({"relus": 23}, "exceeds the model's 22 ReLUs"),
    ({"relus": 4, "keep": 30}, "exceeds the model's 22 hidden neurons"),
])
def test_budgets_the_model_cannot_meet_are_refused(kwargs, needle):
    with pytest.raises(ConfigError, match=needle):
        check_budget(random_mlp(hidden=(12, 10)), SparsifyConfig(**kwargs))


@pytest.mark.parametrize("kwargs", [{"relus": -1}, {"relus": 8, "keep": 4},
                                    {"schedule_fraction": 0.0}])
def test_bad_sparsify_config_is_refused(kwargs):
    with pytest.raises(ConfigError):
        SparsifyConfig(**kwargs)
