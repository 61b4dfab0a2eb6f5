import numpy as np
import torch

from mpcnet.rollout import TorchReluNet, rollout, rollout_numpy
from tests.fixtures import random_mlp


def test_batched_rollout_equals_per_sample_loop():
    model = random_mlp()
    net = model.export()
    rng = np.random.default_rng(0)
    x0 = rng.normal(0, 0.1, 10)
    actions = rng.uniform(-0.03, 0.03, (7, 5, 2))
    batched = rollout_numpy(net, x0, actions)
    for k in range(7):
        np.testing.assert_allclose(batched[k], net.rollout(x0, actions[k]), atol=1e-10)
    with torch.no_grad():
        torch_out = rollout(model, torch.tensor(x0, dtype=torch.float32),
                            torch.tensor(actions, dtype=torch.float32)).numpy()
    np.testing.assert_allclose(torch_out, batched, atol=1e-4)


def test_torch_relunet_keeps_identity_neurons_linear():
    model = random_mlp(seed=2)
    model.relu_gate0[:6] = 0
    model.id_gate0[:6] = 1
    net = model.export()
    x, u = torch.randn(50, 10, dtype=torch.float64), torch.randn(50, 2, dtype=torch.float64)
    got = TorchReluNet(net, dtype=torch.float64)(x, u).numpy()
    np.testing.assert_allclose(got, net.step(x.numpy(), u.numpy()), atol=1e-10)
