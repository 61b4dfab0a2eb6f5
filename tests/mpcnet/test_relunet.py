import json

import numpy as np
import pytest
import torch

from mpcnet.errors import ArtifactError, ConfigError, ShapeError
from mpcnet.nn.model_io import load_model, save_model
from mpcnet.nn.relunet import Layer, ReluNet
from tests.fixtures import random_mlp


def _compare(model, net, seed=1):
    rng = np.random.default_rng(seed)
    x, u = rng.normal(0, 0.2, (200, 10)), rng.normal(0, 0.03, (200, 2))
    with torch.no_grad():
        expected = model(torch.tensor(x, dtype=torch.float32),
                         torch.tensor(u, dtype=torch.float32)).double().numpy()
    np.testing.assert_allclose(net.step(x, u), expected, atol=1e-5)


def test_dense_export_equals_torch_forward():
    model = random_mlp()
    net = model.export()
    assert net.relu_count == 28 and net.identity_count == 0
    _compare(model, net)


def test_sparse_export_with_identity_and_removed_neurons_equals_torch_forward():
    model = random_mlp(seed=3)
    model.relu_gate0[:5] = 0  # 5 removed neurons in layer 0
    model.relu_gate1[:4] = 0
    model.id_gate1[:4] = 1  # 4 identity neurons in layer 1
    model.relu_gate1[4:6] = 0  # 2 removed in layer 1
    net = model.export()
    assert net.hidden_sizes == [11, 10]
    assert net.relu_count == 11 + 6 and net.identity_count == 4
    _compare(model, net)


def test_export_refuses_soft_gates():
    model = random_mlp()
    model.relu_gate0[0] = 0.5
    with pytest.raises(ConfigError, match="soft"):
        model.export()


def test_save_load_roundtrip(tmp_path):
    model = random_mlp()
    save_model(model, tmp_path)
    loaded = load_model(tmp_path)
    net = ReluNet.load(tmp_path / "relunet")
    _compare(loaded, net)
    _compare(model, net)


def test_loader_names_file_on_corruption(tmp_path):
    save_model(random_mlp(), tmp_path)
    (tmp_path / "model.pt").write_bytes(b"not a torch file")
    with pytest.raises(ArtifactError, match="model.pt"):
        load_model(tmp_path)
    (tmp_path / "relunet.npz").write_bytes(b"garbage")
    with pytest.raises(ArtifactError, match="relunet.npz"):
        ReluNet.load(tmp_path / "relunet")


def test_loader_refuses_mismatched_weights(tmp_path):
    save_model(random_mlp(hidden=(16, 12)), tmp_path)
    cfg = json.loads((tmp_path / "model.json").read_text())
    cfg["hidden"] = [16, 13]
    (tmp_path / "model.json").write_text(json.dumps(cfg))
    with pytest.raises(ArtifactError, match="do not match"):
        load_model(tmp_path)
    desc = json.loads((tmp_path / "relunet.json").read_text())
    desc["layers"][1]["out"] = 13
    (tmp_path / "relunet.json").write_text(json.dumps(desc))
    with pytest.raises(ArtifactError, match="layer 1"):
        ReluNet.load(tmp_path / "relunet")


def test_relunet_validates_structure():
    good = Layer(np.ones((3, 4)), np.zeros(3), ("relu", "identity", "relu"))
    out = Layer(np.ones((2, 3)), np.zeros(2), ("linear", "linear"))
    ReluNet((good, out), state_dim=2, action_dim=2)
    with pytest.raises(ShapeError, match="expected 3 inputs, got 4"):
        ReluNet((good, out), state_dim=2, action_dim=1)
    with pytest.raises(ConfigError, match="output layer"):
        relu_out = Layer(np.ones((3, 3)), np.zeros(3), ("relu",) * 3)
        ReluNet((good, relu_out), state_dim=3, action_dim=1)
    with pytest.raises(ConfigError):
        Layer(np.ones((1, 1)), np.zeros(1), ("tanh",))


def _pusher_frame_mlp(seed: int):
    from mpcnet.nn.torch_models import ReluMLP, pusher_frame_maps, relative_points_map

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    output_map, action_map = pusher_frame_maps(10, 2)
    model = ReluMLP(10, 2, [16, 12], relative_points_map(10, 2), output_map, action_map)
    model.set_normalization(rng.normal(size=10), rng.uniform(0.5, 2, 10),
                            rng.normal(size=8) * 0.01, rng.uniform(0.01, 0.1, 8))
    model.relu_gate1[:3] = 0
    model.id_gate1[:3] = 1  # identity neurons beside the pass-through ones
    model.relu_gate0[:2] = 0  # removed neurons
    return model.double().eval()


def test_pusher_frame_export_equals_the_torch_model_and_moves_the_pusher_by_u(tmp_path):
    model = _pusher_frame_mlp(4)
    assert model.frame == "pusher"
    net = model.export()
    assert net.relu_count == 14 + 9  # the pass-through neurons are identities, not ReLUs
    rng = np.random.default_rng(0)
    x, u = rng.normal(0, 0.2, (300, 10)), rng.normal(0, 0.03, (300, 2))
    with torch.no_grad():
        expected = model(torch.tensor(x), torch.tensor(u)).numpy()
    np.testing.assert_allclose(net.step(x, u), expected, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(net.step(x, u)[:, 8:], x[:, 8:] + u)  # exactly x + u
    save_model(model.float(), tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert loaded.frame == "pusher" and json.loads(
        (tmp_path / "m" / "model.json").read_text())["frame"] == "pusher"
    np.testing.assert_allclose(loaded.export().step(x, u), model.float().export().step(x, u),
                               atol=1e-12)


def test_pusher_frame_needs_a_pusher(tmp_path):
    from mpcnet.nn.torch_models import pusher_frame_maps

    with pytest.raises(ConfigError, match="use frame='world'"):
        pusher_frame_maps(10, 4)
