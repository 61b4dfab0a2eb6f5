"""The sparsification schedules: geometric (one hard choice at the end) and staged."""

import math

import pytest
import torch

from mpcnet.errors import ConfigError
from mpcnet.nn.sparsity import RELU, RelaxedGates
from tests.fixtures import random_mlp
from training.collect import collect
from training.config import CollectConfig, SparsifyConfig, TrainConfig
from training.sparsify import budget_schedule, epoch_setting, sparsify_progressive
from training.train import split_episodes


def test_the_geometric_schedule_is_the_one_measured_before():
    config = SparsifyConfig(relus=4, relaxed_epochs=10, schedule_fraction=0.7)
    for epoch in range(10):
        step = epoch_setting(config, epoch, 22, 22)
        assert step.relu_budget == budget_schedule(22, 4, (epoch + 1) / 7.0)
        assert step.temperature == pytest.approx(1.0 * 0.05 ** (epoch / 9))
        assert step.withdraw is None and step.keep_budget is None


@pytest.mark.parametrize("epochs, stages", [(12, 4), (10, 4), (3, 5)])
def test_the_staged_schedule_is_a_staircase_down_to_k(epochs, stages):
    config = SparsifyConfig(relus=3, keep=8, relaxed_epochs=epochs, schedule="staged",
                            stages=stages)
    steps = [epoch_setting(config, e, 22, 22) for e in range(epochs)]
    levels = sorted({s.relu_budget for s in steps}, reverse=True)
    assert len(levels) == min(stages, epochs) and levels[-1] == pytest.approx(3)
    assert [s.relu_budget for s in steps] == sorted((s.relu_budget for s in steps),
                                                     reverse=True)
    for level in levels:
        stage = [s for s in steps if s.relu_budget == level]
        if len(stage) > 1:  # the temperature anneals anew within every stage
            assert stage[0].temperature == 1.0 and stage[-1].temperature == pytest.approx(0.05)
        withdrawn = [s.withdraw for s in stage if s.withdraw is not None]
        # every stage but the last ends by keeping its budget's worth of ReLU candidates
        assert withdrawn == ([] if level == levels[-1] else [math.ceil(level - 1e-9)])
        assert stage[-1].withdraw == (withdrawn[0] if withdrawn else None)
    assert steps[-1].keep_budget == pytest.approx(8)


def test_withdrawn_neurons_are_never_relus_and_keep_finite_gradients():
    gates = RelaxedGates([20, 15])
    with torch.no_grad():
        gates.logits.normal_(0, 2, generator=torch.Generator().manual_seed(0))
    gates.temperature = 0.5
    gates.withdraw_relus(6)
    allowed = gates.relu_allowed.clone()
    assert int(allowed.sum()) == 6
    gates.relu_budget = 4.0
    p = gates.probabilities()
    assert p[~allowed, RELU].max().item() < 1e-6
    assert p[:, RELU].sum().item() <= 4.0 + 1e-4
    (p[:, RELU] * torch.arange(35.0)).sum().backward()
    assert torch.isfinite(gates.logits.grad).all()
    choice = gates.harden(4, None)
    assert allowed[choice == RELU].all() and int((choice == RELU).sum()) == 4
    gates.withdraw_relus(10)  # a later stage only ever narrows the candidates
    assert torch.equal(gates.relu_allowed, allowed)


def test_staged_sparsification_meets_the_budget_from_ever_fewer_candidates():
    data = collect(CollectConfig(episodes=6, steps=10, seed=3)).data
    train, val = split_episodes(data, 0.25, 0)
    config = SparsifyConfig(relus=3, relaxed_epochs=6, finetune_epochs=1, schedule="staged",
                            stages=3, seed=0)
    tcfg = TrainConfig(hidden=(12, 10), epochs=1, rollout_horizon=3, batch_size=64)
    result = sparsify_progressive(random_mlp(hidden=(12, 10)), train, val, config, tcfg)
    candidates = result.history["relu_candidates"]
    assert candidates[0] == 22 and candidates == sorted(candidates, reverse=True)
    assert candidates[-1] >= 3 and len(set(candidates)) == 3
    assert result.model.export().relu_count <= 3


def test_an_unknown_schedule_is_refused():
    with pytest.raises(ConfigError, match="schedule: expected 'geometric' or 'staged'"):
        SparsifyConfig(schedule="cosine")
