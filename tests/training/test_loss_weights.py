"""A task's [loss_weights]: train and sparsify weigh each state group's squared error."""

import numpy as np
import pytest
import torch

import envs
from mpcnet.data import TransitionData
from mpcnet.errors import ConfigError
from mpcnet.nn.torch_models import ReluMLP
from training.config import TrainConfig
from training.train import loss_weights, train_epoch, window_tensors


def _data(task: dict) -> TransitionData:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 3))
    return TransitionData(x, rng.normal(size=(12, 1)), x + 0.1 * rng.normal(size=(12, 3)),
                          np.repeat(np.arange(3), 4), None, "Pendulum-v1", {"task": task})


def test_groups_weigh_their_entries_and_the_loss_uses_them():
    task = {"groups": {"angle": [0, 1], "velocity": [2]}, "loss_weights": {"velocity": 4.0}}
    data = _data(task)
    np.testing.assert_array_equal(loss_weights(data), [1.0, 1.0, 4.0])
    assert loss_weights(_data({"groups": task["groups"]})) is None
    windows = window_tensors(data, 2, "cpu")
    np.testing.assert_allclose(windows["entry_weights"].numpy(), [0.5, 0.5, 2.0])  # mean 1
    torch.manual_seed(0)
    model = ReluMLP(3, 1, [4])
    config = TrainConfig(batch_size=100, rollout_weight=1.0, augment="none")
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    loss = train_epoch(model, windows, opt, config, torch.Generator().manual_seed(0))
    model.eval()
    from mpcnet.rollout import rollout

    with torch.no_grad():
        squared = (rollout(model, windows["x0"], windows["actions"]) - windows["targets"]) ** 2
        squared = squared * torch.tensor([0.5, 0.5, 2.0])
        scale = model.out_std.pow(2).mean()
        expected = (squared[:, 0].mean() + squared.mean()) / scale
    assert loss == pytest.approx(float(expected), rel=1e-5)


def test_a_weight_of_no_group_is_one_line():
    from envs.task import read_task_file

    raw = {**read_task_file("pendulum"), "loss_weights": {"speed": 2.0}}
    with pytest.raises(ConfigError, match=r"\[loss_weights\] speed: expected a weight > 0 of "
                                          r"one of the \[groups\] \['angle', 'velocity'\]"):
        envs.make("Pendulum-v1", task=raw)
